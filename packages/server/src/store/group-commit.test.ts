import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LogVerifier, parseVkey, readCheckpoint } from '@charter/core';
import { TokenService } from '../auth/token-service.js';
import { tokenStore } from './token-store.js';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { startTestServer } from '../testing/server.js';

const PROPOSE = 'scope:platform.registry.propose';
const actor = { principal: { name: 'admin', product: null, admin: true }, requestId: null };

for (const engine of testEngines()) {
  describe(`group commit on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;
    let tokens: TokenService;

    async function verifyLog(): Promise<number> {
      const { registry } = server;
      const cp = readCheckpoint((await registry.audit.checkpoint()).note, parseVkey((await registry.audit.keyInfo()).vkey));
      assert.ok('checkpoint' in cp);
      const verifier = new LogVerifier();
      for (let after = -1; ; ) {
        const page = await registry.audit.events({ after, limit: 500 });
        if (page.length === 0) break;
        for (const e of page) verifier.add(e);
        after = page[page.length - 1]!.index;
      }
      const result = verifier.finish(cp.checkpoint);
      assert.ok(result.ok, JSON.stringify(result.problem));
      return cp.checkpoint.size;
    }

    before(async () => {
      db = await engine.create();
      server = await startTestServer(db);
      tokens = new TokenService(server.registry, server.handle.db);
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    it('commits concurrent mutations together, each with its own consecutive log index, and the log verifies', async () => {
      const start = await server.registry.audit.size();
      const before = { ...server.registry.writeStats };
      const created = await Promise.all(Array.from({ length: 64 }, (_, i) => tokens.create({ principal: `batch-${i}`, scopes: [PROPOSE] }, actor)));
      const stats = server.registry.writeStats;
      assert.equal(stats.mutations - before.mutations, 64);
      assert.ok(stats.batches - before.batches < 64, `64 mutations took ${stats.batches - before.batches} commits`);
      const events = await server.registry.audit.events({ after: start - 1, limit: 100 });
      assert.deepEqual(events.map((e) => e.index), Array.from({ length: 64 }, (_, i) => start + i));
      assert.deepEqual(new Set(events.map((e) => e.subject[0])), new Set(created.map((t) => t.id)));
      assert.equal(await verifyLog(), start + 64);
    });

    for (const how of ['written at once', 'deferred to the batch insert'] as const)
    it(`fails only the mutation that fails inside the transaction (its row ${how}); its neighbours commit and the log has no gap`, async () => {
      const start = await server.registry.audit.size();
      const taken = (await tokens.list())[0]!;
      const results = await Promise.allSettled(
        Array.from({ length: 21 }, (_, i) =>
          i === 10
            ? // A conflict only the database can see: the token id exists.
              server.registry.mutate(actor, 'audit-action:platform.token.create', async (trx, _at, _index, later) => {
                if (how === 'deferred to the batch insert') later.insert('tokens', tokenStore.row({ ...taken, principal: 'dup' }, 'not-a-real-hash'));
                else await tokenStore.insert(trx, { ...taken, principal: 'dup' }, 'not-a-real-hash');
                return { value: null, subject: [taken.id], details: null };
              })
            : tokens.create({ principal: `neighbour-${how}-${i}`, scopes: [PROPOSE] }, actor),
        ),
      );
      assert.equal(results[10]!.status, 'rejected');
      const ok = results.filter((r) => r.status === 'fulfilled');
      assert.equal(ok.length, 20);
      const stored = await tokens.list();
      for (let i = 0; i < 21; i++) if (i !== 10) assert.ok(stored.some((t) => t.principal === `neighbour-${how}-${i}`), `neighbour-${i} was committed`);
      assert.ok(!stored.some((t) => t.principal === 'dup'));
      const events = await server.registry.audit.events({ after: start - 1, limit: 100 });
      assert.equal(events.length, 20);
      assert.ok(events.every((e) => e.subject[0] !== taken.id));
      assert.equal(await verifyLog(), start + 20);
    });

    it('applies change sets racing for one entry one after the other: one wins, the other is refused, token creations around them commit', async () => {
      const entry = server.registry.catalog.get('scope', 'gpuaas.instances.read')!;
      const relabel = (title: string) => ({ title, operations: [{ op: 'update' as const, family: 'scope' as const, id: entry.id, expected_revision: entry.revision, set: { title } }] });
      const start = await server.registry.audit.size();
      const results = await Promise.allSettled([
        tokens.create({ principal: 'around-1', scopes: [PROPOSE] }, actor),
        server.registry.apply(relabel('first'), actor.principal, { approvers: ['bob'] }),
        tokens.create({ principal: 'around-2', scopes: [PROPOSE] }, actor),
        server.registry.apply(relabel('second'), actor.principal, { approvers: ['bob'] }),
        tokens.create({ principal: 'around-3', scopes: [PROPOSE] }, actor),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      assert.equal(((results[3] as PromiseRejectedResult).reason as { code: string }).code, 'REVISION_MISMATCH');
      const now = server.registry.catalog.get('scope', entry.id)!;
      assert.equal(now.title, 'first');
      assert.equal(now.revision, entry.revision + 1);
      const events = await server.registry.audit.events({ after: start - 1, limit: 10 });
      assert.deepEqual(events.map((e) => e.action.replace('audit-action:platform.', '')), ['token.create', 'changeset.apply', 'token.create', 'token.create']);
      assert.equal(await verifyLog(), start + 4);
    });

    it('answers a caller only after its commit: what it was told is there is readable right away', async () => {
      const made = await Promise.all(Array.from({ length: 16 }, (_, i) => tokens.create({ principal: `visible-${i}`, scopes: [PROPOSE] }, actor)));
      for (const t of made) assert.ok(await tokenStore.byId(server.handle.db, t.id));
    });
  });
}
