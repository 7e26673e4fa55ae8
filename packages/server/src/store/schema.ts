import type { ColumnType, Generated } from 'kysely';

/** Tables as Kysely sees them. JSON is stored as text and timestamps as ISO-8601 text on both engines. */
export interface RegistryStateTable {
  id: number;
  sequence: number;
}

export interface EntriesTable {
  family: string;
  id: string;
  owner: string;
  lifecycle: string;
  revision: number;
  sequence: number;
  /** The whole entry as JSON (the catalog is rebuilt from this at start). */
  body: string;
  updated_at: string;
}

export interface RevisionsTable {
  family: string;
  id: string;
  revision: number;
  sequence: number;
  changeset_id: string;
  author: string;
  approvers: string;
  operation: string;
  reason: string | null;
  body: string;
  at: string;
  /** The audit event that recorded this revision (null only for rows older than migration 0008 without one). */
  audit_index: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface ReservedIdsTable {
  family: string;
  id: string;
  reserved_at: string;
  changeset_id: string;
}

export interface ChangesetsTable {
  id: string;
  title: string;
  description: string;
  author: string;
  author_product: string | null;
  author_admin: ColumnType<number, number | undefined, number>;
  rejection: ColumnType<string | null, string | null | undefined, string | null>;
  status: string;
  operations: string;
  plan: string;
  approvals: string;
  sequence: number | null;
  created_at: string;
  updated_at: string;
  author_token: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface TokensTable {
  id: string;
  hash: string;
  principal: string;
  product: string | null;
  scopes: string;
  description: string;
  expires_at: string | null;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
}

export interface SeedStateTable {
  id: number;
  /** sha256 of the seed files' names and contents */
  digest: string;
  /** The registry sequence when they were taken in. */
  sequence: number;
}

export interface SessionsTable {
  id: string;
  secret_hash: string;
  token_id: string;
  csrf: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface AuditStateTable {
  id: number;
  origin: string;
  size: number;
  frontier: string;
  root: string;
}

export interface AuditEventsTable {
  idx: number;
  action: string;
  actor: string;
  subject: string;
  at: string;
  request_id: string | null;
  details: string;
  details_digest: string;
}

export interface AuditNodesTable {
  level: number;
  idx: number;
  hash: string;
}

export interface ArtifactsTable {
  digest: string;
  artifact_type: string;
  product: string;
  name: string;
  version: string;
  source: string;
  labels: string;
  registered_by: string;
  registered_at: string;
  audit_index: number;
  image: string | null;
}

export interface EvidenceTable {
  id: string;
  artifact: string;
  evidence_type: string;
  predicate_type: string;
  envelope: string;
  envelope_digest: string;
  statement: string;
  signers: string;
  trusted: number;
  reasons: string;
  attached_by: string;
  attached_at: string;
  audit_index: number;
  canonical_envelope: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ApprovalsTable {
  id: string;
  artifact: string;
  stage: string;
  principal: string;
  comment: string | null;
  at: string;
  audit_index: number;
}

export interface DecisionsTable {
  id: string;
  artifact: string;
  stage: string;
  outcome: string;
  policy: string;
  checks: string;
  actor: string;
  decided_at: string;
  audit_index: number;
  copy: string | null;
  vsa: string | null;
}

export interface Database {
  artifacts: ArtifactsTable;
  evidence: EvidenceTable;
  approvals: ApprovalsTable;
  decisions: DecisionsTable;
  seed_state: SeedStateTable;
  audit_state: AuditStateTable;
  audit_events: AuditEventsTable;
  audit_nodes: AuditNodesTable;
  tokens: TokensTable;
  sessions: SessionsTable;
  registry_state: RegistryStateTable;
  entries: EntriesTable;
  revisions: RevisionsTable;
  reserved_ids: ReservedIdsTable;
  changesets: ChangesetsTable;
}

export type Json = ColumnType<string, string, string>;
export type Serial = Generated<number>;
