import { checkEntry, type CheckResult, type RegistryView } from '../catalog.js';
import type { Entry } from '../entry.js';
import { formatRef, tryParseRef, type FamilyName } from '../ids.js';
import { evaluateWhere, whereHolds } from './conditions.js';
import { formatDuration, tryParseDuration } from './duration.js';
import { PolicyError } from './errors.js';
import {
  isApprovalRequirement,
  isEvidenceRequirement,
  isRecord,
  readStages,
  type Approval,
  type ApprovalRequirement,
  type Check,
  type CheckRequirement,
  type Evidence,
  type EvidenceRequirement,
  type EvidenceSignature,
  type Stage,
  type StageEvaluation,
} from './model.js';

export interface StageInput {
  /** The artifact type at the revision whose policy (stages[]) is applied. */
  artifactType: Entry;
  stage: string;
  evidence: readonly Evidence[];
  approvals: readonly Approval[];
  /** Stages the artifact has been promoted to. */
  promotedStages: readonly string[];
  /** Current registry state: decides whether the artifact type, evidence types and signers are usable now. */
  view: RegistryView;
  /** Milliseconds since the epoch. */
  now: number;
  /** The principal that registered the artifact: its approvals never count. */
  registeredBy: string;
}

/**
 * Judges whether promotion to `stage` would pass now. Pure and fail closed: anything this code
 * cannot read, find, or trust counts as not satisfied. Throws PolicyError only for a stage the
 * artifact type does not have (UNKNOWN_STAGE) or an artifact type without a readable stages[].
 */
export function evaluateStage(input: StageInput): StageEvaluation {
  const stages = readStages(input.artifactType);
  return evaluateIn(new Context(input), stages, stageIndex(input.artifactType, stages, input.stage));
}

/** The index of `stage` in `stages`, or PolicyError('UNKNOWN_STAGE') naming the stages there are. */
export function stageIndex(artifactType: Entry, stages: readonly Stage[], stage: string): number {
  const i = stages.findIndex((s) => s.name === stage);
  if (i < 0) {
    const names = stages.map((s) => s.name);
    throw new PolicyError(
      'UNKNOWN_STAGE',
      `artifact type ${artifactType.id} has no stage '${String(stage)}'; its stages are ${names.join(', ')}`,
      names,
    );
  }
  return i;
}

/** Per-evaluation memo of registry answers and parsed refs, so 50 evidence items cost a handful of lookups. */
export class Context {
  readonly #stages = new Map<number, StageEvaluation>();
  readonly #answers = new Map<string, CheckResult>();
  readonly #entries = new Map<string, Entry | undefined>();
  readonly #ids = new Map<FamilyName, Map<string, string | null>>();
  readonly #times = new WeakMap<Evidence, number>();

  constructor(readonly input: Omit<StageInput, 'stage'>) {}

  /** idOf, memoized: the same few refs recur on every evidence item. */
  id(ref: unknown, family: FamilyName): string | null {
    if (typeof ref !== 'string') return null;
    let ids = this.#ids.get(family);
    if (!ids) this.#ids.set(family, (ids = new Map()));
    let id = ids.get(ref);
    if (id === undefined) {
      id = idOf(ref, family);
      ids.set(ref, id);
    }
    return id;
  }

  /** attached_at in ms; NaN when unreadable. */
  attachedAt(e: Evidence): number {
    let t = this.#times.get(e);
    if (t === undefined) {
      t = Date.parse(e.attached_at);
      this.#times.set(e, t);
    }
    return t;
  }

  /** The evaluation of an earlier stage, computed once per context. */
  stageResult(stages: readonly Stage[], index: number): StageEvaluation {
    let r = this.#stages.get(index);
    if (!r) {
      r = evaluateIn(this, stages, index);
      this.#stages.set(index, r);
    }
    return r;
  }

  usable(family: FamilyName, id: string): CheckResult {
    const ref = formatRef(family, id);
    let answer = this.#answers.get(ref);
    if (!answer) {
      answer = checkEntry(ref, this.entry(family, id), this.input.now);
      this.#answers.set(ref, answer);
    }
    return answer;
  }

