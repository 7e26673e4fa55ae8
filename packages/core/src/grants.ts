import { checkEntry, type RegistryView } from './catalog.js';
import type { Issue } from './errors.js';
import { PLATFORM_PRODUCT, tryParseRef } from './ids.js';
import { tryParseDuration } from './policy/duration.js';
import { effectiveScopes, SCOPES } from './scopes.js';

/** The token that mints another one: what it reaches now. */
export interface Grantor {
  /** The product the grantor is bound to, or null. */
  product: string | null;
  /** Its effective scopes now (`effectiveScopes`). */
  scopes: ReadonlySet<string>;
  /** When the grantor itself expires (ISO-8601), or null. */
  expiresAt: string | null;
}

export interface GrantRequest {
  product?: string | null | undefined;
  scopes: readonly string[];
  /** Lifetime such as 30d, 12h; absent for no expiry. */
  expires_in?: string | undefined;
}

/** Scopes that administer the platform itself: never reachable from a product-bound token. */
const PLATFORM_ADMIN_SCOPES: readonly string[] = [SCOPES.admin, SCOPES.tokens];

/**
 * Which tokens a grantor may mint (issue 9 item 10): only within its own reach. A requested
 * scope must be a live platform scope the grantor holds now (an unbound registry admin holds
 * every scope, as `Auth.require` already treats it); a bound grantor mints only tokens bound
 * to its own product, never a platform-administering scope (registry.admin, tokens.admin,
 * or one that implies them), and nothing that outlives itself. Returns every problem at once:
 * `INVALID_TOKEN_REQUEST` for a request that is wrong whoever makes it, `GRANT_DENIED` for
 * one beyond this grantor's reach.
 */
export function grantProblems(view: RegistryView, grantor: Grantor, req: GrantRequest, now: number): Issue[] {
  const issues: Issue[] = [];
  const invalid = (pointer: string, detail: string) => issues.push({ pointer, code: 'INVALID_TOKEN_REQUEST', detail });
  const denied = (pointer: string, detail: string) => issues.push({ pointer, code: 'GRANT_DENIED', detail });
  const bound = grantor.product;
  const holdsAll = bound === null && grantor.scopes.has(SCOPES.admin);

  req.scopes.forEach((ref, i) => {
    const at = `/scopes/${i}`;
    const p = tryParseRef(ref);
    const entry = p?.family === 'scope' ? view.get('scope', p.id) : undefined;
    if (!p || p.family !== 'scope' || p.revision !== null) return invalid(at, `'${ref}' is not a scope reference (scope:platform.…)`);
    if (!entry) return invalid(at, `${ref} is not in the registry`);
    if (entry.owner !== PLATFORM_PRODUCT) return invalid(at, `${ref} belongs to product ${entry.owner}; tokens carry scopes of product platform`);
    if (!checkEntry(ref, entry, now).allowed) return invalid(at, `${ref} is ${entry.lifecycle}: it would grant nothing`);
    if (bound !== null) {
      const admin = PLATFORM_ADMIN_SCOPES.find((s) => effectiveScopes(view, [ref], now).has(s));
      if (admin) return denied(at, `a token bound to product '${bound}' never grants ${admin}${admin === ref ? '' : ` (${ref} implies it)`}`);
    }
    if (!holdsAll && !grantor.scopes.has(ref)) return denied(at, `${ref} is beyond this token's reach: it grants only scopes it holds itself`);
  });

  if (req.product != null) {
    const product = view.get('product', req.product);
    if (!product || !checkEntry(`product:${req.product}`, product, now).allowed) invalid('/product', `product '${req.product}' is not an active product`);
  }
  if (bound !== null && req.product !== bound) {
    denied('/product', req.product == null ? `a token bound to product '${bound}' mints only tokens bound to '${bound}', never unbound ones` : `a token bound to product '${bound}' cannot mint tokens for '${req.product}'`);
  }

  const ttl = req.expires_in === undefined ? null : tryParseDuration(req.expires_in);
  if (req.expires_in !== undefined && ttl === null) invalid('/expires_in', 'a lifetime such as 30d, 12h or 90m');
  else if (grantor.expiresAt !== null) {
    const limit = Date.parse(grantor.expiresAt);
    if (ttl === null) denied('/expires_in', `this token expires at ${grantor.expiresAt}; the tokens it mints need a lifetime that ends by then`);
    else if (now + ttl > limit) denied('/expires_in', `a lifetime of ${req.expires_in} ends after this token does (${grantor.expiresAt})`);
  }
  return issues;
}
