import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ErrorCode, Issue } from './errors.js';

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
 * Schemas written by contributors (notification variables, app manifests, predicate schemas)
 * each compile in an Ajv instance of their own: one product's `$id` can neither collide with
 * nor be `$ref`erenced by another's. Compiled validators are cached by the schema's JSON.
 */
const embedded = new Map<string, { fn: ValidateFunction | null; problem: string | null }>();
const EMBEDDED_CACHE_LIMIT = 500;

function compileEmbedded(schema: unknown): { fn: ValidateFunction | null; problem: string | null } {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return { fn: null, problem: 'must be a JSON Schema object' };
  const key = JSON.stringify(schema);
  let hit = embedded.get(key);
  if (!hit) {
    const own = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
    addFormats(own);
    try {
      hit = own.validateSchema(schema) ? { fn: own.compile(schema), problem: null } : { fn: null, problem: own.errorsText(own.errors, { dataVar: 'schema' }) };
    } catch (err) {
      hit = { fn: null, problem: err instanceof Error ? err.message : String(err) };
    }
    if (embedded.size >= EMBEDDED_CACHE_LIMIT) embedded.delete(embedded.keys().next().value!);
    embedded.set(key, hit);
  }
  return hit;
}

/** Checks that a document embedded in a spec is itself a usable JSON Schema (draft 2020-12). */
export function schemaProblem(schema: unknown): string | null {
  return compileEmbedded(schema).problem;
}

/** Validates a value against an embedded (user-supplied) schema, e.g. notification variables or an app manifest. */
export function validateEmbedded(schema: unknown, data: unknown, base: string, code: ErrorCode): Issue[] {
  const { fn, problem } = compileEmbedded(schema);
  if (!fn) return [{ pointer: base, code, detail: `the registry schema is unusable: ${problem}` }];
  return fn(data) ? [] : toIssues(fn.errors ?? [], base, code);
}
