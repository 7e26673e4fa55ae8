// Admission benchmark (issue 13). Run with `npm run bench` or `node bench/admission.mjs`.
//
//   --duration N   seconds per measured run (default 5)   --rounds N   baseline/charter pairs (default 2)
//
// In one run, on one machine, each server in its own child process, load from this process
// (autocannon, 50 connections, pipelining 1, 127.0.0.1 only):
//   1. POST /admission/v1/validate?cluster=local with a Pod of 10 containers (10 distinct digests,
//      all promoted to dev, namespace gpuaas-dev) against a bare node:http server that reads the
//      body, parses it and answers a canned AdmissionReview. Targets: p99 < 10 ms, throughput
//      >= 0.5 of the bare server.
//   2. POST /v1/artifacts/check against a bare node:http server answering the same deploy-check
//      JSON. Target: >= 0.7 of the bare server.
// Writes bench/results/admission.json.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const { values: flags } = parseArgs({ options: { duration: { type: 'string', default: '5' }, rounds: { type: 'string', default: '2' } } });
const DURATION = Number(flags.duration);
const ROUNDS = Number(flags.rounds);
const CONNECTIONS = 50;
const TARGETS = { admissionRatio: 0.5, admissionP99Ms: 10, checkRatio: 0.7 };

const core = await import(join(ROOT, 'packages/core/dist/index.js'));
const server = await import(join(ROOT, 'packages/server/dist/index.js'));
import { artifactsFor } from './artifacts-for.mjs';
const dir = mkdtempSync(join(os.tmpdir(), 'charter-bench-admission-'));
const children = new Set();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const out = { date: new Date().toISOString(), machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadavg: os.loadavg() }, connections: CONNECTIONS, duration_s: DURATION, rounds: ROUNDS };
console.log(`admission benchmark — ${out.machine.cpu}, ${out.machine.cores} cores, node ${out.machine.node}, load ${out.machine.loadavg.map((l) => l.toFixed(2)).join(' ')}`);

// A registry with the release CI key active and 10 images promoted to dev.
const key = generateKeyPairSync('ed25519');
const opened = await server.openRegistry({ dataDir: join(dir, 'db'), databaseUrl: undefined, seed: true, seedDir: undefined });
const { registry } = opened;
const admin = { principal: { name: 'admin', product: null, admin: true }, requestId: null };
const signer = registry.catalog.get('signer', 'platform.release_ci');
await registry.apply({ title: 'key', operations: [
  { op: 'update', family: 'signer', id: 'platform.release_ci', expected_revision: signer.revision, set: { spec: { ...signer.spec, public_key: key.publicKey.export({ type: 'spki', format: 'pem' }).toString() } } },
  { op: 'transition', family: 'signer', id: 'platform.release_ci', expected_revision: signer.revision, to: 'active' },
] }, admin.principal, { approvers: ['bench'] });
const artifacts = artifactsFor(opened, dir);
const ci = { principal: { name: 'ci', product: 'gpuaas', admin: false }, requestId: null };
const releaser = { principal: { name: 'release-bot', product: null, admin: true }, requestId: null };
const digests = [];
for (let i = 0; i < 10; i++) {
  const digest = 'sha256:' + createHash('sha256').update(`bench image ${i}`).digest('hex');
  digests.push(digest);
  await artifacts.register({ digest, artifact_type: 'gpuaas.container_image', product: 'gpuaas', name: `svc${i}`, version: '1.0.0' }, ci);
  const statement = { _type: 'https://in-toto.io/Statement/v1', subject: [{ name: `svc${i}`, digest: { sha256: digest.slice(7) } }], predicateType: 'https://slsa.dev/provenance/v1', predicate: { buildDefinition: { buildType: 'https://example/build' }, runDetails: {} } };
  await artifacts.attach(digest, Buffer.from(JSON.stringify(core.signEnvelope('application/vnd.in-toto+json', JSON.stringify(statement), { privateKey: key.privateKey }))), ci);
  const d = await artifacts.promote(digest, 'dev', releaser);
  if (d.outcome !== 'promoted') throw new Error(`bench image ${i} must be promoted: ${JSON.stringify(d.checks)}`);
}
await opened.handle.close();

