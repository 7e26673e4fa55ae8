import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '@charter/core';
import { CharterProblem, LocalCatalog, NotAllowedError, type CheckResult } from '@charter/sdk';
import type { RunningServer } from '@charter/server';
import { e2eEngines, http, startE2EServer, waitUntil, type E2EDatabase } from './harness.js';

const admin: Principal = { name: 'alice', product: null, admin: true };

const WRITE = 'scope:gpuaas.instances.write';
const UNKNOWN = 'scope:gpuaas.nope';
const MALFORMED = 'Scope:GPUaaS..write';
const PROPOSED_SIGNER = 'signer:platform.release_ci';

/** Asserts that `fn` throws a NotAllowedError for `ref` with `reason`. */
function assertDenied(fn: () => unknown, ref: string, reason: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof NotAllowedError, `expected NotAllowedError, got ${String(err)}`);
    assert.equal(err.name, 'NotAllowedError');
    assert.equal(err.ref, ref);
    assert.equal(err.reason, reason);
    assert.match(err.message, new RegExp(reason));
    return true;
  });
}

for (const engine of e2eEngines()) {
  describe(`SDK LocalCatalog against a live server on ${engine.name}`, () => {
    let db: E2EDatabase;
    let server: RunningServer;
    const catalogs: LocalCatalog[] = [];
    /** A catalog that is stopped in `after`, so no long-poll outlives the suite. */
    const track = (c: LocalCatalog) => (catalogs.push(c), c);

    before(async () => {
      db = await engine.create();
      server = await startE2EServer(db);
    });
    after(async () => {
      await Promise.all(catalogs.map((c) => c.stop()));
      await server?.close();
      await db?.drop();
    });

    it('denies every check with reason stale before it has a snapshot, and require throws', () => {
      const local = new LocalCatalog({ url: server.url });
      assert.equal(local.fresh, false);
      assert.equal(local.sequence, null);
      for (const ref of [WRITE, UNKNOWN, MALFORMED]) {
        const r = local.check(ref);
        assert.equal(r.allowed, false, ref);
        assert.equal(r.reason, 'stale', ref);
        assert.equal(r.ref, ref);
      }
      const all = local.checkAll([WRITE]);
      assert.equal(all.allowed, false);
      assert.equal(all.results[0]?.reason, 'stale');
      assertDenied(() => local.require(WRITE), WRITE, 'stale');
    });

    it('after start() answers locally exactly what POST /v1/check answers', async () => {
      const local = track(new LocalCatalog({ url: server.url }));
      await local.start();
      assert.equal(local.fresh, true);
      assert.equal(local.sequence, server.registry.catalog.sequence);

      const expected: Record<string, CheckResult['reason']> = { [WRITE]: 'active', [UNKNOWN]: 'unknown', [MALFORMED]: 'malformed', [PROPOSED_SIGNER]: 'not_active' };
      const refs = Object.keys(expected);
      const remote = await http(server.url, 'POST', '/v1/check', { refs });
      assert.equal(remote.status, 200);
      const mine = local.checkAll(refs);
      assert.equal(mine.sequence, remote.json.sequence);
      assert.equal(mine.allowed, remote.json.allowed);
      assert.equal(mine.allowed, false);
      for (const [i, ref] of refs.entries()) {
        const l = local.check(ref);
        const r = remote.json.results[i];
        assert.equal(l.reason, expected[ref], `${ref}: local reason`);
        assert.equal(l.allowed, ref === WRITE, `${ref}: local allowed`);
        for (const field of ['ref', 'allowed', 'reason', 'lifecycle', 'revision', 'replaced_by', 'sunset_at', 'warning'] as const) {
          assert.deepEqual(l[field], r[field], `${ref}: field ${field} differs (local ${JSON.stringify(l[field])}, HTTP ${JSON.stringify(r[field])})`);
        }
        assert.deepEqual(mine.results[i], l);
      }
      assert.equal(local.check(WRITE).lifecycle, 'active');
      assert.equal(local.check(PROPOSED_SIGNER).lifecycle, 'proposed');
    });

    it('follows the change feed: a change applied on the server reaches local checks without refresh()', async () => {
      const local = track(new LocalCatalog({ url: server.url }));
      await local.start();
      const ref = 'scope:gpuaas.quotas.write';
      assert.equal(local.check(ref).reason, 'active');
      const current = await http(server.url, 'GET', '/v1/entries/scope/gpuaas.quotas.write');
      assert.equal(current.status, 200);
      const before = local.sequence!;

      const applied = await server.registry.apply(
        { title: 'kill switch for quota writes', operations: [{ op: 'transition', family: 'scope', id: 'gpuaas.quotas.write', expected_revision: current.json.revision, to: 'disabled' }] },
        admin,
        { approvers: ['bob'] },
      );

      await waitUntil('the local catalog to see the disabled scope', () => local.check(ref).reason === 'disabled', 5000);
      const r = local.check(ref);
      assert.equal(r.allowed, false);
      assert.equal(r.lifecycle, 'disabled');
      assert.equal(r.revision, current.json.revision + 1);
      assert.equal(local.sequence, applied.changeset.sequence);
      assert.ok(local.sequence! > before);
      assertDenied(() => local.require(ref), ref, 'disabled');
      // Still the same answer as the server's.
      const remote = await http(server.url, 'POST', '/v1/check', { refs: [ref] });
      assert.deepEqual(local.checkAll([ref]), remote.json);
    });

    it('fails closed as stale once its clock passes the bound without a successful poll, and a poll makes it fresh again', async () => {
      let now = Date.now();
      const local = track(new LocalCatalog({ url: server.url, stalenessMs: 1000, clock: () => now }));
      await local.start();
      await local.stop(); // no background poll from here on
      assert.equal(local.check(WRITE).reason, 'active');
      now += 1000; // exactly at the bound: still fresh
      assert.equal(local.fresh, true);
      assert.equal(local.check(WRITE).allowed, true);
      now += 1; // past it
      assert.equal(local.fresh, false);
      const stale = local.check(WRITE);
      assert.equal(stale.allowed, false);
      assert.equal(stale.reason, 'stale');
      assert.ok(stale.warning, 'a stale denial explains itself');
      assert.equal(local.checkAll([WRITE]).allowed, false);
      assertDenied(() => local.require(WRITE), WRITE, 'stale');

      await local.poll();
      assert.equal(local.fresh, true);
      assert.equal(local.check(WRITE).reason, 'active');
      assert.equal(local.require(WRITE).allowed, true);
    });

    it('goes stale while its server is down, and a failed poll does not make it fresh', async () => {
      // A second server on the same database, so stopping it leaves the shared one alone.
      const doomed = await startE2EServer(db);
      let now = Date.now();
      const errors: unknown[] = [];
      const local = track(new LocalCatalog({ url: doomed.url, stalenessMs: 1000, clock: () => now, pollWaitSeconds: 1, retryMs: 50, onError: (e) => errors.push(e) }));
      await local.start();
      assert.equal(local.check(WRITE).reason, 'active');
      await local.stop();
      await doomed.close();
      now += 1001;
      assert.equal(local.check(WRITE).reason, 'stale');
      await assert.rejects(local.poll(), (err: unknown) => err instanceof CharterProblem && err.code === 'UNREACHABLE');
      assert.equal(local.fresh, false);
      assert.equal(local.check(WRITE).reason, 'stale');
      assertDenied(() => local.require(WRITE), WRITE, 'stale');
    });

    it('stop() returns promptly even while it is backing off from an unreachable server', async () => {
      const doomed = await startE2EServer(db);
      let failures = 0;
      const local = track(new LocalCatalog({ url: doomed.url, pollWaitSeconds: 1, retryMs: 2000, onError: () => failures++ }));
      await local.start();
      await doomed.close();
      await waitUntil('the follower to notice the server is gone', () => failures > 0, 5000);
      const started = Date.now();
      const outcome = await Promise.race([local.stop().then(() => 'stopped'), new Promise((r) => setTimeout(r, 500, 'still running'))]);
      assert.equal(outcome, 'stopped', `stop() had not returned after ${Date.now() - started} ms`);
    });

    it('the server shuts down promptly while a follower long-polls the change feed', async () => {
      const busy = await startE2EServer(db);
      // What LocalCatalog does while following: wait up to 25 s for the next change.
      const abort = new AbortController();
      const poll = fetch(`${busy.url}/v1/changes?after=${busy.registry.catalog.sequence}&wait=25`, { signal: abort.signal }).then((r) => r.status, (e: unknown) => String(e));
      try {
        await new Promise((r) => setTimeout(r, 100)); // let the long-poll reach the server
        const closing = busy.close().then(() => 'closed');
        const outcome = await Promise.race([closing, new Promise((r) => setTimeout(r, 2000, 'still closing'))]);
        assert.equal(outcome, 'closed', 'close() had not finished 2 s after it was called');
      } finally {
        abort.abort(); // lets a hung close() finish
        await poll;
        await busy.close();
      }
    });

    it('require returns the result when allowed and throws NotAllowedError with the fail-closed reason otherwise', async () => {
      const local = track(new LocalCatalog({ url: server.url }));
      await local.start();
      const ok = local.require(WRITE);
      assert.equal(ok.allowed, true);
      assert.equal(ok.reason, 'active');
      assert.deepEqual(ok, local.check(WRITE));
      assertDenied(() => local.require(UNKNOWN), UNKNOWN, 'unknown');
      assertDenied(() => local.require(MALFORMED), MALFORMED, 'malformed');
      assertDenied(() => local.require(PROPOSED_SIGNER), PROPOSED_SIGNER, 'not_active');
    });
  });
}
