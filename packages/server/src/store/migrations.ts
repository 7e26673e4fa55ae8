import { createHash, randomBytes } from 'node:crypto';
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Numbered, forward-only migrations, the same on SQLite and PostgreSQL. Never edit one that
 * has shipped: add the next number. Kysely's migrator takes a lock (an advisory lock on
 * PostgreSQL), so several servers starting at once migrate exactly once.
 */
const migrations: Record<string, Migration> = {
  '0001_registry': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('registry_state')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('sequence', 'bigint', (c) => c.notNull())
        .execute();
      await sql`insert into registry_state (id, sequence) values (1, 0)`.execute(db);

      await db.schema
        .createTable('entries')
        .addColumn('family', 'varchar(32)', (c) => c.notNull())
        .addColumn('id', 'varchar(128)', (c) => c.notNull())
        .addColumn('owner', 'varchar(128)', (c) => c.notNull())
        .addColumn('lifecycle', 'varchar(16)', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('sequence', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .addPrimaryKeyConstraint('entries_pk', ['family', 'id'])
        .execute();

      await db.schema
        .createTable('revisions')
        .addColumn('family', 'varchar(32)', (c) => c.notNull())
        .addColumn('id', 'varchar(128)', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('sequence', 'bigint', (c) => c.notNull())
        .addColumn('changeset_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('author', 'varchar(200)', (c) => c.notNull())
        .addColumn('approvers', 'text', (c) => c.notNull())
        .addColumn('operation', 'varchar(16)', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('at', 'varchar(40)', (c) => c.notNull())
        .addPrimaryKeyConstraint('revisions_pk', ['family', 'id', 'revision'])
        .execute();
      await db.schema.createIndex('revisions_sequence').on('revisions').column('sequence').execute();

      // An ID once applied is reserved forever, also after retirement; the primary key is the last line of defence.
      await db.schema
        .createTable('reserved_ids')
        .addColumn('family', 'varchar(32)', (c) => c.notNull())
        .addColumn('id', 'varchar(128)', (c) => c.notNull())
        .addColumn('reserved_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('changeset_id', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('reserved_ids_pk', ['family', 'id'])
        .execute();

      await db.schema
        .createTable('changesets')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('title', 'varchar(200)', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('author', 'varchar(200)', (c) => c.notNull())
        .addColumn('author_product', 'varchar(128)')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('operations', 'text', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('approvals', 'text', (c) => c.notNull())
        .addColumn('sequence', 'bigint')
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('changesets_status').on('changesets').columns(['status', 'created_at']).execute();
    },
  },
  '0002_tokens': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('tokens')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        // SHA-256 of the secret: the token itself is shown once and never stored.
        .addColumn('hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('principal', 'varchar(200)', (c) => c.notNull())
        .addColumn('product', 'varchar(128)')
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'varchar(40)')
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('created_by', 'varchar(200)', (c) => c.notNull())
        .addColumn('revoked_at', 'varchar(40)')
        .execute();
      await db.schema.alterTable('changesets').addColumn('author_admin', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('changesets').addColumn('rejection', 'text').execute();
    },
  },
  '0003_audit': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_state')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('origin', 'varchar(200)', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        // The compact range (one perfect-subtree root per set bit of size): appends cost O(log n).
        .addColumn('frontier', 'text', (c) => c.notNull())
        .addColumn('root', 'varchar(64)', (c) => c.notNull())
        .execute();
      const origin = `charter/audit/${randomBytes(8).toString('hex')}`;
      const emptyRoot = createHash('sha256').digest('hex');
      await sql`insert into audit_state (id, origin, size, frontier, root) values (1, ${origin}, 0, '[]', ${emptyRoot})`.execute(db);

      await db.schema
        .createTable('audit_events')
        .addColumn('idx', 'bigint', (c) => c.primaryKey())
        .addColumn('action', 'varchar(200)', (c) => c.notNull())
        .addColumn('actor', 'varchar(200)', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('at', 'varchar(40)', (c) => c.notNull())
        .addColumn('request_id', 'varchar(100)')
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('details_digest', 'varchar(80)', (c) => c.notNull())
        .execute();

      // Perfect-subtree hashes (level 0 = leaves): any inclusion or consistency proof is O(log n) reads.
      await db.schema
        .createTable('audit_nodes')
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('idx', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'varchar(64)', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_nodes_pk', ['level', 'idx'])
        .execute();
    },
  },
  '0004_artifacts': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('artifacts')
        .addColumn('digest', 'varchar(80)', (c) => c.primaryKey())
        .addColumn('artifact_type', 'varchar(128)', (c) => c.notNull())
        .addColumn('product', 'varchar(128)', (c) => c.notNull())
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('version', 'varchar(200)', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('registered_by', 'varchar(200)', (c) => c.notNull())
        .addColumn('registered_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('audit_index', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('artifacts_product').on('artifacts').columns(['product', 'artifact_type']).execute();

      await db.schema
        .createTable('evidence')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('artifact', 'varchar(80)', (c) => c.notNull())
        .addColumn('evidence_type', 'varchar(160)', (c) => c.notNull())
        .addColumn('predicate_type', 'text', (c) => c.notNull())
        // The envelope exactly as submitted; envelope_digest is the SHA-256 of these bytes.
        .addColumn('envelope', 'text', (c) => c.notNull())
        .addColumn('envelope_digest', 'varchar(80)', (c) => c.notNull())
        .addColumn('statement', 'text', (c) => c.notNull())
        .addColumn('signers', 'text', (c) => c.notNull())
        .addColumn('trusted', 'integer', (c) => c.notNull())
        .addColumn('reasons', 'text', (c) => c.notNull())
        .addColumn('attached_by', 'varchar(200)', (c) => c.notNull())
        .addColumn('attached_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('audit_index', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('evidence_artifact_envelope', ['artifact', 'envelope_digest'])
        .execute();

      await db.schema
        .createTable('approvals')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('artifact', 'varchar(80)', (c) => c.notNull())
        .addColumn('stage', 'varchar(64)', (c) => c.notNull())
        .addColumn('principal', 'varchar(200)', (c) => c.notNull())
        .addColumn('comment', 'text')
        .addColumn('at', 'varchar(40)', (c) => c.notNull())
        .addColumn('audit_index', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('approvals_once', ['artifact', 'stage', 'principal'])
        .execute();

      await db.schema
        .createTable('decisions')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('artifact', 'varchar(80)', (c) => c.notNull())
        .addColumn('stage', 'varchar(64)', (c) => c.notNull())
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('checks', 'text', (c) => c.notNull())
        .addColumn('actor', 'varchar(200)', (c) => c.notNull())
        .addColumn('decided_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('audit_index', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('decisions_artifact').on('decisions').columns(['artifact', 'decided_at']).execute();
    },
  },
  '0006_authority': {
    async up(db: Kysely<unknown>) {
      // The token a change set was submitted with: its author's authority is re-checked at apply.
      await db.schema.alterTable('changesets').addColumn('author_token', 'varchar(64)').execute();
      // The canonical DSSE envelope derived at attach (DESIGN §6); null for evidence attached before.
      await db.schema.alterTable('evidence').addColumn('canonical_envelope', 'text').execute();
    },
  },
  '0007_seed_state': {
    // Which seed files the registry has already taken in, so a start with unchanged files skips
    // reading and validating them.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('seed_state')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('digest', 'varchar(80)', (c) => c.notNull())
        .addColumn('sequence', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  '0008_sessions': {
    async up(db: Kysely<unknown>) {
      // Portal sign-in: the cookie carries a random secret; only its SHA-256 is stored.
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('token_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('csrf', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('expires_at', 'varchar(40)', (c) => c.notNull())
        .addColumn('revoked_at', 'varchar(40)')
        .execute();
      await db.schema.createIndex('sessions_token').on('sessions').column('token_id').execute();
      // The portal's change-set lists read a page in order without walking every row's (large) plan.
      await db.schema.createIndex('changesets_created').on('changesets').columns(['created_at', 'id']).execute();
      await db.schema.createIndex('changesets_status_sequence').on('changesets').columns(['status', 'sequence']).execute();

      // Each revision names the audit event that recorded it (written in the apply transaction from now on).
      await db.schema.alterTable('revisions').addColumn('audit_index', 'bigint').execute();
      const applied = await sql<{ idx: number | string; details: string }>`select idx, details from audit_events where action in ('audit-action:platform.changeset.apply', 'audit-action:platform.seed.apply') order by idx`.execute(db);
      for (const row of applied.rows) {
        const details = JSON.parse(row.details) as { sequence?: unknown };
        if (typeof details.sequence !== 'number') continue;
        await sql`update revisions set audit_index = ${Number(row.idx)} where sequence = ${details.sequence}`.execute(db);
      }
    },
  },
  // Reserved number for the OCI work (DESIGN §12): images, copies, verification summaries.
  '0009_oci': {
    async up(db: Kysely<unknown>) {
      // {"repository", "tag"} when registered by image reference, else null.
      await db.schema.alterTable('artifacts').addColumn('image', 'text').execute();
      // {"repository", "tag", "status", "detail"} when the stage names a repository.
      await db.schema.alterTable('decisions').addColumn('copy', 'text').execute();
      // The signed SLSA VSA (DSSE envelope JSON) of a promoted decision.
      await db.schema.alterTable('decisions').addColumn('vsa', 'text').execute();
    },
  },
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export interface MigrationReport {
  applied: string[];
  current: string | null;
}

export async function migrateToLatest(db: Kysely<any>): Promise<MigrationReport> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'charter_migrations', migrationLockTableName: 'charter_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  const all = await migrator.getMigrations();
  const done = all.filter((m) => m.executedAt);
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName), current: done.at(-1)?.name ?? null };
}
