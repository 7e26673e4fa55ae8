import type { FamilyDefinition } from './family.js';

export const product: FamilyDefinition = {
  name: 'product',
  title: 'Product',
  description: 'A product of the cloud (gpuaas, inference) and the domain that owns it. Its ID is the namespace of every entry it owns.',
  specSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['owner_domain'],
    properties: {
      owner_domain: { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$', maxLength: 253, description: 'the organisational domain that owns the product, e.g. compute.example.com' },
      docs_url: { type: 'string', format: 'uri' },
      status_url: { type: 'string', format: 'uri' },
    },
  },
  contractFields: ['owner_domain'],
  referenceFields: [],
  references: () => [],
};
