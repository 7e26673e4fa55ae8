import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Principal } from '@charter/core';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { call } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';

const admin: Principal = { name: 'alice', product: null, admin: true };
const NO_POLL = 3_600_000;

const newScope = (id: string) => ({
  title: `add ${id}`,
  operations: [{ op: 'create' as const, entry: { family: 'scope', id, owner: 'gpuaas', lifecycle: 'active', title: id, spec: { kind: 'api', privileged: false } } }],
});

/** Asks `server` over HTTP until `ref` is allowed; returns how long that took, ms. */
async function untilAllowed(server: RunningServer, ref: string, since: number, giveUpMs = 5000): Promise<number> {
  for (;;) {
    const r = await call(server, 'POST', '/v1/check', { body: { refs: [ref] } });
    if (r.json.allowed === true) return performance.now() - since;
    if (performance.now() - since > giveUpMs) assert.fail(`${ref} not visible on the other replica after ${giveUpMs} ms`);
  }
}

/** A long-poll of the change feed after `sequence`: resolves (with when) as soon as the server's catalog moves. */
function nextChange(server: RunningServer, sequence: number): Promise<number> {
  return call(server, 'GET', `/v1/changes?after=${sequence}&wait=5`).then((r) => {
    assert.equal(r.status, 200);
    assert.ok(r.json.items.length > 0, 'the long-poll ended without a change');
    return performance.now();
  });
}

for (const engine of testEngines().filter((e) => e.name === 'postgres')) {
  describe('PostgreSQL replicas follow each other by LISTEN/NOTIFY', () => {
    let db: TestDatabase;
    let a: RunningServer;
    let b: RunningServer;

    before(async () => {
      db = await engine.create();
      // The poll is pushed out of reach: only a notification can move the other replica in time.
      a = await startTestServer(db, { syncIntervalMs: NO_POLL });
      b = await startTestServer(db, { seed: false, syncIntervalMs: NO_POLL });
    });
    after(async () => {
      await b.close();
      await a.close();
      await db.drop();
    });

    it('shows a change applied on one replica on /v1/check of another within 50 ms', async () => {
      // Five changes, alternating writer. The poll is an hour away, so only the notification can
      // move the reader at all. On a machine shared with other work the scheduler can delay any
      // one trial, so the bound is asserted on the best trial, and every trial must arrive.
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const [writer, reader] = i % 2 ? [b, a] : [a, b];
        const ref = `scope:gpuaas.notified_${i}`;
        assert.equal((await call(reader, 'POST', '/v1/check', { body: { refs: [ref] } })).json.results[0].reason, 'unknown');
        const moved = nextChange(reader, reader.registry.catalog.sequence);
        await new Promise((r) => setTimeout(r, 20)); // the long-poll is parked before the write
        await writer.registry.apply(newScope(`gpuaas.notified_${i}`), admin, { approvers: ['bob'] });
        const applied = performance.now();
        times.push((await moved) - applied);
        // And /v1/check on the reader answers from the moved catalog.
        assert.equal((await call(reader, 'POST', '/v1/check', { body: { refs: [ref] } })).json.allowed, true);
      }
      times.sort((x, y) => x - y);
      const all = times.map((t) => t.toFixed(1)).join(', ');
      assert.ok(times[0]! < 50, `fastest ${times[0]!.toFixed(1)} ms (all: ${all})`);
      assert.ok(times[4]! < 2000, `slowest ${times[4]!.toFixed(1)} ms (all: ${all})`);
    });

    it('listens again after its connection is cut, and catches up with what it missed', async () => {
      const c = new pg.Client({ connectionString: db.databaseUrl });
      await c.connect();
      try {
        const cut = await c.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query ilike 'LISTEN%'");
        assert.equal(cut.rowCount, 2, 'both replicas were listening');
      } finally {
        await c.end();
      }
      await a.registry.apply(newScope('gpuaas.after_cut'), admin, { approvers: ['bob'] });
      await untilAllowed(b, 'scope:gpuaas.after_cut', performance.now());
    });
  });
}
