/**
 * End-to-end test harness: fresh databases on every engine, a real listening server, plain
 * HTTP calls, and the real `charter` binary as a child process. No mocks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningServer } from '@charter/server';
import { assertConforms, startTestServer, testEngines, type EngineFactory, type TestDatabase } from '@charter/server/testing';

/** A fresh, empty database on one engine (the server package's test engines). */
export type E2EDatabase = TestDatabase;
export type E2EEngine = EngineFactory;

export function tempDir(prefix = 'charter-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** SQLite always; PostgreSQL too when scripts/test.mjs found one (CHARTER_TEST_PG_URL). */
export const e2eEngines = testEngines;

/** A real server on an ephemeral port over `db`, seeded, silent. The environment is ignored. */
export function startE2EServer(db: E2EDatabase, opts: { clock?: () => Date } = {}): Promise<RunningServer> {
  return startTestServer(db, opts);
}

export interface HttpAnswer {
  status: number;
  type: string;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  text: string;
}

/** One plain HTTP call, no SDK in between; the answer is checked against the server's /openapi.json. */
export async function http(baseUrl: string, method: string, path: string, body?: unknown, token?: string | null): Promise<HttpAnswer> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  await assertConforms(baseUrl, { method, url: path, status: res.status, contentType: res.headers.get('content-type') ?? '', body: text });
  return { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, json, text };
}

/** Polls `fn` until it returns a truthy value or the deadline passes (then throws with `what`). */
export async function waitUntil<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 5000, intervalMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---------------------------------------------------------------------------------------------
// The real binary

/** packages/cli/bin/charter.js, resolved from this compiled file (packages/cli/dist/e2e/). */
export const CHARTER_BIN = fileURLToPath(new URL('../../bin/charter.js', import.meta.url));

/**
 * The child's environment: the developer's CHARTER_* settings removed, CHARTER_URL and
 * CHARTER_TOKEN set empty, so nothing from the outer shell can leak into a test.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CHARTER_') && !k.startsWith('NODE_TEST')) env[k] = v;
  return { ...env, CHARTER_URL: '', CHARTER_TOKEN: '', ...extra };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `charter ARGS` to completion. Pass `cwd` (an empty directory) so that nothing in the
 * caller's working directory (e.g. ./.charter/admin-token) is picked up.
 */
export function runCharter(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHARTER_BIN, ...args], { cwd: opts.cwd, env: cleanEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`charter ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  /** Sends `signal` and waits at most `timeoutMs` for the exit (then SIGKILLs and says so). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; killed: boolean }>;
}

/** Loaded into `charter serve` children: holds what they answer to their /openapi.json (stderr lines). */
const CONTRACT_PRELOAD = import.meta.resolve('@charter/server/testing/contract-preload');

/** `charter serve ARGS`, resolved once it prints `listening on http://HOST:PORT`. */
export function spawnServe(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', CONTRACT_PRELOAD, CHARTER_BIN, 'serve', ...args], { cwd: opts.cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    }),
  );
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`charter serve did not print its URL within ${opts.timeoutMs ?? 60_000} ms\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    void exit.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`charter serve exited early (code ${code}, signal ${signal})\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
    child.stderr!.on('data', (d: string) => {
      stderr += d;
      const m = /listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        child,
        url: m[1]!,
        stderr: () => stderr,
        async stop(signal = 'SIGTERM', timeoutMs = 5000) {
          const drifts = stderr.split('\n').filter((l) => l.startsWith('charter-contract-drift:'));
          if (drifts.length) {
            child.kill('SIGKILL');
            throw new Error(`charter serve answered ${drifts.length} response(s) its OpenAPI document does not describe:\n  ${drifts.slice(0, 20).join('\n  ')}`);
          }
          const started = Date.now();
          if (exited) return { ...exited, ms: 0, killed: false };
          child.kill(signal);
          let killer: NodeJS.Timeout | undefined;
          const late = new Promise<'late'>((r) => (killer = setTimeout(() => r('late'), timeoutMs)));
          const result = await Promise.race([exit, late]);
          clearTimeout(killer);
          if (result === 'late') {
            child.kill('SIGKILL');
            const killedExit = await exit;
            return { ...killedExit, ms: Date.now() - started, killed: true };
          }
          return { ...result, ms: Date.now() - started, killed: false };
        },
      });
    });
  });
}
