// Write-path benchmark (issue 10). Run with `npm run bench` or `node bench/writepath.mjs [--seconds N] [--writers N]`.
//
// Each figure is a ratio against a baseline measured in the same run, on the same disk:
//   - SQLite: audit-logged token creations by N concurrent writers (TokenService.create, the use
//     case behind POST /v1/tokens: insert + audit event, group-committed) against raw durable
//     autocommit single-row inserts (better-sqlite3, WAL, synchronous=FULL, one per commit);
//   - PostgreSQL (when reachable; CHARTER_BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres):
//     the same token creations against raw single-row autocommit inserts by N concurrent clients;
//   - evidence attach by N concurrent writers (SQLite) against raw single-core Ed25519
//     verification, and that verification spread over worker threads (does off-main-thread help?);
//   - p50/p99 latency of a single write under that load.
// Writes bench/results/writepath.json. Only 127.0.0.1; temp data is removed on exit.
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import pg from 'pg';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const core = await import(join(ROOT, 'packages/core/dist/index.js'));
const server = await import(join(ROOT, 'packages/server/dist/index.js'));

const { values: flags } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, writers: { type: 'string', default: '32' }, only: { type: 'string' } } });
// --only sqlite|postgres|attach runs one section (for profiling); the report needs all three.
const run = (section) => !flags.only || flags.only === section;
const SECONDS = Number(flags.seconds);
const WRITERS = Number(flags.writers);
import { artifactsFor } from './artifacts-for.mjs';
const dir = mkdtempSync(join(os.tmpdir(), 'charter-bench-write-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const out = { date: new Date().toISOString(), machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version }, writers: WRITERS, seconds: SECONDS };
console.log(`write-path benchmark — ${out.machine.cpu}, ${out.machine.cores} cores, node ${out.machine.node}; ${WRITERS} writers, ${SECONDS} s per run`);

/** Runs `op` from `writers` concurrent loops for `seconds`; returns ops/s and per-op latency. */
async function load(writers, seconds, op) {
  const lat = [];
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        await op(w, i);
        lat.push(performance.now() - t);
        n++;
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  return { per_s: n / s, ops: n, p50_ms: pct(lat, 50), p99_ms: pct(lat, 99) };
}
const show = (r) => `${fmt(r.per_s)}/s (p50 ${r.p50_ms.toFixed(1)} ms, p99 ${r.p99_ms.toFixed(1)} ms)`;

const actor = { principal: { name: 'bench', product: null, admin: true }, requestId: null };
const SCOPE = 'scope:platform.registry.propose';

async function tokenRun(opened) {
  const tokens = new server.TokenService(opened.registry, opened.handle.db);
  for (let i = 0; i < 50; i++) await tokens.create({ principal: `warm-${i}`, scopes: [SCOPE] }, actor);
  const before = { ...opened.registry.writeStats };
  const r = await load(WRITERS, SECONDS, (w, i) => tokens.create({ principal: `bench-${w}-${i}`, scopes: [SCOPE] }, actor));
  const after = opened.registry.writeStats;
  r.commits = after.batches - before.batches;
  r.per_commit = (after.mutations - before.mutations) / r.commits;
  return r;
}

// 1. SQLite: raw durable autocommit inserts on the same disk, then token creations.
if (run('sqlite')) {
  const db = new SQLite(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('create table t (id text primary key, principal text not null, scopes text not null, created_at text not null)');
  const ins = db.prepare('insert into t values (?, ?, ?, ?)');
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) ins.run(randomBytes(8).toString('hex'), `p${n++}`, '["scope:x"]', new Date().toISOString());
  out.sqlite_raw_per_s = n / ((performance.now() - t0) / 1000);
  db.close();
  console.log(`SQLite raw durable autocommit inserts (WAL, synchronous=FULL): ${fmt(out.sqlite_raw_per_s)}/s`);

  const opened = await server.openRegistry({ dataDir: join(dir, 'sqlite'), databaseUrl: undefined, seed: true, seedDir: undefined });
  out.sqlite_tokens = await tokenRun(opened);
  await opened.handle.close();
  out.sqlite_ratio = out.sqlite_tokens.per_s / out.sqlite_raw_per_s;
  console.log(`SQLite token creations, ${WRITERS} writers: ${show(out.sqlite_tokens)}; ${out.sqlite_tokens.per_commit.toFixed(1)} per commit — ratio ${out.sqlite_ratio.toFixed(2)} (target ≥ 0.5)`);
}

// 2. PostgreSQL, when reachable.
if (run('postgres')) {
  const adminUrl = process.env.CHARTER_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `charter_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  let url = null;
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    url = u.toString();
  } catch (err) {
    console.log(`PostgreSQL: skipped (${err.message})`);
    out.postgres = null;
  }
  if (url) {
    try {
      const pool = new pg.Pool({ connectionString: url, max: WRITERS });
      await pool.query('create table t (id text primary key, principal text not null, scopes text not null, created_at text not null)');
      let k = 0;
      out.pg_raw = await load(WRITERS, SECONDS, () => pool.query('insert into t values ($1, $2, $3, $4)', [randomBytes(8).toString('hex'), `p${k++}`, '["scope:x"]', new Date().toISOString()]));
      await pool.end();
      console.log(`PostgreSQL raw single-row durable inserts, ${WRITERS} clients: ${show(out.pg_raw)}`);
      const opened = await server.openRegistry({ dataDir: join(dir, 'pg'), databaseUrl: url, seed: true, seedDir: undefined });
      out.pg_tokens = await tokenRun(opened);
      await opened.handle.close();
      out.pg_ratio = out.pg_tokens.per_s / out.pg_raw.per_s;
      console.log(`PostgreSQL token creations, ${WRITERS} writers: ${show(out.pg_tokens)}; ${out.pg_tokens.per_commit.toFixed(1)} per commit — ratio ${out.pg_ratio.toFixed(2)} (target ≥ 0.5)`);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
    }
  }
  await admin.end().catch(() => {});
}

// 3. Evidence attach against raw Ed25519 verification.
if (run('attach')) {
  const key = generateKeyPairSync('ed25519');
  const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const SLSA = 'https://slsa.dev/provenance/v1';
  const envelopeFor = (i, d) =>
    JSON.stringify(core.signEnvelope('application/vnd.in-toto+json', JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'b', digest: { sha256: d.slice(7) } }], predicateType: SLSA, predicate: { buildDefinition: { buildType: `https://example/build/${i}` }, runDetails: {} } }), { privateKey: key.privateKey }));
  const digest = 'sha256:' + createHash('sha256').update('bench write artifact').digest('hex');
  const message = core.pae('application/vnd.in-toto+json', Buffer.from(JSON.parse(envelopeFor(0, digest)).payload, 'base64'));
  const signature = sign(null, message, key.privateKey);
  let n = 0;
  let t0 = performance.now();
  while (performance.now() - t0 < 1500) {
    for (let i = 0; i < 100; i++) verify(null, message, key.publicKey, signature);
    n += 100;
  }
  out.raw_verify_per_s = n / ((performance.now() - t0) / 1000);
  console.log(`raw Ed25519 verify, one core: ${fmt(out.raw_verify_per_s)}/s`);

  // The same verification spread over one worker per core: what verifying off the main thread could win.
  const workers = os.cpus().length;
  const src = `const { parentPort, workerData } = require('node:worker_threads'); const { verify, createPublicKey } = require('node:crypto');
    const k = createPublicKey(workerData.pem); const m = Buffer.from(workerData.m, 'base64'); const s = Buffer.from(workerData.s, 'base64');
    const end = Date.now() + workerData.ms; let n = 0; while (Date.now() < end) { for (let i = 0; i < 100; i++) verify(null, m, k, s); n += 100; } parentPort.postMessage(n);`;
  t0 = performance.now();
  const counts = await Promise.all(Array.from({ length: workers }, () => new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true, workerData: { pem, m: message.toString('base64'), s: signature.toString('base64'), ms: 1500 } });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  out.workers_verify_per_s = counts.reduce((a, b) => a + b, 0) / ((performance.now() - t0) / 1000);
  console.log(`raw Ed25519 verify, ${workers} worker threads: ${fmt(out.workers_verify_per_s)}/s (${(out.workers_verify_per_s / out.raw_verify_per_s).toFixed(2)}× one core)`);

  const opened = await server.openRegistry({ dataDir: join(dir, 'attach'), databaseUrl: undefined, seed: true, seedDir: undefined });
  const { registry } = opened;
  const ci = { principal: { name: 'ci', product: 'gpuaas', admin: false }, requestId: null };
  const signer = registry.catalog.get('signer', 'platform.release_ci');
  await registry.apply({ title: 'key', operations: [
    { op: 'update', family: 'signer', id: 'platform.release_ci', expected_revision: signer.revision, set: { spec: { ...signer.spec, public_key: pem } } },
    { op: 'transition', family: 'signer', id: 'platform.release_ci', expected_revision: signer.revision, to: 'active' },
  ] }, actor.principal, { approvers: ['bench'] });
  const artifacts = artifactsFor(opened, dir);
  await artifacts.register({ digest, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'bench', version: '1.0.0' }, ci);
  // Every attach in the run is of new bytes (the same bytes again are answered without a write):
  // enough envelopes for twice the one-core verify rate over the run, signed beforehand.
  const pool = Array.from({ length: 50 + Math.ceil(2 * out.raw_verify_per_s * SECONDS) }, (_, i) => Buffer.from(envelopeFor(i, digest)));
  let next = 0;
  for (let i = 0; i < 50; i++) await artifacts.attach(digest, pool[next++], ci);
  out.attach = await load(WRITERS, SECONDS, async () => {
    if (next >= pool.length) throw new Error('the envelope pool ran out: make it larger');
    const r = await artifacts.attach(digest, pool[next++], ci);
    if (!r.evidence.trusted || !r.created) throw new Error('bench evidence must verify and be new');
  });
  await opened.handle.close();
  out.attach_ratio = out.attach.per_s / out.raw_verify_per_s;
  console.log(`evidence attach, ${WRITERS} writers (SQLite): ${show(out.attach)} — ratio to one-core verify ${out.attach_ratio.toFixed(2)} (target ≥ 0.5)`);
}

const p99 = Math.max(out.sqlite_tokens?.p99_ms ?? 0, out.pg_tokens?.p99_ms ?? 0, out.attach?.p99_ms ?? 0);
console.log(`p99 of a single write under load: ${p99.toFixed(1)} ms (target < 50 ms)`);
out.p99_ms = p99;
if (!flags.only) {
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/writepath.json'), JSON.stringify(out, null, 2));
}
