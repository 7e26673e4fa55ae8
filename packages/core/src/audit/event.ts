import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import { leafHash } from './merkle.js';

// canonicalize ships CommonJS; under NodeNext its default import may be the module object.
type Canonicalize = (value: unknown) => string | undefined;
const canonicalizeFn = ((canonicalizeModule as unknown as { default?: Canonicalize }).default ?? canonicalizeModule) as unknown as Canonicalize;

/** RFC 8785 (JCS) canonical JSON: the bytes that are hashed, so any verifier can recompute them. */
export function canonicalJson(value: unknown): string {
  const s = canonicalizeFn(value);
  if (s === undefined) throw new TypeError('value has no JSON form');
  return s;
}

/** `sha256:<hex>` of the canonical JSON of `value`. */
export function jsonDigest(value: unknown): string {
  return 'sha256:' + createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

/** One entry of the audit log, as hashed into the Merkle tree (DESIGN §9 shape, minus leaf_hash). */
export interface AuditEvent {
  index: number;
  /** An `audit-action` ref, e.g. audit-action:platform.changeset.apply. */
  action: string;
  actor: string;
  /** Refs or digests the mutation touched. */
  subject: string[];
  at: string;
  request_id: string | null;
  details_digest: string;
}

/** The leaf bytes of an event: canonical JSON of exactly the event fields. */
export function eventBytes(e: AuditEvent): Uint8Array {
  const canonical: AuditEvent = {
    index: e.index,
    action: e.action,
    actor: e.actor,
    subject: e.subject,
    at: e.at,
    request_id: e.request_id,
    details_digest: e.details_digest,
  };
  return Buffer.from(canonicalJson(canonical), 'utf8');
}

/** RFC 6962 leaf hash of an event: SHA-256(0x00 || canonical event). */
export function eventLeafHash(e: AuditEvent): Uint8Array {
  return leafHash(eventBytes(e));
}
