import { changeSetInputSchema, type ChangeSetInput } from '@charter/core';
import { Type, type Static } from 'typebox';
import { listOf, Nullable } from './common.js';
import { IssueSchema } from './problem.js';

/** Change sets: the only way an entry changes (DESIGN §4). */

export const CHANGESET_STATUSES = ['open', 'approved', 'applied', 'rejected'] as const;
export const ChangeSetStatus = Type.Union([Type.Literal('open'), Type.Literal('approved'), Type.Literal('applied'), Type.Literal('rejected')]);
export const ChangeSetId = Type.String({ pattern: '^cs_[0-9a-f-]{36}$' });
export const ChangeSetParams = Type.Object({ id: ChangeSetId });

/**
 * The submitted change set. Core owns this schema because core validates it (every problem at
 * once, with pointers); the API documents the same object, and `x-validated-by: core` tells the
 * server not to validate it a second time on the way in.
 */
export const ChangeSetInputSchema = Type.Unsafe<ChangeSetInput>({ ...changeSetInputSchema, $schema: undefined, 'x-validated-by': 'core' });

export const SubmitQuery = Type.Object({ dry_run: Type.Optional(Type.Boolean({ description: 'validate and plan; store nothing' })) }, { additionalProperties: false });

const AnyObject = Type.Object({}, { additionalProperties: true });

export const PlannedChangeSchema = Type.Object({
  family: Type.String(),
  id: Type.String(),
  ref: Type.String(),
  action: Type.Union([Type.Literal('create'), Type.Literal('update'), Type.Literal('transition')]),
  operations: Type.Array(Type.Integer(), { description: 'indexes of the operations that produce this change' }),
  before: Nullable(AnyObject),
  after: AnyObject,
  diff: Type.Array(AnyObject),
  affects: Type.Array(Type.String(), { description: 'entries that reference this one (for disable/deprecate)' }),
}, { description: 'what one entry becomes' });

export const ChangeSetSchema = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    description: Type.String(),
    author: Type.String(),
    author_product: Nullable(Type.String()),
    author_admin: Type.Boolean(),
    status: ChangeSetStatus,
    operations: Type.Array(Type.Unknown({ description: 'an operation as submitted (the request schema)' })),
    plan: Type.Array(PlannedChangeSchema),
    approvals: Type.Array(Type.Object({ principal: Type.String(), at: Type.String(), comment: Type.Optional(Type.String()) })),
    rejection: Nullable(Type.Object({ principal: Type.String(), at: Type.String(), reason: Type.String() })),
    sequence: Nullable(Type.Integer({ description: 'the registry sequence it was applied at' })),
    created_at: Type.String(),
    updated_at: Type.String(),
    errors: Type.Optional(Type.Array(IssueSchema, { description: 'while open or approved: its problems against the registry as it is now' })),
  },
  { description: 'a change set and its review state' },
);
export type ChangeSetBody = Static<typeof ChangeSetSchema>;

export const DryRunSchema = Type.Object({
  dry_run: Type.Literal(true),
  plan: Type.Array(PlannedChangeSchema),
  errors: Type.Array(IssueSchema, { maxItems: 0 }),
}, { description: 'the plan of a valid change set; nothing was stored' });
export type DryRunBody = Static<typeof DryRunSchema>;

export const ChangeSetListQuery = Type.Object({
  status: Type.Optional(ChangeSetStatus),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
}, { additionalProperties: false });
export const ChangeSetList = listOf(ChangeSetSchema);

export const ApproveChangeSetBody = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
/** The approve body may be left out altogether. */
export const ApproveChangeSetOptionalBody = Type.Optional(ApproveChangeSetBody);
export const RejectChangeSetBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });
