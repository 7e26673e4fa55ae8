import { schemaProblem } from '../schema.js';
import type { FamilyDefinition } from './family.js';

export const notificationTemplate: FamilyDefinition = {
  name: 'notification-template',
  title: 'Notification template',
  description: 'A notification the platform may send: its channels, the variables it needs (a JSON Schema) and its text.',
  specSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['channels', 'variables'],
    properties: {
      channels: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: ['email', 'sms', 'webhook', 'slack', 'in_app', 'pager'] } },
      variables: { type: 'object', description: 'JSON Schema (2020-12) of the variables a sender must supply' },
      subject: { type: 'string', maxLength: 200 },
      body: { type: 'string', maxLength: 20000, description: 'text with {{variable}} placeholders' },
    },
  },
  contractFields: ['channels', 'variables'],
  referenceFields: [],
  references: () => [],
  check(spec) {
    const problem = schemaProblem(spec.variables);
    return problem ? [{ pointer: `/variables${problem.pointer}`, code: 'INVALID_SPEC', detail: `not a usable JSON Schema: ${problem.detail}` }] : [];
  },
};
