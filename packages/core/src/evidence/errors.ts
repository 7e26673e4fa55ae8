import { BaseError } from '../errors.js';

export type EvidenceErrorCode =
  | 'MALFORMED_ENVELOPE'
  | 'UNSUPPORTED_PAYLOAD_TYPE'
  | 'MALFORMED_STATEMENT'
  /** Not thrown here: for callers when subjectMatches() is false, pointing at `<envelope>/payload/subject`. */
  | 'SUBJECT_MISMATCH'
  | 'INVALID_DIGEST'
  | 'INVALID_KEY'
  /** A subject digest in upper-case hex: the in-toto digest set is lowercase hex. */
  | 'DIGEST_NOT_LOWERCASE'
  /** An object with a member name twice (RFC 8259 §4: meaning left to each parser). */
  | 'DUPLICATE_MEMBER';

/**
 * The only error the evidence module throws. `pointer` is an RFC 6901 JSON pointer into the value
 * the caller passed in ('' = the whole value); statement errors point through the envelope's
 * payload, e.g. `/payload/subject/0/digest/sha256`.
 */
export class EvidenceError extends BaseError<EvidenceErrorCode> {
  constructor(
    code: EvidenceErrorCode,
    readonly pointer: string,
    message: string,
  ) {
    super(code, `${pointer || '(root)'}: ${message}`);
  }
}

/** Appends reference tokens to a JSON pointer, escaping `~` and `/` as RFC 6901 requires. */
export function pointerTo(base: string, ...tokens: (string | number)[]): string {
  return base + tokens.map((t) => '/' + String(t).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short, printable rendering of an untrusted value for error messages. */
export function preview(v: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    // cyclic or BigInt values passed in as already-parsed objects
  }
  text ??= typeof v;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decode: invalid sequences are refused, not replaced with U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}
