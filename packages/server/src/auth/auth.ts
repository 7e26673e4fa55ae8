import { CharterError, effectiveScopes, principalOf, SCOPES, type Principal } from '@charter/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Registry } from '../registry/registry.js';
import type { Database } from '../store/schema.js';
import { tokenStore, type TokenRecord } from '../store/token-store.js';

/** Who is calling and what they may do, decided per request against the live registry. */
export interface AuthContext {
  token: TokenRecord;
  scopes: Set<string>;
  principal: Principal;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

export class Auth {
  readonly #registry: Registry;
  readonly #db: Kysely<Database>;
  readonly privateReads: boolean;

  constructor(registry: Registry, db: Kysely<Database>, opts: { privateReads: boolean }) {
    this.#registry = registry;
    this.#db = db;
    this.privateReads = opts.privateReads;
  }

  /** Resolves the bearer token. Revocation and expiry are read from the database on every request. */
  async authenticate(req: FastifyRequest): Promise<AuthContext> {
    const header = req.headers.authorization;
    if (!header) throw new CharterError('UNAUTHENTICATED', 'this request needs a bearer token (Authorization: Bearer charter_…)');
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new CharterError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <token>"');
    return this.contextOf(await tokenStore.byToken(this.#db, m[1]!));
  }

  /** What a stored token may do now (bearer header or browser session alike); refuses a revoked or expired one. */
  contextOf(token: TokenRecord | undefined): AuthContext {
    const now = this.#registry.now();
    if (!token) throw new CharterError('UNAUTHENTICATED', 'the token is not valid');
    if (token.revoked_at) throw new CharterError('UNAUTHENTICATED', `token ${token.id} was revoked at ${token.revoked_at}`);
    if (token.expires_at && Date.parse(token.expires_at) <= now.getTime()) throw new CharterError('UNAUTHENTICATED', `token ${token.id} expired at ${token.expires_at}`);
    const scopes = effectiveScopes(this.#registry.catalog, token.scopes, now.getTime());
    return { token, scopes, principal: principalOf(token, scopes) };
  }

  /** Whether the caller holds `scope` now (platform.registry.admin always counts, see require). */
  static allows(auth: AuthContext, scope: string): boolean {
    return auth.scopes.has(scope) || auth.scopes.has(SCOPES.admin);
  }

  /** The one scope rule of every front door (API route or portal form): FORBIDDEN without it. */
  static demand(auth: AuthContext, scope: string): void {
    if (Auth.allows(auth, scope)) return;
    const held = auth.token.scopes.length ? auth.token.scopes.join(', ') : 'none';
    throw new CharterError('FORBIDDEN', `this needs ${scope}; token ${auth.token.id} grants ${[...auth.scopes].join(', ') || 'nothing'} (holds: ${held}; a scope that is not active in the registry grants nothing)`, {
      errors: [{ pointer: '', code: 'FORBIDDEN', detail: `missing scope ${scope}` }],
      extra: { required_scope: scope },
    });
  }

  /**
   * A preHandler that lets the request through only with `scope` (401 without a token, 403
   * without the scope). platform.registry.admin is always accepted too, so disabling a scope
   * entry (the kill switch) never locks the registry admins out of re-enabling it.
   */
  require(scope: string) {
    return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
      const auth = await this.authenticate(req);
      Auth.demand(auth, scope);
      req.auth = auth;
    };
  }

  /** For public reads: passes everyone unless the server runs with --private-reads. */
  reads() {
    const guard = this.require(SCOPES.read);
    return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      if (this.privateReads) await guard(req, reply);
    };
  }
}
