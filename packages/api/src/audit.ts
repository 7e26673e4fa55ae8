import { Type, type Static } from 'typebox';
import { Nullable } from './common.js';

/** The tamper-evident audit log (DESIGN §7). */

export const AuditIndex = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const AuditEventParams = Type.Object({ index: AuditIndex });
export const TreeSize = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const AuditEventSchema = Type.Object({
  index: Type.Integer(),
  action: Type.String({ description: 'audit-action:<id>' }),
  actor: Type.String(),
  subject: Type.Array(Type.String()),
  at: Type.String(),
  request_id: Nullable(Type.String()),
  details_digest: Type.String(),
  leaf_hash: Type.String({ description: 'base64 RFC 6962 leaf hash, read from the tree' }),
  details: Type.Unknown(),
}, { description: 'one audit event' });
export type AuditEventBody = Static<typeof AuditEventSchema>;

export const AuditListQuery = Type.Object({
  after: Type.Optional(Type.Integer({ minimum: -1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 500 })),
}, { additionalProperties: false });

export const AuditList = Type.Object({
  items: Type.Array(AuditEventSchema),
  next_cursor: Nullable(Type.String()),
  size: Type.Integer({ description: 'the log size' }),
});

/** C2SP tlog-checkpoint signed note. */
export const CheckpointSchema = Type.String({ description: 'a C2SP tlog-checkpoint signed note: origin, size, base64 root hash, blank line, signature lines' });

export const LogKeySchema = Type.Object({
  name: Type.String({ description: 'the checkpoint origin' }),
  public_key: Type.String({ description: 'PEM' }),
  vkey: Type.String({ description: 'C2SP verifier key' }),
});
export type LogKeyBody = Static<typeof LogKeySchema>;

export const InclusionQuery = Type.Object({ index: AuditIndex, size: TreeSize }, { additionalProperties: false });
export const InclusionProofSchema = Type.Object({ index: Type.Integer(), size: Type.Integer(), hashes: Type.Array(Type.String({ description: 'base64' })) });
export type InclusionProofBody = Static<typeof InclusionProofSchema>;

export const ConsistencyQuery = Type.Object({ from: TreeSize, to: TreeSize }, { additionalProperties: false });
export const ConsistencyProofSchema = Type.Object({ from: Type.Integer(), to: Type.Integer(), hashes: Type.Array(Type.String({ description: 'base64' })) });
export type ConsistencyProofBody = Static<typeof ConsistencyProofSchema>;
