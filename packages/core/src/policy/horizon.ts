import type { Entry } from '../entry.js';
import { tryParseRef } from '../ids.js';
import { tryParseDuration } from './duration.js';
import { isEvidenceRequirement, readStages } from './model.js';
import { evaluateStage, idOf, stageIndex, type StageInput } from './policy.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface ExpiringEvidence {
  stage: string;
  evidence: string;
  evidence_type: string;
  /** ISO 8601: when it passes the requirement's max_age. */
  expires_at: string;
}

export interface TrustHorizon {
  /**
   * Milliseconds since the epoch until which the deploy-check answer computed at `now` stays
   * the answer as long as nothing new is recorded for the artifact and the registry does not
   * change: the earliest future max_age expiry (or warning threshold) of its evidence, sunset,
   * or signer validity boundary among the entries the stages up to this one consult.
   */
  until: number;
  /** Satisfying evidence, on this stage or one it stands on, that reaches its max_age within `soonMs`. */
  expiring: ExpiringEvidence[];
}

/** When the deploy check for `input.stage` can next change by the clock alone, and what expires soon. */
export function trustHorizon(input: StageInput, soonMs = DAY_MS): TrustHorizon {
  const { now } = input;
  const stages = readStages(input.artifactType);
  const chain = stages.slice(0, stageIndex(input.artifactType, stages, input.stage) + 1);
  let until = Infinity;
  const consider = (t: number) => {
    if (t > now && t < until) until = t;
  };
  const considerEntry = (e: Entry | undefined) => {
    if (!e) return;
    if (e.sunset_at) consider(Date.parse(e.sunset_at));
    if (e.family === 'signer') {
      if (typeof e.spec.not_before === 'string') consider(Date.parse(e.spec.not_before));
      if (typeof e.spec.not_after === 'string') consider(Date.parse(e.spec.not_after));
    }
  };
  considerEntry(input.view.get('artifact-type', input.artifactType.id));
  const expiring: ExpiringEvidence[] = [];
  for (const stage of chain) {
    const maxAges = new Map<string, number>();
    for (const req of stage.requirements) {
      if (!isEvidenceRequirement(req)) continue;
      for (const ref of [req.evidence, ...req.signers]) {
        const p = tryParseRef(ref);
        if (p) considerEntry(input.view.get(p.family, p.id));
      }
      const maxAge = req.max_age === undefined ? null : tryParseDuration(req.max_age);
      const typeId = idOf(req.evidence, 'evidence-type');
      if (maxAge === null || typeId === null) continue;
      maxAges.set(typeId, Math.min(maxAge, maxAges.get(typeId) ?? Infinity));
      for (const e of input.evidence) {
        if (idOf(e.evidence_type, 'evidence-type') !== typeId) continue;
        const at = Date.parse(e.attached_at);
        consider(at + maxAge);
        consider(at + maxAge - soonMs);
      }
    }
    if (maxAges.size === 0 || !input.promotedStages.includes(stage.name)) continue;
    const byId = new Map(input.evidence.map((e) => [e.id, e]));
    for (const check of evaluateStage({ ...input, stage: stage.name }).checks) {
      const req = check.requirement as { evidence?: unknown };
      const typeId = idOf(req.evidence, 'evidence-type');
      const maxAge = typeId === null ? undefined : maxAges.get(typeId);
      const used = byId.get(check.evidence[0] ?? '');
      if (check.status !== 'satisfied' || maxAge === undefined || !used) continue;
      const expires = Date.parse(used.attached_at) + maxAge;
      if (expires - now <= soonMs) expiring.push({ stage: stage.name, evidence: used.id, evidence_type: typeId!, expires_at: new Date(expires).toISOString() });
    }
  }
  return { until, expiring };
}
