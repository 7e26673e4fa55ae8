import type { Envelope } from './dsse.js';
import { firstDuplicateMember } from './duplicates.js';
import { decodeUtf8, EvidenceError, isPlainObject, pointerTo, preview } from './errors.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
/** Still written by older tools (npm, cosign, GCB); same shape as v1 for what Charter reads. */
export const STATEMENT_V0_1 = 'https://in-toto.io/Statement/v0.1';

export type StatementType = typeof STATEMENT_V1 | typeof STATEMENT_V0_1;

export interface Subject {
  readonly name?: string;
  /** Algorithm → hex digest, as written (case preserved). */
  readonly digest: Readonly<Record<string, string>>;
}

export interface Statement {
  readonly _type: StatementType;
  readonly subject: readonly Subject[];
  readonly predicateType: string;
  readonly predicate: Readonly<Record<string, unknown>>;
}

const HEX = /^[0-9a-fA-F]+$/;
const HEX_LENGTH: ReadonlyMap<string, number> = new Map([
  ['sha1', 40],
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);
const URI_WITH_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/;
const SHA256_DIGEST = /^sha256:([0-9a-f]{64})$/;

/**
 * Parses an in-toto Statement (v1 or v0.1) from payload bytes. `pointer` locates the payload in the
 * submitted document and prefixes every error pointer.
 */
export function parseStatement(payload: Uint8Array, pointer = '/payload'): Statement {
  const text = decodeUtf8(payload);
  if (text === null) throw malformed(pointer, 'is not valid UTF-8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw malformed(pointer, `is not valid JSON (${(e as Error).message})`);
  }
  const duplicate = firstDuplicateMember(text);
  if (duplicate !== null) {
    throw new EvidenceError('DUPLICATE_MEMBER', pointer + duplicate, 'appears twice in one object: a signed Statement must have one meaning for every verifier (RFC 8259 §4)');
  }
  if (!isPlainObject(doc)) {
    throw malformed(pointer, `must be a JSON object (an in-toto Statement), got ${preview(doc)}`);
  }

  const type = doc['_type'];
  if (type !== STATEMENT_V1 && type !== STATEMENT_V0_1) {
    throw malformed(pointerTo(pointer, '_type'), `must be ${STATEMENT_V1} or ${STATEMENT_V0_1}, got ${preview(type)}`);
  }
  const subjects = doc['subject'];
  if (!Array.isArray(subjects) || subjects.length === 0) {
    throw malformed(pointerTo(pointer, 'subject'), `must be a non-empty array, got ${preview(subjects)}`);
  }
  const subject = subjects.map((s: unknown, i) => readSubject(s, pointerTo(pointer, 'subject', i)));
  const predicateType = doc['predicateType'];
  if (typeof predicateType !== 'string' || !URI_WITH_SCHEME.test(predicateType)) {
    throw malformed(pointerTo(pointer, 'predicateType'), `must be a URI, got ${preview(predicateType)}`);
  }
  const predicate = doc['predicate'] === undefined ? {} : doc['predicate'];
  if (!isPlainObject(predicate)) {
    throw malformed(pointerTo(pointer, 'predicate'), `must be an object when present, got ${preview(predicate)}`);
  }
  return { _type: type, subject, predicateType, predicate };
}

function readSubject(s: unknown, at: string): Subject {
  if (!isPlainObject(s)) throw malformed(at, `must be an object {name?, digest}, got ${preview(s)}`);
  const name = s['name'];
  if (name !== undefined && typeof name !== 'string') {
    throw malformed(pointerTo(at, 'name'), `must be a string when present, got ${preview(name)}`);
  }
  const digest = s['digest'];
  if (!isPlainObject(digest) || Object.keys(digest).length === 0) {
    throw malformed(pointerTo(at, 'digest'), `must be a non-empty object {algorithm: hex}, got ${preview(digest)}`);
  }
  for (const [alg, value] of Object.entries(digest)) {
    if (typeof value === 'string' && /[A-F]/.test(value) && HEX.test(value)) {
      throw new EvidenceError('DIGEST_NOT_LOWERCASE', pointerTo(at, 'digest', alg), `must be lowercase hex (the in-toto digest set), got ${preview(value)}`);
    }
    const expected = HEX_LENGTH.get(alg);
    if (typeof value !== 'string' || !HEX.test(value) || (expected !== undefined && value.length !== expected)) {
      const what = expected === undefined ? 'a hex string' : `${expected} hex characters`;
      throw malformed(pointerTo(at, 'digest', alg), `must be ${what}, got ${preview(value)}`);
    }
  }
  const digestSet = digest as Record<string, string>;
  return name === undefined ? { digest: digestSet } : { name, digest: digestSet };
}

/** The statement inside an envelope: refuses any payloadType but in-toto's. */
export function readStatement(envelope: Envelope): Statement {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new EvidenceError(
      'UNSUPPORTED_PAYLOAD_TYPE',
      `${envelope.pointer}/payloadType`,
      `must be ${IN_TOTO_PAYLOAD_TYPE}, got ${preview(envelope.payloadType)}`,
    );
  }
  return parseStatement(envelope.payload, `${envelope.pointer}/payload`);
}

/** True if a subject's sha256 equals `digest` ('sha256:<64 lowercase hex>'), exactly. */
export function subjectMatches(statement: Statement, digest: string): boolean {
  const hex = typeof digest === 'string' ? SHA256_DIGEST.exec(digest)?.[1] : undefined;
  if (hex === undefined) {
    throw new EvidenceError('INVALID_DIGEST', '', `expected sha256:<64 lowercase hex>, got ${preview(digest)}`);
  }
  return statement.subject.some((s) => s.digest['sha256'] === hex);
}

function malformed(pointer: string, message: string): EvidenceError {
  return new EvidenceError('MALFORMED_STATEMENT', pointer, message);
}
