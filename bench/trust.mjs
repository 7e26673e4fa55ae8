// Artifact trust-path benchmark (issue 5). Run with `npm run bench` or `node bench/trust.mjs`.
//
// In one run, on one machine:
//   - raw node:crypto Ed25519 verify/s of a DSSE PAE message (the baseline);
//   - evidence attach/s through the use case (parse, subject match, signature verification
//     against the registry signers, predicate schema, store, audit event, one SQLite commit);
//   - explain and deploy-check latency for an artifact with 50 evidence items (p50/p99), the
//     deploy check both from its exact cache (kept until a write or registry change) and cold;
//   - POST /v1/artifacts/check over HTTP (autocannon, 10 connections) against a bare node:http
//     server answering a same-size JSON (both in this process, so both pay the same).
// Writes bench/results/trust.json.
import autocannon from 'autocannon';
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const core = await import(join(ROOT, 'packages/core/dist/index.js'));
const server = await import(join(ROOT, 'packages/server/dist/index.js'));
import { artifactsFor } from './artifacts-for.mjs';
const dir = mkdtempSync(join(os.tmpdir(), 'charter-bench-trust-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const out = { date: new Date().toISOString(), machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version } };
const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
console.log(`trust path benchmark — ${out.machine.cpu}, ${out.machine.cores} cores, node ${out.machine.node}`);

const key = generateKeyPairSync('ed25519');
const pem = key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const digest = 'sha256:' + createHash('sha256').update('bench artifact').digest('hex');
const SLSA = 'https://slsa.dev/provenance/v1';
const envelopeFor = (i, d = digest) =>
  JSON.stringify(core.signEnvelope('application/vnd.in-toto+json', JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'b', digest: { sha256: d.slice(7) } }], predicateType: SLSA, predicate: { buildDefinition: { buildType: `https://example/build/${i}` }, runDetails: {} } }), { privateKey: key.privateKey }));

// 1. Baseline: raw Ed25519 verify of a PAE message the size of a provenance envelope.
const payload = Buffer.from(JSON.parse(envelopeFor(0)).payload, 'base64');
const message = core.pae('application/vnd.in-toto+json', payload);
const signature = sign(null, message, key.privateKey);
let n = 0;
let t0 = performance.now();
while (performance.now() - t0 < 1000) {
  for (let i = 0; i < 100; i++) verify(null, message, key.publicKey, signature);
  n += 100;
}
out.raw_verify_per_s = n / ((performance.now() - t0) / 1000);
console.log(`raw Ed25519 verify of a ${message.length}-byte PAE message: ${fmt(out.raw_verify_per_s)}/s`);

// A registry with the release CI key active, an artifact registered.
const opened = await server.openRegistry({ dataDir: join(dir, 'db'), databaseUrl: undefined, seed: true, seedDir: undefined });
const { registry } = opened;
const admin = { principal: { name: 'admin', product: null, admin: true }, requestId: null };
const ci = { principal: { name: 'ci', product: 'gpuaas', admin: false }, requestId: null };
const signer = registry.catalog.get('signer', 'platform.release_ci');
await registry.apply({ title: 'key', operations: [
  { op: 'update', family: 'signer', id: 'platform.release_ci', expected_revision: signer.revision, set: { spec: { ...signer.spec, public_key: pem } } },
  { op: 'transition', family: 'signer', id: 'platform.release_ci', expected_revision: signer.revision, to: 'active' },
] }, admin.principal, { approvers: ['bench'] });
const artifacts = artifactsFor(opened, dir);
await artifacts.register({ digest, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'bench', version: '1.0.0' }, ci);

// 2. Attach: 50 to warm up (they are also the 50 items explain reads), then N measured on a second artifact.
for (let i = 0; i < 50; i++) await artifacts.attach(digest, Buffer.from(envelopeFor(i)), ci);
const other = 'sha256:' + createHash('sha256').update('bench artifact 2').digest('hex');
await artifacts.register({ digest: other, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'bench2', version: '1.0.0' }, ci);
const N = 500;
const envelopes = Array.from({ length: N }, (_, i) => Buffer.from(envelopeFor(1000 + i, other)));
t0 = performance.now();
for (const env of envelopes) {
  const r = await artifacts.attach(other, env, ci);
  if (!r.evidence.trusted) throw new Error('bench evidence must verify');
}
out.attach_per_s = N / ((performance.now() - t0) / 1000);
console.log(`evidence attach (verify + store + audit, SQLite synchronous=FULL, sequential): ${fmt(out.attach_per_s)}/s — ${(out.attach_per_s / out.raw_verify_per_s * 100).toFixed(1)}% of raw verify/s`);

// 3. Explain and deploy check on the artifact with 50 evidence items, promoted to dev.
await artifacts.promote(digest, 'dev', admin);
const lat = async (fn, count) => {
  const xs = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await fn();
    xs.push((performance.now() - t) * 1000);
  }
  return { p50_us: pct(xs, 50), p99_us: pct(xs, 99) };
};
out.explain = await lat(() => artifacts.explain(digest), 300);
out.check_cached = await lat(() => artifacts.check(digest, 'dev'), 3000);
out.check_cold = await lat(() => {
  artifacts.deployChecks.invalidate(digest);
  return artifacts.check(digest, 'dev');
}, 500);
console.log(`explain (50 evidence items, 3 stages): p50 ${fmt(out.explain.p50_us)} µs, p99 ${fmt(out.explain.p99_us)} µs`);
console.log(`deploy check: cached p50 ${fmt(out.check_cached.p50_us)} µs / p99 ${fmt(out.check_cached.p99_us)} µs; cold (database read) p50 ${fmt(out.check_cold.p50_us)} µs / p99 ${fmt(out.check_cold.p99_us)} µs`);
await opened.handle.close();

// 4. The deploy check over HTTP against a bare node:http server, same process, same load.
const running = await server.startServer(server.resolveConfig({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'db'), logLevel: 'silent', seed: false }, {}));
const body = JSON.stringify({ digest, stage: 'dev' });
const answer = await (await fetch(`${running.url}/v1/artifacts/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
if (!JSON.parse(answer).allowed) throw new Error(`the bench artifact must be allowed: ${answer}`);
const bare = http.createServer((req, res) => {
  let b = '';
  req.on('data', (c) => (b += c));
  req.on('end', () => {
    JSON.parse(b);
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
  });
});
await new Promise((r) => bare.listen(0, '127.0.0.1', r));
const load = (url) => new Promise((resolve, reject) => autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 10, duration: 5 }, (err, r) => (err ? reject(err) : resolve(r))));
const bareUrl = `http://127.0.0.1:${bare.address().port}/`;
await load(bareUrl);
const b = await load(bareUrl);
const c = await load(`${running.url}/v1/artifacts/check`);
out.http_check = { charter_rps: c.requests.average, charter_p99_ms: c.latency.p99, baseline_rps: b.requests.average, baseline_p99_ms: b.latency.p99, ratio: c.requests.average / b.requests.average, non2xx: c.non2xx };
console.log(`POST /v1/artifacts/check over HTTP: ${fmt(c.requests.average)} req/s (p99 ${c.latency.p99} ms) vs bare node:http ${fmt(b.requests.average)} req/s (p99 ${b.latency.p99} ms): ratio ${out.http_check.ratio.toFixed(2)}`);
bare.close();
await running.close();

mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/trust.json'), JSON.stringify(out, null, 2));