const pod = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    requestKind: { group: '', version: 'v1', kind: 'Pod' },
    requestResource: { group: '', version: 'v1', resource: 'pods' },
    name: 'api-7d4b9c-x2x1z',
    namespace: 'gpuaas-dev',
    operation: 'CREATE',
    userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', uid: 'u1', groups: ['system:serviceaccounts', 'system:authenticated'] },
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'api-7d4b9c-x2x1z', namespace: 'gpuaas-dev', labels: { app: 'api', 'pod-template-hash': '7d4b9c' } },
      spec: {
        containers: digests.map((d, i) => ({ name: `svc${i}`, image: `registry.example.com/gpuaas/svc${i}:1.0.0@${d}`, ports: [{ containerPort: 8080 + i }], resources: { limits: { cpu: '500m', memory: '256Mi' } } })),
        restartPolicy: 'Always',
        serviceAccountName: 'api',
      },
    },
    oldObject: null,
    dryRun: false,
    options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
  },
};
const reviewBody = JSON.stringify(pod);
const checkBody = JSON.stringify({ digest: digests[0], stage: 'dev' });

function start(args, label) {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${label} did not start: ${err}`)), 60_000);
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`${label} exited (${code}): ${err}`)));
  });
}

const charter = await start([join(ROOT, 'packages/cli/bin/charter.js'), 'serve', '--port', '0', '--data-dir', join(dir, 'db'), '--no-seed', '--log-level', 'error'], 'charter serve');
const ask = async (path, body) => (await fetch(charter.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
const reviewAnswer = await ask('/admission/v1/validate?cluster=local', reviewBody);
if (JSON.parse(reviewAnswer).response?.allowed !== true) throw new Error(`the bench pod must be admitted: ${reviewAnswer}`);
const checkAnswer = await ask('/v1/artifacts/check', checkBody);
if (JSON.parse(checkAnswer).allowed !== true) throw new Error(`the bench digest must pass the deploy check: ${checkAnswer}`);

// The bare baseline: read the body, parse it, answer the canned document for the path.
const bareSource = `
  const canned = ${JSON.stringify({ '/admission/v1/validate': reviewAnswer, '/v1/artifacts/check': checkAnswer })};
  require('node:http').createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const body = canned[req.url.split('?')[0]];
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  }).listen(0, '127.0.0.1', function () { process.stderr.write('listening on http://127.0.0.1:' + this.address().port + '\\n'); });`;
const bare = await start(['-e', bareSource], 'bare node:http');

const load = (url, body, seconds) =>
  new Promise((resolve, reject) => autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: CONNECTIONS, pipelining: 1, duration: seconds }, (err, r) => (err ? reject(err) : resolve(r))));

async function compare(label, path, body) {
  const rows = [];
  await load(bare.url + path, body, 1);
  await load(charter.url + path, body, 1);
  for (let r = 0; r < ROUNDS; r++) {
    const b = await load(bare.url + path, body, DURATION);
    const c = await load(charter.url + path, body, DURATION);
    if (c.non2xx || c.errors || c.timeouts) throw new Error(`${label}: ${c.non2xx} non-2xx, ${c.errors} errors, ${c.timeouts} timeouts`);
    rows.push({ baseline_rps: b.requests.average, charter_rps: c.requests.average, ratio: c.requests.average / b.requests.average, baseline_p99_ms: b.latency.p99, charter_p99_ms: c.latency.p99, charter_p50_ms: c.latency.p50 });
  }
  const best = rows.slice().sort((a, b) => a.ratio - b.ratio)[Math.floor(rows.length / 2)];
  for (const r of rows) console.log(`${label}: charter ${fmt(r.charter_rps)} req/s (p50 ${r.charter_p50_ms} ms, p99 ${r.charter_p99_ms} ms) vs bare node:http ${fmt(r.baseline_rps)} req/s (p99 ${r.baseline_p99_ms} ms): ratio ${r.ratio.toFixed(2)}`);
  return { rounds: rows, median: best };
}

console.log(`\n== 1. Admission: a Pod with 10 containers, ${CONNECTIONS} connections ==`);
out.admission = await compare('validate', '/admission/v1/validate?cluster=local', reviewBody);
console.log(`\n== 2. Deploy check: POST /v1/artifacts/check, ${CONNECTIONS} connections ==`);
out.check = await compare('deploy check', '/v1/artifacts/check', checkBody);

const verdicts = [
  [`admission throughput ratio >= ${TARGETS.admissionRatio}`, out.admission.median.ratio >= TARGETS.admissionRatio],
  [`admission p99 < ${TARGETS.admissionP99Ms} ms`, out.admission.rounds.every((r) => r.charter_p99_ms < TARGETS.admissionP99Ms)],
  [`deploy check ratio >= ${TARGETS.checkRatio}`, out.check.median.ratio >= TARGETS.checkRatio],
];
out.targets = Object.fromEntries(verdicts.map(([k, v]) => [k, v]));
console.log('\n' + verdicts.map(([k, v]) => `${v ? 'met' : 'MISSED'}: ${k}`).join('\n'));
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/admission.json'), JSON.stringify(out, null, 2));
for (const c of children) c.kill('SIGTERM');
process.exit(0);
