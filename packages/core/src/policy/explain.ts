import { readStages, type Check, type CheckStatus, type StageEvaluation } from './model.js';
import { Context, evaluateIn, stageIndex, type StageInput } from './policy.js';

/** What explain needs of a recorded decision; the caller's full decision type passes through. */
export interface DecisionSummary {
  id: string;
  stage: string;
  outcome: 'promoted' | 'denied';
  decided_at: string;
}

export interface ExplainInput<D extends DecisionSummary = DecisionSummary> extends Omit<StageInput, 'stage'> {
  decisions: readonly D[];
}

export interface StageExplanation<D extends DecisionSummary = DecisionSummary> {
  stage: string;
  promoted: boolean;
  /** Would a promotion request for this stage pass now. */
  would_pass: boolean;
  /** Promoted, but would not pass now: its current trust is withdrawn. */
  revoked: boolean;
  /** The failing checks' sentences when revoked, else null. */
  revoked_reason: string | null;
  /** The status of the first failing check when revoked: 'untrusted' = trust withdrawn, 'expired' = evidence aged out. */
  revoked_status: CheckStatus | null;
  last_decision: D | null;
  checks: Check[];
}

export interface Explanation<D extends DecisionSummary = DecisionSummary> {
  artifact_type: string;
  revision: number;
  /** ISO time the explanation was computed for (the `now` passed in). */
  evaluated_at: string;
  /** The highest promoted stage that would still pass now, or null. */
  current_stage: string | null;
  stages: StageExplanation<D>[];
}

/**
 * For every stage in order: promoted or not, would it pass now, and if promoted but not passing,
 * why its trust is revoked. Every failing reason counts as revocation — a disabled signer as much
 * as evidence that aged past max_age — because the question is "is this trusted now";
 * `revoked_status` says which kind it was. Past decisions are returned as they were recorded.
 */
export function explain<D extends DecisionSummary>(input: ExplainInput<D>): Explanation<D> {
  const stages = readStages(input.artifactType);
  const ctx = new Context(input);
  const out = stages.map((s, i): StageExplanation<D> => {
    const evaluation = evaluateIn(ctx, stages, i);
    const promoted = input.promotedStages.includes(s.name);
    const revoked = promoted && !evaluation.passes;
    const failing = evaluation.checks.filter((c) => c.status !== 'satisfied');
    return {
      stage: s.name,
      promoted,
      would_pass: evaluation.passes,
      revoked,
      revoked_reason: revoked ? failing.map((c) => c.detail).join('; ') : null,
      revoked_status: revoked ? (failing[0]?.status ?? null) : null,
      last_decision: lastDecision(input.decisions, s.name),
      checks: evaluation.checks,
    };
  });
  const trusted = out.filter((s) => s.promoted && s.would_pass);
  return {
    artifact_type: `artifact-type:${input.artifactType.id}`,
    revision: input.artifactType.revision,
    evaluated_at: new Date(input.now).toISOString(),
    current_stage: trusted.length ? trusted[trusted.length - 1]!.stage : null,
    stages: out,
  };
}

function lastDecision<D extends DecisionSummary>(decisions: readonly D[], stage: string): D | null {
  let last: D | null = null;
  for (const d of decisions) {
    if (d.stage !== stage) continue;
    // Equal times: the later record wins. An unreadable time never displaces a readable one.
    if (last === null || !(Date.parse(d.decided_at) < Date.parse(last.decided_at))) {
      if (last !== null && Number.isNaN(Date.parse(d.decided_at)) && !Number.isNaN(Date.parse(last.decided_at))) continue;
      last = d;
    }
  }
  return last;
}

export type TrustCode = 'trusted' | 'not_promoted' | 'revoked';

export interface StageTrust {
  /** True only if promoted to the stage AND it would still pass now: the admission answer. */
  allowed: boolean;
  code: TrustCode;
  /** One sentence. */
  reason: string;
  stage: string;
  evaluation: StageEvaluation;
}

/**
 * The deploy check for one stage (DESIGN §6): allowed only if the artifact was promoted to it and
 * would still be trusted now. Evaluates that one stage only.
 */
export function checkStageTrust(input: StageInput): StageTrust {
  const stages = readStages(input.artifactType);
  const evaluation = evaluateIn(new Context(input), stages, stageIndex(input.artifactType, stages, input.stage));
  const base = { stage: input.stage, evaluation };
  if (!input.promotedStages.includes(input.stage)) {
    return { ...base, allowed: false, code: 'not_promoted', reason: `the artifact has not been promoted to ${input.stage}` };
  }
  if (!evaluation.passes) {
    const why = evaluation.checks.filter((c) => c.status !== 'satisfied').map((c) => c.detail).join('; ');
    return { ...base, allowed: false, code: 'revoked', reason: `promoted to ${input.stage}, but no longer trusted: ${why}` };
  }
  return { ...base, allowed: true, code: 'trusted', reason: `promoted to ${input.stage} and still trusted` };
}
