// OCI benchmark (DESIGN §12). Run with `npm run bench` or `node bench/oci.mjs [--runs N]`.
//
// A real registry (Debian's docker-registry, distribution 2.8) and a real Charter server on
// SQLite, both on 127.0.0.1. In one run, each measured N times (default 5) and the median taken:
//   - discovery: POST /v1/artifacts/{digest}/evidence/discover for one image with 20 cosign-style
//     attestations (the first run attaches, later runs are the idempotent re-discovery), against
//     the baseline of fetching the same 20 envelope blobs and their manifest with plain fetch;
//   - copy: a 3-layer image (1 MiB layers) copied into another repository of the same registry
//     by Charter's client (blobs mounted), against the baseline of a naive copy that downloads
//     each blob and uploads it again.
// Reported: time, registry round trips (HTTP requests, token requests included) and bytes
// transferred (received + sent). Writes bench/results/oci.json.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const RESULTS = join(ROOT, 'bench/results');
const testing = await import(join(ROOT, 'packages/server/dist/testing/index.js'));
const oci = await import(join(ROOT, 'packages/server/dist/oci/index.js'));

const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '5' } }, strict: true });
const RUNS = Math.max(3, Number(flags.runs));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (!testing.registryAvailable()) {
  console.log(`OCI benchmark SKIPPED: no ${testing.REGISTRY_BINARY} (apt-get install docker-registry)`);
  process.exit(0);
}

const reg = await testing.startTestRegistry();
const db = await testing.testEngines().find((e) => e.name === 'sqlite').create();
const server = await testing.startTestServer(db, { insecureRegistries: [reg.host] });
const client = new oci.RegistryClient({ insecure: [reg.host] });
const repo = (path) => ({ registry: reg.host, path });
const snap = (c) => ({ ...c.stats });
const delta = (c, before) => ({ requests: c.stats.requests - before.requests, bytes: c.stats.bytesReceived - before.bytesReceived + c.stats.bytesSent - before.bytesSent });

