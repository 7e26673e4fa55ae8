import {
  CharterError,
  CompactTree,
  consistencyProof,
  eventLeafHash,
  formatCheckpoint,
  inclusionProof,
  jsonDigest,
  signNote,
  vkeyFromPublicKey,
  type AuditEvent,
  type Catalog,
  type NodeId,
  type NodeReader,
} from '@charter/core';
import { sign as cryptoSign, type KeyObject } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { LogKey } from './log-key.js';

type Db = Kysely<Database> | Transaction<Database>;

/** What a use case says about its mutation; the log adds index, time and digest. */
export interface AuditRecord {
  action: string;
  actor: string;
  subject: string[];
  request_id: string | null;
  details: unknown;
}

export interface StoredEvent extends AuditEvent {
  leaf_hash: string;
  details: unknown;
}

const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');
const hex = (h: Uint8Array) => Buffer.from(h).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

/**
 * The tamper-evident audit log: an RFC 6962 Merkle tree over canonical events, appended in
 * the same transaction as the mutation it records, with signed C2SP checkpoints.
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
    this.#origin ??= (await this.#db.selectFrom('audit_state').select('origin').where('id', '=', 1).executeTakeFirstOrThrow()).origin;
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

  /** Appends one event inside the caller's transaction. The audit_state row lock orders all appends. */
  async append(trx: Transaction<Database>, rec: AuditRecord, at: string, opts: { bootstrap?: boolean } = {}): Promise<StoredEvent> {
    this.assertAction(rec.action, Date.parse(at), opts.bootstrap);
    const locked = await trx.updateTable('audit_state').set({ size: sql`size + 1` }).where('id', '=', 1).returning(['size', 'frontier']).executeTakeFirstOrThrow();
    const index = Number(locked.size) - 1;
    const tree = CompactTree.fromFrontier(index, (JSON.parse(locked.frontier) as string[]).map(unhex));
    const event: AuditEvent = {
      index,
      action: rec.action,
      actor: rec.actor,
      subject: rec.subject,
      at,
      request_id: rec.request_id,
      details_digest: jsonDigest(rec.details ?? null),
    };
    const leaf = eventLeafHash(event);
    const nodes = tree.append(leaf);
    await trx
      .insertInto('audit_events')
      .values({ idx: index, action: event.action, actor: event.actor, subject: JSON.stringify(event.subject), at, request_id: event.request_id, details: JSON.stringify(rec.details ?? null), details_digest: event.details_digest })
      .execute();
    await trx.insertInto('audit_nodes').values(nodes.map((n) => ({ level: n.level, idx: n.index, hash: hex(n.hash) }))).execute();
    await trx.updateTable('audit_state').set({ frontier: JSON.stringify(tree.frontier().map(hex)), root: hex(tree.root()) }).where('id', '=', 1).execute();
    return { ...event, leaf_hash: b64(leaf), details: rec.details ?? null };
  }

  /** The log size; inside a mutation's transaction, the index its event will get. */
  async size(db: Db = this.#db): Promise<number> {
    const row = await db.selectFrom('audit_state').select('size').where('id', '=', 1).executeTakeFirstOrThrow();
    return Number(row.size);
  }

  /** A signed note (C2SP tlog-checkpoint) for the current tree. Signed once per size. */
  async checkpoint(): Promise<{ size: number; root: string; note: string }> {
    const row = await this.#db.selectFrom('audit_state').select(['origin', 'size', 'root']).where('id', '=', 1).executeTakeFirstOrThrow();
    const size = Number(row.size);
    if (this.#checkpoint?.size !== size) {
      const text = formatCheckpoint({ origin: row.origin, size, rootHash: unhex(row.root) });
      this.#checkpoint = { size, note: signNote(text, { name: row.origin, privateKey: this.#key.privateKey }) };
    }
    return { size, root: b64(unhex(row.root)), note: this.#checkpoint.note };
  }

  async events(opts: { after?: number; limit: number }): Promise<StoredEvent[]> {
    let q = this.#db
      .selectFrom('audit_events as e')
      .innerJoin('audit_nodes as n', (j) => j.onRef('n.idx', '=', 'e.idx').on('n.level', '=', 0))
      .select(['e.idx', 'e.action', 'e.actor', 'e.subject', 'e.at', 'e.request_id', 'e.details', 'e.details_digest', 'n.hash']);
    if (opts.after !== undefined) q = q.where('e.idx', '>', opts.after);
    const rows = await q.orderBy('e.idx').limit(opts.limit).execute();
    return rows.map((r) => ({
      index: Number(r.idx),
      action: r.action,
      actor: r.actor,
      subject: JSON.parse(r.subject) as string[],
      at: r.at,
      request_id: r.request_id,
      details_digest: r.details_digest,
      // The leaf hash comes from the tree, not from the event row: an edited row no longer matches it.
      leaf_hash: b64(unhex(r.hash)),
      details: JSON.parse(r.details) as unknown,
    }));
  }

  async event(index: number): Promise<StoredEvent | undefined> {
    return (await this.events({ after: index - 1, limit: 1 })).find((e) => e.index === index);
  }

  #reader(db: Db): NodeReader {
    return {
      getNodes: async (ids: readonly NodeId[]) => {
        if (ids.length === 0) return [];
        const rows = await db
          .selectFrom('audit_nodes')
          .select(['level', 'idx', 'hash'])
          .where((eb) => eb.or(ids.map((id) => eb.and([eb('level', '=', id.level), eb('idx', '=', id.index)]))))
          .execute();
        const map = new Map(rows.map((r) => [`${r.level}/${Number(r.idx)}`, r.hash]));
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
    const proof = await inclusionProof(index, size, this.#reader(this.#db));
    return { index, size, hashes: proof.map(b64) };
  }

  async consistency(from: number, to: number): Promise<{ from: number; to: number; hashes: string[] }> {
    const current = await this.size();
    if (to < 1 || to > current) throw new CharterError('MALFORMED_REQUEST', `to must be between 1 and the log size ${current}`, { errors: [{ pointer: '/querystring/to', code: 'MALFORMED_REQUEST', detail: `1..${current}` }] });
    if (from < 1 || from > to) throw new CharterError('MALFORMED_REQUEST', `from must be between 1 and to (${to})`, { errors: [{ pointer: '/querystring/from', code: 'MALFORMED_REQUEST', detail: `1..${to}` }] });
    const proof = await consistencyProof(from, to, this.#reader(this.#db));
    return { from, to, hashes: proof.map(b64) };
  }
}
