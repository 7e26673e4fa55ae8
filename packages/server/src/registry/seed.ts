import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CharterError, operationsFor, type Operation, type Plan, type Principal } from '@charter/core';
import type { Kysely } from 'kysely';
import { PACKAGE_ROOT } from '../package-root.js';
import { entryFilesIn, readEntryFiles, type FileProblem } from '@charter/sdk/entry-files';
import { registryStore } from '../store/registry-store.js';
import type { Database } from '../store/schema.js';
import { ACTIONS, type AppliedChangeSet, type Registry } from './registry.js';

/** The seed is contributed like anything else: a change set by `seed`, approved by policy for the seed only. */
export const SEED_PRINCIPAL: Principal = { name: 'seed', product: null, admin: true };

export function defaultSeedDir(): string {
  // packages/server/ → the repository's seed/
  return fileURLToPath(new URL('../../seed', PACKAGE_ROOT));
}

export interface SeedPlan {
  operations: Operation[];
  plan: Plan;
  problems: FileProblem[];
}

export function planSeed(registry: Registry, seedDir = defaultSeedDir(), only?: 'create'): SeedPlan {
  if (!existsSync(seedDir)) throw new Error(`seed directory ${seedDir} does not exist`);
  const files = readEntryFiles(seedDir);
  let operations = operationsFor(registry.catalog, files.entries.map((s) => s.entry));
  if (only) operations = operations.filter((o) => o.op === only);
  const plan = operations.length ? registry.plan({ title: 'seed', operations }, SEED_PRINCIPAL) : { changes: [], errors: [] };
  return { operations, plan, problems: files.problems };
}

/**
 * Applies the seed. At server start only entries the registry has never had are created:
 * after the first load the database is the source of truth, and drift is shown by
 * `charter seed plan` and applied only on request (`charter seed apply`). Which seed files were
 * last taken in (`seed_state`) is read and recorded through `db`.
 */
export async function applySeed(registry: Registry, db: Kysely<Database>, opts: { seedDir?: string; only?: 'create' } = {}): Promise<AppliedChangeSet | null> {
  const seedDir = opts.seedDir ?? defaultSeedDir();
  // Entries are never deleted, so files the registry already took in have nothing left to create.
  const digest = opts.only === 'create' ? seedDigest(seedDir) : null;
  if (digest !== null && registry.catalog.sequence > 0) {
    const taken = await registryStore.seedState(db);
    if (taken?.digest === digest && taken.sequence <= registry.catalog.sequence) return null;
  }
  const applied = await applyFiles(registry, seedDir, opts.only);
  if (digest !== null) await registryStore.recordSeed(db, digest, applied?.changeset.sequence ?? registry.catalog.sequence);
  return applied;
}

/** sha256 over the seed files' names and contents: reading them is cheap, parsing and validating is not. */
function seedDigest(seedDir: string): string {
  const h = createHash('sha256');
  for (const file of entryFilesIn(seedDir)) h.update(`${relative(seedDir, file)}\0`).update(readFileSync(file)).update('\0');
  return `sha256:${h.digest('hex')}`;
}

async function applyFiles(registry: Registry, seedDir: string, only: 'create' | undefined): Promise<AppliedChangeSet | null> {
  const files = readEntryFiles(seedDir);
  if (files.problems.length > 0) throw new Error(`seed files are invalid: ${files.problems.map((p) => `${p.file}#${p.document}: ${p.detail}`).join('; ')}`);
  const desired = files.entries.map((s) => s.entry);
  try {
    // Derived under the write lock, so servers starting together load the seed exactly once.
    return await registry.applyDerived(
      (view) => {
        let operations = operationsFor(view, desired);
        if (only) operations = operations.filter((o) => o.op === only);
        return operations.length ? { title: 'Seed slice', description: 'Entries loaded from seed/', operations } : null;
      },
      SEED_PRINCIPAL,
      { approvers: ['seed-policy'], action: ACTIONS.seedApply },
    );
  } catch (err) {
    if (err instanceof CharterError) throw new Error(`seed does not validate: ${err.errors.map((e) => `${e.pointer} ${e.code}: ${e.detail}`).join('; ')}`, { cause: err });
    throw err;
  }
}
