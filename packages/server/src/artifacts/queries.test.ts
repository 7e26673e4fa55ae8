import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { RegistryClient } from '../oci/client.js';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';
import { activateSigner, attest, ed25519, govern } from '../testing/trust.js';
import { Artifacts } from './artifacts.js';

// The artifact list (API and portal page) explains every artifact of a page. Its database work
// must not grow with the page: a fixed number of queries, whatever the number of rows.
const SLSA = 'https://slsa.dev/provenance/v1';
const digestOf = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('hex');

/** Counts the statements sent through the Kysely instance it is plugged into. */
function counter(): KyselyPlugin & { n: number } {
  return {
    n: 0,
    transformQuery(args) {
      this.n++;
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  };
}

for (const engine of testEngines()) {
  describe(`queries per artifact page on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;

    before(async () => {
      db = await engine.create();
      server = await startTestServer(db);
      const admin = adminToken(server, db.dataDir);
      const reviewer = await token(server, admin, 'platform-reviewer', ['scope:platform.registry.approve']);
      const key = ed25519();
      await govern(server, admin, reviewer, 'signer', activateSigner(server, 'platform.release_ci', key.publicPem));
      const ci = await token(server, admin, 'gpuaas-ci', ['scope:platform.artifacts.register', 'scope:platform.evidence.attach'], { product: 'gpuaas' });
      const approver = await token(server, admin, 'approver', ['scope:platform.release.approve']);
      for (let i = 0; i < 24; i++) {
        const digest = digestOf(`queries ${i}`);
        const r = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { digest, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: `bundle-${i}`, version: '1.0.0' } });
        assert.equal(r.status, 201, r.text);
        for (let j = 0; j < i % 3; j++) {
          const e = await call(server, 'POST', `/v1/artifacts/${digest}/evidence`, { token: ci, body: attest(key, digest, SLSA, { buildDefinition: { i, j } }) });
          assert.equal(e.status, 201, e.text);
        }
        if (i % 4 === 0) assert.equal((await call(server, 'POST', `/v1/artifacts/${digest}/approvals`, { token: approver, body: { stage: 'prod' } })).status, 201);
      }
    });
    after(async () => {
      await server?.close();
      await db?.drop();
    });

    it('lists and explains a page of 3 and a page of 24 with the same number of queries', async () => {
      const count = counter();
      const artifacts = new Artifacts(server.registry, server.handle.db.withPlugin(count), { client: new RegistryClient({ insecure: [] }), attestationKey: server.artifacts.attestationKey, serviceUrl: () => '' });
      const queriesFor = async (limit: number) => {
        count.n = 0;
        const page = await artifacts.list({ limit });
        assert.equal(page.length, limit);
        const explained = await artifacts.explainMany(page);
        assert.equal(explained.filter((r) => r.explanation).length, limit, 'every row explained');
        return count.n;
      };
      const small = await queriesFor(3);
      const large = await queriesFor(24);
      assert.equal(large, small, `3 rows took ${small} queries, 24 rows ${large}`);
      assert.ok(small > 0 && small <= 5, `${small} queries for a page (the counter sees them)`);
    });
  });
}
