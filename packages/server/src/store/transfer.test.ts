import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { openDatabase, type DatabaseHandle } from './db.js';
import { migrateToLatest } from './migrations.js';
import { importRows, type ExportLine } from './transfer.js';

async function* lines(rows: ExportLine[]): AsyncIterable<ExportLine> {
  for (const r of rows) yield r;
}

const state = (sequence: number): ExportLine => ({ table: 'registry_state', row: { id: 1, sequence } });

for (const engine of testEngines()) {
  describe(`charter import names the first record it cannot store, on ${engine.name}`, () => {
    let db: TestDatabase;
    let handle: DatabaseHandle;
    before(async () => {
      db = await engine.create();
      handle = openDatabase(db);
      await migrateToLatest(handle.db);
    });
    after(async () => {
      await handle.close();
      await db.drop();
    });

    for (const [what, bad] of [['a NUL', 'evil\u0000title'], ['a lone surrogate', 'x\ud800y']] as const) {
      it(`refuses ${what} with the record, table and column, and imports nothing`, async () => {
        const rows: ExportLine[] = [
          state(1),
          { table: 'tokens', row: { id: 'tok_ok', principal: 'fine' } },
          { table: 'tokens', row: { id: 'tok_bad', principal: bad } },
        ];
        await assert.rejects(importRows(handle.db, lines(rows)), (err: Error) => {
          assert.match(err.message, /record 3 of the export \(table tokens, tok_bad\): column principal contains/);
          assert.match(err.message, /nothing was imported/);
          return true;
        });
        const tokens = await handle.db.selectFrom('tokens').select('id').execute();
        assert.equal(tokens.length, 0);
        const seq = await handle.db.selectFrom('registry_state').select('sequence').executeTakeFirst();
        assert.equal(Number(seq?.sequence ?? 0), 0, 'the transaction was rolled back');
      });
    }
  });
}
