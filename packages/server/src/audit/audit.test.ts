import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkConsistency, LogVerifier, parseVkey, readCheckpoint, rootFromInclusionProof, type Checkpoint } from '@charter/core';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';

const PROPOSE = 'scope:platform.registry.propose';
const APPROVE = 'scope:platform.registry.approve';

for (const engine of testEngines()) {
  describe(`audit log on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;
    let admin: string;

    async function checkpoint(s: RunningServer = server): Promise<Checkpoint> {
      const key = await call(s, 'GET', '/v1/audit/key');
      const note = await call(s, 'GET', '/v1/audit/checkpoint');
      assert.match(note.type, /text\/plain/);
      const r = readCheckpoint(note.text, parseVkey(key.json.vkey));
      assert.ok('checkpoint' in r, 'error' in r ? r.error : '');
      return r.checkpoint;
    }

    async function allEvents(s: RunningServer = server) {
      const out: any[] = [];
      let after = -1;
      for (;;) {
        const page = await call(s, 'GET', `/v1/audit?after=${after}&limit=100`, { token: admin });
        assert.equal(page.status, 200, page.text);
        out.push(...page.json.items);
        if (!page.json.next_cursor) return out;
        after = Number(page.json.next_cursor);
      }
    }

    before(async () => {
      db = await engine.create();
      server = await startTestServer(db);
      admin = adminToken(server, db.dataDir);
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    it('records every privileged mutation once, with its action, actor, subject and request id', async () => {
      const start = (await checkpoint()).size;
      const t = await call(server, 'POST', '/v1/tokens', { token: admin, body: { principal: 'gpuaas-ci', product: 'gpuaas', scopes: [PROPOSE] }, headers: { 'x-request-id': 'req-token-1' } });
      const reviewer = await token(server, admin, 'reviewer', [APPROVE]);
      const s = await call(server, 'POST', '/v1/changesets', { token: t.json.token, body: { title: 'audit', operations: [{ op: 'create', entry: { family: 'scope', id: 'gpuaas.audited', owner: 'gpuaas', lifecycle: 'active', title: 'a', spec: { kind: 'api', privileged: false } } }] } });
      await call(server, 'POST', `/v1/changesets/${s.json.id}/approve`, { token: reviewer, body: {} });
      await call(server, 'POST', `/v1/changesets/${s.json.id}/apply`, { token: t.json.token, headers: { 'x-request-id': 'req-apply-1' } });
      const r = await call(server, 'POST', '/v1/changesets', { token: t.json.token, body: { title: 'to reject', operations: [{ op: 'create', entry: { family: 'scope', id: 'gpuaas.rej', owner: 'gpuaas', title: 'r', spec: { kind: 'api', privileged: false } } }] } });
      await call(server, 'POST', `/v1/changesets/${r.json.id}/reject`, { token: reviewer, body: { reason: 'no' } });
      await call(server, 'DELETE', `/v1/tokens/${t.json.id}`, { token: admin });
      const events = (await allEvents()).slice(start);
      assert.deepEqual(events.map((e) => [e.action.replace('audit-action:platform.', ''), e.actor]), [
        ['token.create', 'admin'],
        ['token.create', 'admin'],
        ['changeset.submit', 'gpuaas-ci'],
        ['changeset.approve', 'reviewer'],
        ['changeset.apply', 'gpuaas-ci'],
        ['changeset.submit', 'gpuaas-ci'],
        ['changeset.reject', 'reviewer'],
        ['token.revoke', 'admin'],
      ]);
      assert.equal(events[0].request_id, 'req-token-1');
      assert.deepEqual(events[0].subject, [t.json.id]);
      assert.ok(!JSON.stringify(events).includes(t.json.token), 'the token secret never reaches the log');
      assert.equal(events[4].request_id, 'req-apply-1');
      assert.ok(events[4].subject.includes(s.json.id) && events[4].subject.includes('scope:gpuaas.audited@1'));
      const seedEvent = (await call(server, 'GET', '/v1/audit/0', { token: admin })).json;
      assert.equal(seedEvent.action, 'audit-action:platform.seed.apply');
      assert.equal(seedEvent.actor, 'seed');
    });

    it('writes no event for a refused mutation, and no mutation without its event', async () => {
      const before = (await checkpoint()).size;
      const t = await token(server, admin, 'p', [PROPOSE], { product: 'gpuaas' });
      const bad = await call(server, 'POST', '/v1/changesets', { token: t, body: { title: 'bad', operations: [{ op: 'create', entry: { family: 'scope', id: 'gpuaas.BAD', owner: 'gpuaas', title: 'b', spec: {} } }] } });
      assert.equal(bad.status, 422);
      assert.equal((await checkpoint()).size, before + 1, 'only the token creation was logged');
    });

    it('fails closed: with its audit action disabled, the mutation itself is refused', async () => {
      const reviewer = await token(server, admin, 'reviewer2', [APPROVE]);
      const rev = server.registry.catalog.get('audit-action', 'platform.token.create')!.revision;
      const s = await call(server, 'POST', '/v1/changesets', { token: admin, body: { title: 'disable token audit', operations: [{ op: 'transition', family: 'audit-action', id: 'platform.token.create', expected_revision: rev, to: 'disabled' }] } });
      assert.equal(s.status, 201, s.text);
      await call(server, 'POST', `/v1/changesets/${s.json.id}/approve`, { token: reviewer, body: {} });
      assert.equal((await call(server, 'POST', `/v1/changesets/${s.json.id}/apply`, { token: admin })).status, 200);
      const tokensBefore = (await call(server, 'GET', '/v1/tokens', { token: admin })).json.items.length;
      const size = (await checkpoint()).size;
      const r = await call(server, 'POST', '/v1/tokens', { token: admin, body: { principal: 'x', scopes: [PROPOSE] } });
      assert.equal(r.status, 403);
      assert.equal(r.json.code, 'AUDIT_ACTION_UNAVAILABLE');
      assert.match(r.json.detail, /platform\.token\.create/);
      assert.equal((await call(server, 'GET', '/v1/tokens', { token: admin })).json.items.length, tokensBefore, 'no token was created');
      assert.equal((await checkpoint()).size, size);
      const back = await call(server, 'POST', '/v1/changesets', { token: admin, body: { title: 'enable', operations: [{ op: 'transition', family: 'audit-action', id: 'platform.token.create', expected_revision: rev + 1, to: 'active' }] } });
      await call(server, 'POST', `/v1/changesets/${back.json.id}/approve`, { token: reviewer, body: {} });
      assert.equal((await call(server, 'POST', `/v1/changesets/${back.json.id}/apply`, { token: admin })).status, 200);
      assert.equal((await call(server, 'POST', '/v1/tokens', { token: admin, body: { principal: 'x', scopes: [PROPOSE] } })).status, 201);
    });

    it('serves a signed checkpoint that the events reproduce, and inclusion and consistency proofs that verify', async () => {
      const old = await checkpoint();
      await token(server, admin, 'more', [PROPOSE]);
      await token(server, admin, 'more2', [PROPOSE]);
      const cp = await checkpoint();
      assert.equal(cp.size, old.size + 2);
      const events = await allEvents();
      const verifier = new LogVerifier();
      for (const e of events) verifier.add(e);
      const result = verifier.finish(cp);
      assert.ok(result.ok, JSON.stringify(result.problem));
      for (const index of [0, Math.floor(cp.size / 2), cp.size - 1]) {
        const p = await call(server, 'GET', `/v1/audit/proofs/inclusion?index=${index}&size=${cp.size}`);
        assert.equal(p.status, 200);
        const root = rootFromInclusionProof(Buffer.from(events[index].leaf_hash, 'base64'), index, cp.size, p.json.hashes.map((h: string) => Buffer.from(h, 'base64')));
        assert.deepEqual(Buffer.from(root), Buffer.from(cp.rootHash));
      }
      const c = await call(server, 'GET', `/v1/audit/proofs/consistency?from=${old.size}&to=${cp.size}`);
      assert.equal(checkConsistency(old, cp, c.json.hashes.map((h: string) => Buffer.from(h, 'base64'))), null);
      const wrong = c.json.hashes.map((h: string) => Buffer.from(h, 'base64'));
      wrong[0][0] ^= 1;
      assert.notEqual(checkConsistency(old, cp, wrong), null);
      assert.equal((await call(server, 'GET', `/v1/audit/proofs/inclusion?index=${cp.size}&size=${cp.size}`)).status, 400);
      assert.equal((await call(server, 'GET', `/v1/audit/proofs/consistency?from=0&to=${cp.size}`)).status, 400);
      const key = await call(server, 'GET', '/v1/audit/key');
      assert.match(key.json.public_key, /BEGIN PUBLIC KEY/);
      assert.equal(key.json.name, cp.origin);
    });

    it('detects an event edited in the database, naming its index', async () => {
      const events = await allEvents();
      const victim = events[1];
      await server.handle.db.updateTable('audit_events').set({ actor: 'mallory' }).where('idx', '=', victim.index).execute();
      try {
        const verifier = new LogVerifier();
        for (const e of await allEvents()) verifier.add(e);
        const result = verifier.finish(await checkpoint());
        assert.equal(result.ok, false);
        assert.equal(result.problem?.index, victim.index);
      } finally {
        await server.handle.db.updateTable('audit_events').set({ actor: victim.actor }).where('idx', '=', victim.index).execute();
      }
    });

    if (engine.name === 'postgres') {
      it('keeps one linear log with no gap or fork under concurrent mutations from two processes', async () => {
        const other = await startTestServer(db, { seed: false });
        try {
          const before = (await checkpoint()).size;
          const n = 30;
          const results = await Promise.all(
            Array.from({ length: n }, (_, i) => call(i % 2 ? other : server, 'POST', '/v1/tokens', { token: admin, body: { principal: `burst-${i}`, scopes: [PROPOSE] } })),
          );
          assert.ok(results.every((r) => r.status === 201), results.map((r) => r.status).join(','));
          const cp = await checkpoint(other);
          assert.equal(cp.size, before + n);
          const events = await allEvents(other);
          assert.deepEqual(events.map((e) => e.index), Array.from({ length: cp.size }, (_, i) => i));
          const verifier = new LogVerifier();
          for (const e of events) verifier.add(e);
          assert.ok(verifier.finish(cp).ok);
          assert.deepEqual(await checkpoint(server), cp, 'both processes sign the same tree');
        } finally {
          await other.close();
        }
      });
    }
  });
}
