import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Principal } from '@charter/core';
import type { RunningServer } from '../server.js';
import { startTestServer } from '../testing/server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { call } from '../testing/http.js';

const admin: Principal = { name: 'alice', product: null, admin: true };

for (const engine of testEngines()) {
  describe(`HTTP API on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;
    let now = new Date('2026-06-01T00:00:00Z');
    before(async () => {
      db = await engine.create();
      server = await startTestServer(db, { clock: () => now });
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    it('lists the ten families with their spec schema, contract fields and reference fields', async () => {
      const r = await call(server, 'GET', '/v1/families');
      assert.equal(r.status, 200);
      assert.deepEqual(r.json.items.map((f: any) => f.name).sort(), ['artifact-type', 'audit-action', 'environment', 'evidence-type', 'notification-template', 'product', 'scope', 'sdk-contract', 'signer', 'usage-unit']);
      const scope = r.json.items.find((f: any) => f.name === 'scope');
      assert.deepEqual(scope.contract_fields, ['kind', 'privileged']);
      assert.equal(scope.spec_schema.type, 'object');
      assert.deepEqual(scope.reference_fields, [{ path: '/implies/*', families: ['scope'] }]);
    });

    it('filters and pages entries with a cursor, visiting each entry exactly once', async () => {
      const scopes = await call(server, 'GET', '/v1/entries?family=scope&owner=gpuaas');
      assert.equal(scopes.status, 200);
      assert.ok(scopes.json.items.length > 0);
      assert.ok(scopes.json.items.every((e: any) => e.family === 'scope' && e.owner === 'gpuaas'));
      const all = await call(server, 'GET', '/v1/entries?limit=500');
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof call>> = await call(server, 'GET', `/v1/entries?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200);
        assert.ok(page.json.items.length <= 7);
        seen.push(...page.json.items.map((e: any) => `${e.family}:${e.id}`));
        cursor = page.json.next_cursor;
      } while (cursor);
      assert.deepEqual(seen, all.json.items.map((e: any) => `${e.family}:${e.id}`));
      assert.equal(new Set(seen).size, seen.length);
      const q = await call(server, 'GET', '/v1/entries?q=quota');
      assert.ok(q.json.items.some((e: any) => e.id === 'gpuaas.quota_exceeded'));
      const bad = await call(server, 'GET', '/v1/entries?family=nope');
      assert.equal(bad.status, 400);
      assert.equal(bad.json.code, 'MALFORMED_REQUEST');
      assert.ok(bad.json.errors[0].pointer.startsWith('/querystring'));
      const badCursor = await call(server, 'GET', '/v1/entries?cursor=%%%');
      assert.equal(badCursor.status, 400);
    });

    it('serves an entry, an old revision, its history and its dependents', async () => {
      const e = await call(server, 'GET', '/v1/entries/scope/gpuaas.instances.read');
      assert.equal(e.status, 200);
      assert.equal(e.json.revision, 1);
      await server.registry.apply({ title: 'relabel', operations: [{ op: 'update', family: 'scope', id: 'gpuaas.instances.read', expected_revision: 1, set: { title: 'Read instances' } }] }, admin, { approvers: ['bob'] });
      const current = await call(server, 'GET', '/v1/entries/scope/gpuaas.instances.read');
      assert.equal(current.json.revision, 2);
      assert.equal(current.json.title, 'Read instances');
      const old = await call(server, 'GET', '/v1/entries/scope/gpuaas.instances.read?revision=1');
      assert.equal(old.json.revision, 1);
      assert.equal(old.json.title, e.json.title);
      const missing = await call(server, 'GET', '/v1/entries/scope/gpuaas.instances.read?revision=9');
      assert.equal(missing.status, 404);
      assert.equal(missing.json.code, 'UNKNOWN_REVISION');
      const history = await call(server, 'GET', '/v1/entries/scope/gpuaas.instances.read/history');
      assert.deepEqual(history.json.items.map((h: any) => h.revision), [2, 1]);
      assert.equal(history.json.items[0].author, 'alice');
      assert.deepEqual(history.json.items[0].approvers, ['bob']);
      const deps = await call(server, 'GET', '/v1/entries/scope/gpuaas.instances.read/dependents');
      assert.ok(deps.json.items.some((d: any) => d.id === 'gpuaas.instances.write'), 'instances.write implies instances.read');
      const unknown = await call(server, 'GET', '/v1/entries/scope/gpuaas.nope');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.code, 'UNKNOWN_ENTRY');
      assert.match(unknown.type, /application\/problem\+json/);
      const badId = await call(server, 'GET', '/v1/entries/scope/Bad..id');
      assert.equal(badId.status, 400);
      assert.equal(badId.json.code, 'INVALID_ID');
    });

    it('answers the fail-closed table over HTTP', async () => {
      await server.registry.apply({
        title: 'lifecycle fixtures',
        operations: [
          { op: 'create', entry: { family: 'scope', id: 'gpuaas.old', owner: 'gpuaas', lifecycle: 'active', title: 'old', spec: { kind: 'api', privileged: false } } },
          { op: 'create', entry: { family: 'scope', id: 'gpuaas.older', owner: 'gpuaas', lifecycle: 'active', title: 'older', spec: { kind: 'api', privileged: false } } },
          { op: 'create', entry: { family: 'scope', id: 'gpuaas.off', owner: 'gpuaas', lifecycle: 'active', title: 'off', spec: { kind: 'api', privileged: false } } },
        ],
      }, admin, { approvers: [] });
      await server.registry.apply({
        title: 'deprecate and disable',
        operations: [
          { op: 'transition', family: 'scope', id: 'gpuaas.old', expected_revision: 1, to: 'deprecated', replaced_by: 'scope:gpuaas.instances.read', sunset_at: '2027-01-01T00:00:00Z' },
          { op: 'transition', family: 'scope', id: 'gpuaas.older', expected_revision: 1, to: 'deprecated', sunset_at: '2026-01-01T00:00:00Z' },
          { op: 'transition', family: 'scope', id: 'gpuaas.off', expected_revision: 1, to: 'disabled' },
        ],
      }, admin, { approvers: [] });
      const refs = ['scope:gpuaas.instances.write', 'scope:gpuaas.old', 'scope:gpuaas.older', 'signer:platform.release_ci', 'scope:gpuaas.off', 'scope:gpuaas.none', 'not a ref'];
      const r = await call(server, 'POST', '/v1/check', { body: { refs } });
      assert.equal(r.status, 200);
      assert.equal(r.json.allowed, false);
      assert.equal(r.json.sequence, server.registry.catalog.sequence);
      const by = Object.fromEntries(r.json.results.map((x: any) => [x.ref, x]));
      assert.deepEqual([by['scope:gpuaas.instances.write'].allowed, by['scope:gpuaas.instances.write'].reason], [true, 'active']);
      assert.deepEqual([by['scope:gpuaas.old'].allowed, by['scope:gpuaas.old'].reason], [true, 'deprecated']);
      assert.match(by['scope:gpuaas.old'].warning, /scope:gpuaas\.instances\.read/);
      assert.equal(by['scope:gpuaas.old'].replaced_by, 'scope:gpuaas.instances.read');
      assert.deepEqual([by['scope:gpuaas.older'].allowed, by['scope:gpuaas.older'].reason], [false, 'sunset_passed']);
      assert.equal(by['signer:platform.release_ci'].reason, 'not_active');
      assert.equal(by['scope:gpuaas.off'].reason, 'disabled');
      assert.equal(by['scope:gpuaas.none'].reason, 'unknown');
      assert.equal(by['not a ref'].reason, 'malformed');
      const one = await call(server, 'GET', '/v1/check?ref=scope:gpuaas.instances.write');
      assert.equal(one.json.allowed, true);
      const two = await call(server, 'GET', '/v1/check?ref=scope:gpuaas.instances.write&ref=scope:gpuaas.off');
      assert.equal(two.json.allowed, false);
      assert.equal(two.json.results.length, 2);
      // The injected clock decides sunset: move past it and the deprecated scope stops working.
      now = new Date('2027-02-01T00:00:00Z');
      const later = await call(server, 'POST', '/v1/check', { body: { refs: ['scope:gpuaas.old'] } });
      assert.equal(later.json.results[0].reason, 'sunset_passed');
      now = new Date('2026-06-01T00:00:00Z');
    });

    it('refuses a check body that is not {"refs": [string]} with 400 problem+json and a pointer', async () => {
      for (const [body, pointer] of [[{ refs: 'scope:x' }, '/refs'], [{ refs: [1] }, '/refs/0'], [{}, '/refs'], [{ refs: [], extra: 1 }, '']] as const) {
        const r = await call(server, 'POST', '/v1/check', { body });
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.code, 'MALFORMED_REQUEST');
        assert.ok(r.json.errors.some((e: any) => e.pointer.startsWith(pointer)), `${JSON.stringify(r.json.errors)} names ${pointer}`);
      }
      const notJson = await call(server, 'POST', '/v1/check', { body: '{"refs": [' });
      assert.equal(notJson.status, 400);
      assert.match(notJson.type, /problem\+json/);
      const big = await call(server, 'POST', '/v1/check', { body: { refs: ['x'.repeat(2 * 1024 * 1024)] } });
      assert.equal(big.status, 413);
      assert.equal(big.json.code, 'PAYLOAD_TOO_LARGE');
      const none = await call(server, 'GET', '/v1/no/such/route');
      assert.equal(none.status, 404);
      assert.equal(none.json.code, 'NOT_FOUND');
    });

    it('never answers the same question from a stale answer: a change or a passed sunset shows at once', async () => {
      await server.registry.apply({ title: 'cache', operations: [{ op: 'create', entry: { family: 'scope', id: 'gpuaas.cached', owner: 'gpuaas', lifecycle: 'active', title: 'c', spec: { kind: 'api', privileged: false } } }] }, admin, { approvers: [] });
      const ask = async () => (await call(server, 'POST', '/v1/check', { body: { refs: ['scope:gpuaas.cached'] } })).json.results[0];
      assert.equal((await ask()).reason, 'active');
      assert.equal((await ask()).reason, 'active');
      await server.registry.apply({ title: 'deprecate', operations: [{ op: 'transition', family: 'scope', id: 'gpuaas.cached', expected_revision: 1, to: 'deprecated', sunset_at: '2026-06-02T00:00:00Z' }] }, admin, { approvers: [] });
      assert.equal((await ask()).reason, 'deprecated', 'the applied change shows on the next request');
      assert.equal((await ask()).reason, 'deprecated');
      now = new Date('2026-06-02T00:00:00Z');
      try {
        assert.equal((await ask()).reason, 'sunset_passed', 'the sunset shows the moment it passes');
      } finally {
        now = new Date('2026-06-01T00:00:00Z');
      }
    });

    it('answers POST /v1/check the same on its fast path and through the router', async () => {
      const strip = (r: Awaited<ReturnType<typeof call>>) => ({ status: r.status, type: r.type.split(';')[0], json: r.json ? { ...r.json, request_id: undefined } : r.text });
      const bodies: unknown[] = [{ refs: ['scope:gpuaas.instances.write', 'nope', 'scope:gpuaas.none'] }, { refs: 'x' }, { refs: [1, 2] }, {}, { refs: ['a'], more: 1 }, [], 'null', '{"refs": [', ''];
      for (const body of bodies) {
        const fast = await call(server, 'POST', '/v1/check', { body: body === '' ? '' : body });
        const routed = await call(server, 'POST', '/v1/check?via=router', { body: body === '' ? '' : body });
        assert.deepEqual(strip(fast), strip(routed), `same answer for ${JSON.stringify(body)}`);
      }
    });

    it('never answers 500 to random input', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), fc.string(), async (body, ref) => {
          const a = await call(server, 'POST', '/v1/check', { body });
          assert.ok(a.status === 200 || a.status === 400, `POST /v1/check ${JSON.stringify(body)} → ${a.status}`);
          const b = await call(server, 'GET', `/v1/check?ref=${encodeURIComponent(ref)}`);
          assert.ok(b.status === 200 || b.status === 400, `GET /v1/check?ref=${ref} → ${b.status}`);
          const c = await call(server, 'GET', `/v1/entries/scope/${encodeURIComponent(ref)}`);
          assert.ok([200, 400, 404].includes(c.status), `GET entry ${ref} → ${c.status}`);
        }),
        { numRuns: 150 },
      );
    });

    it('serves the snapshot with the sequence as ETag and answers 304 when unchanged', async () => {
      const r = await call(server, 'GET', '/v1/snapshot');
      assert.equal(r.status, 200);
      assert.equal(r.json.sequence, server.registry.catalog.sequence);
      assert.equal(r.json.entries.length, server.registry.catalog.size);
      const etag = r.headers.get('etag');
      assert.equal(etag, `"${r.json.sequence}"`);
      const again = await call(server, 'GET', '/v1/snapshot', { headers: { 'if-none-match': etag! } });
      assert.equal(again.status, 304);
      assert.equal(again.text, '');
    });

    it('long-polls the change feed and returns as soon as a change is applied', async () => {
      const seq = server.registry.catalog.sequence;
      const started = Date.now();
      const pending = call(server, 'GET', `/v1/changes?after=${seq}&wait=20`);
      await new Promise((r) => setTimeout(r, 200));
      const rev = server.registry.catalog.get('scope', 'gpuaas.instances.write')!.revision;
      await server.registry.apply({ title: 'feed', operations: [{ op: 'update', family: 'scope', id: 'gpuaas.instances.write', expected_revision: rev, set: { description: 'feed test' } }] }, admin, { approvers: [] });
      const r = await pending;
      assert.ok(Date.now() - started < 10_000, 'returned well before the wait ran out');
      assert.equal(r.status, 200);
      assert.equal(r.json.sequence, seq + 1);
      assert.equal(r.json.next_after, seq + 1);
      assert.deepEqual(r.json.items.map((i: any) => [i.family, i.id, i.sequence]), [['scope', 'gpuaas.instances.write', seq + 1]]);
      const from0 = await call(server, 'GET', '/v1/changes?after=0&limit=1');
      assert.ok(from0.json.items.length > 1, 'a sequence is never split across pages');
      assert.ok(from0.json.items.every((i: any) => i.sequence === 1));
      const ahead = await call(server, 'GET', `/v1/changes?after=${seq + 100}`);
      assert.equal(ahead.json.resync, true);
    });

    it('documents itself: OpenAPI 3.1, interactive docs, health, readiness and metrics', async () => {
      const spec = await call(server, 'GET', '/openapi.json');
      assert.equal(spec.status, 200);
      assert.equal(spec.json.openapi, '3.1.0');
      for (const p of ['/v1/check', '/v1/entries', '/v1/entries/{family}/{id}', '/v1/snapshot', '/v1/changes', '/v1/families']) assert.ok(spec.json.paths[p], `OpenAPI documents ${p}`);
      assert.ok(spec.json.paths['/v1/check'].post.requestBody, 'the check body schema is published');
      const docs = await call(server, 'GET', '/docs');
      assert.equal(docs.status, 200);
      assert.match(docs.text, /swagger/i);
      assert.deepEqual((await call(server, 'GET', '/healthz')).json, { status: 'ok' });
      const ready = await call(server, 'GET', '/readyz');
      assert.equal(ready.json.status, 'ready');
      assert.equal(ready.json.engine, engine.name);
      const metrics = await call(server, 'GET', '/metrics');
      assert.match(metrics.text, /charter_registry_sequence \d+/);
      assert.match(metrics.text, /charter_http_requests_total\{method="POST",route="\/v1\/check",status="200"\}/);
    });
  });
}
