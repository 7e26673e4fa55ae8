import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CharterError } from '@charter/core';
import type { Kysely } from 'kysely';
import { ACTIONS, type Registry } from '../registry/registry.js';
import type { Auth, AuthContext } from './auth.js';
import type { Database } from '../store/schema.js';
import { sessionStore, type Session } from '../store/session-store.js';
import { tokenStore } from '../store/token-store.js';

/** How long a portal session lives at most; never longer than its token. */
export const SESSION_MS = 8 * 60 * 60 * 1000;

export type { Session };

/** A live session and what its token may do now. */
export interface SignedIn {
  session: Session;
  auth: AuthContext;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');


/**
 * Portal sign-in (DESIGN §11): a pasted token is traded for a server-side session. The browser
 * keeps only a random secret in an HttpOnly cookie; the row stores its hash, the token's id, the
 * CSRF token of the session's forms and an expiry. Every use re-reads the token, so revoking or
 * expiring it ends its sessions at once.
 */
export class Sessions {
  readonly #registry: Registry;
  readonly #db: Kysely<Database>;
  readonly #auth: Auth;

  constructor(registry: Registry, db: Kysely<Database>, auth: Auth) {
    this.#registry = registry;
    this.#db = db;
    this.#auth = auth;
  }

  /** Signs in: the token must be valid now; the session and its audit event are one transaction. */
  async create(presented: string, requestId: string): Promise<{ secret: string; session: Session; auth: AuthContext }> {
    const token = await tokenStore.byToken(this.#db, presented.trim());
    const auth = this.#auth.contextOf(token);
    const now = this.#registry.now();
    const limit = now.getTime() + SESSION_MS;
    const expires = auth.token.expires_at ? Math.min(Date.parse(auth.token.expires_at), limit) : limit;
    const secret = randomBytes(32).toString('base64url');
    const session: Session = {
      id: `ses_${randomBytes(8).toString('hex')}`,
      token_id: auth.token.id,
      csrf: randomBytes(24).toString('base64url'),
      created_at: now.toISOString(),
      expires_at: new Date(expires).toISOString(),
    };
    await this.#registry.mutate({ principal: auth.principal, requestId }, ACTIONS.sessionCreate, async (trx) => {
      await sessionStore.insert(trx, session, sha256(secret));
      return { value: null, subject: [session.id, auth.token.id], details: { session: session.id, token: auth.token.id, expires_at: session.expires_at } };
    });
    return { secret, session, auth };
  }

  /** The live session a cookie names, or null: unknown, signed out, expired, or its token revoked or expired. */
  async resolve(secret: string | undefined): Promise<SignedIn | null> {
    if (!secret || secret.length > 100) return null;
    const found = await sessionStore.bySecret(this.#db, secret);
    if (!found || found.session.revoked_at) return null;
    if (Date.parse(found.session.expires_at) <= this.#registry.now().getTime()) return null;
    try {
      return { session: found.session, auth: this.#auth.contextOf(found.token) };
    } catch (err) {
      if (err instanceof CharterError && err.code === 'UNAUTHENTICATED') return null;
      throw err;
    }
  }

  /** Signs out, with its audit event. */
  async revoke(signedIn: SignedIn, requestId: string): Promise<void> {
    await this.#registry.mutate({ principal: signedIn.auth.principal, requestId }, ACTIONS.sessionRevoke, async (trx, at) => {
      await sessionStore.revoke(trx, signedIn.session.id, at);
      return { value: null, subject: [signedIn.session.id, signedIn.session.token_id], details: { session: signedIn.session.id, token: signedIn.session.token_id } };
    });
  }

  /** Constant-time comparison of a submitted form's CSRF token with the session's. */
  static csrfMatches(expected: string, submitted: unknown): boolean {
    if (typeof submitted !== 'string' || submitted.length !== expected.length) return false;
    return timingSafeEqual(Buffer.from(submitted), Buffer.from(expected));
  }
}
