import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createRequire } from 'node:module';
import type { RE2JS as RE2JSClass } from 're2js';
import { pointerToken, type ErrorCode, type Issue } from './errors.js';

// ajv-formats ships CommonJS; under NodeNext its default import is the module object.
type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

/** JSON Schema draft 2020-12 is the one dialect for family specs and embedded schemas. */
export type JsonSchema = Record<string, unknown>;

const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
addFormats(ajv);

const compiled = new WeakMap<object, ValidateFunction>();

function compile(schema: JsonSchema): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

function describe(e: ErrorObject): { at: string; detail: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { at: `${e.instancePath}/${String(p.additionalProperty)}`, detail: `'${String(p.additionalProperty)}' is not a field here` };
    case 'required':
      return { at: `${e.instancePath}/${String(p.missingProperty)}`, detail: `'${String(p.missingProperty)}' is required` };
    case 'enum':
      return { at: e.instancePath, detail: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { at: e.instancePath, detail: e.message ?? 'is invalid' };
  }
}

/** Validates `data`; each problem becomes an Issue whose pointer is `base` + the path inside `data`. */
export function validateAgainst(schema: JsonSchema, data: unknown, base: string, code: ErrorCode = 'INVALID_SPEC'): Issue[] {
  const fn = compile(schema);
  return fn(data) ? [] : toIssues(fn.errors ?? [], base, code);
}

function toIssues(errors: ErrorObject[], base: string, code: ErrorCode): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const e of errors) {
    // oneOf/anyOf wrappers repeat what their branches already said.
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    const { at, detail } = describe(e);
    const key = `${at}|${detail}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ pointer: base + at, code, detail });
  }
  return issues;
}

/**
 * What a contributor schema (notification variables, app manifests, predicate schemas) may be.
 * They are written by any product's CI token and compiled into code on the server's only
 * thread, so they are measured before compilation: with these limits the largest accepted
 * schema compiles in milliseconds (docs/security.md has the figure), and a hostile one is refused
 * with a pointer before Ajv sees it.
 */
export const SCHEMA_LIMITS = {
  /** UTF-8 bytes of the schema's JSON text. */
  bytes: 32 * 1024,
  /** Nesting of objects and arrays. */
  depth: 32,
  /** Object members in the whole schema (every keyword and property name counts). */
  members: 300,
  /** `pattern` keywords and `patternProperties` keys. */
  patterns: 32,
  /** Characters of one pattern. */
  patternLength: 512,
  /** RE2 instructions of one pattern, and of all patterns together (`totalProgram`). */
  patternProgram: 500,
  totalProgram: 2000,
  /** `$ref` and `$dynamicRef` keywords. */
  refs: 32,
} as const;

export interface SchemaProblem {
  /** JSON pointer inside the schema ('' is the schema itself). */
  pointer: string;
  detail: string;
}

/**
 * Contributor regular expressions run on RE2 (re2js): matching is linear in the input, so no
 * pattern can make a public check backtrack for seconds. RE2 has no lookaround or
 * backreferences; a pattern that needs them is refused when the schema is submitted.
 */
// Loaded on first use: most processes never compile a contributor pattern, and start-up counts.
let RE2JS: typeof RE2JSClass | undefined;
const re2Cache = new Map<string, RE2JSClass>();
function re2(pattern: string): RE2JSClass {
  let re = re2Cache.get(pattern);
  if (!re) {
    RE2JS ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JSClass }).RE2JS;
    re = RE2JS.compile(pattern);
    if (re2Cache.size >= 2000) re2Cache.clear();
    re2Cache.set(pattern, re);
  }
  return re;
}

const re2Engine = Object.assign((pattern: string) => {
  const re = re2(pattern);
  // Ajv keys compiled patterns by toString(): it must name the pattern.
  return { test: (s: string) => re.test(s), toString: () => `/${pattern}/` };
}, { code: 're2js' });

/** Why a contributor pattern is refused, and the size of its RE2 program (compile time grows with it). */
function re2Problem(pattern: string): { problem: string | null; size: number } {
  if (pattern.length > SCHEMA_LIMITS.patternLength) return { problem: `the pattern is ${pattern.length} characters; at most ${SCHEMA_LIMITS.patternLength} are accepted`, size: 0 };
  try {
    const size = re2(pattern).programSize();
    return { problem: size > SCHEMA_LIMITS.patternProgram ? `the pattern compiles to ${size} RE2 instructions; at most ${SCHEMA_LIMITS.patternProgram} are accepted (bounded repetitions like {1,1000} multiply)` : null, size };
  } catch (err) {
    return { problem: `the pattern is not supported: ${err instanceof Error ? err.message : String(err)} (patterns use RE2 syntax: no lookaround or backreferences)`, size: 0 };
  }
}

/** The first limit a contributor schema breaks, found without recursion, or null. */
export function schemaLimitProblem(schema: unknown): SchemaProblem | null {
  let members = 0;
  let patterns = 0;
  let refs = 0;
  let program = 0;
  const stack: { v: unknown; at: string; depth: number; parentKey: string | null }[] = [{ v: schema, at: '', depth: 0, parentKey: null }];
  while (stack.length > 0) {
    const { v, at, depth, parentKey } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > SCHEMA_LIMITS.depth) return { pointer: at, detail: `the schema nests deeper than ${SCHEMA_LIMITS.depth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], at: `${at}/${i}`, depth: depth + 1, parentKey: null });
      continue;
    }
    const children: { v: unknown; at: string; depth: number; parentKey: string }[] = [];
    for (const [k, x] of Object.entries(v)) {
      const here = `${at}/${pointerToken(k)}`;
      if (++members > SCHEMA_LIMITS.members) return { pointer: here, detail: `the schema has more than ${SCHEMA_LIMITS.members} keywords and property names` };
      let pattern: string | null = null;
      if (parentKey === 'patternProperties') pattern = k;
      else if (k === 'pattern' && typeof x === 'string') pattern = x;
      if (pattern !== null) {
        if (++patterns > SCHEMA_LIMITS.patterns) return { pointer: here, detail: `the schema has more than ${SCHEMA_LIMITS.patterns} patterns` };
        const { problem, size } = re2Problem(pattern);
        if (problem) return { pointer: here, detail: problem };
        program += size;
        if (program > SCHEMA_LIMITS.totalProgram) return { pointer: here, detail: `the schema's patterns compile to more than ${SCHEMA_LIMITS.totalProgram} RE2 instructions together` };
      }
      if ((k === '$ref' || k === '$dynamicRef') && typeof x === 'string' && ++refs > SCHEMA_LIMITS.refs) return { pointer: here, detail: `the schema has more than ${SCHEMA_LIMITS.refs} $ref keywords` };
      children.push({ v: x, at: here, depth: depth + 1, parentKey: k });
    }
    // Depth first, in document order: the pointer names the first offending place.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > SCHEMA_LIMITS.bytes) return { pointer: '', detail: `the schema is ${bytes} bytes; at most ${SCHEMA_LIMITS.bytes} are accepted` };
  return null;
}

