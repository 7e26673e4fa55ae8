// Charter benchmark suite. Run with `npm run bench` (builds first) or `node bench/run.mjs`.
//
//   --duration N     seconds per measured load run (default 10)
//   --rounds N       baseline/charter pairs for the check benchmark (default 2)
//   --warmup N       seconds of the discarded warm-up run per server (default 2)
//   --only NAME      check | sdk | startup (default: all three)
//   --baseline-bytes N  size of the baseline's answer (default: the size of Charter's check answer)
//   --floor          also measure two diagnostic Fastify servers (bench/fastify-floor-server.mjs)
//   --cpu-prof       run the server children under `node --cpu-prof` (bench/results/prof/*.cpuprofile;
//                    summarise with `node bench/prof-summary.mjs FILE`)
//
// What is measured, the baselines and the targets are described in docs/benchmarks.md.
// The load generator runs in this process; every server under test runs in its own child
// process. All children are killed when this process exits, however it exits.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = join(ROOT, 'packages/cli/bin/charter.js');
const BASELINE = join(ROOT, 'bench/baseline-server.mjs');
const FLOOR = join(ROOT, 'bench/fastify-floor-server.mjs');
const RESULTS = join(ROOT, 'bench/results');

const TARGETS = { checkRatio: 0.7, sdkChecksPerSecond: 5_000_000 };
const REF = 'scope:gpuaas.instances.write';
const BODY = JSON.stringify({ refs: [REF] });
const CONNECTIONS = 50;
const PIPELINING = 1;
/** Five refs for the SDK mix: active, active, proposed (denied), unknown, malformed. */
const SDK_SLICES = 10;
const SDK_SLICE_MS = 200;
const MIX = ['scope:gpuaas.instances.write', 'product:gpuaas', 'signer:platform.release_ci', 'scope:gpuaas.no_such_scope', 'not a ref!'];

