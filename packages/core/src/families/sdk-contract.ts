import { schemaProblem } from '../schema.js';
import { refListSchema, refsAt, type FamilyDefinition } from './family.js';

export const sdkContract: FamilyDefinition = {
  name: 'sdk-contract',
  title: 'SDK contract',
  description: 'What an app builder must satisfy: the manifest schema, and the artifact types, scopes, usage units and templates an app may use.',
  specSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['manifest_schema'],
    properties: {
      manifest_schema: { type: 'object', description: 'JSON Schema (2020-12) every app manifest must satisfy' },
      artifact_types: refListSchema('artifact-type'),
      scopes: refListSchema('scope'),
      usage_units: refListSchema('usage-unit'),
      notification_templates: refListSchema('notification-template'),
    },
  },
  contractFields: ['manifest_schema'],
  referenceFields: [
    { path: '/artifact_types/*', families: ['artifact-type'] },
    { path: '/scopes/*', families: ['scope'] },
    { path: '/usage_units/*', families: ['usage-unit'] },
    { path: '/notification_templates/*', families: ['notification-template'] },
  ],
  references: (spec) => [
    ...refsAt(spec, 'artifact_types', ['artifact-type']),
    ...refsAt(spec, 'scopes', ['scope']),
    ...refsAt(spec, 'usage_units', ['usage-unit']),
    ...refsAt(spec, 'notification_templates', ['notification-template']),
  ],
  check(spec) {
    const problem = schemaProblem(spec.manifest_schema);
    return problem ? [{ pointer: `/manifest_schema${problem.pointer}`, code: 'INVALID_SPEC', detail: `not a usable JSON Schema: ${problem.detail}` }] : [];
  },
};
