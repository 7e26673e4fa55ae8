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
  if (fn(data)) return [];
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const e of fn.errors ?? []) {
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

/** Checks that a document embedded in a spec is itself a usable JSON Schema (draft 2020-12). */
export function schemaProblem(schema: unknown): string | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'must be a JSON Schema object';
  try {
    if (!ajv.validateSchema(schema)) return ajv.errorsText(ajv.errors, { dataVar: 'schema' });
    ajv.compile(schema);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Validates a value against an embedded (user-supplied) schema, e.g. notification variables or an app manifest. */
export function validateEmbedded(schema: JsonSchema, data: unknown, base: string, code: ErrorCode): Issue[] {
  const problem = schemaProblem(schema);
  if (problem) return [{ pointer: base, code, detail: `the registry schema is unusable: ${problem}` }];
  return validateAgainst(schema, data, base, code);
}
