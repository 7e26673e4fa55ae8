import {
  CharterError,
  consistencyProof,
  formatCheckpoint,
  inclusionProof,
  signNote,
  vkeyFromPublicKey,
  type Catalog,
  type NodeId,
  type NodeReader,
} from '@charter/core';
import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import { auditStore } from '../store/audit-store.js';
import type { StoredEvent } from '../store/group-commit.js';
import type { Database } from '../store/schema.js';
import type { LogKey } from './log-key.js';

export type { AuditRecord, StoredEvent } from '../store/group-commit.js';

const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

/**
 * The tamper-evident audit log: an RFC 6962 Merkle tree over canonical events, with signed C2SP
 * checkpoints and proofs. Events are appended by the group committer (store/group-commit.ts) in
 * the same transaction as the mutation they record; this service decides which actions may be
 * logged and reads the log through the audit store.
 */
export class AuditLog {
  readonly #db: Kysely<Database>;
  readonly #catalog: Catalog;
  readonly #key: LogKey;
  #origin: string | null = null;
  #checkpoint: { size: number; note: string } | null = null;

  constructor(db: Kysely<Database>, catalog: Catalog, key: LogKey) {
    this.#db = db;
    this.#catalog = catalog;
    this.#key = key;
  }

  get publicKey(): KeyObject {
    return this.#key.publicKey;
  }

  async origin(): Promise<string> {
    this.#origin ??= (await auditStore.state(this.#db)).origin;
    return this.#origin;
  }

  /** Signs a document with the log key (release proofs), base64. */
  sign(bytes: Uint8Array): string {
    return cryptoSign(null, bytes, this.#key.privateKey).toString('base64');
  }

  async keyInfo(): Promise<{ name: string; public_key: string; vkey: string }> {
    const name = await this.origin();
    return { name, public_key: this.#key.publicKey.export({ type: 'spki', format: 'pem' }).toString(), vkey: vkeyFromPublicKey(name, this.#key.publicKey) };
  }

  /**
   * Fails closed: a mutation whose audit action is not a usable registry entry is refused.
   * `bootstrap` admits the one mutation that creates the action itself (the first seed).
   */
  assertAction(action: string, now: number, bootstrap = false): void {
    if (bootstrap) return;
    const r = this.#catalog.check(action, now);
    if (!r.allowed) {
      throw new CharterError('AUDIT_ACTION_UNAVAILABLE', `${action} is ${r.reason === 'unknown' ? 'not in the registry' : r.reason}: a mutation that cannot be audited is refused`, {
        extra: { action, reason: r.reason },
      });
    }
  }

  async size(): Promise<number> {
    return auditStore.size(this.#db);
  }

  /** A signed note (C2SP tlog-checkpoint) for the current tree. Signed once per size. */
  async checkpoint(): Promise<{ size: number; root: string; note: string }> {
    const row = await auditStore.state(this.#db);
    const size = row.size;
    if (this.#checkpoint?.size !== size) {
      const text = formatCheckpoint({ origin: row.origin, size, rootHash: unhex(row.root) });
      this.#checkpoint = { size, note: signNote(text, { name: row.origin, privateKey: this.#key.privateKey }) };
    }
    return { size, root: b64(unhex(row.root)), note: this.#checkpoint.note };
  }

  /** Events in log order; `details: false` leaves the (possibly large) details out (null), as a page listing events does. */
  async events(opts: { after?: number; limit: number; details?: boolean }): Promise<StoredEvent[]> {
    const rows = await auditStore.events(this.#db, opts);
    return rows.map((r) => ({
      index: r.idx,
      action: r.action,
      actor: r.actor,
      subject: JSON.parse(r.subject) as string[],
      at: r.at,
      request_id: r.request_id,
      details_digest: r.details_digest,
      // The leaf hash comes from the tree, not from the event row: an edited row no longer matches it.
      leaf_hash: b64(unhex(r.hash)),
      details: r.details === null ? null : (JSON.parse(r.details) as unknown),
    }));
  }

  async event(index: number): Promise<StoredEvent | undefined> {
    return (await this.events({ after: index - 1, limit: 1 })).find((e) => e.index === index);
  }

  #reader(): NodeReader {
    return {
      getNodes: async (ids: readonly NodeId[]) => {
        const map = await auditStore.nodes(this.#db, ids);
        return ids.map((id) => {
          const h = map.get(`${id.level}/${id.index}`);
          if (!h) throw new CharterError('UNAVAILABLE', `audit node ${id.level}/${id.index} is missing: the log store is damaged`);
          return unhex(h);
        });
      },
    };
  }

  async inclusion(index: number, size: number): Promise<{ index: number; size: number; hashes: string[] }> {
    const current = await this.size();
    if (size < 1 || size > current) throw new CharterError('MALFORMED_REQUEST', `size must be between 1 and the log size ${current}`, { errors: [{ pointer: '/querystring/size', code: 'MALFORMED_REQUEST', detail: `1..${current}` }] });
    if (index < 0 || index >= size) throw new CharterError('MALFORMED_REQUEST', `index must be below size ${size}`, { errors: [{ pointer: '/querystring/index', code: 'MALFORMED_REQUEST', detail: `0..${size - 1}` }] });
    const proof = await inclusionProof(index, size, this.#reader());
    return { index, size, hashes: proof.map(b64) };
  }

  async consistency(from: number, to: number): Promise<{ from: number; to: number; hashes: string[] }> {
    const current = await this.size();
    if (to < 1 || to > current) throw new CharterError('MALFORMED_REQUEST', `to must be between 1 and the log size ${current}`, { errors: [{ pointer: '/querystring/to', code: 'MALFORMED_REQUEST', detail: `1..${current}` }] });
    if (from < 1 || from > to) throw new CharterError('MALFORMED_REQUEST', `from must be between 1 and to (${to})`, { errors: [{ pointer: '/querystring/from', code: 'MALFORMED_REQUEST', detail: `1..${to}` }] });
    const proof = await consistencyProof(from, to, this.#reader());
    return { from, to, hashes: proof.map(b64) };
  }
}
