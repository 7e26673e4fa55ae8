import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestDatabase } from '@charter/server/testing';
import { e2eEngines, http, runCharter, spawnServe, tempDir, type ServeProcess } from './harness.js';

/** Kill -9 in the middle of a burst of acknowledged writes, on every engine. */
for (const engine of e2eEngines()) {
  describe(`crash safety on ${engine.name}`, () => {
    let db: TestDatabase;
    let serve: ServeProcess | null = null;
    const cwd = tempDir('charter-e2e-cwd-');
    const args = () => ['--data-dir', db.dataDir, ...(db.databaseUrl ? ['--database-url', db.databaseUrl] : []), '--port', '0', '--log-level', 'silent'];
    const charter = (a: string[], url: string, token: string) => runCharter(['--url', url, '--token', token, ...a], { cwd, timeoutMs: 60_000 });
    before(async () => {
      db = await engine.create();
    });
    after(async () => {
      await serve?.stop('SIGKILL');
      await db.drop();
      rmSync(cwd, { recursive: true, force: true });
    });

      it('loses nothing acknowledged when the server is killed mid-burst, and the log still verifies', async () => {
      serve = await spawnServe(args(), { cwd });
      const admin = readFileSync(join(db.dataDir, 'admin-token'), 'utf8').trim();
      const acked: string[] = [];
      let stop = false;
      const worker = async (w: number) => {
        for (let i = 0; !stop; i++) {
          try {
            const res = await fetch(`${serve!.url}/v1/tokens`, {
              method: 'POST',
              headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
              body: JSON.stringify({ principal: `burst-${w}-${i}`, scopes: ['scope:platform.registry.propose'] }),
            });
            if (res.status === 201) acked.push(((await res.json()) as { id: string }).id);
          } catch {
            return; // the server is gone
          }
        }
      };
      const workers = [0, 1, 2, 3, 4, 5].map(worker);
      while (acked.length < 40) await new Promise((r) => setTimeout(r, 5));
      await serve.stop('SIGKILL');
      stop = true;
      await Promise.all(workers);
      serve = await spawnServe(args(), { cwd });
      const listed = (await http(serve.url, 'GET', '/v1/tokens', undefined, admin)).json as { items: { id: string }[] };
      const ids = new Set(listed.items.map((t) => t.id));
      for (const id of acked) assert.ok(ids.has(id), `acknowledged token ${id} survived the crash`);
      const log = (await http(serve.url, 'GET', '/v1/audit?limit=5000', undefined, admin)).json as { items: { subject: string[]; action: string }[] };
      const logged = new Set(log.items.filter((e) => e.action.endsWith('token.create')).flatMap((e) => e.subject));
      for (const id of acked) assert.ok(logged.has(id), `token ${id} has its audit event`);
      assert.equal(logged.size, ids.size, 'no token without its event, no event without its token');
      const verify = await charter(['audit', 'verify'], serve.url, admin);
      assert.equal(verify.code, 0, verify.stderr + verify.stdout);
      assert.match(verify.stdout, /ok: \d+ events reproduce the signed root/);
    });

  });
}
