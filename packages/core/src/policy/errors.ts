import { BaseError } from '../errors.js';

export type PolicyErrorCode =
  /** The stage named in a request is not one of the artifact type's stages. */
  | 'UNKNOWN_STAGE'
  /** The artifact type's spec cannot be read as a promotion policy (not an artifact type, no stages[]). */
  | 'INVALID_POLICY'
  /** A duration is not of the form <n><s|m|h|d|w>. */
  | 'INVALID_DURATION';

/**
 * The only error the policy module throws. Evaluation itself never throws on evidence or on a
 * requirement it cannot read: those fail closed as checks. Only caller mistakes throw.
 */
export class PolicyError extends BaseError<PolicyErrorCode> {
  constructor(
    code: PolicyErrorCode,
    message: string,
    /** For UNKNOWN_STAGE: the stages the artifact type does have, in order. */
    readonly stages: readonly string[] = [],
  ) {
    super(code, message);
  }
}
