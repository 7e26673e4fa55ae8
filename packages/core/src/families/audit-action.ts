import { refSchema, refsAt, type FamilyDefinition } from './family.js';

export const auditAction: FamilyDefinition = {
  name: 'audit-action',
  title: 'Audit action',
  description: 'The taxonomy of privileged mutations. Every audit event names one; a mutation whose action is unknown or disabled is refused.',
  specSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['resource_type', 'verb', 'severity'],
    properties: {
      resource_type: { type: 'string', pattern: '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$' },
      verb: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' },
      severity: { enum: ['low', 'medium', 'high', 'critical'] },
      required_scope: refSchema('scope'),
    },
  },
  contractFields: ['resource_type', 'verb', 'severity'],
  referenceFields: [{ path: '/required_scope', families: ['scope'] }],
  references: (spec) => refsAt(spec, 'required_scope', ['scope']),
};
