/** The result of resolving a JSON pointer: `found` is false when any step is missing. */
export type Resolved = { found: true; value: unknown } | { found: false };

const NOT_FOUND: Resolved = { found: false };
const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

const TOKENS_CACHE = new Map<string, readonly string[] | null>();
const TOKENS_CACHE_MAX = 1024;

/** Splits an RFC 6901 pointer into unescaped reference tokens; null when it is not a pointer. */
export function pointerTokens(pointer: string): readonly string[] | null {
  // Policies name a handful of pointers, evaluated against every evidence item: parse each once.
  let tokens = TOKENS_CACHE.get(pointer);
  if (tokens === undefined) {
    tokens = parseTokens(pointer);
    if (TOKENS_CACHE.size >= TOKENS_CACHE_MAX) TOKENS_CACHE.clear();
    TOKENS_CACHE.set(pointer, tokens);
  }
  return tokens;
}

function parseTokens(pointer: string): readonly string[] | null {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return null;
  const raw = pointer.slice(1).split('/');
  // `~` must be followed by 0 or 1; anything else is not a pointer.
  if (raw.some((t) => /~(?![01])/.test(t))) return null;
  return Object.freeze(raw.map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~')));
}

/**
 * Resolves an RFC 6901 JSON pointer in a parsed JSON document. Only own properties count: the
 * statement is attacker-written, so `/predicate/__proto__` or `/constructor` must not reach
 * anything the JSON did not contain. `-` (past the end) and leading zeros never match.
 */
export function resolvePointer(doc: unknown, pointer: string): Resolved {
  const tokens = pointerTokens(pointer);
  if (tokens === null) return NOT_FOUND;
  let cur: unknown = doc;
  for (const token of tokens) {
    if (Array.isArray(cur)) {
      if (!ARRAY_INDEX.test(token)) return NOT_FOUND;
      const i = Number(token);
      if (i >= cur.length) return NOT_FOUND;
      cur = cur[i];
    } else if (typeof cur === 'object' && cur !== null) {
      if (!Object.hasOwn(cur, token)) return NOT_FOUND;
      cur = (cur as Record<string, unknown>)[token];
    } else {
      return NOT_FOUND;
    }
    if (cur === undefined) return NOT_FOUND;
  }
  return { found: true, value: cur };
}

/** Deep equality of JSON values: arrays in order, objects by own keys regardless of key order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  const ra = a as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && jsonEqual(ra[k], rb[k]));
}
