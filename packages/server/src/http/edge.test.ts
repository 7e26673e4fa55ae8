import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';

const PROPOSE = 'scope:platform.registry.propose';

/** Raw JSON text, so a test can send what JSON.stringify would never produce. */
function raw(server: RunningServer, method: string, path: string, text: string, tok?: string) {
  return call(server, method, path, { body: text, ...(tok ? { token: tok } : {}) });
}

for (const engine of testEngines()) {
  describe(`the edge refuses hostile input before any route, on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;
    let admin: string;
    let ci: string;
    before(async () => {
      db = await engine.create();
      server = await startTestServer(db);
      admin = adminToken(server, db.dataDir);
      ci = await token(server, admin, 'acme-ci', [PROPOSE], { product: 'gpuaas' });
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    it('answers 400 with a pointer to 10,000 nested arrays on the public manifest check, and keeps serving', async () => {
      const deep = '['.repeat(10_000) + ']'.repeat(10_000);
      const r = await raw(server, 'POST', '/v1/validate/manifest', `{"contract":"sdk-contract:app_sdk.v1","manifest":${deep}}`);
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.code, 'MALFORMED_REQUEST');
      assert.match(r.json.errors[0].pointer, /^\/manifest(\/0)+$/);
      assert.match(r.json.errors[0].detail, /deeper than 64/);
      assert.equal((await call(server, 'GET', '/healthz')).status, 200);
      // The same through the check fast path.
      const c = await raw(server, 'POST', '/v1/check', `{"refs":${deep}}`);
      assert.equal(c.status, 400);
      assert.match(c.json.errors[0].pointer, /^\/refs/);
    });

    it('refuses a 5,000-deep schema in a dry-run change set with a pointer, not a 500', async () => {
      const schema = '{"type":"object","properties":{"a":'.repeat(5000) + '{"type":"string"}' + '}}'.repeat(5000);
      const entry = `{"family":"notification-template","id":"gpuaas.deep","owner":"gpuaas","lifecycle":"active","title":"Deep","spec":{"channels":["email"],"variables":${schema}}}`;
      const r = await raw(server, 'POST', '/v1/changesets?dry_run=true', `{"title":"deep","operations":[{"op":"create","entry":${entry}}]}`, ci);
      assert.equal(r.status, 400, r.text.slice(0, 300));
      assert.match(r.json.errors[0].pointer, /^\/operations\/0\/entry\/spec\/variables(\/properties\/a)+/);
    });

    it('refuses U+0000 in a body string, a member name and a query parameter, with 400 and a pointer, and stores nothing', async () => {
      const before = (await call(server, 'GET', '/v1/audit?limit=1', { token: admin })).json.size;
      const title = await call(server, 'POST', '/v1/changesets', { token: ci, body: { title: 'a\u0000b', operations: [] } });
      assert.equal(title.status, 400, title.text);
      assert.deepEqual(title.json.errors.map((e: any) => e.pointer), ['/title']);
      assert.match(title.json.errors[0].detail, /U\+0000/);
      const tok = await call(server, 'POST', '/v1/tokens', { token: admin, body: { principal: 'x', scopes: [PROPOSE], description: 'nul\u0000' } });
      assert.equal(tok.status, 400);
      assert.equal(tok.json.errors[0].pointer, '/description');
      const key = await raw(server, 'POST', '/v1/validate/manifest', '{"contract":"sdk-contract:app_sdk.v1","manifest":{"a\\u0000":1}}');
      assert.equal(key.status, 400);
      assert.equal(key.json.errors[0].pointer, '/manifest/a\u0000');
      const q = await call(server, 'GET', '/v1/artifacts?product=%00');
      assert.equal(q.status, 400, q.text);
      assert.equal(q.json.errors[0].pointer, '/querystring/product');
      const cursor = await call(server, 'GET', '/v1/entries?cursor=%00');
      assert.equal(cursor.status, 400);
      const path = await call(server, 'GET', '/v1/entries/scope/a%00b');
      assert.equal(path.status, 400);
      assert.equal(path.json.errors[0].pointer, '/params/id');
      assert.equal((await call(server, 'GET', '/v1/audit?limit=1', { token: admin })).json.size, before, 'nothing was written');
    });

    it('refuses lone surrogates in body strings and parameters', async () => {
      const r = await raw(server, 'POST', '/v1/changesets', '{"title":"x\\ud800y","operations":[]}', ci);
      assert.equal(r.status, 400);
      assert.equal(r.json.errors[0].pointer, '/title');
      assert.match(r.json.errors[0].detail, /surrogate/);
      const low = await raw(server, 'POST', '/v1/notifications/render', '{"template":"notification-template:gpuaas.quota_exceeded","channel":"email","variables":{"project_id":"\\udc00"}}');
      assert.equal(low.status, 400);
      assert.equal(low.json.errors[0].pointer, '/variables/project_id');
      const q = await call(server, 'GET', '/v1/entries?q=%ED%A0%80');
      // %ED%A0%80 is the UTF-8-like encoding of U+D800: decoded it is not text, so it is refused or replaced, never stored.
      assert.ok(q.status === 400 || q.status === 200, q.text);
      const paired = await raw(server, 'POST', '/v1/changesets?dry_run=true', '{"title":"rocket \\ud83d\\ude80","operations":[]}', ci);
      assert.notEqual(paired.status, 400, 'a surrogate pair is a real character and is accepted');
    });

    it('keeps a short plain X-Request-Id and replaces anything else with a generated id', async () => {
      const plain = await call(server, 'GET', '/v1/entries?family=nope', { headers: { 'x-request-id': 'req-1.2:3_x' } });
      assert.equal(plain.json.request_id, 'req-1.2:3_x');
      const long = await call(server, 'GET', '/v1/entries?family=nope', { headers: { 'x-request-id': 'b'.repeat(6000) } });
      assert.match(long.json.request_id, /^[0-9a-f-]{36}$/);
      for (const bad of ['a'.repeat(65), 'a'.repeat(6000), 'a b', 'a/b', 'é']) {
        const r = await call(server, 'POST', '/v1/tokens', { token: admin, body: { principal: 'rid', scopes: [PROPOSE] }, headers: { 'x-request-id': encodeURIComponent(bad) === bad ? bad : bad.replace(/[^\x20-\x7e]/g, '?') } });
        assert.equal(r.status, 201, r.text);
        const events = await call(server, 'GET', '/v1/audit?limit=5000', { token: admin });
        const last = events.json.items.at(-1);
        assert.equal(last.action, 'audit-action:platform.token.create');
        assert.notEqual(last.request_id, bad);
        assert.match(last.request_id, /^[A-Za-z0-9._:-]{1,64}$/);
      }
      const kept = await call(server, 'POST', '/v1/tokens', { token: admin, body: { principal: 'rid', scopes: [PROPOSE] }, headers: { 'x-request-id': 'a'.repeat(64) } });
      assert.equal(kept.status, 201);
      const events = await call(server, 'GET', '/v1/audit?limit=5000', { token: admin });
      assert.equal(events.json.items.at(-1).request_id, 'a'.repeat(64));
    });

    it('bounds integer parameters and accepts only plain decimal', async () => {
      const huge = await call(server, 'GET', '/v1/audit?after=99999999999999999999', { token: admin });
      assert.equal(huge.status, 400, huge.text);
      assert.equal(huge.json.errors[0].pointer, '/querystring/after');
      for (const v of ['0x1', '1e400', '1e3', '+1', '%201', '1%20', '1.0', '0b1', '01', '-0x1', 'Infinity', 'NaN', '']) {
        const r = await call(server, 'GET', `/v1/audit?after=${v}`, { token: admin });
        assert.equal(r.status, 400, `after=${v}: ${r.text}`);
        assert.equal(r.json.errors[0].pointer, '/querystring/after');
      }
      assert.equal((await call(server, 'GET', '/v1/audit?after=0', { token: admin })).status, 200);
      assert.equal((await call(server, 'GET', '/v1/audit?after=-1', { token: admin })).status, 200);
      assert.equal((await call(server, 'GET', `/v1/audit?after=${Number.MAX_SAFE_INTEGER}`, { token: admin })).status, 200);
      assert.equal((await call(server, 'GET', `/v1/audit?after=${Number.MAX_SAFE_INTEGER + 1}`, { token: admin })).status, 400);
      assert.equal((await call(server, 'GET', '/v1/changes?after=0x10')).status, 400);
      assert.equal((await call(server, 'GET', '/v1/entries/scope/platform.registry.propose?revision=1e0')).status, 400);
      assert.equal((await call(server, 'GET', '/v1/entries/scope/platform.registry.propose?revision=99999999999999999999')).status, 400);
    });
  });
}
