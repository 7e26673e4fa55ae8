import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';

const PROPOSE = 'scope:platform.registry.propose';
const APPROVE = 'scope:platform.registry.approve';

function newScope(id: string, extra: Record<string, unknown> = {}) {
  return { op: 'create', entry: { family: 'scope', id, owner: id.split('.')[0], lifecycle: 'active', title: id, spec: { kind: 'api', privileged: false }, ...extra } };
}

for (const engine of testEngines()) {
  describe(`governance over HTTP on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;
    let admin: string;
    let gpuaas: string;
    let reviewer: string;
    let now = new Date('2026-06-01T00:00:00Z');

    async function submit(tok: string, operations: unknown[], title = 'change') {
      return call(server, 'POST', '/v1/changesets', { token: tok, body: { title, operations } });
    }
    before(async () => {
      db = await engine.create();
      server = await startTestServer(db, { clock: () => now });
      admin = adminToken(server, db.dataDir);
      gpuaas = await token(server, admin, 'gpuaas-ci', [PROPOSE], { product: 'gpuaas' });
      reviewer = await token(server, admin, 'platform-reviewer', [APPROVE]);
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    it('writes the first admin token to a 0600 file and never prints it', async () => {
      assert.ok(server.adminTokenFile, 'a fresh data dir gets an admin token file');
      const { statSync } = await import('node:fs');
      assert.equal(statSync(server.adminTokenFile!).mode & 0o777, 0o600);
      assert.match(admin, /^charter_[A-Za-z0-9_-]{43}$/, '256-bit random, base64url');
    });

    it('answers 401 without or with a bad token and 403 naming the missing scope', async () => {
      const none = await submit('', [newScope('gpuaas.a1')]);
      assert.equal(none.status, 401);
      assert.equal(none.json.code, 'UNAUTHENTICATED');
      assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
      const bad = await submit('charter_not-a-real-token', [newScope('gpuaas.a1')]);
      assert.equal(bad.status, 401);
      const forbidden = await call(server, 'POST', '/v1/tokens', { token: gpuaas, body: { principal: 'x', scopes: [PROPOSE] } });
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.json.code, 'FORBIDDEN');
      assert.equal(forbidden.json.required_scope, 'scope:platform.tokens.admin');
      assert.match(forbidden.json.detail, /platform\.tokens\.admin/);
      assert.match(forbidden.type, /problem\+json/);
    });

    it('shows a token once, lists only metadata, and a revoked token stops working on the next request', async () => {
      const created = await call(server, 'POST', '/v1/tokens', { token: admin, body: { principal: 'temp', product: 'gpuaas', scopes: [PROPOSE], expires_in: '30d' } });
      assert.equal(created.status, 201);
      assert.deepEqual(Object.keys(created.json).sort(), ['expires_at', 'id', 'principal', 'product', 'scopes', 'token']);
      assert.equal(created.json.expires_at, new Date(now.getTime() + 30 * 86_400_000).toISOString());
      const list = await call(server, 'GET', '/v1/tokens', { token: admin });
      assert.equal(list.status, 200);
      assert.ok(list.json.items.some((t: any) => t.id === created.json.id));
      assert.ok(!list.text.includes(created.json.token), 'the secret is never listed');
      assert.ok(list.json.items.every((t: any) => !('hash' in t) && !('token' in t)));
      const stored = await server.handle.db.selectFrom('tokens').selectAll().where('id', '=', created.json.id).executeTakeFirstOrThrow();
      assert.notEqual(stored.hash, created.json.token, 'only a hash is stored');
      assert.ok(!JSON.stringify(stored).includes(created.json.token));
      assert.equal((await submit(created.json.token, [newScope('gpuaas.a2')], 'dry')).status, 201);
      const revoked = await call(server, 'DELETE', `/v1/tokens/${created.json.id}`, { token: admin });
      assert.equal(revoked.status, 200);
      assert.ok(revoked.json.revoked_at);
      const after = await submit(created.json.token, [newScope('gpuaas.a3')]);
      assert.equal(after.status, 401);
      assert.match(after.json.detail, /revoked/);
    });

    it('refuses a token past its expiry', async () => {
      const t = await token(server, admin, 'short', [PROPOSE], { product: 'gpuaas', expires_in: '1h' });
      assert.equal((await submit(t, [newScope('gpuaas.e1')])).status, 201);
      now = new Date(now.getTime() + 2 * 3_600_000);
      try {
        const r = await submit(t, [newScope('gpuaas.e2')]);
        assert.equal(r.status, 401);
        assert.match(r.json.detail, /expired/);
      } finally {
        now = new Date('2026-06-01T00:00:00Z');
      }
    });

    it('only grants live platform scopes: a token request for a product scope or an unknown scope is refused', async () => {
      const r = await call(server, 'POST', '/v1/tokens', { token: admin, body: { principal: 'x', scopes: ['scope:gpuaas.instances.write', 'scope:platform.nope', 'nonsense'], product: 'nope' } });
      assert.equal(r.status, 422);
      assert.deepEqual(r.json.errors.map((e: any) => e.pointer).sort(), ['/product', '/scopes/0', '/scopes/1', '/scopes/2']);
    });

    it('submits, refuses self-approval, applies only after another principal approves, and records author and approvers', async () => {
      const both = await token(server, admin, 'both-hats', [PROPOSE, APPROVE], { product: 'gpuaas' });
      const s = await submit(both, [newScope('gpuaas.volumes.read')], 'volumes');
      assert.equal(s.status, 201);
      assert.equal(s.json.status, 'open');
      assert.equal(s.json.author, 'both-hats');
      assert.equal(s.json.plan[0].action, 'create');
      const early = await call(server, 'POST', `/v1/changesets/${s.json.id}/apply`, { token: both });
      assert.equal(early.status, 409);
      assert.equal(early.json.code, 'CHANGESET_STATE');
      const self = await call(server, 'POST', `/v1/changesets/${s.json.id}/approve`, { token: both, body: {} });
      assert.equal(self.status, 403);
      assert.equal(self.json.code, 'SELF_APPROVAL');
      const ok = await call(server, 'POST', `/v1/changesets/${s.json.id}/approve`, { token: reviewer, body: { comment: 'lgtm' } });
      assert.equal(ok.status, 200);
      assert.equal(ok.json.status, 'approved');
      assert.deepEqual(ok.json.approvals.map((a: any) => [a.principal, a.comment]), [['platform-reviewer', 'lgtm']]);
      const seq = server.registry.catalog.sequence;
      const applied = await call(server, 'POST', `/v1/changesets/${s.json.id}/apply`, { token: both });
      assert.equal(applied.status, 200, applied.text);
      assert.equal(applied.json.status, 'applied');
      assert.equal(applied.json.sequence, seq + 1);
      const history = await call(server, 'GET', '/v1/entries/scope/gpuaas.volumes.read/history');
      assert.equal(history.json.items[0].changeset, s.json.id);
      assert.equal(history.json.items[0].author, 'both-hats');
      assert.deepEqual(history.json.items[0].approvers, ['platform-reviewer']);
      const again = await call(server, 'POST', `/v1/changesets/${s.json.id}/apply`, { token: both });
      assert.equal(again.status, 409);
      assert.equal((await call(server, 'GET', `/v1/check?ref=scope:gpuaas.volumes.read`)).json.allowed, true);
    });

    it('dry_run returns the plan with a field-level diff and stores nothing', async () => {
      const before = await call(server, 'GET', '/v1/changesets?limit=200');
      const r = await call(server, 'POST', '/v1/changesets?dry_run=true', {
        token: gpuaas,
        body: { title: 'dry', operations: [{ op: 'update', family: 'scope', id: 'gpuaas.instances.read', expected_revision: 1, set: { title: 'Read all instances' } }] },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.dry_run, true);
      assert.deepEqual(r.json.plan[0].diff, [{ path: '/title', before: 'Read GPU instances', after: 'Read all instances' }].map((d) => ({ ...d, before: r.json.plan[0].before.title })));
      const afterList = await call(server, 'GET', '/v1/changesets?limit=200');
      assert.equal(afterList.json.items.length, before.json.items.length);
    });

    it('reports every problem at once with pointers, stores nothing, and enforces namespaces', async () => {
      const r = await submit(gpuaas, [
        newScope('gpuaas.Bad'),
        newScope('inference.models.read'),
        { op: 'create', entry: { family: 'usage-unit', id: 'gpu_minute', owner: 'platform', title: 'GPU minute', spec: { unit: 'minute', quantity: 'duration', aggregation: 'sum', billable: true, precision: 2 } } },
        { op: 'create', entry: { family: 'scope', id: 'gpuaas.x', owner: 'gpuaas', title: 'x', spec: { kind: 'api', privileged: 'yes', implies: ['scope:gpuaas.none'] } } },
        { op: 'transition', family: 'scope', id: 'gpuaas.instances.read', expected_revision: 1, to: 'proposed' },
      ]);
      assert.equal(r.status, 422);
      assert.equal(r.json.code, 'CHANGESET_INVALID');
      const got = r.json.errors.map((e: any) => `${e.code} ${e.pointer}`);
      for (const want of [
        'INVALID_ID /operations/0/entry/id',
        'NAMESPACE_DENIED /operations/1/entry/id',
        'NAMESPACE_DENIED /operations/2/entry/id',
        'INVALID_SPEC /operations/3/entry/spec/privileged',
        'ILLEGAL_TRANSITION /operations/4/to',
      ]) assert.ok(got.includes(want), `${want} in ${JSON.stringify(got)}`);
      const list = await call(server, 'GET', '/v1/changesets?limit=200');
      assert.ok(!list.json.items.some((c: any) => c.title === 'change' && c.operations.length === 5));
    });

    it('refuses to retire what live entries reference (naming them) and lists what a disable affects', async () => {
      const retire = await submit(gpuaas, [{ op: 'transition', family: 'scope', id: 'gpuaas.instances.read', expected_revision: server.registry.catalog.get('scope', 'gpuaas.instances.read')!.revision, to: 'deprecated', replaced_by: 'scope:gpuaas.volumes.read' }, { op: 'transition', family: 'scope', id: 'gpuaas.instances.read', expected_revision: server.registry.catalog.get('scope', 'gpuaas.instances.read')!.revision, to: 'retired' }]);
      assert.equal(retire.status, 422);
      const err = retire.json.errors.find((e: any) => e.code === 'REFERENCED_BY_ACTIVE');
      assert.ok(err, JSON.stringify(retire.json.errors));
      assert.match(err.detail, /scope:gpuaas\.instances\.write/);
      const disable = await call(server, 'POST', '/v1/changesets?dry_run=true', {
        token: gpuaas,
        body: { title: 'kill', operations: [{ op: 'transition', family: 'scope', id: 'gpuaas.instances.read', expected_revision: server.registry.catalog.get('scope', 'gpuaas.instances.read')!.revision, to: 'disabled' }] },
      });
      assert.equal(disable.status, 200, disable.text);
      assert.ok(disable.json.plan[0].affects.includes('scope:gpuaas.instances.write'));
    });

    it('answers 409 REVISION_MISMATCH when the entry changed between approval and apply', async () => {
      const rev = server.registry.catalog.get('scope', 'gpuaas.quotas.write')!.revision;
      const first = await submit(gpuaas, [{ op: 'update', family: 'scope', id: 'gpuaas.quotas.write', expected_revision: rev, set: { title: 'first' } }]);
      const second = await submit(gpuaas, [{ op: 'update', family: 'scope', id: 'gpuaas.quotas.write', expected_revision: rev, set: { title: 'second' } }]);
      for (const s of [first, second]) assert.equal((await call(server, 'POST', `/v1/changesets/${s.json.id}/approve`, { token: reviewer, body: {} })).status, 200);
      assert.equal((await call(server, 'POST', `/v1/changesets/${first.json.id}/apply`, { token: gpuaas })).status, 200);
      const stale = await call(server, 'POST', `/v1/changesets/${second.json.id}/apply`, { token: gpuaas });
      assert.equal(stale.status, 409);
      assert.equal(stale.json.code, 'REVISION_MISMATCH');
      assert.equal(stale.json.errors[0].pointer, '/operations/0/expected_revision');
      assert.equal(server.registry.catalog.get('scope', 'gpuaas.quotas.write')!.title, 'first');
      const shown = await call(server, 'GET', `/v1/changesets/${second.json.id}`);
      assert.equal(shown.json.status, 'approved');
      assert.equal(shown.json.errors[0].code, 'REVISION_MISMATCH', 'GET shows why it no longer applies');
    });

    it('rejects with a reason; a rejected change set can be neither approved nor applied', async () => {
      const s = await submit(gpuaas, [newScope('gpuaas.rejected')]);
      const r = await call(server, 'POST', `/v1/changesets/${s.json.id}/reject`, { token: reviewer, body: { reason: 'not needed' } });
      assert.equal(r.status, 200);
      assert.equal(r.json.status, 'rejected');
      assert.deepEqual([r.json.rejection.principal, r.json.rejection.reason], ['platform-reviewer', 'not needed']);
      assert.equal((await call(server, 'POST', `/v1/changesets/${s.json.id}/approve`, { token: reviewer, body: {} })).status, 409);
      assert.equal((await call(server, 'POST', `/v1/changesets/${s.json.id}/apply`, { token: gpuaas })).status, 409);
      const listed = await call(server, 'GET', '/v1/changesets?status=rejected');
      assert.ok(listed.json.items.some((c: any) => c.id === s.json.id));
    });

    it('a disabled scope entry grants nothing on the very next request, and re-enabling restores it', async () => {
      assert.equal((await submit(gpuaas, [newScope('gpuaas.k1')])).status, 201);
      const rev = server.registry.catalog.get('scope', 'platform.registry.propose')!.revision;
      const adminSubmit = await call(server, 'POST', '/v1/changesets', { token: admin, body: { title: 'kill propose', operations: [{ op: 'transition', family: 'scope', id: 'platform.registry.propose', expected_revision: rev, to: 'disabled' }] } });
      assert.equal(adminSubmit.status, 201, adminSubmit.text);
      assert.equal((await call(server, 'POST', `/v1/changesets/${adminSubmit.json.id}/approve`, { token: reviewer, body: {} })).status, 200);
      assert.equal((await call(server, 'POST', `/v1/changesets/${adminSubmit.json.id}/apply`, { token: admin })).status, 200);
      const denied = await submit(gpuaas, [newScope('gpuaas.k2')]);
      assert.equal(denied.status, 403);
      assert.equal(denied.json.required_scope, PROPOSE);
      const back = await call(server, 'POST', '/v1/changesets', { token: admin, body: { title: 'restore', operations: [{ op: 'transition', family: 'scope', id: 'platform.registry.propose', expected_revision: rev + 1, to: 'active' }] } });
      assert.equal(back.status, 201, 'a registry admin is never locked out by the kill switch');
      assert.equal((await call(server, 'POST', `/v1/changesets/${back.json.id}/approve`, { token: reviewer, body: {} })).status, 200);
      assert.equal((await call(server, 'POST', `/v1/changesets/${back.json.id}/apply`, { token: admin })).status, 200);
      assert.equal((await submit(gpuaas, [newScope('gpuaas.k3')])).status, 201);
    });

    it('keeps reads public by default and private with --private-reads', async () => {
      assert.equal((await call(server, 'GET', '/v1/entries?limit=1')).status, 200);
      const priv = await startTestServer({ ...db, dataDir: db.dataDir }, { privateReads: true, seed: false });
      try {
        assert.equal((await call(priv, 'GET', '/v1/entries?limit=1')).status, 401);
        assert.equal((await call(priv, 'POST', '/v1/check', { body: { refs: ['scope:gpuaas.instances.read'] } })).status, 401);
        const reader = await token(server, admin, 'reader', ['scope:platform.registry.read']);
        assert.equal((await call(priv, 'GET', '/v1/entries?limit=1', { token: reader })).status, 200);
        assert.equal((await call(priv, 'GET', '/healthz')).status, 200, 'health stays public');
      } finally {
        await priv.close();
      }
    });

    if (engine.name === 'postgres') {
      it('two server processes applying conflicting change sets: exactly one wins, no lost update', async () => {
        const other = await startTestServer(db, { seed: false, clock: () => now });
        try {
          const rev = server.registry.catalog.get('scope', 'gpuaas.billing.read')!.revision;
          const a = await submit(gpuaas, [{ op: 'update', family: 'scope', id: 'gpuaas.billing.read', expected_revision: rev, set: { title: 'A' } }]);
          const b = await submit(gpuaas, [{ op: 'update', family: 'scope', id: 'gpuaas.billing.read', expected_revision: rev, set: { title: 'B' } }]);
          for (const s of [a, b]) assert.equal((await call(server, 'POST', `/v1/changesets/${s.json.id}/approve`, { token: reviewer, body: {} })).status, 200);
          const [ra, rb] = await Promise.all([
            call(server, 'POST', `/v1/changesets/${a.json.id}/apply`, { token: gpuaas }),
            call(other, 'POST', `/v1/changesets/${b.json.id}/apply`, { token: gpuaas }),
          ]);
          assert.deepEqual([ra.status, rb.status].sort(), [200, 409]);
          const winner = ra.status === 200 ? 'A' : 'B';
          const deadline = Date.now() + 5000;
          while (other.registry.catalog.get('scope', 'gpuaas.billing.read')!.revision !== rev + 1 || server.registry.catalog.get('scope', 'gpuaas.billing.read')!.revision !== rev + 1) {
            assert.ok(Date.now() < deadline, 'both processes converge');
            await new Promise((r) => setTimeout(r, 20));
          }
          for (const s of [server, other]) {
            const e = await call(s, 'GET', '/v1/entries/scope/gpuaas.billing.read');
            assert.deepEqual([e.json.revision, e.json.title], [rev + 1, winner]);
          }
        } finally {
          await other.close();
        }
      });
    }
  });
}