// ---------------------------------------------------------------------------------------------
// Flags

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '2' },
    only: { type: 'string' },
    'baseline-bytes': { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (flags.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(0, 11).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}
function positive(name, integer) {
  const v = Number(flags[name]);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    console.error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, not ${flags[name]}`);
    process.exit(2);
  }
  return v;
}
const DURATION = positive('duration', true);
const ROUNDS = positive('rounds', true);
const WARMUP = positive('warmup', true);
const BASELINE_BYTES = flags['baseline-bytes'] === undefined ? undefined : positive('baseline-bytes', true);
const SECTIONS = ['check', 'sdk', 'startup'];
if (flags.only !== undefined && !SECTIONS.includes(flags.only)) {
  console.error(`--only must be one of ${SECTIONS.join(', ')}, not ${flags.only}`);
  process.exit(2);
}
const run = (section) => flags.only === undefined || flags.only === section;

// ---------------------------------------------------------------------------------------------
// Children and temporary directories: everything is cleaned up on any exit.

const children = new Set();
const tempDirs = new Set();

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
function killAll() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}
function removeTemp() {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}
function tempDir(label) {
  const d = mkdtempSync(join(os.tmpdir(), `charter-bench-${label}-`));
  tempDirs.add(d);
  return d;
}
process.on('exit', () => {
  killAll();
  removeTemp();
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping the benchmark`);
    process.exit(130);
  });
}
process.on('uncaughtException', (err) => {
  console.error(err);
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  console.error(err);
  process.exit(1);
});

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`. */
async function stop(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Spawns `node ...args` and resolves once it prints `listening on http://...` on stderr. */
function startServer(name, args, timeoutMs = 60_000) {
  const child = track(spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }));
  return new Promise((resolve, reject) => {
    let tail = '';
    let settled = false;
    const settle = (fn, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn(value);
    };
    const fail = (err) => {
      child.kill('SIGKILL');
      settle(reject, err);
    };
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${timeoutMs / 1000} s:\n${tail}`)), timeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      tail = (tail + d).slice(-8000);
      const m = /listening on (http:\/\/[^\s]+)/.exec(tail);
      if (m) settle(resolve, { name, child, url: m[1] });
    });
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`${name} exited (${code ?? signal}) before listening:\n${tail}`)));
  });
}

function profileArgs(name) {
  return flags['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(RESULTS, 'prof'), '--cpu-prof-name', `${name}.cpuprofile`] : [];
}
function charterArgs(dataDir, port, profile = false) {
  return [...(profile ? profileArgs('charter') : []), CLI, 'serve', '--data-dir', dataDir, '--port', String(port), '--log-level', 'silent'];
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const int = (n) => Math.round(n).toLocaleString('en-US');
const ms1 = (n) => `${n.toFixed(1)} ms`;
const pct = (r) => `${(r * 100).toFixed(0)} %`;
function line(cells, widths) {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
}
function printTable(head, rows) {
  const widths = head.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)));
  console.log('  ' + line(head, widths));
  console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log('  ' + line(r, widths));
}

/** CPU seconds (user + system) used so far by a process, from /proc (Linux); null elsewhere. */
function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return null;
  }
}
function ownCpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** GET url on a new connection; resolves with the status code, or 0 when nothing answers. */
function probe(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
  });
}
async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// ---------------------------------------------------------------------------------------------
// 1. The check endpoint against a bare node:http baseline

function load(server, seconds, extra = {}) {
  return autocannon({
    url: `${server.url}/v1/check`,
    method: 'POST',
    headers: server.headers,
    body: BODY,
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    ...(seconds === undefined ? {} : { duration: seconds }),
    ...extra,
  });
}

/** Every response of a short run must be 200 with `allowed: true`; returns one answer body. */
async function verify(server) {
  server.headers = { 'content-type': 'application/json' };
  let res = await fetch(`${server.url}/v1/check`, { method: 'POST', headers: server.headers, body: BODY });
  // Checks are public reads by default. Should this server demand a token, use the admin token
  // a fresh data directory gets, and say so (authentication is then part of what is measured).
  if (res.status === 401 && server.dataDir && existsSync(join(server.dataDir, 'admin-token'))) {
    server.headers.authorization = `Bearer ${readFileSync(join(server.dataDir, 'admin-token'), 'utf8').trim()}`;
    server.authenticated = true;
    console.log(`  NOTE: ${server.name} answered 401 without a token; measuring with the admin token of its data directory`);
    res = await fetch(`${server.url}/v1/check`, { method: 'POST', headers: server.headers, body: BODY });
  }
  const text = await res.text();
  let answer;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = null;
  }
  if (res.status !== 200 || answer?.allowed !== true) throw new Error(`${server.name}: POST /v1/check answered ${res.status} ${text.slice(0, 500)}; refusing to benchmark an error path`);
  const amount = 500;
  const r = await load(server, undefined, {
    connections: 10,
    amount,
    verifyBody: (body) => {
      try {
        return JSON.parse(body).allowed === true;
      } catch {
        return false;
      }
    },
  });
  const ok = r['2xx'] === amount && r.non2xx === 0 && r.errors === 0 && r.timeouts === 0 && r.mismatches === 0;
  if (!ok) throw new Error(`${server.name}: verification run of ${amount} requests: 2xx=${r['2xx']} non2xx=${r.non2xx} errors=${r.errors} timeouts=${r.timeouts} not-allowed=${r.mismatches}; refusing to benchmark`);
  return { status: res.status, bytes: Buffer.byteLength(text), contentType: res.headers.get('content-type'), verified: amount };
}

async function measure(server, seconds) {
  const cpu0 = cpuSecondsOf(server.child.pid);
  const own0 = ownCpuSeconds();
  const r = await load(server, seconds);
  const cpu1 = cpuSecondsOf(server.child.pid);
  const own1 = ownCpuSeconds();
  return {
    rps: r.requests.average,
    total: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    failed: r.non2xx + r.errors + r.timeouts,
    duration: r.duration,
    serverCpu: cpu0 === null || cpu1 === null ? null : (cpu1 - cpu0) / r.duration,
    // CPU time the server spent per answered request: less sensitive to other load on the machine.
    serverCpuUsPerRequest: cpu0 === null || cpu1 === null ? null : ((cpu1 - cpu0) * 1e6) / r.requests.total,
    loadgenCpu: (own1 - own0) / r.duration,
  };
}

async function checkBenchmark(charter) {
  console.log(`\n== 1. POST /v1/check vs bare node:http baseline ==`);
  console.log(`  autocannon: ${CONNECTIONS} connections, pipelining ${PIPELINING}, ${DURATION} s per run, ${WARMUP} s warm-up per server (discarded), ${ROUNDS} round(s)`);
  console.log(`  body: ${BODY}`);
  const charterAnswer = await verify(charter);
  const bytes = BASELINE_BYTES ?? charterAnswer.bytes;
  const started = [];
  try {
    const baseline = await startServer('baseline', [...profileArgs('baseline'), BASELINE, '--port', '0', '--bytes', String(bytes)]);
    started.push(baseline);
    const baselineAnswer = await verify(baseline);
    const servers = [baseline];
    if (flags.floor) {
      // Diagnostic: Fastify with the same route, schemas and check, then with Charter's per-request extras.
      const snapshotFile = join(tempDir('floor'), 'snapshot.json');
      writeFileSync(snapshotFile, await (await fetch(`${charter.url}/v1/snapshot`, { headers: charter.headers })).text());
      for (const [name, extras] of [
        ['floor', ''],
        ['floor+', 'reqid,prehandler,metrics'],
      ]) {
        const srv = await startServer(name, [...profileArgs(name), FLOOR, '--snapshot', snapshotFile, '--extras', extras]);
        started.push(srv);
        await verify(srv);
        servers.push(srv);
      }
    }
    servers.push(charter);
    console.log(`  verified: ${charterAnswer.verified} requests each, all 200 with allowed: true`);
    console.log(`  answer size: charter ${charterAnswer.bytes} B, baseline ${baselineAnswer.bytes} B`);

    for (const s of servers) await load(s, WARMUP);

    const runs = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of servers) {
        const m = await measure(s, DURATION);
        runs.push({ server: s.name, round, ...m });
        const cpu = m.serverCpu === null ? '?' : `${pct(m.serverCpu)}, ${m.serverCpuUsPerRequest.toFixed(1)} us/request`;
        console.log(`  round ${round} ${s.name.padEnd(8)} ${int(m.rps).padStart(7)} req/s  p99 ${String(m.p99).padStart(3)} ms  failed ${m.failed}  (server CPU ${cpu}; load generator CPU ${pct(m.loadgenCpu)})`);
      }
    }
    const of = (name) => runs.filter((r) => r.server === name);
    const summary = (name) => ({
      rps: median(of(name).map((r) => r.rps)),
      p50: median(of(name).map((r) => r.p50)),
      p99: median(of(name).map((r) => r.p99)),
      failed: of(name).reduce((n, r) => n + r.failed, 0),
      requests: of(name).reduce((n, r) => n + r.total, 0),
      serverCpu: of(name)[0].serverCpu === null ? null : median(of(name).map((r) => r.serverCpu)),
      serverCpuUsPerRequest: of(name)[0].serverCpu === null ? null : median(of(name).map((r) => r.serverCpuUsPerRequest)),
    });
    const sums = Object.fromEntries(servers.map((x) => [x.name, summary(x.name)]));
    const b = sums.baseline;
    const c = sums.charter;
    const ratio = c.rps / b.rps;
    const labels = { baseline: 'baseline (node:http)', floor: 'fastify floor (diagnostic)', 'floor+': 'floor + reqid/preHandler/metrics', charter: 'charter serve' };
    console.log('');
    printTable(
      ['server', 'req/s (median)', 'p50', 'p99 (median)', 'requests', 'non-2xx/errors', 'server CPU', 'CPU us/request', 'vs baseline'],
      servers.map(({ name }) => {
        const x = sums[name];
        return [
          labels[name] ?? name,
          int(x.rps),
          `${x.p50} ms`,
          `${x.p99} ms`,
          int(x.requests),
          x.failed,
          x.serverCpu === null ? '?' : pct(x.serverCpu),
          x.serverCpuUsPerRequest === null ? '?' : x.serverCpuUsPerRequest.toFixed(1),
          (x.rps / b.rps).toFixed(2),
        ];
      }),
    );
    const pass = ratio >= TARGETS.checkRatio;
    console.log(`\n  charter/baseline throughput: ${ratio.toFixed(2)} (target >= ${TARGETS.checkRatio.toFixed(2)}) ${pass ? 'MET' : `MISSED by ${((TARGETS.checkRatio - ratio) * 100).toFixed(0)} points`}`);
    const cpuRatio = b.serverCpuUsPerRequest && c.serverCpuUsPerRequest ? b.serverCpuUsPerRequest / c.serverCpuUsPerRequest : null;
    if (cpuRatio !== null) console.log(`  baseline/charter server CPU per request: ${cpuRatio.toFixed(2)} (the same ratio measured in CPU time instead of wall time)`);
    const failed = Object.values(sums).reduce((n, x) => n + x.failed, 0);
    if (failed > 0) console.log(`  WARNING: ${failed} non-2xx responses or errors during the measured runs`);
    return {
      settings: { connections: CONNECTIONS, pipelining: PIPELINING, duration_s: DURATION, warmup_s: WARMUP, rounds: ROUNDS, body: BODY },
      answer_bytes: { charter: charterAnswer.bytes, baseline: baselineAnswer.bytes },
      charter_authenticated: charter.authenticated === true,
      runs,
      baseline: b,
      charter: c,
      ...(flags.floor ? { floor: sums.floor, floor_extras: sums['floor+'] } : {}),
      ratio,
      cpu_ratio: cpuRatio,
      target: TARGETS.checkRatio,
      met: pass,
    };
  } finally {
    for (const srv of started) await stop(srv.child);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. SDK local checks per second against Map.get

/** Runs fn(batch) until `ms` have passed; returns operations per second. */
function timeLoop(fn, ms, batch = 10_000) {
  let ops = 0;
  let sink = 0;
  const cpu0 = ownCpuSeconds();
  const start = performance.now();
  const end = start + ms;
  let now;
  do {
    sink += fn(batch);
    ops += batch;
    now = performance.now();
  } while (now < end);
  const cpu = ownCpuSeconds() - cpu0;
  return { perSecond: ops / ((now - start) / 1000), perCpuSecond: ops / cpu, ops, sink };
}

async function sdkBenchmark(charter) {
  console.log(`\n== 2. SDK LocalCatalog.check() in process vs Map.get ==`);
  const { LocalCatalog } = await import(pathToFileURL(join(ROOT, 'packages/sdk/dist/index.js')).href);
  const token = charter.headers?.authorization?.replace(/^Bearer /, '');
  const lc = new LocalCatalog({ url: charter.url, ...(token ? { token } : {}) });
  try {
    await lc.refresh();
    const single = lc.check(REF);
    if (!single.allowed) throw new Error(`LocalCatalog.check(${REF}) is not allowed (${single.reason}); refusing to benchmark`);
    const reasons = MIX.map((r) => lc.check(r));
    console.log(`  snapshot at sequence ${lc.sequence}; the mix answers:`);
    for (const r of reasons) console.log(`    ${JSON.stringify(r.ref).padEnd(32)} allowed=${String(r.allowed).padEnd(5)} reason=${r.reason}`);
    if (reasons[0].allowed !== true || reasons[3].reason !== 'unknown' || reasons[4].reason !== 'malformed') {
      throw new Error('the mix does not answer as expected (active, ..., unknown, malformed); refusing to benchmark');
    }

    // The Map holds what a plain cache would: ref -> result, for the refs that exist.
    const map = new Map(reasons.filter((r) => r.reason !== 'unknown' && r.reason !== 'malformed').map((r) => [r.ref, r]));
    const n = MIX.length;
    const loops = {
      sdkOne: (b) => {
        let ok = 0;
        for (let i = 0; i < b; i++) if (lc.check(REF).allowed) ok++;
        return ok;
      },
      mapOne: (b) => {
        let ok = 0;
        for (let i = 0; i < b; i++) if (map.get(REF)?.allowed) ok++;
        return ok;
      },
      sdkMix: (b) => {
        let ok = 0;
        for (let i = 0; i < b; i++) if (lc.check(MIX[i % n]).allowed) ok++;
        return ok;
      },
      mapMix: (b) => {
        let ok = 0;
        for (let i = 0; i < b; i++) if (map.get(MIX[i % n])?.allowed) ok++;
        return ok;
      },
    };
    // ~2 s per loop, as 10 slices of 200 ms taken in turn, so that a burst of other load on the
    // machine hits every loop alike; each loop reports the median of its slices.
    for (const fn of Object.values(loops)) timeLoop(fn, 300); // warm-up, discarded
    const slices = Object.fromEntries(Object.keys(loops).map((k) => [k, []]));
    for (let i = 0; i < SDK_SLICES; i++) for (const [name, fn] of Object.entries(loops)) slices[name].push(timeLoop(fn, SDK_SLICE_MS));
    const results = Object.fromEntries(
      Object.entries(slices).map(([name, xs]) => [
        name,
        { perSecond: median(xs.map((x) => x.perSecond)), perCpuSecond: median(xs.map((x) => x.perCpuSecond)), min: Math.min(...xs.map((x) => x.perSecond)), max: Math.max(...xs.map((x) => x.perSecond)) },
      ]),
    );
    const pair = (s, m) => ({ sdk: s.perSecond, sdk_min: s.min, sdk_max: s.max, map: m.perSecond, ratio: s.perSecond / m.perSecond, sdk_per_cpu_second: s.perCpuSecond, map_per_cpu_second: m.perCpuSecond });
    const one = pair(results.sdkOne, results.mapOne);
    const mix = pair(results.sdkMix, results.mapMix);
    console.log('');
    printTable(
      ['workload', 'SDK checks/s (median)', 'slices min..max', 'ns/check', 'per CPU-second', 'Map.get/s', 'SDK/Map'],
      [
        [`one ref (${REF})`, int(one.sdk), `${int(one.sdk_min)}..${int(one.sdk_max)}`, (1e9 / one.sdk).toFixed(0), int(one.sdk_per_cpu_second), int(one.map), one.ratio.toFixed(3)],
        ['mix of 5 refs', int(mix.sdk), `${int(mix.sdk_min)}..${int(mix.sdk_max)}`, (1e9 / mix.sdk).toFixed(0), int(mix.sdk_per_cpu_second), int(mix.map), mix.ratio.toFixed(3)],
      ],
    );
    const met = one.sdk >= TARGETS.sdkChecksPerSecond && mix.sdk >= TARGETS.sdkChecksPerSecond;
    console.log(`\n  target >= ${int(TARGETS.sdkChecksPerSecond)} checks/s: ${met ? 'MET' : 'MISSED'} (one ref ${(one.sdk / TARGETS.sdkChecksPerSecond).toFixed(1)}x, mix ${(mix.sdk / TARGETS.sdkChecksPerSecond).toFixed(1)}x the target)`);
    return { refs: { one: REF, mix: MIX }, mix_answers: reasons.map((r) => ({ ref: r.ref, allowed: r.allowed, reason: r.reason })), one, mix, target: TARGETS.sdkChecksPerSecond, met };
  } finally {
    await lc.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Start-up time: spawn -> first 200

/** Spawns `node ...args`, polls `url` every 10 ms until it answers 200; returns ms since spawn. */
async function timeToReady(name, args, url) {
  const t0 = performance.now();
  const child = track(spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] }));
  let tail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (tail = (tail + d).slice(-8000)));
  let exited = null;
  child.once('exit', (code, signal) => (exited = code ?? signal));
  try {
    for (;;) {
      if ((await probe(url)) === 200) return performance.now() - t0;
      if (exited !== null) throw new Error(`${name} exited (${exited}) before answering:\n${tail}`);
      if (performance.now() - t0 > 60_000) throw new Error(`${name} did not answer within 60 s:\n${tail}`);
      await sleep(10);
    }
  } finally {
    await stop(child);
  }
}

async function startupBenchmark() {
  const N = 5;
  console.log(`\n== 3. Start-up time: spawn -> first 200 (polled every 10 ms), median of ${N} ==`);
  const initialised = tempDir('init');
  {
    const port = await freePort();
    await timeToReady('charter (initialising)', charterArgs(initialised, port), `http://127.0.0.1:${port}/readyz`);
  }
  const times = { baseline: [], fresh: [], initialised: [] };
  for (let i = 0; i < N; i++) {
    // Interleaved so that a burst of noise on the machine hits all three alike.
    let port = await freePort();
    const bare = `require('http').createServer((q,s)=>s.end('ok')).listen(${port},'127.0.0.1')`;
    times.baseline.push(await timeToReady('bare node:http', ['-e', bare], `http://127.0.0.1:${port}/`));
    port = await freePort();
    times.fresh.push(await timeToReady('charter serve (fresh)', charterArgs(tempDir('fresh'), port), `http://127.0.0.1:${port}/readyz`));
    port = await freePort();
    times.initialised.push(await timeToReady('charter serve (initialised)', charterArgs(initialised, port), `http://127.0.0.1:${port}/readyz`));
  }
  const row = (label, xs) => [label, ms1(median(xs)), ms1(Math.min(...xs)), ms1(Math.max(...xs))];
  printTable(
    ['process', 'median', 'min', 'max'],
    [
      row('bare node:http (node -e)', times.baseline),
      row('charter serve, fresh data dir', times.fresh),
      row('charter serve, initialised dir', times.initialised),
    ],
  );
  return {
    samples: times,
    median_ms: { baseline: median(times.baseline), fresh: median(times.fresh), initialised: median(times.initialised) },
  };
}

