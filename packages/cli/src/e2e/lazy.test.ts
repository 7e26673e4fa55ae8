import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { CHARTER_BIN, cleanEnv } from './harness.js';

// What a command loads decides how fast it starts. A resolve hook records every module the
// real binary loads; the heavy ones (the server stack, all of core, YAML, the validators)
// must stay out of the commands that do not use them.
const HEAVY = [
  /\/packages\/server\//,
  /\/packages\/core\/dist\/index\.js$/,
  /\/packages\/sdk\/dist\/(index|local-catalog)\.js$/,
  /\/node_modules\/(yaml|ajv|ajv-formats|fastify|kysely|better-sqlite3|pg|typebox)\//,
];

const dir = mkdtempSync(join(tmpdir(), 'charter-lazy-'));
const hooks = join(dir, 'hooks.mjs');
// The trace goes to a file named by CHARTER_TRACE_FILE, appended synchronously line by line: on
// Node 22+ the hooks run on their own thread, and writes to a stderr pipe from two threads can
// fail with EAGAIN (a non-blocking pipe that is full) or be lost when a short command exits.
writeFileSync(hooks, `import { appendFileSync } from 'node:fs';
export async function resolve(s, c, next) {
  const r = await next(s, c);
  if (!r.url.startsWith('node:')) appendFileSync(process.env.CHARTER_TRACE_FILE, 'LOADED ' + r.url + '\\n');
  return r;
}\n`);
const register = join(dir, 'register.mjs');
// At exit, the built-in modules the process loaded: fetch's undici is one (it costs ~0.1 s).
writeFileSync(
  register,
  `import { register } from 'node:module';\nimport { appendFileSync } from 'node:fs';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n` +
    `process.on('exit', () => appendFileSync(process.env.CHARTER_TRACE_FILE, process.moduleLoadList.map((m) => 'BUILTIN ' + m.replace(/^\\S+ /, '') + '\\n').join('')));\n`,
);

let traces = 0;
function traced(argv: string[]): Promise<{ urls: string[]; builtins: string[] }> {
  const file = join(dir, `trace-${++traces}.txt`);
  writeFileSync(file, '');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', register, ...argv], { cwd: dir, env: { ...cleanEnv(), CHARTER_TRACE_FILE: file }, stdio: ['ignore', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('close', () => {
      const trace = readFileSync(file, 'utf8');
      resolve({ urls: [...trace.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]!), builtins: [...trace.matchAll(/^BUILTIN (\S+)$/gm)].map((m) => m[1]!) });
    });
  });
}

const loadedBy = async (args: string[]) => (await traced([CHARTER_BIN, ...args])).urls;
const UNDICI = /undici/;

const heavyIn = (urls: string[]) => urls.filter((u) => HEAVY.some((h) => h.test(u)));

describe('the CLI loads only what a command uses', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const args of [['--help'], ['check', 'scope:gpuaas.instances.write'], ['get', 'scope:gpuaas.instances.write'], ['list'], ['token', 'list']]) {
    it(`charter ${args.join(' ')} loads no server code, no core index, no YAML or validators`, async () => {
      // An unreachable server: the command still loads everything it would use to ask.
      const { urls, builtins } = await traced([CHARTER_BIN, '--url', 'http://127.0.0.1:1', ...args]);
      assert.ok(urls.some((u) => u.endsWith('/packages/cli/dist/main.js')), 'the tracer sees the CLI');
      assert.deepEqual(heavyIn(urls), []);
      // It asks over node:http: fetch would load undici and compile its parser first.
      assert.ok(builtins.includes('http'), 'the tracer sees built-ins');
      assert.deepEqual(builtins.filter((m) => UNDICI.test(m)), []);
    });
  }

  it('the tracer does see undici where fetch is used', async () => {
    const { builtins } = await traced(['-e', "fetch('http://127.0.0.1:1').catch(() => {})"]);
    assert.ok(builtins.some((m) => UNDICI.test(m)), builtins.join(' '));
  });

  it('the tracer does see heavy modules where a command needs them (validate loads core and YAML)', async () => {
    writeFileSync(join(dir, 'entry.yaml'), 'family: scope\nid: x.y\n');
    const heavy = heavyIn(await loadedBy(['validate', '-f', join(dir, 'entry.yaml')]));
    assert.ok(heavy.some((u) => u.endsWith('/packages/core/dist/index.js')), heavy.join('\n'));
    assert.ok(heavy.some((u) => u.includes('/node_modules/yaml/')), heavy.join('\n'));
  });
});
