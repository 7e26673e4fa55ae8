import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openRegistry } from '../server.js';
import { registryStore } from '../store/registry-store.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { defaultSeedDir } from './seed.js';

for (const engine of testEngines()) {
  describe(`seed at start on ${engine.name}`, () => {
    let db: TestDatabase;
    let seedDir: string;
    before(async () => {
      db = await engine.create();
      seedDir = mkdtempSync(join(tmpdir(), 'charter-seed-'));
      cpSync(defaultSeedDir(), seedDir, { recursive: true });
    });
    after(async () => {
      rmSync(seedDir, { recursive: true, force: true });
      await db.drop();
    });

    const open = () => openRegistry({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, seed: true, seedDir });

    it('remembers the seed files it took in, skips them while unchanged, and takes in what a changed file adds', async () => {
      const first = await open();
      const taken = await registryStore.seedState(first.handle.db);
      await first.handle.close();
      assert.ok(first.seeded);
      assert.match(taken?.digest ?? '', /^sha256:[0-9a-f]{64}$/);

      const second = await open();
      assert.equal(second.seeded, null);
      assert.deepEqual(await registryStore.seedState(second.handle.db), taken, 'unchanged files: nothing read, nothing recorded anew');
      await second.handle.close();

      writeFileSync(join(seedDir, 'extra.yaml'), 'family: scope\nid: gpuaas.extra.read\nowner: gpuaas\nlifecycle: active\ntitle: Extra\nspec: {kind: api, privileged: false}\n');
      const third = await open();
      try {
        assert.deepEqual(third.seeded?.plan.changes.map((c) => c.ref), ['scope:gpuaas.extra.read']);
        assert.ok(third.registry.catalog.get('scope', 'gpuaas.extra.read'));
        assert.notEqual((await registryStore.seedState(third.handle.db))?.digest, taken?.digest);
      } finally {
        await third.handle.close();
      }
    });
  });
}
