// Audit-log benchmark (issue 4). Run with `npm run bench` or `node bench/audit.mjs [--events N] [--appends N]`.
//
// Measures, in one run and on one machine:
//   - SHA-256 throughput on event-sized inputs (the baseline: an append costs O(log n) of these);
//   - appends per second WITH their mutation (a token created and audited in one SQLite
//     transaction, synchronous=FULL, through the same use case the HTTP route calls);
//   - on a log of --events (default 1,000,000) events: inclusion- and consistency-proof
//     generation (database reads included) and verification time.
// Writes bench/results/audit.json. No network; temp data is removed on exit.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const core = await import(join(ROOT, 'packages/core/dist/index.js'));
const server = await import(join(ROOT, 'packages/server/dist/index.js'));

const { values: flags } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, appends: { type: 'string', default: '2000' } } });
const EVENTS = Number(flags.events);
const APPENDS = Number(flags.appends);
const dir = mkdtempSync(join(os.tmpdir(), 'charter-bench-audit-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const out = { date: new Date().toISOString(), machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version }, events: EVENTS };
console.log(`audit log benchmark — ${out.machine.cpu}, ${out.machine.cores} cores, node ${out.machine.node}`);

// 1. The baseline: SHA-256 of a canonical event (about 250 bytes), as many as fit in ~1 s.
const sample = Buffer.from(core.canonicalJson({ index: 123456, action: 'audit-action:platform.changeset.apply', actor: 'gpuaas-ci', subject: ['cs_00000000-0000-0000-0000-000000000000', 'scope:gpuaas.instances.write@2'], at: new Date().toISOString(), request_id: 'req-00000000', details_digest: 'sha256:' + 'ab'.repeat(32) }));
let hashes = 0;
let t0 = performance.now();
while (performance.now() - t0 < 1000) {
  for (let i = 0; i < 1000; i++) createHash('sha256').update(sample).digest();
  hashes += 1000;
}
out.sha256_per_s = hashes / ((performance.now() - t0) / 1000);
console.log(`sha256 of a ${sample.length}-byte event: ${fmt(out.sha256_per_s)}/s`);

// 2. Appends with their mutation: TokenService.create = insert the token + append its event, one transaction.
{
  const opened = await server.openRegistry({ dataDir: join(dir, 'appends'), databaseUrl: undefined, seed: true, seedDir: undefined });
  const tokens = new server.TokenService(opened.registry, opened.handle.db);
  const actor = { principal: { name: 'bench', product: null, admin: true }, requestId: null };
  for (let i = 0; i < 50; i++) await tokens.create({ principal: `warm-${i}`, scopes: ['scope:platform.registry.propose'] }, actor);
  t0 = performance.now();
  for (let i = 0; i < APPENDS; i++) await tokens.create({ principal: `bench-${i}`, scopes: ['scope:platform.registry.propose'] }, actor);
  const s = (performance.now() - t0) / 1000;
  out.appends_per_s = APPENDS / s;
  out.append_ms = (s * 1000) / APPENDS;
  await opened.handle.close();
  console.log(`appends with their mutation (SQLite, synchronous=FULL, sequential): ${fmt(out.appends_per_s)}/s (${out.append_ms.toFixed(2)} ms each); ${(out.sha256_per_s / out.appends_per_s).toFixed(0)} SHA-256 per append's time`);
}

// 3. A log of EVENTS events. Built through the real migrations and the real tree code (CompactTree),
// bulk-loaded in one transaction (appending a million through HTTP would take too long to bench).
{
  const dataDir = join(dir, 'big');
  const opened = await server.openRegistry({ dataDir, databaseUrl: undefined, seed: false, seedDir: undefined });
  await opened.handle.close();
  const db = new SQLite(join(dataDir, 'charter.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insEvent = db.prepare('insert into audit_events (idx, action, actor, subject, at, request_id, details, details_digest) values (?, ?, ?, ?, ?, ?, ?, ?)');
  const insNode = db.prepare('insert into audit_nodes (level, idx, hash) values (?, ?, ?)');
  const tree = new core.CompactTree();
  const at = new Date().toISOString();
  const digest = core.jsonDigest(null);
  t0 = performance.now();
  db.transaction(() => {
    for (let i = 0; i < EVENTS; i++) {
      const event = { index: i, action: 'audit-action:platform.token.create', actor: 'bench', subject: [`tok_${i}`], at, request_id: null, details_digest: digest };
      insEvent.run(i, event.action, event.actor, JSON.stringify(event.subject), at, null, 'null', digest);
      for (const n of tree.append(core.eventLeafHash(event))) insNode.run(n.level, n.index, Buffer.from(n.hash).toString('hex'));
    }
    db.prepare('update audit_state set size = ?, frontier = ?, root = ? where id = 1').run(EVENTS, JSON.stringify(tree.frontier().map((h) => Buffer.from(h).toString('hex'))), Buffer.from(tree.root()).toString('hex'));
  })();
  db.close();
  out.build_s = (performance.now() - t0) / 1000;
  console.log(`built a log of ${fmt(EVENTS)} events in ${out.build_s.toFixed(1)} s (hashing + bulk insert)`);

  const again = await server.openRegistry({ dataDir, databaseUrl: undefined, seed: false, seedDir: undefined });
  const log = again.registry.audit;
  const cp = await log.checkpoint();
  const root = Buffer.from(cp.root, 'base64');
  const size = cp.size;
  const N = 1000;
  const pick = () => Math.floor(Math.random() * size);
  const leafOf = async (i) => Buffer.from((await log.event(i)).leaf_hash, 'base64');

  let gen = 0;
  let ver = 0;
  let ok = 0;
  for (let k = 0; k < N; k++) {
    const i = pick();
    const leaf = await leafOf(i);
    let t = performance.now();
    const p = await log.inclusion(i, size);
    gen += performance.now() - t;
    const hashesB = p.hashes.map((h) => Buffer.from(h, 'base64'));
    t = performance.now();
    if (core.verifyInclusion(leaf, i, size, hashesB, root)) ok++;
    ver += performance.now() - t;
  }
  out.inclusion = { proofs: N, generate_us: (gen / N) * 1000, verify_us: (ver / N) * 1000, verified: ok, proof_hashes: Math.ceil(Math.log2(size)) };
  console.log(`inclusion proof on ${fmt(size)} events: generate ${out.inclusion.generate_us.toFixed(0)} µs (database reads included), verify ${out.inclusion.verify_us.toFixed(1)} µs; ${ok}/${N} verified`);

  const { CompactTree } = core;
  let cgen = 0;
  let cver = 0;
  let cok = 0;
  const M = 200;
  // Roots of earlier sizes come from rebuilding a prefix once: a consistency proof from `from` to `size`.
  const froms = Array.from({ length: M }, () => 1 + Math.floor(Math.random() * (size - 1))).sort((a, b) => a - b);
  const rootsAt = new Map();
  {
    const t = new CompactTree();
    let f = 0;
    for await (const e of (async function* () {
      for (let after = -1; after < froms[froms.length - 1] - 1; ) {
        const page = await log.events({ after, limit: 20000 });
        for (const ev of page) yield ev;
        after = page[page.length - 1].index;
      }
    })()) {
      t.append(Buffer.from(e.leaf_hash, 'base64'));
      while (f < froms.length && froms[f] === t.size) rootsAt.set(froms[f++], t.root());
    }
  }
  for (const from of froms) {
    let t = performance.now();
    const p = await log.consistency(from, size);
    cgen += performance.now() - t;
    const hs = p.hashes.map((h) => Buffer.from(h, 'base64'));
    t = performance.now();
    if (core.verifyConsistency(from, size, hs, rootsAt.get(from), root)) cok++;
    cver += performance.now() - t;
  }
  out.consistency = { proofs: M, generate_us: (cgen / M) * 1000, verify_us: (cver / M) * 1000, verified: cok };
  console.log(`consistency proof to ${fmt(size)} events: generate ${out.consistency.generate_us.toFixed(0)} µs, verify ${out.consistency.verify_us.toFixed(1)} µs; ${cok}/${M} verified`);
  out.verify_vs_sha256 = (out.inclusion.verify_us / 1e6) * out.sha256_per_s;
  console.log(`an inclusion verification costs about ${out.verify_vs_sha256.toFixed(0)} SHA-256 of an event (log2 n = ${out.inclusion.proof_hashes} node hashes + 1 leaf)`);
  await again.handle.close();
}

mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/audit.json'), JSON.stringify(out, null, 2));
