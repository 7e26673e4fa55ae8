#!/usr/bin/env node
// Runs every compiled *.test.js under packages/*/dist with node's test runner.
// PostgreSQL: the store and HTTP suites run on every engine they can reach. With
// CHARTER_REQUIRE_PG=1 (set by .ci/run) an unreachable PostgreSQL fails the run;
// otherwise the PostgreSQL part is skipped and the summary says so.
// Interop fixtures: the tests that read `../shared/fixtures/interop` (or $CHARTER_FIXTURES_DIR)
// run when it exists and are skipped otherwise; CHARTER_REQUIRE_FIXTURES=1 (set by .ci/run)
// makes their absence a failure, and the summary says which it was.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { findInteropFixtures } from '../packages/core/dist/testing/interop.js';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);

function collect(dir, out) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) collect(join(root, 'packages', pkg, 'dist'), files);
const selected = args.length ? files.filter((f) => args.some((a) => f.includes(a))) : files;

const pgUrl = process.env.CHARTER_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const requirePg = process.env.CHARTER_REQUIRE_PG === '1';
let pgReachable = false;
let pgError = '';
if (process.env.CHARTER_TEST_PG !== '0') {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    pgReachable = true;
  } catch (err) {
    pgError = err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => {});
  }
}
if (!pgReachable && requirePg) {
  console.error(`PostgreSQL is required (CHARTER_REQUIRE_PG=1) but unreachable at ${pgUrl}: ${pgError}`);
  process.exit(1);
}

const fixtures = findInteropFixtures(root);
if (!fixtures.present && process.env.CHARTER_REQUIRE_FIXTURES === '1') {
  console.error(`The interop fixtures are required (CHARTER_REQUIRE_FIXTURES=1) but absent at ${fixtures.dir}; set CHARTER_FIXTURES_DIR`);
  process.exit(1);
}

const env = { ...process.env, CHARTER_TEST_PG_URL: pgReachable ? pgUrl : '' };
if (fixtures.present) env.CHARTER_FIXTURES_DIR = fixtures.dir;
const result = spawnSync(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=120000', ...selected],
  { stdio: 'inherit', env },
);
if (pgReachable) console.log(`engines: sqlite and postgresql (${pgUrl.replace(/\/\/[^@]*@/, '//')})`);
else console.log(`engines: sqlite only; the PostgreSQL part was SKIPPED (${pgError || 'disabled'}); set CHARTER_REQUIRE_PG=1 to make this an error`);
if (fixtures.present) console.log(`interop fixtures: ${fixtures.dir}; the tests that read them ran`);
else console.log(`interop fixtures: absent (${fixtures.dir}); the tests that read them were SKIPPED; set CHARTER_REQUIRE_FIXTURES=1 to make this an error`);
process.exit(result.status ?? 1);
