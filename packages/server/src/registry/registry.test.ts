import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CharterError, FAMILY_NAMES, type ChangeSetInput, type Principal } from '@charter/core';
import { openRegistry } from '../server.js';
import { registryStore } from '../store/registry-store.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { planSeed } from './seed.js';

const admin: Principal = { name: 'alice', product: null, admin: true };

function relabel(expected: number, title: string): ChangeSetInput {
  return { title: 'relabel', operations: [{ op: 'update', family: 'scope', id: 'gpuaas.instances.read', expected_revision: expected, set: { title } }] };
}

for (const engine of testEngines()) {
  describe(`registry store on ${engine.name}`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await engine.create();
    });
    after(async () => {
      await db.drop();
    });

    it('migrates, loads the seed once as revision 1 of every entry, and a second start changes nothing', async () => {
      const first = await openRegistry({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, seed: true, seedDir: undefined });
      try {
        assert.ok(first.seeded, 'the seed is applied on a fresh database');
        assert.equal(first.registry.catalog.sequence, 1);
        for (const e of first.registry.catalog.entries()) assert.equal(e.revision, 1, `${e.family}:${e.id} starts at revision 1`);
        const families = new Set([...first.registry.catalog.entries()].map((e) => e.family));
        assert.deepEqual([...families].sort(), [...FAMILY_NAMES].sort(), 'the seed has an entry of every family');
        const history = await registryStore.history(first.handle.db, 'scope', 'gpuaas.instances.write', { limit: 10 });
        assert.equal(history.length, 1);
        assert.equal(history[0]!.author, 'seed');
      } finally {
        await first.handle.close();
      }
      const second = await openRegistry({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, seed: true, seedDir: undefined });
      try {
        assert.equal(second.seeded, null, 'a second start applies nothing');
        assert.deepEqual(second.migrations.applied, []);
        assert.equal(second.registry.catalog.sequence, 1);
        const plan = planSeed(second.registry);
        assert.equal(plan.operations.length, 0, 'seed plan says no changes');
      } finally {
        await second.handle.close();
      }
    });

    it('gives every applied change a new immutable revision and bumps the global sequence', async () => {
      const { handle, registry } = await openRegistry({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, seed: false, seedDir: undefined });
      try {
        const start = registry.catalog.sequence;
        const applied = await registry.apply(relabel(1, 'Read GPU instances (v2)'), admin, { approvers: ['bob'] });
        assert.equal(applied.changeset.sequence, start + 1);
        assert.equal(registry.catalog.get('scope', 'gpuaas.instances.read')?.revision, 2);
        const history = await registryStore.history(handle.db, 'scope', 'gpuaas.instances.read', { limit: 10 });
        assert.deepEqual(history.map((h) => h.revision), [2, 1]);
        assert.equal(history[1]!.entry.title !== 'Read GPU instances (v2)', true, 'revision 1 keeps its old title');
        assert.deepEqual(history[0]!.approvers, ['bob']);
        assert.equal(await registryStore.sequence(handle.db), start + 1);
      } finally {
        await handle.close();
      }
    });

    it('applies nothing of a change set with one bad operation (all or none) and leaves the sequence alone', async () => {
      const { handle, registry } = await openRegistry({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, seed: false, seedDir: undefined });
      try {
        const seq = registry.catalog.sequence;
        const rev = registry.catalog.get('scope', 'gpuaas.instances.read')!.revision;
        const input: ChangeSetInput = {
          title: 'half good',
          operations: [
            { op: 'update', family: 'scope', id: 'gpuaas.instances.read', expected_revision: rev, set: { title: 'changed' } },
            { op: 'create', entry: { family: 'scope', id: 'gpuaas.Bad', owner: 'gpuaas', title: 'x', spec: { kind: 'api', privileged: false } } },
          ],
        };
        await assert.rejects(registry.apply(input, admin, { approvers: [] }), (err: CharterError) => err.code === 'CHANGESET_INVALID' && err.errors.some((e) => e.code === 'INVALID_ID'));
        assert.equal(await registryStore.sequence(handle.db), seq);
        const stored = await registryStore.allEntries(handle.db);
        assert.notEqual(stored.find((e) => e.id === 'gpuaas.instances.read')!.title, 'changed');
      } finally {
        await handle.close();
      }
    });

    it('never reuses an ID, also after retirement', async () => {
      const { handle, registry } = await openRegistry({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, seed: false, seedDir: undefined });
      try {
        const create: ChangeSetInput = { title: 'new', operations: [{ op: 'create', entry: { family: 'scope', id: 'gpuaas.tmp', owner: 'gpuaas', title: 'tmp', spec: { kind: 'api', privileged: false } } }] };
        await registry.apply(create, admin, { approvers: [] });
        await registry.apply({ title: 'retire', operations: [{ op: 'transition', family: 'scope', id: 'gpuaas.tmp', expected_revision: 1, to: 'retired' }] }, admin, { approvers: [] });
        await assert.rejects(registry.apply(create, admin, { approvers: [] }), (err: CharterError) => err.errors.some((e) => e.code === 'ID_REUSED'));
        const reserved = await handle.db.selectFrom('reserved_ids').selectAll().where('id', '=', 'gpuaas.tmp').execute();
        assert.equal(reserved.length, 1);
      } finally {
        await handle.close();
      }
    });

    if (engine.name === 'postgres') {
      it('migrates exactly once when several servers start at the same time', async () => {
        const fresh = await engine.create();
        try {
          const opened = await Promise.all([1, 2, 3].map(() => openRegistry({ dataDir: fresh.dataDir, databaseUrl: fresh.databaseUrl, seed: true, seedDir: undefined }).catch((e: unknown) => e)));
          const ok = opened.filter((o): o is Awaited<ReturnType<typeof openRegistry>> => !(o instanceof Error));
          try {
            assert.equal(ok.length, 3, `all three start: ${opened.filter((o) => o instanceof Error).map(String).join('; ')}`);
            assert.equal(ok.filter((o) => o.migrations.applied.length > 0).length, 1, 'one of them ran the migration');
            assert.equal(ok.filter((o) => o.seeded !== null).length, 1, 'one of them loaded the seed');
            for (const o of ok) await o.registry.sync();
            assert.deepEqual(ok.map((o) => o.registry.catalog.sequence), [1, 1, 1]);
          } finally {
            for (const o of ok) await o.handle.close();
          }
        } finally {
          await fresh.drop();
        }
      });

      it('lets exactly one of two processes win a race for the same revision, and the loser sees the winner', async () => {
        const a = await openRegistry({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, seed: false, seedDir: undefined });
        const b = await openRegistry({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, seed: false, seedDir: undefined });
        try {
          const rev = a.registry.catalog.get('scope', 'gpuaas.instances.read')!.revision;
          const results = await Promise.allSettled([
            a.registry.apply(relabel(rev, 'winner A'), admin, { approvers: [] }),
            b.registry.apply(relabel(rev, 'winner B'), admin, { approvers: [] }),
          ]);
          const won = results.filter((r) => r.status === 'fulfilled');
          const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
          assert.equal(won.length, 1, 'exactly one wins');
          assert.equal((lost[0]!.reason as CharterError).code, 'REVISION_MISMATCH');
          await a.registry.sync();
          await b.registry.sync();
          const ea = a.registry.catalog.get('scope', 'gpuaas.instances.read')!;
          const eb = b.registry.catalog.get('scope', 'gpuaas.instances.read')!;
          assert.equal(ea.revision, rev + 1);
          assert.deepEqual(ea, eb, 'both processes see the same winner');
          const history = await registryStore.history(a.handle.db, 'scope', 'gpuaas.instances.read', { limit: 100 });
          assert.equal(history.filter((h) => h.revision === rev + 1).length, 1, 'no lost update, no duplicate revision');
        } finally {
          await a.handle.close();
          await b.handle.close();
        }
      });
    }
  });
}
