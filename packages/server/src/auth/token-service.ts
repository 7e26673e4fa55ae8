import { CharterError, SCOPES, grantProblems, tryParseDuration, type Grantor, type Issue } from '@charter/core';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { ACTIONS, type Actor, type Registry } from '../registry/registry.js';
import type { Database } from '../store/schema.js';
import { newToken, tokenStore, type TokenRecord } from '../store/token-store.js';

export interface TokenRequest {
  principal: string;
  product?: string | null;
  scopes: string[];
  description?: string;
  /** Lifetime such as 30d, 12h; or omit for no expiry. */
  expires_in?: string;
}

export interface CreatedToken {
  id: string;
  token: string;
  principal: string;
  product: string | null;
  scopes: string[];
  expires_at: string | null;
}

/** Token use cases. Only scopes that are live platform scope entries can be granted. */
export class TokenService {
  readonly #registry: Registry;
  readonly #db: Kysely<Database>;

  constructor(registry: Registry, db: Kysely<Database>) {
    this.#registry = registry;
    this.#db = db;
  }

  /** Every problem with `req` when `actor` mints it (core decides: `grantProblems`). */
  validate(req: TokenRequest, actor: Actor): Issue[] {
    // Without a token (Charter itself minting the first-start admin token) the principal's own
    // standing decides: an unbound admin reaches every scope, anyone else none.
    const grantor: Grantor = actor.token
      ? { product: actor.principal.product, scopes: actor.token.scopes, expiresAt: actor.token.expires_at }
      : { product: actor.principal.product, scopes: new Set(actor.principal.admin ? [SCOPES.admin] : []), expiresAt: null };
    return grantProblems(this.#registry.catalog, grantor, req, this.#registry.now().getTime());
  }

  async create(req: TokenRequest, actor: Actor): Promise<CreatedToken> {
    const createdBy = actor.principal.name;
    const issues = this.validate(req, actor);
    if (issues.length) {
      const code = issues.some((i) => i.code === 'INVALID_TOKEN_REQUEST') ? 'INVALID_TOKEN_REQUEST' : 'GRANT_DENIED';
      throw new CharterError(code, code === 'GRANT_DENIED' ? `this token may mint only tokens within its own reach: ${issues.map((i) => i.detail).join('; ')}` : `the token request has ${issues.length} problem(s)`, { errors: issues });
    }
    const now = this.#registry.now();
    const { id, token, hash } = newToken();
    const ttl = req.expires_in ? tryParseDuration(req.expires_in)! : null;
    const record: TokenRecord = {
      id,
      principal: req.principal,
      product: req.product ?? null,
      scopes: [...new Set(req.scopes)],
      description: req.description ?? '',
      expires_at: ttl === null ? null : new Date(now.getTime() + ttl).toISOString(),
      created_at: now.toISOString(),
      created_by: createdBy,
      revoked_at: null,
    };
    await this.#registry.mutate(actor, ACTIONS.tokenCreate, async (_trx, _at, _index, later) => {
      // A new token is read by nothing else in its batch: written with the batch's other new tokens.
      later.insert('tokens', tokenStore.row(record, hash));
      // The event names the token id and its grants, never the secret.
      return { value: null, subject: [id], details: { token: id, principal: record.principal, product: record.product, scopes: record.scopes, expires_at: record.expires_at } };
    });
    return { id, token, principal: record.principal, product: record.product, scopes: record.scopes, expires_at: record.expires_at };
  }

  async revoke(id: string, actor: Actor): Promise<TokenRecord> {
    const existing = await tokenStore.byId(this.#db, id);
    if (!existing) throw new CharterError('NOT_FOUND', `no token ${id}`);
    if (!existing.revoked_at) {
      await this.#registry.mutate(actor, ACTIONS.tokenRevoke, async (trx, at) => {
        await tokenStore.revoke(trx, id, at);
        return { value: null, subject: [id], details: { token: id, principal: existing.principal } };
      });
    }
    return (await tokenStore.byId(this.#db, id))!;
  }

  list(): Promise<TokenRecord[]> {
    return tokenStore.list(this.#db);
  }

  /**
   * First start of a fresh data directory: an admin token goes to `<dataDir>/admin-token`
   * (mode 0600). Only the path is ever printed. Returns the path when it made one.
   */
  async bootstrapAdmin(dataDir: string): Promise<string | null> {
    const file = join(dataDir, 'admin-token');
    if (existsSync(file) || (await tokenStore.count(this.#db)) > 0) return null;
    const created = await this.create(
      {
        principal: 'admin',
        scopes: [SCOPES.admin, SCOPES.tokens, SCOPES.register, SCOPES.attach, SCOPES.releaseApprove, SCOPES.promote, SCOPES.auditRead, SCOPES.read],
        description: 'created on first start; keep it secret, create narrower tokens for daily use',
      },
      { principal: { name: 'charter', product: null, admin: true }, requestId: null },
    );
    writeFileSync(file, created.token + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return file;
  }
}
