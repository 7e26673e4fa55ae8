/**
 * Promotion policy (DESIGN §6): judges a stage of an artifact type's `stages[]` against stored
 * evidence and approvals, explains every stage, and answers the deploy check. Pure: the registry
 * view and the clock come in as arguments.
 *
 * Rules worth knowing: requirements AND, signers inside one requirement OR; refs compare by ID (a
 * `@revision` pin is ignored); an unreadable requirement, condition or max_age fails closed; the
 * artifact type, evidence types and signers must be usable *now* (checkEntry), so disabling one
 * revokes current trust while recorded decisions stay as they were.
 */
export { PolicyError } from './errors.js';
export type { PolicyErrorCode } from './errors.js';
export { formatDuration, parseDuration, tryParseDuration } from './duration.js';
export { jsonEqual, pointerTokens, resolvePointer } from './pointer.js';
export type { Resolved } from './pointer.js';
export { describeCondition, evaluateCondition, evaluateWhere, whereHolds } from './conditions.js';
export type { ConditionResult } from './conditions.js';
export { readStages, stageNames } from './model.js';
export type {
  Approval,
  ApprovalRequirement,
  Check,
  CheckRequirement,
  CheckStatus,
  Condition,
  Evidence,
  EvidenceRequirement,
  EvidenceSignature,
  Requirement,
  Stage,
  StageEvaluation,
  StatementLike,
} from './model.js';
export { evaluateStage } from './policy.js';
export type { StageInput } from './policy.js';
export { describeRequirement } from './describe.js';
export { checkStageTrust, explain } from './explain.js';
export type { DecisionSummary, Explanation, ExplainInput, StageExplanation, StageTrust, TrustCode } from './explain.js';
export { DAY_MS, trustHorizon } from './horizon.js';
export type { ExpiringEvidence, TrustHorizon } from './horizon.js';
