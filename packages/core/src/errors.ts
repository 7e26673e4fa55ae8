/**
 * One catalogue of error codes: every code Charter puts on the wire (a problem's `code`, an
 * issue's `code`) is in ERROR_CODES, and nothing else is. Core throws them; only the HTTP layer
 * maps a code to a status and title (server/src/http/problem.ts, a table the compiler holds
 * total); docs/errors.md says what each means and what to do (a test holds it equal to this
 * list). Codes are part of the public contract: never rename one.
 */
export const ERROR_CODES = [
  // requests
  'MALFORMED_REQUEST',
  'MALFORMED_URL',
  'URI_TOO_LONG',
  'HEADERS_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'INTERNAL',
  'UNAVAILABLE',
  // IDs, references, entries
  'MALFORMED_REF',
  'INVALID_ID',
  'INVALID_SPEC',
  'INVALID_ENTRY',
  'UNKNOWN_FAMILY',
  'UNKNOWN_ENTRY',
  'UNKNOWN_REVISION',
  'ENTRY_EXISTS',
  'ID_REUSED',
  'NAMESPACE_DENIED',
  'NAMESPACE_TAKEN',
  'OWNER_UNKNOWN',
  'REFERENCE_UNRESOLVED',
  'REFERENCE_WRONG_FAMILY',
  'REFERENCE_DEPRECATED',
  'ILLEGAL_TRANSITION',
  'DEPRECATION_NEEDS_REPLACEMENT',
  'REFERENCED_BY_ACTIVE',
  'FROZEN_FIELD',
  'IMMUTABLE_FIELD',
  'UNUSABLE_ENTRY',
  // change sets and tokens
  'REVISION_MISMATCH',
  'DUPLICATE_OPERATION',
  'CHANGESET_INVALID',
  'SELF_APPROVAL',
  'CHANGESET_STATE',
  'REVIEW_CONFLICT',
  'AUTHOR_REVOKED',
  'INVALID_TOKEN_REQUEST',
  'GRANT_DENIED',
  'AUDIT_ACTION_UNAVAILABLE',
  // artifacts, evidence, promotion
  'ARTIFACT_CONFLICT',
  'INVALID_EVIDENCE',
  'MALFORMED_ENVELOPE',
  'UNSUPPORTED_PAYLOAD_TYPE',
  'MALFORMED_STATEMENT',
  'SUBJECT_MISMATCH',
  'INVALID_DIGEST',
  'DIGEST_NOT_LOWERCASE',
  'DUPLICATE_MEMBER',
  'INVALID_KEY',
  'UNKNOWN_EVIDENCE_TYPE',
  'UNKNOWN_STAGE',
  'INVALID_POLICY',
  'INVALID_DURATION',
  'PROMOTION_DENIED',
  'EVIDENCE_LIMIT',
  // OCI registries (DESIGN §12)
  'INVALID_IMAGE_REF',
  'IMAGE_DIGEST_MISMATCH',
  'MANIFEST_UNKNOWN',
  'REGISTRY_UNREACHABLE',
  'REGISTRY_DENIED',
  'REGISTRY_ERROR',
  'REGISTRY_COPY_FAILED',
  // run-time contracts
  'INVALID_MANIFEST',
  'NOT_IN_CONTRACT',
  'INVALID_USAGE',
  'INVALID_NOTIFICATION',
  // audit proofs (offline verification)
  'INVALID_ARGUMENT',
  'INVALID_PROOF',
  'MISSING_NODE',
  'INVALID_CHECKPOINT',
  'INVALID_NOTE',
  // deploy-time enforcement
  'ADMISSION_FAILED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN: ReadonlySet<string> = new Set(ERROR_CODES);
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && KNOWN.has(code);
}

/**
 * The one base of every error Charter throws on purpose (like sigstore-js's BaseError): a code
 * from the closed set, a message, and the cause it wraps. Each module narrows `C` to the codes
 * it may throw, so a module cannot invent a code the catalogue does not have.
 */
export class BaseError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;

  constructor(code: C, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem at one place: `pointer` is a JSON pointer into the submitted document. */
export interface Issue {
  pointer: string;
  code: ErrorCode;
  detail: string;
}

/** A domain error with every problem at once (`errors[]`, JSON pointers) for the transport to show. */
export class CharterError extends BaseError<ErrorCode> {
  readonly errors: Issue[];
  /** Extra, code-specific data the transport may expose (e.g. a plan or a decision). */
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: { errors?: Issue[]; extra?: Record<string, unknown>; cause?: unknown } = {}) {
    super(code, message, opts.cause === undefined ? {} : { cause: opts.cause });
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
