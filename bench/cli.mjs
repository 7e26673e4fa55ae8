// CLI start-up benchmark. Run with `npm run bench` or `node bench/cli.mjs [--runs N]`.
//
// In one run, on one machine, each command is spawned N times (default 15, interleaved so that
// background load hits every command alike) and the median wall time is taken:
//   - `node -e 0`: the baseline, a Node.js process that does nothing;
//   - `charter --help`;
//   - `charter get REF` and `charter check REF` against a running `charter serve` on 127.0.0.1;
//   - `charter get` against a closed port: the CLI's own cost (modules, first fetch), no server;
//   - `charter list` (every entry, paged) and `charter validate -f seed/` (offline, loads core).
// `--before DIR` adds --help, get and get-unreachable of another checkout's CLI (built), run
// interleaved with these, for a before/after comparison under the same load.
// Targets (docs/benchmarks.md): --help within 0.25 s and a read command within 0.35 s, stated
// here as the measured time and as a ratio to `node -e 0` of the same run.
// Writes bench/results/cli.json.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = join(ROOT, 'packages/cli/bin/charter.js');
const RESULTS = join(ROOT, 'bench/results');
const REF = 'scope:gpuaas.instances.write';
const TARGETS = { help: 0.25, read: 0.35 };

const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '15' }, before: { type: 'string' } }, strict: true });
const RUNS = Math.max(3, Number(flags.runs));

const children = new Set();
const dataDir = mkdtempSync(join(os.tmpdir(), 'charter-bench-cli-'));
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
};
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/** A clean environment: nothing from the developer's CHARTER_* settings. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CHARTER_')));

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1', '--log-level', 'silent'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    children.add(child);
    let tail = '';
    const timer = setTimeout(() => reject(new Error(`charter serve did not start within 120 s:\n${tail}`)), 120_000);
    child.stderr.setEncoding('utf8').on('data', (d) => {
      tail += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(tail);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`charter serve exited (${code}):\n${tail}`)));
  });
}

/** One run: wall time from spawn to exit, in seconds; a failing command fails the benchmark. */
function timeOnce(args, expectCode = 0) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: dataDir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const s = (performance.now() - t0) / 1000;
      if (code !== expectCode) reject(new Error(`${args.join(' ')} exited ${code}, expected ${expectCode}:\n${stderr}`));
      else resolve(s);
    });
  });
}

const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const url = await startServer();
const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'charter --help', args: [CLI, '--help'], target: TARGETS.help },
  { name: `charter get ${REF}`, args: [CLI, '--url', url, 'get', REF], target: TARGETS.read },
  { name: `charter check ${REF}`, args: [CLI, '--url', url, 'check', REF], target: TARGETS.read },
  { name: 'charter get (closed port)', args: [CLI, '--url', 'http://127.0.0.1:1', 'get', REF], code: 2 },
  { name: 'charter list', args: [CLI, '--url', url, 'list'] },
  { name: 'charter validate -f seed/', args: [CLI, 'validate', '-f', join(ROOT, 'seed')] },
];
if (flags.before) {
  const old = join(flags.before, 'packages/cli/bin/charter.js');
  cases.push(
    { name: 'before: charter --help', args: [old, '--help'] },
    { name: `before: charter get ${REF}`, args: [old, '--url', url, 'get', REF] },
    { name: 'before: charter get (closed port)', args: [old, '--url', 'http://127.0.0.1:1', 'get', REF], code: 2 },
  );
}

const machine = { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) };
console.log(`CLI start-up benchmark — ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load ${machine.loadavg.join(' ')}; ${RUNS} runs each, median`);

for (const c of cases) await timeOnce(c.args, c.code); // warm the file system cache once
const samples = new Map(cases.map((c) => [c.name, []]));
for (let i = 0; i < RUNS; i++) {
  for (const c of cases) samples.get(c.name).push(await timeOnce(c.args, c.code));
}

const base = median(samples.get('node -e 0'));
const rows = cases.map((c) => {
  const s = samples.get(c.name);
  const m = median(s);
  return {
    command: c.name,
    median_s: Number(m.toFixed(3)),
    min_s: Number(Math.min(...s).toFixed(3)),
    ratio_to_node: Number((m / base).toFixed(2)),
    above_node_s: Number((m - base).toFixed(3)),
    target_s: c.target ?? null,
    meets_target: c.target === undefined ? null : m <= c.target,
  };
});

const pad = (s, n) => String(s).padEnd(n);
console.log(`${pad('command', 52)}${pad('median', 9)}${pad('min', 9)}${pad('× node', 9)}${pad('+ node', 9)}target`);
for (const r of rows) {
  console.log(
    `${pad(r.command, 52)}${pad(r.median_s.toFixed(3) + ' s', 9)}${pad(r.min_s.toFixed(3) + ' s', 9)}${pad(r.ratio_to_node.toFixed(2), 9)}${pad(r.above_node_s.toFixed(3) + ' s', 9)}${r.target_s === null ? '' : `${r.target_s} s: ${r.meets_target ? 'met' : 'MISSED'}`}`,
  );
}

mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, 'cli.json'), JSON.stringify({ date: new Date().toISOString(), machine, runs: RUNS, rows }, null, 2) + '\n');
process.exit(0);
