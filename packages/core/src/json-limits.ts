import { pointerToken } from './errors.js';

/**
 * How deep a JSON document Charter accepts anywhere (request bodies, in-toto statements,
 * contributor schemas). Real documents stay far below it; a 10,000-deep array is an attack on
 * recursive code further down (validators, JSON.stringify, canonicalization), refused here.
 */
export const JSON_DEPTH_LIMIT = 64;

export interface JsonProblem {
  /** JSON pointer (RFC 6901) to the offending value or member name. */
  pointer: string;
  kind: 'depth' | 'string';
  detail: string;
}

// A NUL (PostgreSQL text cannot hold one) or a UTF-16 surrogate without its pair (not a Unicode
// scalar value: it cannot be encoded as UTF-8 and would be stored as something else).
const BAD_CHAR = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored and moved between engines unchanged, or null. */
export function stringProblem(s: string): string | null {
  const m = BAD_CHAR.exec(s);
  if (!m) return null;
  return m[0] === '\u0000'
    ? `contains U+0000 (NUL) at character ${m.index}: it is not accepted in any text`
    : `contains a lone UTF-16 surrogate (U+${m[0].charCodeAt(0).toString(16).toUpperCase()}) at character ${m.index}: not valid Unicode text`;
}

/**
 * The first place where a parsed JSON value nests deeper than `maxDepth` or holds a string (value
 * or member name) that `stringProblem` refuses. Iterative: it never recurses, so any depth is safe
 * to inspect. Depth counts containers: `[]` is 1, `[[]]` is 2.
 */
export function jsonProblem(value: unknown, opts: { maxDepth?: number; base?: string } = {}): JsonProblem | null {
  const maxDepth = opts.maxDepth ?? JSON_DEPTH_LIMIT;
  const stack: { v: unknown; at: string; depth: number }[] = [{ v: value, at: opts.base ?? '', depth: 0 }];
  while (stack.length > 0) {
    const { v, at, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const p = stringProblem(v);
      if (p) return { pointer: at, kind: 'string', detail: p };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > maxDepth) return { pointer: at, kind: 'depth', detail: `nested deeper than ${maxDepth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], at: `${at}/${i}`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      const kp = stringProblem(k);
      if (kp) return { pointer: `${at}/${pointerToken(k)}`, kind: 'string', detail: `the member name ${kp}` };
      stack.push({ v: (v as Record<string, unknown>)[k], at: `${at}/${pointerToken(k)}`, depth: depth + 1 });
    }
  }
  return null;
}
