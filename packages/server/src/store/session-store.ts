import { createHash, timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import { tokenStore, type TokenRecord } from './token-store.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A portal session as the use case sees it; the row also holds the SHA-256 of the cookie's secret. */
export interface Session {
  id: string;
  token_id: string;
  csrf: string;
  created_at: string;
  expires_at: string;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

export const sessionStore = {
  async insert(db: Db, s: Session, secretHash: string): Promise<void> {
    await db.insertInto('sessions').values({ ...s, secret_hash: secretHash, revoked_at: null }).execute();
  },

  /** The session named by a cookie secret, with its token, in one query. */
  async bySecret(db: Db, secret: string): Promise<{ session: Session & { revoked_at: string | null }; token: TokenRecord } | undefined> {
    const hash = sha256(secret);
    const row = await db.selectFrom('sessions').selectAll().where('secret_hash', '=', hash).executeTakeFirst();
    if (!row || !timingSafeEqual(Buffer.from(row.secret_hash), Buffer.from(hash))) return undefined;
    const token = await tokenStore.byId(db, row.token_id);
    if (!token) return undefined;
    return { session: { id: row.id, token_id: row.token_id, csrf: row.csrf, created_at: row.created_at, expires_at: row.expires_at, revoked_at: row.revoked_at }, token };
  },

  async revoke(db: Db, id: string, at: string): Promise<void> {
    await db.updateTable('sessions').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  },
};
