import { Type, type Static } from 'typebox';
import { Nullable } from './common.js';
import { IssueSchema } from './problem.js';

/** Run-time contract checks: a "no" is a 200 with valid: false and the errors. */

export const ContractAnswerSchema = Type.Object({
  valid: Type.Boolean(),
  contract: Nullable(Type.Object({ ref: Type.String(), revision: Type.Integer() })),
  errors: Type.Array(IssueSchema),
});
export type ContractAnswer = Static<typeof ContractAnswerSchema>;

export const ValidateManifestBody = Type.Object({ contract: Type.String({ maxLength: 300, description: 'sdk-contract:app_sdk.v1' }), manifest: Type.Unknown() }, { additionalProperties: false });

export const ValidateUsageBody = Type.Object({
  records: Type.Array(
    Type.Object({ unit: Type.String({ maxLength: 300 }), quantity: Type.Number(), dimensions: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 }))) }, { additionalProperties: false }),
    { minItems: 1, maxItems: 1000 },
  ),
}, { additionalProperties: false });
export const UsageAnswerSchema = Type.Object({ valid: Type.Boolean(), results: Type.Array(ContractAnswerSchema) });
export type UsageAnswer = Static<typeof UsageAnswerSchema>;

export const RenderNotificationBody = Type.Object({ template: Type.String({ maxLength: 300 }), channel: Type.String({ maxLength: 32 }), variables: Type.Record(Type.String(), Type.Unknown()) }, { additionalProperties: false });
export const RenderedNotificationSchema = Type.Object({
  valid: Type.Boolean(),
  contract: ContractAnswerSchema.properties.contract,
  errors: ContractAnswerSchema.properties.errors,
  channel: Nullable(Type.String()),
  subject: Nullable(Type.String()),
  body: Nullable(Type.String()),
});
export type RenderedNotification = Static<typeof RenderedNotificationSchema>;
