import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A token as Charter stores it: metadata only, never the secret. */
export interface TokenRecord {
  id: string;
  principal: string;
  product: string | null;
  scopes: string[];
  description: string;
  expires_at: string | null;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
}

const PREFIX = 'charter_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** 256 bits from the OS CSPRNG; the id is separate so logs and audit events never carry the secret. */
export function newToken(): { id: string; token: string; hash: string } {
  const token = PREFIX + randomBytes(32).toString('base64url');
  return { id: `tok_${randomBytes(8).toString('hex')}`, token, hash: hashToken(token) };
}

function toRecord(r: Database['tokens']): TokenRecord {
  return {
    id: r.id,
    principal: r.principal,
    product: r.product,
    scopes: JSON.parse(r.scopes) as string[],
    description: r.description,
    expires_at: r.expires_at,
    created_at: r.created_at,
    created_by: r.created_by,
    revoked_at: r.revoked_at,
  };
}

export const tokenStore = {
  async insert(db: Db, rec: TokenRecord, hash: string): Promise<void> {
    await db.insertInto('tokens').values(tokenStore.row(rec, hash)).execute();
  },

  /** The row of a new token (for a batch's deferred insert). */
  row(rec: TokenRecord, hash: string): Insertable<Database['tokens']> {
    return { ...rec, hash, scopes: JSON.stringify(rec.scopes) };
  },

  /** Looks a presented token up by its hash; the comparison of hashes is constant-time. */
  async byToken(db: Db, token: string): Promise<TokenRecord | undefined> {
    if (!token.startsWith(PREFIX) || token.length > 200) return undefined;
    const hash = hashToken(token);
    const row = await db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
    if (!row || !timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) return undefined;
    return toRecord(row);
  },

  async byId(db: Db, id: string): Promise<TokenRecord | undefined> {
    const row = await db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  },

  async list(db: Db): Promise<TokenRecord[]> {
    const rows = await db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toRecord);
  },

  async count(db: Db): Promise<number> {
    const row = await db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  },

  async revoke(db: Db, id: string, at: string): Promise<boolean> {
    const res = await db.updateTable('tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  },
};
