import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';

/** Issue 9 items 10–14: every principal in its lane, every act attributed, reviews race-free. */

const S = {
  read: 'scope:platform.registry.read',
  propose: 'scope:platform.registry.propose',
  approve: 'scope:platform.registry.approve',
  admin: 'scope:platform.registry.admin',
  tokens: 'scope:platform.tokens.admin',
  register: 'scope:platform.artifacts.register',
  releaseApprove: 'scope:platform.release.approve',
  promote: 'scope:platform.artifacts.promote',
  auditRead: 'scope:platform.audit.read',
};

const digestOf = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('hex');
const scopeOp = (id: string) => ({ op: 'create', entry: { family: 'scope', id, owner: id.split('.')[0], lifecycle: 'active', title: id, spec: { kind: 'api', privileged: false } } });

for (const engine of testEngines()) {
  describe(`authority on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;
    let admin: string;
    let reviewer: string;
    let gpuaasCi: string;
    const mint = (tok: string, body: Record<string, unknown>) => call(server, 'POST', '/v1/tokens', { token: tok, body: { principal: 'minted', ...body } });
    const submit = (tok: string, operations: unknown[], title = 'change') => call(server, 'POST', '/v1/changesets', { token: tok, body: { title, operations } });
    const act = (tok: string, id: string, what: 'approve' | 'reject' | 'apply', body?: unknown) =>
      call(server, 'POST', `/v1/changesets/${id}/${what}`, { token: tok, body: body ?? (what === 'reject' ? { reason: 'no' } : what === 'approve' ? {} : undefined) });
    async function events(action: string) {
      const r = await call(server, 'GET', '/v1/audit?limit=5000', { token: admin });
      assert.equal(r.status, 200, r.text);
      return (r.json.items as { action: string; actor: string; subject: string[]; details: any }[]).filter((e) => e.action === `audit-action:platform.${action}`);
    }

    before(async () => {
      db = await engine.create();
      server = await startTestServer(db);
      admin = adminToken(server, db.dataDir);
      reviewer = await token(server, admin, 'platform-reviewer', [S.approve]);
      gpuaasCi = await token(server, admin, 'gpuaas-ci', [S.propose, S.register], { product: 'gpuaas' });
      // A second product, acme, created by a registry admin.
      const s = await submit(admin, [{ op: 'create', entry: { family: 'product', id: 'acme', owner: 'acme', lifecycle: 'active', title: 'Acme', spec: { owner_domain: 'acme.example' } } }], 'product acme');
      assert.equal(s.status, 201, s.text);
      assert.equal((await act(reviewer, s.json.id, 'approve')).status, 200);
      assert.equal((await act(admin, s.json.id, 'apply')).status, 200);
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    it('a token mints only within its own reach (item 10)', async () => {
      const acmeAdmin = await token(server, admin, 'acme-admin', [S.tokens, S.propose], { product: 'acme' });
      const unbound = await mint(acmeAdmin, { scopes: [S.propose] });
      assert.equal(unbound.status, 403, unbound.text);
      assert.equal(unbound.json.code, 'GRANT_DENIED');
      assert.deepEqual(unbound.json.errors.map((e: { pointer: string }) => e.pointer), ['/product']);
      const escalate = await mint(acmeAdmin, { product: 'acme', scopes: [S.admin] });
      assert.equal(escalate.status, 403, 'the reported escalation: acme-bound tokens.admin minting registry.admin');
      assert.equal(escalate.json.code, 'GRANT_DENIED');
      assert.equal(escalate.json.errors[0].pointer, '/scopes/0');
      const tokensAdmin = await mint(acmeAdmin, { product: 'acme', scopes: [S.tokens] });
      assert.equal(tokensAdmin.status, 403, 'a bound token never hands on tokens.admin, even bound to its own product');
      const notHeld = await mint(acmeAdmin, { product: 'acme', scopes: [S.propose, S.approve] });
      assert.equal(notHeld.status, 403);
      assert.deepEqual(notHeld.json.errors.map((e: { pointer: string }) => e.pointer), ['/scopes/1']);
      const other = await mint(acmeAdmin, { product: 'gpuaas', scopes: [S.propose] });
      assert.equal(other.status, 403);
      const ok = await mint(acmeAdmin, { product: 'acme', scopes: [S.propose] });
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.json.product, 'acme');

      // Unbound but not a registry admin: still only what it holds.
      const tokenDesk = await token(server, admin, 'token-desk', [S.tokens, S.propose]);
      assert.equal((await mint(tokenDesk, { scopes: [S.approve] })).status, 403);
      assert.equal((await mint(tokenDesk, { scopes: [S.propose] })).status, 201);
      // A token never outlives the one that minted it.
      const shortLived = await token(server, admin, 'short-desk', [S.tokens, S.propose], { expires_in: '1h' });
      const forever = await mint(shortLived, { scopes: [S.propose] });
      assert.equal(forever.status, 403);
      assert.equal(forever.json.errors[0].pointer, '/expires_in');
      assert.equal((await mint(shortLived, { scopes: [S.propose], expires_in: '2h' })).status, 403);
      assert.equal((await mint(shortLived, { scopes: [S.propose], expires_in: '30m' })).status, 201);
      // A registry admin (unbound) still mints anything live; unknown scopes stay a 422.
      assert.equal((await mint(admin, { scopes: [S.approve], product: 'acme' })).status, 201);
      const unknown = await mint(admin, { scopes: ['scope:platform.nope'] });
      assert.equal(unknown.status, 422);
      assert.equal(unknown.json.code, 'INVALID_TOKEN_REQUEST');
    });

    it('a product-bound token reviews and applies only its own product change sets (item 11)', async () => {
      const acmeReviewer = await token(server, admin, 'acme-reviewer', [S.approve, S.propose], { product: 'acme' });
      const gpuaasReviewer = await token(server, admin, 'gpuaas-lead', [S.approve], { product: 'gpuaas' });
      const cs = await submit(gpuaasCi, [scopeOp('gpuaas.bound_a')]);
      assert.equal(cs.status, 201, cs.text);
      for (const what of ['approve', 'reject'] as const) {
        const r = await act(acmeReviewer, cs.json.id, what);
        assert.equal(r.status, 403, `${what}: ${r.text}`);
        assert.equal(r.json.code, 'NAMESPACE_DENIED');
      }
      assert.equal((await act(gpuaasReviewer, cs.json.id, 'approve')).status, 200, 'a reviewer bound to the same product may review it');
      const apply = await act(acmeReviewer, cs.json.id, 'apply');
      assert.equal(apply.status, 403, apply.text);
      assert.equal(apply.json.code, 'NAMESPACE_DENIED');
      assert.equal((await call(server, 'GET', `/v1/changesets/${cs.json.id}`)).json.status, 'approved', 'nothing changed');
      // A platform change set (unbound author) is out of every bound token's reach.
      const platform = await submit(admin, [scopeOp('acme.from_platform')]);
      assert.equal((await act(acmeReviewer, platform.json.id, 'approve')).status, 403);
      assert.equal((await act(reviewer, platform.json.id, 'approve')).status, 200, 'platform reviewers are unbound');
      assert.equal((await act(gpuaasCi, cs.json.id, 'apply')).status, 200);
    });

    it('a product-bound token approves releases and promotes only its own product artifacts (item 11)', async () => {
      const digest = digestOf('gpuaas bundle, authority test');
      const reg = await call(server, 'POST', '/v1/artifacts', { token: gpuaasCi, body: { digest, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'runtime', version: '9.9.9' } });
      assert.equal(reg.status, 201, reg.text);
      const acmeRelease = await token(server, admin, 'acme-release', [S.releaseApprove, S.promote, S.register], { product: 'acme' });
      const approve = await call(server, 'POST', `/v1/artifacts/${digest}/approvals`, { token: acmeRelease, body: { stage: 'staging' } });
      assert.equal(approve.status, 403, approve.text);
      assert.equal(approve.json.code, 'NAMESPACE_DENIED');
      const promote = await call(server, 'POST', `/v1/artifacts/${digest}/promotions`, { token: acmeRelease, body: { stage: 'dev' } });
      assert.equal(promote.status, 403, promote.text);
      assert.equal(promote.json.code, 'NAMESPACE_DENIED');
      const register = await call(server, 'POST', '/v1/artifacts', { token: acmeRelease, body: { digest: digestOf('x'), artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'x', version: '1' } });
      assert.equal(register.status, 403);
      const d = await call(server, 'GET', `/v1/artifacts/${digest}/promotions`);
      assert.deepEqual(d.json.items ?? d.json, [], 'no decision was recorded for the refused promotion');
      const unboundRelease = await token(server, admin, 'platform-release', [S.releaseApprove]);
      assert.equal((await call(server, 'POST', `/v1/artifacts/${digest}/approvals`, { token: unboundRelease, body: { stage: 'staging' } })).status, 201);
    });

    it('every event names the principal whose token acted; apply names the applier, the author in the details (item 12)', async () => {
      const cs = await submit(gpuaasCi, [scopeOp('gpuaas.applied_by_admin')]);
      assert.equal((await act(reviewer, cs.json.id, 'approve')).status, 200);
      assert.equal((await act(admin, cs.json.id, 'apply')).status, 200);
      const applied = (await events('changeset.apply')).find((e) => e.subject[0] === cs.json.id)!;
      assert.equal(applied.actor, 'admin');
      assert.equal(applied.details.author, 'gpuaas-ci');
      assert.equal((await events('changeset.submit')).find((e) => e.subject[0] === cs.json.id)!.actor, 'gpuaas-ci');
      assert.equal((await events('changeset.approve')).find((e) => e.subject[0] === cs.json.id)!.actor, 'platform-reviewer');
    });

    it('an approved change set of a revoked author does not apply (item 13)', async () => {
      const leaving = await mint(admin, { principal: 'leaving-ci', product: 'gpuaas', scopes: [S.propose] });
      const cs = await submit(leaving.json.token, [scopeOp('gpuaas.after_revocation')]);
      assert.equal(cs.status, 201, cs.text);
      assert.equal((await act(reviewer, cs.json.id, 'approve')).status, 200);
      assert.equal((await call(server, 'DELETE', `/v1/tokens/${leaving.json.id}`, { token: admin })).status, 200);
      const apply = await act(admin, cs.json.id, 'apply');
      assert.equal(apply.status, 409, apply.text);
      assert.equal(apply.json.code, 'AUTHOR_REVOKED');
      assert.match(apply.json.detail, /revoked/);
      assert.equal((await call(server, 'GET', '/v1/entries/scope/gpuaas.after_revocation')).status, 404, 'nothing applied');
      assert.equal((await call(server, 'GET', `/v1/changesets/${cs.json.id}`)).json.status, 'approved');
    });

    it('concurrent approvals and rejections: a lost race is a 409 to retry, exactly one rejection ends the review, every winner and only winners recorded (item 14)', async () => {
      const approvers = await Promise.all(Array.from({ length: 10 }, (_, i) => token(server, admin, `racer-a${i}`, [S.approve])));
      const rejecters = await Promise.all(Array.from({ length: 4 }, (_, i) => token(server, admin, `racer-r${i}`, [S.approve])));
      for (let round = 0; round < 3; round++) {
        const cs = await submit(gpuaasCi, [scopeOp(`gpuaas.race_${round}`)]);
        assert.equal(cs.status, 201, cs.text);
        const id = cs.json.id as string;
        const attempts = [...approvers.map((t, i) => ({ who: `racer-a${i}`, kind: 'approve' as const, t })), ...rejecters.map((t, i) => ({ who: `racer-r${i}`, kind: 'reject' as const, t }))];
        // Interleave so rejections land among the approvals.
        attempts.sort((a, b) => ((a.who.charCodeAt(7) * 7 + round) % 5) - ((b.who.charCodeAt(7) * 7 + round) % 5));
        // Each racer behaves as a client should: a 409 REVIEW_CONFLICT (another review committed
        // between its read and its write) is retried; any other answer is final. Which racer wins
        // a conflict depends on arrival order, so only the retried outcome is fixed: the first
        // rejection to commit ends the review, and every later act is refused by state.
        const settle = async (a: (typeof attempts)[number]) => {
          for (let tries = 0; ; tries++) {
            const r = await act(a.t, id, a.kind);
            if (r.status === 409 && r.json.code === 'REVIEW_CONFLICT' && tries < 50) continue;
            return r;
          }
        };
        const answers = await Promise.all(attempts.map(async (a) => ({ ...a, r: await settle(a) })));
        for (const a of answers) {
          assert.ok(a.r.status === 200 || a.r.status === 409, `${a.who} ${a.kind}: ${a.r.status} ${a.r.text}`);
          if (a.r.status === 409) assert.equal(a.r.json.code, 'CHANGESET_STATE', a.r.text);
        }
        const rejectWinners = answers.filter((a) => a.kind === 'reject' && a.r.status === 200);
        const approveWinners = answers.filter((a) => a.kind === 'approve' && a.r.status === 200).map((a) => a.who).sort();
        assert.equal(rejectWinners.length, 1, 'exactly one rejection wins');
        const final = (await call(server, 'GET', `/v1/changesets/${id}`)).json;
        assert.equal(final.status, 'rejected');
        assert.equal(final.rejection.principal, rejectWinners[0]!.who);
        assert.deepEqual(final.approvals.map((a: { principal: string }) => a.principal).sort(), approveWinners, 'the approvals are exactly those answered 200');
        const approvedEvents = (await events('changeset.approve')).filter((e) => e.subject[0] === id).map((e) => e.actor).sort();
        const rejectedEvents = (await events('changeset.reject')).filter((e) => e.subject[0] === id).map((e) => e.actor);
        assert.deepEqual(approvedEvents, approveWinners, 'one audit event per winning approval, none for the losers');
        assert.deepEqual(rejectedEvents, [rejectWinners[0]!.who]);
      }
    });

    it('apply racing a rejection: one of them wins, and the registry agrees with it (item 14)', async () => {
      const rejecter = await token(server, admin, 'late-rejecter', [S.approve]);
      for (let round = 0; round < 4; round++) {
        const cs = await submit(gpuaasCi, [scopeOp(`gpuaas.apply_race_${round}`)]);
        assert.equal((await act(reviewer, cs.json.id, 'approve')).status, 200);
        const [apply, reject] = await Promise.all([act(gpuaasCi, cs.json.id, 'apply'), act(rejecter, cs.json.id, 'reject')]);
        const final = (await call(server, 'GET', `/v1/changesets/${cs.json.id}`)).json;
        const entry = await call(server, 'GET', `/v1/entries/scope/gpuaas.apply_race_${round}`);
        assert.equal([apply.status, reject.status].filter((s) => s === 200).length, 1, `exactly one wins: apply ${apply.status} ${apply.text} / reject ${reject.status} ${reject.text}`);
        if (apply.status === 200) {
          assert.equal(final.status, 'applied');
          assert.equal(entry.status, 200);
          assert.equal(reject.status, 409);
        } else {
          assert.equal(apply.status, 409, apply.text);
          assert.equal(final.status, 'rejected');
          assert.equal(entry.status, 404, 'a rejected change set applied nothing');
        }
      }
    });
  });
}
