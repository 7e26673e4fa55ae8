import type { RegistryView } from './catalog.js';
import { checkEntry } from './catalog.js';
import { PLATFORM_PRODUCT, tryParseRef, unpinned } from './ids.js';

/** The scopes that guard Charter's own routes. All are registry entries of product platform. */
export const SCOPES = {
  read: 'scope:platform.registry.read',
  propose: 'scope:platform.registry.propose',
  approve: 'scope:platform.registry.approve',
  admin: 'scope:platform.registry.admin',
  tokens: 'scope:platform.tokens.admin',
  register: 'scope:platform.artifacts.register',
  attach: 'scope:platform.evidence.attach',
  releaseApprove: 'scope:platform.release.approve',
  promote: 'scope:platform.artifacts.promote',
  auditRead: 'scope:platform.audit.read',
} as const;

/**
 * What a token's scopes grant right now: each held scope that is a usable (active, or
 * deprecated before its sunset) scope entry of product platform, plus everything it implies
 * through scopes that are themselves usable. Unknown, disabled or retired scopes grant
 * nothing, at the moment of the request: no restart, no token rewrite.
 */
export function effectiveScopes(view: RegistryView, held: readonly string[], now: number): Set<string> {
  const granted = new Set<string>();
  const queue = [...held];
  while (queue.length > 0) {
    const ref = queue.pop()!;
    if (granted.has(ref)) continue;
    const p = tryParseRef(ref);
    if (!p || p.family !== 'scope' || p.revision !== null) continue;
    const entry = view.get('scope', p.id);
    if (!entry || entry.owner !== PLATFORM_PRODUCT || !checkEntry(ref, entry, now).allowed) continue;
    granted.add(ref);
    const implies = entry.spec.implies;
    if (Array.isArray(implies)) for (const i of implies) if (typeof i === 'string') queue.push(unpinned(i));
  }
  return granted;
}