/**
 * Each contributor schema compiles in an Ajv instance of its own: one product's `$id` can neither
 * collide with nor be `$ref`erenced by another's. Compiled validators are cached by the schema's
 * JSON, bounded by an estimate of the memory they hold (an Ajv instance, the schema, the generated
 * code), so no sequence of distinct schemas can grow the process without bound.
 */
interface Compiled {
  fn: ValidateFunction | null;
  problem: SchemaProblem | null;
  cost: number;
}
const embedded = new Map<string, Compiled>();
export const EMBEDDED_CACHE_BYTES = 32 * 1024 * 1024;
let cacheBudget = EMBEDDED_CACHE_BYTES;
/** Heap held by one Ajv instance with formats, measured on Node 20 (docs/security.md). */
const AJV_INSTANCE_BYTES = 200 * 1024;
let embeddedBytes = 0;

function compileEmbedded(schema: unknown): Compiled {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return { fn: null, problem: { pointer: '', detail: 'must be a JSON Schema object' }, cost: 0 };
  const limit = schemaLimitProblem(schema);
  if (limit) return { fn: null, problem: limit, cost: 0 };
  const key = JSON.stringify(schema);
  let hit = embedded.get(key);
  if (hit) {
    // Most recently used last: eviction takes the oldest use first.
    embedded.delete(key);
    embedded.set(key, hit);
    return hit;
  }
  try {
    // The meta-schema is compiled once, in the shared instance; each contributor schema's own
    // instance then compiles only that schema.
    if (ajv.validateSchema(schema)) {
      const own = new Ajv2020({ allErrors: true, strict: false, validateFormats: true, meta: false, validateSchema: false, code: { regExp: re2Engine } });
      addFormats(own);
      const fn = own.compile(schema);
      hit = { fn, problem: null, cost: AJV_INSTANCE_BYTES + 2 * key.length + 2 * fn.toString().length * 4 };
    } else {
      const e = ajv.errors?.[0];
      hit = { fn: null, problem: { pointer: e?.instancePath ?? '', detail: ajv.errorsText(ajv.errors, { dataVar: 'schema' }) }, cost: 2 * key.length };
    }
  } catch (err) {
    hit = { fn: null, problem: { pointer: '', detail: err instanceof Error ? err.message : String(err) }, cost: 2 * key.length };
  }
  embedded.set(key, hit);
  embeddedBytes += hit.cost;
  while (embeddedBytes > cacheBudget && embedded.size > 1) {
    const [oldest, old] = embedded.entries().next().value!;
    embedded.delete(oldest);
    embeddedBytes -= old.cost;
  }
  return hit;
}

/** What the compiled-schema cache holds now (estimated bytes), and its budget. */
export function embeddedCacheStats(): { entries: number; bytes: number; budget: number } {
  return { entries: embedded.size, bytes: embeddedBytes, budget: cacheBudget };
}

/** Sets the compiled-schema cache's budget in estimated bytes (default EMBEDDED_CACHE_BYTES). */
export function setEmbeddedCacheBudget(bytes: number): void {
  cacheBudget = bytes;
}

/** Why a document embedded in a spec is not a usable JSON Schema (draft 2020-12) within the limits, with a pointer inside it; null if it is. */
export function schemaProblem(schema: unknown): SchemaProblem | null {
  return compileEmbedded(schema).problem;
}

/** Validates a value against an embedded (user-supplied) schema, e.g. notification variables or an app manifest. */
export function validateEmbedded(schema: unknown, data: unknown, base: string, code: ErrorCode): Issue[] {
  const { fn, problem } = compileEmbedded(schema);
  if (!fn) return [{ pointer: base, code, detail: `the registry schema is unusable: ${problem?.detail ?? 'unknown problem'}` }];
  return fn(data) ? [] : toIssues(fn.errors ?? [], base, code);
}
