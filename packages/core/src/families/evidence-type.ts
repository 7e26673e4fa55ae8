import { schemaProblem } from '../schema.js';
import type { FamilyDefinition } from './family.js';

export const evidenceType: FamilyDefinition = {
  name: 'evidence-type',
  title: 'Evidence type',
  description: 'What a piece of evidence is (its in-toto predicate type), how long it is kept, and whether it must be signed.',
  specSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['predicate_type', 'retention_class', 'signature'],
    properties: {
      predicate_type: { type: 'string', format: 'uri', description: 'the in-toto predicateType URI this type stands for' },
      retention_class: { enum: ['ephemeral', 'standard', 'regulated', 'permanent'] },
      signature: { enum: ['required', 'optional'] },
      predicate_schema: { type: 'object', description: 'JSON Schema (2020-12) the predicate must satisfy' },
    },
  },
  contractFields: ['predicate_type', 'retention_class', 'signature'],
  referenceFields: [],
  references: () => [],
  check(spec) {
    if (spec.predicate_schema === undefined) return [];
    const problem = schemaProblem(spec.predicate_schema);
    return problem ? [{ pointer: `/predicate_schema${problem.pointer}`, code: 'INVALID_SPEC', detail: `not a usable JSON Schema: ${problem.detail}` }] : [];
  },
};