  entry(family: FamilyName, id: string): Entry | undefined {
    const key = `${family}:${id}`;
    if (this.#entries.has(key)) return this.#entries.get(key);
    const e = this.input.view.get(family, id);
    this.#entries.set(key, e);
    return e;
  }
}

export function evaluateIn(ctx: Context, stages: readonly Stage[], index: number): StageEvaluation {
  const { artifactType, promotedStages } = ctx.input;
  const stage = stages[index] as Stage;
  const previous = index > 0 ? (stages[index - 1] as Stage).name : null;
  const checks: Check[] = [];

  // Usability is judged on the registry's current entry, not on the revision whose stages apply:
  // disabling the type must revoke trust even for callers holding an older copy.
  const typeRef = formatRef('artifact-type', artifactType.id);
  const typeAnswer = ctx.usable('artifact-type', artifactType.id);
  if (!typeAnswer.allowed) {
    checks.push({
      requirement: { artifact_type: typeRef },
      status: 'untrusted',
      evidence: [],
      detail: `artifact type ${artifactType.id} ${unusable(typeAnswer)}`,
    });
  }
  if (previous !== null && !promotedStages.includes(previous)) {
    checks.push({ requirement: { previous_stage: previous }, status: 'missing', evidence: [], detail: `needs promotion to ${previous} first` });
  } else if (previous !== null) {
    // Trust chains: a stage stands on the one before it, so if that one lost its trust
    // (a signer disabled, evidence aged out) every later stage loses it too.
    const before = ctx.stageResult(stages, index - 1);
    if (!before.passes) {
      const why = before.checks.filter((c) => c.status !== 'satisfied').map((c) => c.detail).join('; ');
      checks.push({ requirement: { previous_stage: previous }, status: 'untrusted', evidence: [], detail: `${previous} was promoted but is no longer trusted: ${why}` });
    }
  }
  stage.requirements.forEach((raw, i) => checks.push(evaluateRequirement(ctx, stage.name, raw, i)));

  return {
    stage: stage.name,
    passes: checks.every((c) => c.status === 'satisfied'),
    previous_stage: previous,
    policy: { artifact_type: typeRef, revision: artifactType.revision },
    checks,
  };
}

function evaluateRequirement(ctx: Context, stage: string, raw: unknown, index: number): Check {
  const requirement = { ...(structuredClone(raw) as object), index } as CheckRequirement;
  if (isApprovalRequirement(raw)) return evaluateApprovals(ctx, stage, raw, requirement);
  if (isEvidenceRequirement(raw)) return evaluateEvidence(ctx, raw, requirement);
  return {
    requirement,
    status: 'failed',
    evidence: [],
    detail: `requirement ${index + 1} of ${stage} is not understood by this version of Charter, so it cannot be satisfied`,
  };
}

function evaluateApprovals(ctx: Context, stage: string, req: ApprovalRequirement, requirement: CheckRequirement): Check {
  const { approvals, registeredBy } = ctx.input;
  const counted = new Map<string, string>();
  let registrantApproved = false;
  for (const a of approvals) {
    if (a.stage !== stage) continue;
    if (a.principal === registeredBy) registrantApproved = true;
    else if (!counted.has(a.principal)) counted.set(a.principal, a.id);
  }
  const names = [...counted.keys()];
  const noun = (n: number) => (n === 1 ? '1 approval' : `${n} approvals`);
  const ids = [...counted.values()];
  if (names.length >= req.approvals) {
    return { requirement, status: 'satisfied', evidence: ids, detail: `${noun(names.length)} for ${stage} (${names.join(', ')})` };
  }
  const has = names.length === 0 ? 'has none' : `has ${names.length} (${names.join(', ')})`;
  const own = registrantApproved ? `; ${registeredBy} registered the artifact, so their own approval does not count` : '';
  return { requirement, status: 'missing', evidence: ids, detail: `needs ${noun(req.approvals)} for ${stage}; ${has}${own}` };
}

interface Rejection {
  /** Higher is closer to trusted, hence more useful to tell the reader. */
  rank: number;
  text: string;
}

type Judgement = { trusted: true; signer: string } | { trusted: false; why: Rejection };

function evaluateEvidence(ctx: Context, req: EvidenceRequirement, requirement: CheckRequirement): Check {
  const check = (status: Check['status'], evidence: readonly Evidence[], detail: string): Check => ({
    requirement,
    status,
    evidence: evidence.map((e) => e.id),
    detail,
  });
  const typeId = idOf(req.evidence, 'evidence-type');
  const signerIds = [...new Set(req.signers.map((s) => ctx.id(s, 'signer')).filter((s): s is string => s !== null))];
  const typeName = typeId ?? String(req.evidence);
  const needs = `needs ${typeName} signed by ${orList(signerIds.length ? signerIds : req.signers.map(String))}`;

  if (typeId === null) return check('failed', [], `${needs}, but '${String(req.evidence)}' is not an evidence-type reference, so it cannot be satisfied`);
  const maxAge = req.max_age === undefined ? null : tryParseDuration(req.max_age);
  if (req.max_age !== undefined && maxAge === null) {
    return check('failed', [], `${needs}, but the policy's max_age '${String(req.max_age)}' is not a duration, so it cannot be satisfied`);
  }
  const typeAnswer = ctx.usable('evidence-type', typeId);
  const candidates = newestFirst(ctx, ctx.input.evidence.filter((e) => ctx.id(e.evidence_type, 'evidence-type') === typeId));
  if (!typeAnswer.allowed) {
    return check('untrusted', candidates, `${needs}, but evidence type ${typeId} ${unusable(typeAnswer)}, so no ${typeId} counts`);
  }
  if (candidates.length === 0) return check('missing', [], `${needs}; none attached`);

  const trusted: { e: Evidence; signer: string }[] = [];
  const rejections: Rejection[] = [];
  for (const e of candidates) {
    const j = judgeEvidence(ctx, e, typeId, signerIds);
    if (j.trusted) trusted.push({ e, signer: j.signer });
    else rejections.push(j.why);
  }
  if (trusted.length === 0) {
    const reasons = [...new Map(rejections.sort((a, b) => b.rank - a.rank).map((r) => [r.text, r])).keys()];
    const shown = reasons.slice(0, 3).join('; ') + (reasons.length > 3 ? `; and ${reasons.length - 3} more` : '');
    const found = candidates.length === 1 ? `found one ${shown}` : `found ${candidates.length}, none trusted: ${shown}`;
    return check('untrusted', candidates, `${needs}; ${found}`);
  }

  // Sentences are built only for the item reported; the rest just need a yes or no.
  const passing = trusted.filter((t) => whereHolds(req.where, t.e.statement));
  if (passing.length === 0) {
    const newest = trusted[0]!;
    const problems = evaluateWhere(req.where, newest.e.statement).filter((c) => !c.ok).map((c) => c.detail);
    return check('failed', trusted.map((t) => t.e), `${problems.join('; ')} (${typeId} ${newest.e.id}, signed by ${newest.signer})`);
  }

  const now = ctx.input.now;
  const ageOf = (e: Evidence) => {
    const t = ctx.attachedAt(e);
    return Number.isNaN(t) ? Infinity : now - t;
  };
  const fresh = maxAge === null ? passing : passing.filter((t) => ageOf(t.e) <= maxAge);
  if (fresh.length === 0) {
    const newest = passing[0]!;
    const which = passing.length < trusted.length ? `newest ${typeId} that meets the policy` : `newest ${typeId}`;
    const age = ageOf(newest.e);
    const old = Number.isFinite(age) ? `is ${formatDuration(age)} old` : 'has no readable attach time';
    return check('expired', passing.map((t) => t.e), `${which} (${newest.e.id}) ${old}; policy allows ${String(req.max_age)}`);
  }

  const chosen = fresh[0]!;
  const facts = evaluateWhere(req.where, chosen.e.statement).map((c) => `, ${c.detail}`).join('');
  const age = maxAge === null ? '' : `, ${formatDuration(ageOf(chosen.e))} old`;
  return check('satisfied', [chosen.e], `${typeId} signed by ${chosen.signer} (${chosen.e.id})${facts}${age}`);
}

/** Trusted iff one verified signature is by a listed signer that is usable now and registered for the type. */
function judgeEvidence(ctx: Context, e: Evidence, typeId: string, signerIds: readonly string[]): Judgement {
  const typeEntry = ctx.entry('evidence-type', typeId);
  const expected = typeEntry?.spec['predicate_type'];
  const statementType = isRecord(e.statement) ? e.statement.predicateType : undefined;
  const declared = typeof statementType === 'string' ? statementType : e.predicate_type;
  if (declared !== e.predicate_type || (typeof expected === 'string' && declared !== expected)) {
    return { trusted: false, why: { rank: 3, text: `whose predicate type ${String(declared)} is not ${typeId}'s (${String(expected)})` } };
  }
  const signatures = Array.isArray(e.signers) ? e.signers : [];
  if (signatures.length === 0) return { trusted: false, why: { rank: 0, text: 'with no signature' } };
  let best: Rejection | null = null;
  for (const sig of signatures) {
    const j = judgeSignature(ctx, sig, typeId, signerIds);
    if (j.trusted) return j;
    if (best === null || j.why.rank > best.rank) best = j.why;
  }
  return { trusted: false, why: best! };
}

function judgeSignature(ctx: Context, sig: EvidenceSignature, typeId: string, signerIds: readonly string[]): Judgement {
  const id = ctx.id(sig?.signer, 'signer');
  if (sig?.verified !== true || id === null) {
    if (id !== null) return { trusted: false, why: { rank: 1, text: `with a signature from ${id} that did not verify (${String(sig.reason)})` } };
    if (sig?.reason === 'bad_signature') return { trusted: false, why: { rank: 1, text: 'with a signature that does not verify' } };
    if (sig?.reason === 'malformed_signature') return { trusted: false, why: { rank: 0, text: 'with a malformed signature' } };
    return { trusted: false, why: { rank: 0, text: `signed by an unknown key${keyHint(sig)}` } };
  }
  if (!signerIds.includes(id)) return { trusted: false, why: { rank: 2, text: `signed by ${id}, which may not sign ${typeId}` } };
  // Evidence untrusted when it was attached never counts, even if its signer is trusted again
  // later (it may have been signed while the key was withdrawn): attach it again to re-verify.
  if (sig.reason !== 'verified') {
    return { trusted: false, why: { rank: 3, text: `signed by ${id}, which was not trusted when it was attached (${String(sig.reason).replace(/^signer_/, 'signer ')}); attach it again to re-verify` } };
  }
  const answer = ctx.usable('signer', id);
  if (!answer.allowed) return { trusted: false, why: { rank: 5, text: `signed by ${id}, which ${unusable(answer)}` } };
  const registered = ctx.entry('signer', id)?.spec['evidence_types'];
  if (!Array.isArray(registered) || !registered.some((r) => ctx.id(r, 'evidence-type') === typeId)) {
    return { trusted: false, why: { rank: 4, text: `signed by ${id}, which is not registered to sign ${typeId}` } };
  }
  return { trusted: true, signer: id };
}

/** ` 3f2a9c01…` from the fingerprint (first 4 bytes) or a hex keyid; ` (keyid "ci")` otherwise. */
function keyHint(sig: EvidenceSignature | undefined): string {
  const hex = [sig?.fingerprint, sig?.keyid].find((v): v is string => typeof v === 'string' && /^[0-9a-fA-F]{8,}$/.test(v));
  if (hex) return ` ${hex.slice(0, 8).toLowerCase()}…`;
  if (typeof sig?.keyid === 'string' && sig.keyid !== '') return ` (keyid ${JSON.stringify(sig.keyid.slice(0, 40))})`;
  return '';
}

/** The id of a `family:id[@rev]` ref; a pin is ignored (policy compares by ID). Null if not such a ref. */
export function idOf(ref: unknown, family: FamilyName): string | null {
  const parsed = tryParseRef(ref);
  return parsed && parsed.family === family ? parsed.id : null;
}

/** Why a registry entry cannot be used now, phrased after its name. */
export function unusable(answer: CheckResult): string {
  switch (answer.reason) {
    case 'disabled':
      return 'is disabled';
    case 'retired':
      return 'is retired';
    case 'not_active':
      return 'is proposed, not active';
    case 'sunset_passed':
      return `is deprecated and its sunset (${String(answer.sunset_at)}) has passed`;
    case 'unknown':
      return 'is not in the registry';
    case 'malformed':
      return 'is not a valid reference';
    case 'untrusted':
      return 'is outside its validity window';
    default:
      return 'cannot be used now';
  }
}

function newestFirst(ctx: Context, evidence: readonly Evidence[]): Evidence[] {
  const time = (e: Evidence) => {
    const t = ctx.attachedAt(e);
    return Number.isNaN(t) ? -Infinity : t;
  };
  // Array.prototype.sort is stable: equal times keep the order given.
  return [...evidence].sort((a, b) => time(b) - time(a) || 0);
}

export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}
