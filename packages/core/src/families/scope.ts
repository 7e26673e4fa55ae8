import { refListSchema, refsAt, type FamilyDefinition } from './family.js';

export const scope: FamilyDefinition = {
  name: 'scope',
  title: 'Scope',
  description: 'A permission: API, service-account, operator or release scope. Tokens carry scopes of product platform; products define their own API scopes.',
  specSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'privileged'],
    properties: {
      kind: { enum: ['api', 'service_account', 'operator', 'release'] },
      privileged: { type: 'boolean', description: 'a privileged scope guards mutations and is audited' },
      implies: { ...refListSchema('scope'), description: 'scopes granted along with this one' },
    },
  },
  contractFields: ['kind', 'privileged'],
  referenceFields: [{ path: '/implies/*', families: ['scope'] }],
  references: (spec) => refsAt(spec, 'implies', ['scope']),
};
