import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { resolveConfig } from '../config.js';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { call } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';

function open(server: RunningServer): Promise<Socket> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => resolve(s));
    s.on('error', reject);
  });
}

/** Resolves with everything the server sent once it closes the connection. */
function closed(s: Socket): Promise<string> {
  let text = '';
  s.on('data', (d) => (text += d.toString()));
  return new Promise((resolve) => s.on('close', () => resolve(text)));
}

describe('connection limits', () => {
  it('have sane defaults and take flags over the environment', () => {
    const d = resolveConfig({}, {});
    assert.deepEqual([d.requestTimeoutMs, d.headersTimeoutMs, d.keepAliveTimeoutMs, d.maxConnections], [30_000, 10_000, 5_000, 1024]);
    const e = resolveConfig({ maxConnections: 7 }, { CHARTER_REQUEST_TIMEOUT_MS: '2000', CHARTER_MAX_CONNECTIONS: '9' });
    assert.deepEqual([e.requestTimeoutMs, e.maxConnections], [2000, 7]);
    assert.throws(() => resolveConfig({}, { CHARTER_REQUEST_TIMEOUT_MS: '1e3' }), /whole number/);
    assert.throws(() => resolveConfig({ maxConnections: 0 }, {}), /at least 1/);
  });

  // Connection handling does not depend on the engine; SQLite keeps the test quick.
  describe('on a live server', () => {
    let db: TestDatabase;
    let server: RunningServer;
    before(async () => {
      db = await testEngines()[0]!.create();
      server = await startTestServer(db, { config: { requestTimeoutMs: 1000, headersTimeoutMs: 1000, maxConnections: 4 } });
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    it('cuts off a client that sends its body one byte at a time once the request timeout passes', async () => {
      const s = await open(server);
      const done = closed(s);
      s.write('POST /v1/validate/usage HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
      const started = Date.now();
      let sent = 0;
      const drip = setInterval(() => {
        if (!s.destroyed) s.write(sent++ === 0 ? '{' : ' ');
      }, 300);
      const answer = await done;
      clearInterval(drip);
      const held = Date.now() - started;
      assert.match(answer, /^HTTP\/1\.1 408/, answer);
      assert.ok(sent < 1000, 'the body never completed');
      assert.ok(held < 10_000, `cut off after ${held} ms, not held open`);
      assert.equal((await call(server, 'GET', '/healthz')).status, 200);
    });

    it('refuses connections beyond the cap and accepts again when one closes', async () => {
      const held = await Promise.all([open(server), open(server), open(server), open(server)]);
      const extra = await open(server);
      const text = await closed(extra);
      assert.equal(text, '', 'the fifth connection is closed without an answer');
      held[0]!.destroy();
      await new Promise((r) => setTimeout(r, 100));
      for (const s of held.slice(1)) s.destroy();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await call(server, 'GET', '/healthz')).status, 200);
    });
  });
});
