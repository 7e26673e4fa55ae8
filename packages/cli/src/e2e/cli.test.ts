import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CHARTER_BIN, cleanEnv, http, runCharter, spawnServe, tempDir, type CliRun, type ServeProcess } from './harness.js';

const WRITE = 'scope:gpuaas.instances.write';

/** No stack trace and no raw exception dump in what a user sees. */
function assertNoStack(run: CliRun): void {
  const all = run.stdout + run.stderr;
  assert.doesNotMatch(all, /^\s+at .+\(?.*:\d+:\d+\)?$/m, `a stack trace leaked:\n${all}`);
  assert.doesNotMatch(all, /node:internal|TypeError|ReferenceError|\bError: /, `an internal error leaked:\n${all}`);
}

function show(run: CliRun): string {
  return `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

describe('the charter binary against `charter serve` (SQLite)', () => {
  const dirs: string[] = [];
  let dataDir: string;
  /** An empty working directory for every child: nothing from the repo's cwd leaks in. */
  let cwd: string;
  let serve: ServeProcess;
  let url: string;
  const charter = (args: string[]) => runCharter(args, { cwd });

  before(async () => {
    dataDir = tempDir();
    cwd = tempDir('charter-e2e-cwd-');
    dirs.push(dataDir, cwd);
    serve = await spawnServe(['--data-dir', dataDir, '--port', '0', '--log-level', 'silent'], { cwd });
    url = serve.url;
  });
  after(async () => {
    await serve?.stop('SIGKILL', 2000);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('serve prints the URL it listens on, and that URL answers', async () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(url, 'http://127.0.0.1:0');
    const health = await http(url, 'GET', '/healthz');
    assert.equal(health.status, 200);
  });

  it('first start writes the admin token to a 0600 file, names the file, and never prints the token', () => {
    const file = join(dataDir, 'admin-token');
    const token = readFileSync(file, 'utf8').trim();
    assert.ok(token.length >= 16, 'a real token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(serve.stderr().includes(file), `the path is printed:\n${serve.stderr()}`);
    assert.ok(!serve.stderr().includes(token), 'the token itself is never printed');
  });

  it('check of an active scope exits 0 and says active', async () => {
    const run = await charter(['--url', url, 'check', WRITE]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /scope:gpuaas\.instances\.write/);
    assert.match(run.stdout, /\bactive\b/);
  });

  it('check with one unknown ref exits 1 and names the reason unknown', async () => {
    const run = await charter(['--url', url, 'check', WRITE, 'scope:gpuaas.nope']);
    assert.equal(run.code, 1, show(run));
    const line = run.stdout.split('\n').find((l) => l.includes('scope:gpuaas.nope'));
    assert.ok(line, show(run));
    assert.match(line, /\bunknown\b/);
    assertNoStack(run);
  });

  it('check --json prints valid JSON equal to the HTTP answer', async () => {
    const refs = [WRITE, 'scope:gpuaas.nope', 'signer:platform.release_ci'];
    const run = await charter(['--url', url, 'check', '--json', ...refs]);
    assert.equal(run.code, 1, show(run));
    const printed = JSON.parse(run.stdout) as unknown;
    const remote = await http(url, 'POST', '/v1/check', { refs });
    assert.equal(remote.status, 200);
    assert.deepEqual(printed, remote.json);
  });

  it('list --family scope --json lists every scope and nothing else', async () => {
    const run = await charter(['--url', url, 'list', '--family', 'scope', '--json']);
    assert.equal(run.code, 0, show(run));
    const { items } = JSON.parse(run.stdout) as { items: { family: string; id: string }[] };
    assert.ok(items.length > 1);
    assert.ok(items.every((e) => e.family === 'scope'), 'only scopes');
    const snapshot = await http(url, 'GET', '/v1/snapshot');
    const scopes = (snapshot.json.entries as { family: string; id: string }[]).filter((e) => e.family === 'scope').map((e) => e.id).sort();
    assert.deepEqual(items.map((e) => e.id).sort(), scopes);
    assert.ok(items.some((e) => e.id === 'gpuaas.instances.write'));
  });

  it('get shows the entry with its revision', async () => {
    const run = await charter(['--url', url, 'get', WRITE]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /scope:gpuaas\.instances\.write/);
    assert.match(run.stdout, /revision 1\b/);
    assert.match(run.stdout, /lifecycle:\s+active/);
  });

  it('history shows each revision with its author seed', async () => {
    const run = await charter(['--url', url, 'history', WRITE]);
    assert.equal(run.code, 0, show(run));
    const rows = run.stdout.trim().split('\n');
    assert.match(rows[0] ?? '', /REV.*AUTHOR/);
    assert.equal(rows.length, 2, show(run));
    assert.match(rows[1] ?? '', /^1\s/);
    assert.match(rows[1] ?? '', /\bseed\b/);
    assert.match(rows[1] ?? '', /\bcreate\b/);
  });

  it('an unreachable server exits 2 with a readable error and no stack trace', async () => {
    const run = await charter(['--url', 'http://127.0.0.1:1', 'check', 'scope:x']);
    assert.equal(run.code, 2, show(run));
    assert.match(run.stderr, /^error: .*cannot reach Charter at http:\/\/127\.0\.0\.1:1/m);
    assert.equal(run.stdout, '');
    assertNoStack(run);
  });

  it('a reader that closes the pipe early (| head) stops the CLI quietly: no EPIPE, no stack trace', async () => {
    for (const args of [['list'], ['list', '--json'], ['get', WRITE]]) {
      // The read end is closed before the answer arrives, so every write hits a closed pipe.
      const child = spawn(process.execPath, [CHARTER_BIN, '--url', url, ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
      const run = { code, signal: null, stdout: '', stderr };
      assert.equal(stderr, '', `charter ${args.join(' ')}: ${show(run)}`);
      assert.equal(code, 0, show(run));
    }
    // And through a real shell pipeline.
    const piped = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const sh = spawn('/bin/sh', ['-c', `"${process.execPath}" "${CHARTER_BIN}" --url ${url} list | head -n 2`], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      sh.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      sh.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      sh.on('close', (c) => resolve({ code: c, out, err }));
    });
    assert.equal(piped.err, '', piped.err);
    assert.equal(piped.out.trim().split('\n').length, 2);
    assert.match(piped.out, /^REF\s+LIFECYCLE/);
  });

  it('migrate applies migrations to a new data dir, and a second run says up to date', async () => {
    const fresh = tempDir();
    dirs.push(fresh);
    const first = await charter(['migrate', '--data-dir', fresh]);
    assert.equal(first.code, 0, show(first));
    assert.match(first.stdout, /^applied .+; now at \S+/m);
    const second = await charter(['migrate', '--data-dir', fresh]);
    assert.equal(second.code, 0, show(second));
    assert.match(second.stdout, /up to date/);
    const current = /now at (\S+)/.exec(first.stdout)?.[1];
    assert.ok(current);
    assert.ok(second.stdout.includes(current), show(second));
  });

  it('SIGTERM stops serve cleanly: exit code 0 within 5 s', async () => {
    const stopped = await serve.stop('SIGTERM', 5000);
    assert.equal(stopped.killed, false, `serve did not exit within 5 s of SIGTERM\n${serve.stderr()}`);
    assert.equal(stopped.signal, null);
    assert.equal(stopped.code, 0, serve.stderr());
    assert.match(serve.stderr(), /shutting down/);
    assert.ok(!serve.stderr().includes(readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()), 'the token is never printed');
    await assert.rejects(fetch(url + '/healthz'), 'nothing listens any more');
  });

  it('seed plan on the stopped server\'s data dir says no changes and exits 0', async () => {
    const run = await charter(['seed', 'plan', '--data-dir', dataDir]);
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /no changes/);
  });
});
