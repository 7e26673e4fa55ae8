import { FAMILY_NAMES, LIFECYCLES } from '@charter/core';
import { Type } from 'typebox';

/** Shapes of the HTTP API. The same objects validate requests and document them in OpenAPI. */

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'stable machine code, e.g. UNKNOWN_ENTRY' }),
    detail: Type.String(),
    errors: Type.Array(Type.Object({ pointer: Type.String(), code: Type.String(), detail: Type.String() })),
    request_id: Type.Optional(Type.String()),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);

export const FamilyParam = Type.Union(FAMILY_NAMES.map((f) => Type.Literal(f)));
export const LifecycleParam = Type.Union(LIFECYCLES.map((l) => Type.Literal(l)));

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
    replaced_by: Type.Union([Type.String(), Type.Null()]),
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

export function listOf<T extends Parameters<typeof Type.Array>[0]>(item: T) {
  return Type.Object({ items: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });
}

export const problemResponses = {
  400: { $ref: 'Problem#' },
  404: { $ref: 'Problem#' },
} as const;
