// Contributor-schema benchmark (issue 9 item 1). Run with `npm run bench` or `node bench/schema.mjs`.
//
// Compiles, each in a fresh cache slot, the largest contributor schemas the limits accept
// (core SCHEMA_LIMITS) and reports each as a ratio to the seed's own app_sdk.v1 manifest
// schema, compiled in the same run (the baseline). CPU time (process.cpuUsage) is reported next
// to wall time: on a loaded machine wall time includes waiting for a core. Also times how long
// an over-limit schema of ~0.9 MB takes to be refused. Bounded: a few seconds. No network.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const core = await import(join(ROOT, 'packages/core/dist/index.js'));
const { parseAllDocuments } = await import(join(ROOT, 'node_modules/yaml/dist/index.js'));
const L = core.SCHEMA_LIMITS;

const seed = parseAllDocuments(readFileSync(join(ROOT, 'seed/gpuaas.yaml'), 'utf8')).map((d) => d.toJSON()).find((e) => e?.id === 'app_sdk.v1').spec.manifest_schema;

function worstProps() {
  // As many properties as the member limit allows, each with a format and a length bound.
  const p = {};
  const per = 4; // name + type + format + maxLength
  for (let i = 0; i < Math.floor((L.members - 4) / per); i++) p[`p${i}`] = { type: 'string', format: i % 2 ? 'email' : 'date-time', maxLength: 64 };
  return { type: 'object', properties: p };
}
function worstPatterns() {
  // Every pattern the limits allow, each as large an RE2 program as allowed in total.
  const p = {};
  const each = '^[a-z]{1,' + 20 + '}(\\.[a-z0-9_-]{1,8})*$';
  for (let i = 0; i < L.patterns; i++) p[`p${i}`] = { type: 'string', pattern: each.replace('[a-z]', `[a-${String.fromCharCode(98 + (i % 24))}]`) };
  return { type: 'object', properties: p, required: Object.keys(p) };
}
function worstRefs() {
  const defs = {};
  const n = L.refs / 2 - 1;
  for (let i = 0; i < n; i++) defs[`d${i}`] = { allOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] };
  defs[`d${n}`] = { type: 'object', properties: { a: { type: 'string' } } };
  return { $defs: defs, $ref: '#/$defs/d0' };
}
function worstDepth() {
  let s = { type: 'string' };
  for (let i = 0; i < (L.depth - 2) / 2; i++) s = { type: 'object', properties: { a: s, b: { type: 'integer' } } };
  return s;
}
function hostile() {
  const p = {};
  for (let i = 0; i < 12000; i++) p[`p${i}`] = { type: 'string', pattern: `^x${i}[a-z]+$` };
  return { type: 'object', properties: p };
}

let salt = 0;
function measure(schema) {
  // A fresh title makes a fresh cache key: every run is a real compile.
  const copy = { ...schema, title: `bench ${salt++}` };
  const c = process.cpuUsage();
  const t = performance.now();
  const problem = core.schemaProblem(copy);
  const wall = performance.now() - t;
  const d = process.cpuUsage(c);
  return { problem, wall, cpu: (d.user + d.system) / 1000 };
}
function best(schema, runs = 5) {
  let r;
  for (let i = 0; i < runs; i++) {
    const x = measure(schema);
    if (!r || x.cpu < r.cpu) r = x;
  }
  return r;
}

console.log(`contributor schema compile — ${os.cpus()[0]?.model}, ${os.cpus().length} cores, node ${process.version}`);
measure(seed); // warm the meta-schema and the JIT
const base = best(seed);
console.log(`baseline: seed app_sdk.v1 manifest schema (${JSON.stringify(seed).length} B): ${base.cpu.toFixed(1)} ms cpu, ${base.wall.toFixed(1)} ms wall`);
for (const [name, make] of [['most properties', worstProps], ['most patterns', worstPatterns], ['most $refs', worstRefs], ['deepest', worstDepth]]) {
  const s = make();
  const r = best(s);
  console.log(`${name.padEnd(16)} ${String(JSON.stringify(s).length).padStart(6)} B  ${r.problem ? `REFUSED (${r.problem.detail})` : 'accepted'}  ${r.cpu.toFixed(1)} ms cpu (${(r.cpu / base.cpu).toFixed(2)}× baseline), ${r.wall.toFixed(1)} ms wall`);
}
const h = hostile();
const r = measure(h);
console.log(`hostile ${(JSON.stringify(h).length / 1e6).toFixed(2)} MB, ${Object.keys(h.properties).length} patterns: refused in ${r.wall.toFixed(1)} ms (${r.problem.detail})`);
