import type { FamilyDefinition } from './family.js';

export const usageUnit: FamilyDefinition = {
  name: 'usage-unit',
  title: 'Usage unit',
  description: 'A metering unit (gpu_hour): what is measured, how it aggregates, whether it is billed.',
  specSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['unit', 'quantity', 'aggregation', 'billable', 'precision'],
    properties: {
      unit: { type: 'string', pattern: '^[a-z][a-z0-9_]*$', description: 'the unit symbol, e.g. hour, request, byte' },
      quantity: { enum: ['duration', 'count', 'bytes', 'byte_duration', 'ratio'] },
      aggregation: { enum: ['sum', 'max', 'min', 'last', 'average'] },
      billable: { type: 'boolean' },
      precision: { type: 'integer', minimum: 0, maximum: 12, description: 'decimal places kept in a usage record' },
      dimensions: {
        type: 'array',
        uniqueItems: true,
        items: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' },
        description: 'labels a usage record may carry, e.g. gpu_model, region',
      },
    },
  },
  contractFields: ['unit', 'quantity', 'aggregation', 'billable', 'precision'],
  referenceFields: [],
  references: () => [],
};