// ---------------------------------------------------------------------------------------------

/** Share of all cores busy (any process) over `ms`, from /proc/stat; null where unavailable. */
async function machineBusy(ms) {
  const read = () => {
    try {
      const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
    } catch {
      return null;
    }
  };
  const a = read();
  await sleep(ms);
  const b = read();
  return a && b && b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : null;
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadavg_at_start: os.loadavg().map((l) => +l.toFixed(2)),
  };
}

async function main() {
  const began = performance.now();
  const m = machine();
  console.log('Charter benchmarks');
  console.log(`machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, node ${m.node}, ${m.platform}`);
  m.background_busy = await machineBusy(1000);
  const busyNote = m.background_busy === null ? '' : `; CPU busy before start (other processes): ${pct(m.background_busy)} of ${m.cores} cores`;
  const noisy = m.background_busy === null ? m.loadavg_at_start[0] > m.cores * 0.5 : m.background_busy > 0.15;
  console.log(`load average at start: ${m.loadavg_at_start.join(' ')}${busyNote}${noisy ? '\n  WARNING: the machine is busy with other work: expect noisy figures' : ''}`);
  mkdirSync(RESULTS, { recursive: true });

  const report = { date: new Date().toISOString(), machine: m, flags: { duration: DURATION, rounds: ROUNDS, warmup: WARMUP, only: flags.only ?? null, baseline_bytes: BASELINE_BYTES ?? null, cpu_prof: flags['cpu-prof'], floor: flags.floor } };

  if (run('check') || run('sdk')) {
    const dataDir = tempDir('serve');
    const charter = { ...(await startServer('charter', charterArgs(dataDir, 0, flags['cpu-prof']))), dataDir };
    try {
      if (run('check')) report.check = await checkBenchmark(charter);
      if (run('sdk')) report.sdk = await sdkBenchmark(charter);
    } finally {
      await stop(charter.child, 30_000); // a profile is written on a clean exit
    }
    if (flags['cpu-prof']) console.log(`\n  CPU profile of the charter child written to ${join(RESULTS, 'prof')}`);
  }
  if (run('startup')) report.startup = await startupBenchmark();

  report.machine.loadavg_at_end = os.loadavg().map((l) => +l.toFixed(2));
  report.machine.background_busy_after = await machineBusy(1000);
  report.elapsed_s = +((performance.now() - began) / 1000).toFixed(1);
  const out = join(RESULTS, 'latest.json');
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  const after = report.machine.background_busy_after;
  console.log(`\nload average at end: ${report.machine.loadavg_at_end.join(' ')}${after === null ? '' : `; CPU busy after the run (other processes): ${pct(after)}`}; finished in ${report.elapsed_s} s; results in ${out}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`\nbenchmark failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  },
);
