import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';
import { govern } from '../testing/trust.js';

const PROPOSE = 'scope:platform.registry.propose';
const APPROVE = 'scope:platform.registry.approve';
const CATASTROPHIC = '^([a-z]+)+$';

for (const engine of testEngines()) {
  describe(`contributor schemas cannot stall the server, on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;
    let ci: string;
    let reviewer: string;
    before(async () => {
      db = await engine.create();
      server = await startTestServer(db);
      const admin = adminToken(server, db.dataDir);
      ci = await token(server, admin, 'gpuaas-ci', [PROPOSE], { product: 'gpuaas' });
      reviewer = await token(server, admin, 'platform-reviewer', [APPROVE]);
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    it('refuses a ~0.9 MB dry-run schema of thousands of patterns with 422 and a pointer, while /healthz keeps answering', async () => {
      const properties: Record<string, unknown> = {};
      for (let i = 0, size = 0; size < 900_000; i++) {
        const p = { type: 'string', pattern: `^(x${i}|[a-z]+)+[0-9]*$` };
        properties[`field_${i}`] = p;
        size += JSON.stringify(p).length + 12;
      }
      const entry = { family: 'notification-template', id: 'gpuaas.huge', owner: 'gpuaas', lifecycle: 'active', title: 'Huge', spec: { channels: ['email'], variables: { type: 'object', properties } } };
      const body = { title: 'huge', operations: [{ op: 'create', entry }] };
      assert.ok(JSON.stringify(body).length > 850_000);
      const started = Date.now();
      const pending = call(server, 'POST', '/v1/changesets?dry_run=true', { token: ci, body });
      const health = await call(server, 'GET', '/healthz');
      const r = await pending;
      assert.equal(health.status, 200);
      assert.equal(r.status, 422, r.text.slice(0, 400));
      const issue = r.json.errors.find((e: any) => e.pointer.startsWith('/operations/0/entry/spec/variables'));
      assert.ok(issue, JSON.stringify(r.json.errors).slice(0, 400));
      assert.match(issue.detail, /more than \d+ (keywords|patterns)/);
      assert.ok(Date.now() - started < 20_000, 'refused without compiling (generous guard for a loaded machine)');
    });

    it('refuses a pattern RE2 cannot run at submit, with a pointer to it', async () => {
      const entry = { family: 'notification-template', id: 'gpuaas.lookahead', owner: 'gpuaas', lifecycle: 'active', title: 'Look', spec: { channels: ['email'], variables: { type: 'object', properties: { v: { type: 'string', pattern: '^(?!admin).*$' } } } } };
      const r = await call(server, 'POST', '/v1/changesets?dry_run=true', { token: ci, body: { title: 'look', operations: [{ op: 'create', entry }] } });
      assert.equal(r.status, 422);
      assert.ok(r.json.errors.some((e: any) => e.pointer === '/operations/0/entry/spec/variables/properties/v/pattern'), r.text);
    });

    it('answers public render and manifest checks correctly and promptly for a 10 kB value against ^([a-z]+)+$', async () => {
      await govern(server, ci, reviewer, 'redos template', [
        { op: 'create', entry: { family: 'notification-template', id: 'gpuaas.redos', owner: 'gpuaas', lifecycle: 'active', title: 'Redos', spec: { channels: ['email'], variables: { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: CATASTROPHIC } } }, body: 'hi {{name}}' } } },
      ]);
      const long = 'a'.repeat(10_000);
      const started = Date.now();
      const bad = await call(server, 'POST', '/v1/notifications/render', { body: { template: 'notification-template:gpuaas.redos', channel: 'email', variables: { name: `${long}!` } } });
      assert.equal(bad.status, 200);
      assert.equal(bad.json.valid, false);
      assert.deepEqual(bad.json.errors.map((e: any) => e.pointer), ['/variables/name']);
      const good = await call(server, 'POST', '/v1/notifications/render', { body: { template: 'notification-template:gpuaas.redos', channel: 'email', variables: { name: long } } });
      assert.equal(good.json.valid, true);
      assert.equal(good.json.body, `hi ${long}`);
      assert.ok(Date.now() - started < 20_000, 'generous guard: backtracking would take longer than the age of the universe');

      await govern(server, ci, reviewer, 'redos contract', [
        { op: 'create', entry: { family: 'sdk-contract', id: 'gpuaas.redos_sdk', owner: 'gpuaas', lifecycle: 'active', title: 'Redos SDK', spec: { manifest_schema: { type: 'object', properties: { name: { type: 'string', pattern: CATASTROPHIC } } } } } },
      ]);
      const m = await call(server, 'POST', '/v1/validate/manifest', { body: { contract: 'sdk-contract:gpuaas.redos_sdk', manifest: { name: `${long}1` } } });
      assert.equal(m.status, 200);
      assert.equal(m.json.valid, false);
      assert.deepEqual(m.json.errors.map((e: any) => e.pointer), ['/manifest/name']);
      assert.equal((await call(server, 'GET', '/healthz')).status, 200);
    });
  });
}
