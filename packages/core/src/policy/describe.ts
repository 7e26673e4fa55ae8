import { describeCondition } from './conditions.js';
import { isApprovalRequirement, isEvidenceRequirement, isRecord } from './model.js';
import { idOf, orList } from './policy.js';

/**
 * A requirement in a few words, for tables and explanations:
 * `vuln_scan by platform.scanner where /predicate/summary/critical ≤ 0, at most 7d old`, `2 approvals`.
 * Accepts a requirement as written or a check's requirement (previous stage, artifact type).
 */
export function describeRequirement(req: unknown): string {
  if (isApprovalRequirement(req)) return req.approvals === 1 ? '1 approval' : `${req.approvals} approvals`;
  if (isEvidenceRequirement(req)) {
    const type = idOf(req.evidence, 'evidence-type') ?? String(req.evidence);
    const signers = req.signers.map((s) => idOf(s, 'signer') ?? String(s));
    let text = `${type} by ${orList(signers)}`;
    if (isRecord(req.where) && Object.keys(req.where).length > 0) {
      text += ` where ${Object.entries(req.where).map(([p, c]) => describeCondition(p, c)).join(' and ')}`;
    }
    if (req.max_age !== undefined) text += `, at most ${String(req.max_age)} old`;
    return text;
  }
  if (isRecord(req) && typeof req['previous_stage'] === 'string') return `promotion to ${req['previous_stage']} first`;
  if (isRecord(req) && typeof req['artifact_type'] === 'string') {
    return `artifact type ${idOf(req['artifact_type'], 'artifact-type') ?? req['artifact_type']} usable`;
  }
  return 'a requirement this version of Charter does not understand';
}
