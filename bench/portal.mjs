// Developer portal benchmark (issue 11). Run with `npm run bench` or `node bench/portal.mjs`.
//
// A registry of 10,000 extra entries (one with 120 revisions), 1,000 artifacts with 20 evidence
// items each, on SQLite. Every portal page is rendered through the real Fastify app with
// app.inject (no socket: the time is the server's: routing, queries, rendering), 200 times after
// a warm-up; p50/p99 per page are compared with GET /healthz in the same run (the floor of a
// request through the same app). The target is p99 < 50 ms per page, and a page's time must not
// grow with the number of rows it summarizes (no query per row).
// Writes bench/results/portal.json.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const core = await import(join(ROOT, 'packages/core/dist/index.js'));
const server = await import(join(ROOT, 'packages/server/dist/index.js'));
import { artifactsFor, ociDepsFor } from './artifacts-for.mjs';
const dir = mkdtempSync(join(os.tmpdir(), 'charter-bench-portal-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const ENTRIES = 10_000;
const ARTIFACTS = 1_000;
const EVIDENCE = 20;
const RUNS = 200;
const out = { date: new Date().toISOString(), machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version }, entries: ENTRIES, artifacts: ARTIFACTS, evidence_per_artifact: EVIDENCE, runs: RUNS, pages: {} };
const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
console.log(`portal benchmark — ${out.machine.cpu}, ${out.machine.cores} cores, node ${out.machine.node}`);

let t0 = performance.now();
const opened = await server.openRegistry({ dataDir: join(dir, 'db'), databaseUrl: undefined, seed: true, seedDir: undefined });
const { registry } = opened;
const admin = { principal: { name: 'bench-admin', product: null, admin: true }, requestId: null };

// 10,000 scope entries of product gpuaas, in change sets of 1,000.
for (let b = 0; b < ENTRIES / 1000; b++) {
  const operations = Array.from({ length: 1000 }, (_, i) => {
    const n = String(b * 1000 + i).padStart(5, '0');
    return { op: 'create', entry: { family: 'scope', id: `gpuaas.bench.s${n}`, owner: 'gpuaas', lifecycle: 'active', title: `Bench scope ${n}`, spec: { kind: 'api', privileged: false, implies: ['scope:gpuaas.instances.read'] } } };
  });
  await registry.apply({ title: `bench entries ${b}`, operations }, admin.principal, { approvers: ['bench'] });
}
// One entry with a long history.
for (let r = 1; r <= 120; r++) {
  const e = registry.catalog.get('scope', 'gpuaas.bench.s00000');
  await registry.apply({ title: `retitle ${r}`, operations: [{ op: 'update', family: 'scope', id: e.id, expected_revision: e.revision, set: { title: `Bench scope 00000, take ${r}` } }] }, admin.principal, { approvers: ['bench'] });
}
console.log(`  registry: ${[...registry.catalog.entries()].length} entries in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// 1,000 artifacts × 20 evidence items: the first artifact's 20 go through the use case (verified,
// stored, audited); the other 999 get copies of those rows (same statements and verified signers)
// in one transaction, which is what the pages read.
t0 = performance.now();
const key = generateKeyPairSync('ed25519');
const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const signer = registry.catalog.get('signer', 'platform.release_ci');
await registry.apply({ title: 'key', operations: [
  { op: 'update', family: 'signer', id: 'platform.release_ci', expected_revision: signer.revision, set: { spec: { ...signer.spec, public_key: pem } } },
  { op: 'transition', family: 'signer', id: 'platform.release_ci', expected_revision: signer.revision, to: 'active' },
] }, admin.principal, { approvers: ['bench'] });
const artifacts = artifactsFor(opened, dir);
const ci = { principal: { name: 'ci', product: 'gpuaas', admin: false }, requestId: null };
const digestOf = (i) => 'sha256:' + createHash('sha256').update(`bench artifact ${i}`).digest('hex');
const first = digestOf(0);
await artifacts.register({ digest: first, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'bench-0', version: '1.0.0' }, ci);
const SLSA = 'https://slsa.dev/provenance/v1';
for (let i = 0; i < EVIDENCE; i++) {
  const statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'b', digest: { sha256: first.slice(7) } }], predicateType: SLSA, predicate: { buildDefinition: { buildType: `https://example/build/${i}` }, runDetails: { builder: { id: 'https://ci.example' } } } };
  const env = JSON.stringify(core.signEnvelope('application/vnd.in-toto+json', JSON.stringify(statement), { privateKey: key.privateKey }));
  const r = await artifacts.attach(first, Buffer.from(env), ci);
  if (!r.evidence.trusted) throw new Error('bench evidence must verify');
}
await artifacts.promote(first, 'dev', ci);
const db = opened.handle.db;
const [artifactRow] = await db.selectFrom('artifacts').selectAll().where('digest', '=', first).execute();
const evidenceRows = await db.selectFrom('evidence').selectAll().where('artifact', '=', first).execute();
const decisionRows = await db.selectFrom('decisions').selectAll().where('artifact', '=', first).execute();
await db.transaction().execute(async (trx) => {
  for (let a = 1; a < ARTIFACTS; a++) {
    const d = digestOf(a);
    await trx.insertInto('artifacts').values({ ...artifactRow, digest: d, name: `bench-${a}` }).execute();
    await trx.insertInto('evidence').values(evidenceRows.map((e, i) => ({ ...e, id: `ev_bench_${a}_${i}`, artifact: d, envelope_digest: `${e.envelope_digest}-${a}` }))).execute();
    if (a % 2 === 0) await trx.insertInto('decisions').values(decisionRows.map((x) => ({ ...x, id: `dec_bench_${a}`, artifact: d }))).execute();
  }
});
console.log(`  artifacts: ${ARTIFACTS} × ${EVIDENCE} evidence in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// An open change set to review, and a signed-in auditor.
const cs = await new server.ChangeSets(registry, db).submit({ title: 'bench review', operations: [{ op: 'update', family: 'scope', id: 'gpuaas.bench.s00001', expected_revision: 1, set: { title: 'Bench scope 00001, clearer' } }] }, ci, false);
const created = await new server.TokenService(registry, db).create({ principal: 'bench-auditor', scopes: ['scope:platform.audit.read', 'scope:platform.registry.approve'] }, admin);
const app = await server.buildApp({ registry, db, engine: 'sqlite', version: 'bench', artifacts, oci: ociDepsFor(dir) });
await app.ready();
const form = await app.inject({ method: 'GET', url: '/ui/login' });
const loginCookie = form.headers['set-cookie'].split(';')[0];
const csrf = /name="csrf" value="([^"]+)"/.exec(form.body)[1];
const login = await app.inject({ method: 'POST', url: '/ui/login', headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ csrf, token: created.token }).toString() });
const session = [login.headers['set-cookie']].flat().find((c) => c.startsWith('charter_session=')).split(';')[0];

const pages = [
  ['GET /healthz (floor)', '/healthz'],
  ['home', '/ui/'],
  ['family (10,012 scopes)', '/ui/families/scope'],
  ['search q=bench (10,000 match)', '/ui/entries?q=bench'],
  ['search, page 150', '/ui/entries?family=scope&page=150'],
  ['entry with 121 revisions', '/ui/entries/scope/gpuaas.bench.s00000'],
  ['entry with 10,000 dependents', '/ui/entries/scope/gpuaas.instances.read'],
  ['entry at a past revision', '/ui/entries/scope/gpuaas.bench.s00000?revision=3'],
  ['change sets', '/ui/changesets'],
  ['change set (open)', `/ui/changesets/${cs.changeset.id}`],
  ['artifacts (25 of 1,000, 20 evidence each)', '/ui/artifacts'],
  ['artifact (20 evidence)', `/ui/artifacts/${first}`],
  ['audit (signed in, 50 events)', '/ui/audit', session],
  ['sign-in form', '/ui/login'],
];
for (const [name, url, cookie] of pages) {
  const headers = cookie ? { cookie } : {};
  const check = await app.inject({ method: 'GET', url, headers });
  if (check.statusCode !== 200) throw new Error(`${url}: ${check.statusCode} ${check.body.slice(0, 300)}`);
  for (let i = 0; i < 20; i++) await app.inject({ method: 'GET', url, headers });
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const s = performance.now();
    await app.inject({ method: 'GET', url, headers });
    times.push(performance.now() - s);
  }
  out.pages[name] = { url, bytes: check.body.length, p50_ms: pct(times, 50), p99_ms: pct(times, 99) };
}
const floor = out.pages['GET /healthz (floor)'];
console.log(`\n  ${'page'.padEnd(44)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'p99/floor'.padStart(10)} ${'KiB'.padStart(6)}`);
let worst = 0;
for (const [name, r] of Object.entries(out.pages)) {
  r.p99_over_floor = r.p99_ms / floor.p99_ms;
  if (name !== 'GET /healthz (floor)') worst = Math.max(worst, r.p99_ms);
  console.log(`  ${name.padEnd(44)} ${r.p50_ms.toFixed(2).padStart(8)} ${r.p99_ms.toFixed(2).padStart(8)} ${r.p99_over_floor.toFixed(1).padStart(10)} ${(r.bytes / 1024).toFixed(0).padStart(6)}`);
}
out.worst_p99_ms = worst;
console.log(`\n  slowest page p99: ${worst.toFixed(1)} ms (target < 50 ms) — ${worst < 50 ? 'met' : 'NOT met'}`);
await app.close();
await opened.handle.close();
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/portal.json'), JSON.stringify(out, null, 2) + '\n');
