import type { Issue } from '../errors.js';
import type { FamilyName } from '../ids.js';
import type { JsonSchema } from '../schema.js';

/** A reference found inside a spec: where it stands and which families it may point at. */
export interface SpecReference {
  /** JSON pointer inside the spec, e.g. `/implies/0`. */
  pointer: string;
  ref: string;
  families: readonly FamilyName[];
}

/** A family is defined once, here: adding a family means adding one module. */
export interface FamilyDefinition {
  name: FamilyName;
  title: string;
  description: string;
  /** JSON Schema (draft 2020-12) of `spec`. */
  specSchema: JsonSchema;
  /** Spec fields frozen once the entry has been active. */
  contractFields: readonly string[];
  /** Human description of where references live (for /v1/families and docs). */
  referenceFields: readonly { path: string; families: readonly FamilyName[] }[];
  /** Every reference in a (schema-valid) spec. */
  references(spec: Record<string, unknown>): SpecReference[];
  /** Checks the schema cannot express; pointers relative to the spec. */
  check?(spec: Record<string, unknown>): Issue[];
}

/** A reference field. The pattern is family-neutral so validation can say which family was expected. */
export function refSchema(family: FamilyName): JsonSchema {
  return { type: 'string', maxLength: 300, description: `a reference to a ${family} entry: ${family}:id[@revision]` };
}

export function refListSchema(family: FamilyName, minItems = 0): JsonSchema {
  return { type: 'array', items: refSchema(family), uniqueItems: true, minItems };
}

/** References held in an array field of the spec. */
export function refsAt(spec: Record<string, unknown>, field: string, families: readonly FamilyName[]): SpecReference[] {
  const v = spec[field];
  if (typeof v === 'string') return [{ pointer: `/${field}`, ref: v, families }];
  if (!Array.isArray(v)) return [];
  return v.flatMap((ref, i) => (typeof ref === 'string' ? [{ pointer: `/${field}/${i}`, ref, families }] : []));
}