try {
  const admin = testing.adminToken(server, db.dataDir);
  const reviewer = await testing.token(server, admin, 'platform-reviewer', ['scope:platform.registry.approve']);
  const key = testing.ed25519();
  await testing.govern(server, admin, reviewer, 'bench signer', testing.activateSigner(server, 'platform.release_ci', key.publicPem));
  const ci = await testing.token(server, admin, 'gpuaas-ci', ['scope:platform.artifacts.register', 'scope:platform.evidence.attach'], { product: 'gpuaas' });

  // Discovery: one image, 20 attestations in its .att tag.
  const img = await testing.pushImage(client, repo('bench/app'), { tag: '1.0.0' });
  const envelopes = Array.from({ length: 20 }, (_, i) => testing.attest(key, img.digest, 'https://slsa.dev/provenance/v1', { buildDefinition: { buildType: `https://example/build/${i}` }, runDetails: {} }));
  const attDigest = await testing.pushCosignAttestations(client, repo('bench/app'), img.digest, envelopes);
  const r = await testing.call(server, 'POST', '/v1/artifacts', { token: ci, body: { image: `${reg.host}/bench/app:1.0.0`, artifact_type: 'gpuaas.container_image', name: 'app', version: '1.0.0' } });
  if (r.status !== 201) throw new Error(`register: ${r.status} ${r.text}`);

  const discover = [];
  const baseDiscover = [];
  let firstDiscover = null;
  let discoverTrips = null;
  for (let i = 0; i < RUNS; i++) {
    // Baseline: the registry work alone, with plain fetch: the .att manifest and its 20 blobs.
    let t = performance.now();
    const m = await (await fetch(`http://${reg.host}/v2/bench/app/manifests/${attDigest}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).json();
    for (const l of m.layers) await (await fetch(`http://${reg.host}/v2/bench/app/blobs/${l.digest}`)).arrayBuffer();
    baseDiscover.push((performance.now() - t) / 1000);

    const before = snap(server.registryClient);
    t = performance.now();
    const d = await testing.call(server, 'POST', `/v1/artifacts/${img.digest}/evidence/discover`, { token: ci, body: {} });
    const s = (performance.now() - t) / 1000;
    if (d.status !== 200 || d.json.attached.length !== 20 || !d.json.attached.every((e) => e.trusted)) throw new Error(`discover: ${d.status} ${d.text.slice(0, 300)}`);
    if (i === 0) {
      firstDiscover = { seconds: s, ...delta(server.registryClient, before) };
    } else {
      discover.push(s);
      discoverTrips = delta(server.registryClient, before);
    }
  }

  // Copy: a 3-layer image, 1 MiB layers, within one registry; mounted vs downloaded and re-uploaded.
  const copy = [];
  const naive = [];
  let copyTrips = null;
  let naiveTrips = null;
  for (let i = 0; i < RUNS; i++) {
    const src = await testing.pushImage(client, repo(`bench/src${i}`), { layers: 3, layerBytes: 1024 * 1024 });
    let before = snap(client);
    let t = performance.now();
    const report = oci.emptyReport();
    await oci.copyManifest(client, repo(`bench/src${i}`), repo(`bench/prod${i}`), src.digest, '1.0.0', report);
    copy.push((performance.now() - t) / 1000);
    copyTrips = { ...delta(client, before), mounted: report.blobs.mounted, streamed: report.blobs.streamed };

    // Baseline: another client, no mount: each blob downloaded and uploaded again.
    const plain = new oci.RegistryClient({ insecure: [reg.host] });
    before = snap(plain);
    t = performance.now();
    const manifest = await plain.requireManifest(repo(`bench/src${i}`), src.digest);
    const doc = JSON.parse(manifest.bytes.toString('utf8'));
    for (const b of [doc.config, ...doc.layers]) await plain.pushBlob(repo(`bench/naive${i}`), await plain.getBlob(repo(`bench/src${i}`), b.digest));
    await plain.putManifest(repo(`bench/naive${i}`), '1.0.0', manifest);
    naive.push((performance.now() - t) / 1000);
    naiveTrips = delta(plain, before);
  }

  const rows = {
    discovery_20: { median_s: median(discover), first_attach_s: firstDiscover.seconds, baseline_fetch_s: median(baseDiscover), ratio_to_baseline: median(discover) / median(baseDiscover), round_trips: discoverTrips.requests, first_round_trips: firstDiscover.requests, bytes: discoverTrips.bytes },
    copy_3_layers: { median_s: median(copy), baseline_naive_s: median(naive), ratio_to_baseline: median(copy) / median(naive), round_trips: copyTrips.requests, bytes: copyTrips.bytes, mounted: copyTrips.mounted, streamed: copyTrips.streamed, baseline_round_trips: naiveTrips.requests, baseline_bytes: naiveTrips.bytes },
  };
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) };
  console.log(`OCI benchmark — ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load ${machine.loadavg.join(' ')}; ${RUNS} runs, median`);
  const d = rows.discovery_20;
  console.log(`discover 20 attestations: ${d.median_s.toFixed(3)} s (re-discovery), first run with 20 attaches ${d.first_attach_s.toFixed(3)} s; ${d.round_trips} registry round trips, ${d.bytes} bytes; baseline (fetch manifest + 20 blobs) ${d.baseline_fetch_s.toFixed(3)} s, ratio ${d.ratio_to_baseline.toFixed(2)}`);
  const c = rows.copy_3_layers;
  console.log(`copy 3-layer image (3 MiB) in one registry: ${c.median_s.toFixed(3)} s, ${c.round_trips} round trips, ${c.bytes} bytes transferred (${c.mounted} blobs mounted, ${c.streamed} streamed); baseline download+upload ${c.baseline_naive_s.toFixed(3)} s, ${c.baseline_round_trips} round trips, ${c.baseline_bytes} bytes; ratio ${c.ratio_to_baseline.toFixed(2)}`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'oci.json'), JSON.stringify({ date: new Date().toISOString(), machine, runs: RUNS, rows }, null, 2) + '\n');
} finally {
  await server.close().catch(() => undefined);
  await db.drop();
  await reg.close();
}
