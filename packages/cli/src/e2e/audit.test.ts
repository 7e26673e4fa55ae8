import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { vkeyFromPublicKey } from '@charter/core';
import { http, runCharter, spawnServe, tempDir, type ServeProcess } from './harness.js';

/** `charter audit verify` with the real binary and SQLite (crash safety on every engine: crash.test.ts). */
describe('audit log end to end', () => {
  const dataDir = tempDir();
  const cwd = tempDir('charter-e2e-cwd-');
  let serve: ServeProcess | null = null;
  after(async () => {
    await serve?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(cwd, { recursive: true, force: true });
  });

  const charter = (args: string[], url: string, token: string) => runCharter(['--url', url, '--token', token, ...args], { cwd, timeoutMs: 60_000 });

  it('names the first tampered index, pins the log key, and proves consistency with a saved checkpoint', async () => {
    serve = await spawnServe(['--data-dir', dataDir, '--port', '0', '--log-level', 'silent'], { cwd });
    const admin = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
    for (let i = 0; i < 10; i++) assert.equal((await http(serve.url, 'POST', '/v1/tokens', { principal: `early-${i}`, scopes: ['scope:platform.registry.propose'] }, admin)).status, 201);
    const vkey = ((await http(serve.url, 'GET', '/v1/audit/key')).json as { vkey: string }).vkey;
    const keyFile = join(cwd, 'log.vkey');
    writeFileSync(keyFile, vkey + '\n');
    const saved = join(cwd, 'checkpoint.txt');
    const first = await charter(['audit', 'verify', '--log-key', keyFile, '--save', saved, '--json'], serve.url, admin);
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as { ok: boolean; size: number; key: string };
    assert.deepEqual([report.ok, report.key], [true, 'pinned']);

    await http(serve.url, 'POST', '/v1/tokens', { principal: 'later', scopes: ['scope:platform.registry.propose'] }, admin);
    const since = await charter(['audit', 'verify', '--log-key', keyFile, '--since', saved], serve.url, admin);
    assert.equal(since.code, 0, since.stderr);
    assert.match(since.stdout, new RegExp(`extends the saved checkpoint at ${report.size}`));

    // Someone with database access rewrites history: audit verify names the event.
    await serve.stop('SIGTERM');
    const db = new SQLite(join(dataDir, 'charter.db'));
    db.prepare('update audit_events set actor = ? where idx = ?').run('mallory', 7);
    db.close();
    serve = await spawnServe(['--data-dir', dataDir, '--port', '0', '--log-level', 'silent'], { cwd });
    const tampered = await charter(['audit', 'verify', '--log-key', keyFile], serve.url, admin);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /FAILED at index 7/);

    const otherKey = join(cwd, 'other.vkey');
    writeFileSync(otherKey, vkeyFromPublicKey(vkey.split('+')[0]!, generateKeyPairSync('ed25519').publicKey));
    const wrongKey = await charter(['audit', 'verify', '--log-key', otherKey], serve.url, admin);
    assert.equal(wrongKey.code, 1, 'a checkpoint that the pinned key did not sign is refused');
  });
});
