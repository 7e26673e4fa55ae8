import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { e2eEngines, http, runCharter, startE2EServer, tempDir, type E2EDatabase } from './harness.js';

/** Moving a deployment: charter export from the embedded database, charter import into every engine. */
describe('export and import', () => {
  const cwd = tempDir('charter-e2e-cwd-');
  const dbs: E2EDatabase[] = [];
  after(async () => {
    for (const d of dbs) await d.drop();
    rmSync(cwd, { recursive: true, force: true });
  });

  for (const target of e2eEngines()) {
    it(`moves registry, history, tokens and the audit log from SQLite to ${target.name} unchanged`, async () => {
      const source = await e2eEngines()[0]!.create();
      dbs.push(source);
      const server = await startE2EServer(source);
      const admin = readFileSync(join(source.dataDir, 'admin-token'), 'utf8').trim();
      const auth = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
      await fetch(`${server.url}/v1/tokens`, { method: 'POST', headers: auth, body: JSON.stringify({ principal: 'reviewer', scopes: ['scope:platform.registry.approve'] }) });
      const cs = await (await fetch(`${server.url}/v1/changesets`, { method: 'POST', headers: auth, body: JSON.stringify({ title: 'x', operations: [{ op: 'update', family: 'scope', id: 'gpuaas.instances.read', expected_revision: 1, set: { title: 'moved' } }] }) })).json() as { id: string };
      const before = {
        snapshot: (await http(server.url, 'GET', '/v1/snapshot')).json,
        history: (await http(server.url, 'GET', '/v1/entries/scope/gpuaas.instances.read/history')).json,
        checkpoint: (await http(server.url, 'GET', '/v1/audit/checkpoint')).text,
      };
      await server.close();

      const file = join(cwd, `export-${target.name}.jsonl`);
      const exported = await runCharter(['export', '--data-dir', source.dataDir, '--out', file], { cwd, timeoutMs: 60_000 });
      assert.equal(exported.code, 0, exported.stderr);
      const header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!);
      assert.equal(header.format, 'charter.export/v1');
      assert.ok(header.counts.audit_events >= 3);

      const dest = await target.create();
      dbs.push(dest);
      const args = ['import', file, '--data-dir', dest.dataDir, ...(dest.databaseUrl ? ['--database-url', dest.databaseUrl] : [])];
      const imported = await runCharter(args, { cwd, timeoutMs: 60_000 });
      assert.equal(imported.code, 0, imported.stderr);
      const again = await runCharter(args, { cwd, timeoutMs: 60_000 });
      assert.equal(again.code, 2, 'a second import into a non-empty database is refused');
      assert.match(again.stderr, /not empty/);

      // Same log key, so the moved log's checkpoint is byte for byte the old one.
      const { copyFileSync } = await import('node:fs');
      copyFileSync(join(source.dataDir, 'log-key.pem'), join(dest.dataDir, 'log-key.pem'));
      const moved = await startE2EServer(dest);
      try {
        assert.deepEqual((await http(moved.url, 'GET', '/v1/snapshot')).json.entries, before.snapshot.entries);
        assert.deepEqual((await http(moved.url, 'GET', '/v1/entries/scope/gpuaas.instances.read/history')).json, before.history);
        assert.equal((await http(moved.url, 'GET', '/v1/audit/checkpoint')).text, before.checkpoint);
        const verify = await runCharter(['--url', moved.url, '--token', admin, 'audit', 'verify'], { cwd, timeoutMs: 60_000 });
        assert.equal(verify.code, 0, `the old admin token still works and the log verifies: ${verify.stderr}`);
        assert.equal((await http(moved.url, 'GET', `/v1/changesets/${cs.id}`)).json.status, 'open');
      } finally {
        await moved.close();
      }
    });
  }
});
