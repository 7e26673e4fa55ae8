/**
 * One catalogue of domain errors. Core throws these; only the HTTP layer maps a code to a
 * status (server/src/http/problem.ts). Codes are part of the public contract: never rename.
 */
export type ErrorCode =
  | 'MALFORMED_REQUEST'
  | 'MALFORMED_REF'
  | 'INVALID_ID'
  | 'INVALID_SPEC'
  | 'INVALID_ENTRY'
  | 'UNKNOWN_FAMILY'
  | 'UNKNOWN_ENTRY'
  | 'UNKNOWN_REVISION'
  | 'ENTRY_EXISTS'
  | 'ID_REUSED'
  | 'NAMESPACE_DENIED'
  | 'NAMESPACE_TAKEN'
  | 'OWNER_UNKNOWN'
  | 'REFERENCE_UNRESOLVED'
  | 'REFERENCE_WRONG_FAMILY'
  | 'REFERENCE_DEPRECATED'
  | 'ILLEGAL_TRANSITION'
  | 'DEPRECATION_NEEDS_REPLACEMENT'
  | 'REFERENCED_BY_ACTIVE'
  | 'FROZEN_FIELD'
  | 'IMMUTABLE_FIELD'
  | 'REVISION_MISMATCH'
  | 'DUPLICATE_OPERATION'
  | 'CHANGESET_INVALID'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'SELF_APPROVAL'
  | 'CHANGESET_STATE'
  | 'INVALID_TOKEN_REQUEST'
  | 'AUDIT_ACTION_UNAVAILABLE'
  | 'UNUSABLE_ENTRY'
  | 'ARTIFACT_CONFLICT'
  | 'INVALID_EVIDENCE'
  | 'SUBJECT_MISMATCH'
  | 'UNKNOWN_EVIDENCE_TYPE'
  | 'UNKNOWN_STAGE'
  | 'PROMOTION_DENIED'
  | 'INVALID_MANIFEST'
  | 'NOT_IN_CONTRACT'
  | 'INVALID_USAGE'
  | 'INVALID_NOTIFICATION'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAVAILABLE';

/** One problem at one place: `pointer` is a JSON pointer into the submitted document. */
export interface Issue {
  pointer: string;
  code: ErrorCode;
  detail: string;
}

export class CharterError extends Error {
  readonly code: ErrorCode;
  readonly errors: Issue[];
  /** Extra, code-specific data the transport may expose (e.g. a plan or a decision). */
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: { errors?: Issue[]; extra?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CharterError';
    this.code = code;
    this.errors = opts.errors ?? [];
    this.extra = opts.extra;
  }
}

/** Escape one JSON pointer token (RFC 6901). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(...tokens: (string | number)[]): string {
  return tokens.map((t) => '/' + pointerToken(t)).join('');
}
