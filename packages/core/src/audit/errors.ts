export type AuditProofErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_PROOF'
  | 'MISSING_NODE'
  | 'INVALID_CHECKPOINT'
  | 'INVALID_NOTE'
  | 'INVALID_KEY';

export class AuditProofError extends Error {
  readonly code: AuditProofErrorCode;

  constructor(code: AuditProofErrorCode, message: string) {
    super(message);
    this.name = 'AuditProofError';
    this.code = code;
  }
}
