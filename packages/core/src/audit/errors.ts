import { BaseError } from '../errors.js';

export type AuditProofErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_PROOF'
  | 'MISSING_NODE'
  | 'INVALID_CHECKPOINT'
  | 'INVALID_NOTE'
  | 'INVALID_KEY';

export class AuditProofError extends BaseError<AuditProofErrorCode> {}
