import { FAMILY_NAMES, LIFECYCLES, type FamilyName, type Lifecycle } from '@charter/core';
import { Type, type Static } from 'typebox';
import { listOf, Nullable } from './common.js';

/** The catalog, the check and the feed (DESIGN §1-3, §9). */

// Unsafe<T> keeps the union schema and gives it its static type (a union built from an array
// is otherwise typed `never`, which made every client's family parameter unusable).
export const FamilyParam = Type.Unsafe<FamilyName>(Type.Union(FAMILY_NAMES.map((f) => Type.Literal(f))));
export const LifecycleParam = Type.Unsafe<Lifecycle>(Type.Union(LIFECYCLES.map((l) => Type.Literal(l))));

export const EntrySchema = Type.Object(
  {
    family: Type.String(),
    id: Type.String(),
    owner: Type.String(),
    lifecycle: Type.String(),
    title: Type.String(),
    description: Type.String(),
    labels: Type.Record(Type.String(), Type.String()),
    spec: Type.Record(Type.String(), Type.Unknown()),
    revision: Type.Integer(),
    replaced_by: Nullable(Type.String()),
    sunset_at: Type.Union([Type.String(), Type.Null()]),
    activated_at: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String(),
    updated_at: Type.String(),
  },
  { description: 'a registry entry at one revision' },
);

export const CheckResultSchema = Type.Object({
  ref: Type.String(),
  allowed: Type.Boolean(),
  reason: Type.String({ description: 'active, deprecated, sunset_passed, not_active, disabled, retired, unknown, malformed, untrusted' }),
  lifecycle: Type.Union([Type.String(), Type.Null()]),
  revision: Type.Union([Type.Integer(), Type.Null()]),
  replaced_by: Type.Union([Type.String(), Type.Null()]),
  sunset_at: Type.Union([Type.String(), Type.Null()]),
  warning: Type.Union([Type.String(), Type.Null()]),
});

export const CheckAnswerSchema = Type.Object({
  allowed: Type.Boolean({ description: 'true only if every ref is allowed' }),
  sequence: Type.Integer({ description: 'the registry sequence the answer was computed at' }),
  results: Type.Array(CheckResultSchema),
});

export const CheckBody = Type.Object(
  { refs: Type.Array(Type.String({ maxLength: 300 }), { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);

export const RevisionSchema = Type.Object({
  family: Type.String(),
  id: Type.String(),
  revision: Type.Integer(),
  sequence: Type.Integer(),
  changeset: Type.String(),
  author: Type.String(),
  approvers: Type.Array(Type.String()),
  operation: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  entry: EntrySchema,
  at: Type.String(),
});

export type EntryBody = Static<typeof EntrySchema>;
export type RevisionBody = Static<typeof RevisionSchema>;
export type CheckAnswer = Static<typeof CheckAnswerSchema>;
export type CheckRequest = Static<typeof CheckBody>;

export const EntryParams = Type.Object({ family: FamilyParam, id: Type.String({ maxLength: 128 }) });

export const FamilySchema = Type.Object({
  name: Type.String(),
  title: Type.String(),
  description: Type.String(),
  spec_schema: Type.Unknown({ description: 'JSON Schema 2020-12 of the spec' }),
  contract_fields: Type.Array(Type.String()),
  reference_fields: Type.Array(Type.Unknown()),
  entry_count: Type.Integer({ minimum: 0, description: 'entries of this family in the registry now (every lifecycle)' }),
});
export const FamilyList = listOf(FamilySchema);

export const EntryListQuery = Type.Object({
  family: Type.Optional(FamilyParam),
  lifecycle: Type.Optional(LifecycleParam),
  owner: Type.Optional(Type.String({ maxLength: 128 })),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'substring of id, title or description (case-insensitive)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 400 })),
}, { additionalProperties: false });
export const EntryList = listOf(EntrySchema);

export const EntryQuery = Type.Object({ revision: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false });

export const HistoryQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  cursor: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,8}$' })),
}, { additionalProperties: false });
export const RevisionList = listOf(RevisionSchema);

/** A history item: the revision and the audit event that recorded it. */
export const HistoryItemSchema = Type.Object({
  ...RevisionSchema.properties,
  audit_index: Type.Union([Type.Integer(), Type.Null()], { description: 'index of the audit event that recorded this revision; its inclusion proof is /v1/audit/proofs/inclusion?index=N&size=M' }),
  leaf_hash: Type.Union([Type.String(), Type.Null()], { description: 'base64 RFC 6962 leaf hash of that event, read from the tree' }),
});
export const HistoryList = listOf(HistoryItemSchema);

export const CheckQuery = Type.Object(
  { ref: Type.Union([Type.String({ maxLength: 300 }), Type.Array(Type.String({ maxLength: 300 }), { minItems: 1, maxItems: 100 })]) },
  { additionalProperties: false },
);

export const SnapshotSchema = Type.Object({
  sequence: Type.Integer(),
  generated_at: Type.String(),
  entries: Type.Array(EntrySchema),
}, { description: 'every entry at one sequence' });
export type SnapshotBody = Static<typeof SnapshotSchema>;

export const ChangesQuery = Type.Object({
  after: Type.Integer({ minimum: 0, description: 'the last sequence you have' }),
  wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 60, default: 0, description: 'seconds to wait for a change' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'sequences per page' })),
}, { additionalProperties: false });

export const ChangesSchema = Type.Object({
  sequence: Type.Integer({ description: 'the latest sequence' }),
  next_after: Type.Integer({ description: 'pass as `after` next time' }),
  resync: Type.Boolean({ description: 'true when `after` is ahead of this registry: reload the snapshot' }),
  items: Type.Array(RevisionSchema),
});
export type ChangesBody = Static<typeof ChangesSchema>;
