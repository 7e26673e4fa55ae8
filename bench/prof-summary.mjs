// Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. `node bench/run.mjs --cpu-prof`):
// self time by function and by package, and total (inclusive) time of selected functions.
//
//   node bench/prof-summary.mjs FILE.cpuprofile [--top N] [--match REGEX] [--from S] [--to S]
//
// --match prints the inclusive time of every function whose name or URL matches REGEX.
// --from/--to keep only the samples between S seconds after the profile started (e.g. to
// leave out start-up when looking at the steady state under load).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' }, match: { type: 'string' }, from: { type: 'string', default: '0' }, to: { type: 'string', default: 'Infinity' } }, allowPositionals: true });
if (positionals.length !== 1) {
  console.error('usage: node bench/prof-summary.mjs FILE.cpuprofile [--top N] [--match REGEX]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));
const top = Number(values.top);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from the sample stream.
const self = new Map();
let total = 0;
const from = Number(values.from) * 1e6;
const to = Number(values.to) * 1e6;
let at = 0;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i] ?? 0;
  if (at < from || at > to) continue;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  total += dt;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
}

function where(cf) {
  const url = cf.url || '';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const p = /packages\/([^/]+)\//.exec(url);
  if (p) return `@charter/${p[1]}`;
  if (url.startsWith('node:')) return 'node internals';
  if (url === '') return cf.functionName.startsWith('(') ? cf.functionName : 'native/builtin';
  return url.replace(/^file:\/\//, '');
}
const label = (cf) => `${cf.functionName || '(anonymous)'}  ${cf.url ? `${cf.url.replace(/^file:\/\/.*?(node_modules|packages)\//, '$1/')}:${cf.lineNumber + 1}` : ''}`;

const fnSelf = new Map();
const pkgSelf = new Map();
for (const [id, t] of self) {
  const cf = byId.get(id).callFrame;
  fnSelf.set(label(cf), (fnSelf.get(label(cf)) ?? 0) + t);
  pkgSelf.set(where(cf), (pkgSelf.get(where(cf)) ?? 0) + t);
}
const busy = total - (pkgSelf.get('(idle)') ?? 0);
const show = (map, n, title) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`  ${(t / 1000).toFixed(0).padStart(7)} ms  ${((t / busy) * 100).toFixed(1).padStart(5)} % of busy  ${k}`);
  }
};
console.log(`profile: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s not idle`);
show(pkgSelf, top, 'self time by package');
show(fnSelf, top, 'self time by function');

if (values.match) {
  const re = new RegExp(values.match);
  // Inclusive time: each sample counts once for every distinct matching frame on its stack.
  const incl = new Map();
  for (const [id, t] of self) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur).callFrame;
      const l = label(cf);
      if (!seen.has(l) && (re.test(cf.functionName) || re.test(cf.url))) {
        seen.add(l);
        incl.set(l, (incl.get(l) ?? 0) + t);
      }
    }
  }
  show(incl, top, `inclusive time of functions matching /${values.match}/`);
}
