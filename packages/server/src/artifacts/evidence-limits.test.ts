import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signEnvelope } from '@charter/core';
import { RegistryClient } from '../oci/client.js';
import type { RunningServer } from '../server.js';
import { Artifacts } from './artifacts.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';
import { activateSigner, attest, ed25519, govern, type KeyPair } from '../testing/trust.js';

const SLSA = 'https://slsa.dev/provenance/v1';
const CAP = 5;

function digestOf(s: string): string {
  return 'sha256:' + createHash('sha256').update(s).digest('hex');
}

for (const engine of testEngines()) {
  describe(`evidence per artifact is bounded and paged, on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;
    let ci: string;
    let releaseCi: KeyPair;
    const digest = digestOf('bundle for evidence limits');
    const attach = (envelope: string, d = digest) => call(server, 'POST', `/v1/artifacts/${d}/evidence`, { token: ci, body: envelope });

    before(async () => {
      db = await engine.create();
      server = await startTestServer(db, { config: { untrustedEvidencePerArtifact: CAP } });
      const admin = adminToken(server, db.dataDir);
      const reviewer = await token(server, admin, 'platform-reviewer', ['scope:platform.registry.approve']);
      releaseCi = ed25519();
      await govern(server, admin, reviewer, 'signer', activateSigner(server, 'platform.release_ci', releaseCi.publicPem));
      ci = await token(server, admin, 'gpuaas-ci', ['scope:platform.artifacts.register', 'scope:platform.evidence.attach'], { product: 'gpuaas' });
      const r = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { digest, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'runtime', version: '1.0.0' } });
      assert.equal(r.status, 201, r.text);
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    it('keeps at most the configured number of untrusted items per artifact and still accepts trusted evidence', async () => {
      const stranger = ed25519();
      for (let i = 0; i < CAP; i++) {
        const r = await attach(attest(stranger, digest, SLSA, { buildDefinition: { n: i, filler: 'x'.repeat(50_000) } }));
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.trusted, false);
      }
      const over = await attach(attest(stranger, digest, SLSA, { buildDefinition: { n: 'over' } }));
      assert.equal(over.status, 409, over.text);
      assert.equal(over.json.code, 'EVIDENCE_LIMIT');
      const again = await attach(attest(stranger, digest, SLSA, { buildDefinition: { n: 0, filler: 'x'.repeat(50_000) } }));
      assert.equal(again.status, 200, 'the same envelope again is idempotent, not a new item');
      const trusted = await attach(attest(releaseCi, digest, SLSA, { buildDefinition: { n: 'trusted' } }));
      assert.equal(trusted.status, 201, trusted.text);
      assert.equal(trusted.json.trusted, true);
    });

    it('pages the evidence list with a cursor, in attach order, with summaries only', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r: Awaited<ReturnType<typeof call>> = await call(server, 'GET', `/v1/artifacts/${digest}/evidence?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(r.status, 200, r.text);
        assert.ok(r.json.items.length <= 2);
        for (const e of r.json.items) {
          assert.equal(e.statement, undefined, 'list items carry no statement');
          assert.equal(e.envelope, undefined);
          assert.match(e.id, /^ev_/);
          assert.equal(typeof e.trusted, 'boolean');
        }
        assert.ok(r.text.length < 10_000, 'a page of summaries is small even when envelopes are large');
        seen.push(...r.json.items.map((e: any) => e.id));
        cursor = r.json.next_cursor;
        pages++;
      } while (cursor && pages < 20);
      assert.equal(seen.length, CAP + 1);
      assert.equal(new Set(seen).size, seen.length);
      const bad = await call(server, 'GET', `/v1/artifacts/${digest}/evidence?cursor=nonsense`);
      assert.equal(bad.status, 400);
      assert.equal(bad.json.errors[0].pointer, '/querystring/cursor');
    });

    it('serves explain and the artifact page from summaries: untrusted statements are not loaded', async () => {
      const x = await call(server, 'GET', `/v1/artifacts/${digest}/explain`);
      assert.equal(x.status, 200, x.text);
      const page = await call(server, 'GET', `/ui/artifacts/${digest}`);
      assert.equal(page.status, 200);
      assert.ok(!page.text.includes('x'.repeat(1000)), 'no untrusted predicate on the page');
      assert.ok(page.text.includes('trusted'));
    });

    it('refuses a statement nested 6,000 deep with 422 and a pointer, not a 500', async () => {
      // Built as text: JSON.stringify in the test would itself recurse 6,000 deep.
      const statement = `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"b","digest":{"sha256":"${digest.slice(7)}"}}],"predicateType":"${SLSA}","predicate":${'{"a":'.repeat(6000)}1${'}'.repeat(6000)}}`;
      const text = JSON.stringify(signEnvelope('application/vnd.in-toto+json', statement, { privateKey: releaseCi.privateKey }));
      const r = await attach(text);
      assert.equal(r.status, 422, r.text.slice(0, 300));
      assert.match(r.json.errors[0].pointer, /\/payload\/predicate(\/a)+$/, r.text.slice(0, 500));
      assert.equal((await call(server, 'GET', '/healthz')).status, 200);
    });

    it('stores the same envelope once when it arrives many times at once: one 201, the rest 200 with that item, one audit event', async () => {
      const envelope = attest(releaseCi, digest, SLSA, { buildDefinition: { n: 'racing' } });
      const before = await server.registry.audit.size();
      const answers = await Promise.all(Array.from({ length: 8 }, () => attach(envelope)));
      assert.deepEqual(answers.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201], answers.map((r) => r.text).join('\n'));
      assert.equal(new Set(answers.map((r) => r.json.id)).size, 1);
      assert.equal((await server.registry.audit.size()) - before, 1);
    });

    it('answers with the stored item when another replica stored the same bytes between its look and its write', async () => {
      // Two use-case instances over one database, as two replicas are: neither knows what the other has in flight.
      const other = new Artifacts(server.registry, server.handle.db, { client: new RegistryClient({ insecure: [] }), attestationKey: server.artifacts.attestationKey, serviceUrl: () => '' });
      const actor = { principal: { name: 'gpuaas-ci', product: 'gpuaas', admin: false }, requestId: null };
      for (let i = 0; i < 5; i++) {
        const raw = Buffer.from(attest(releaseCi, digest, SLSA, { buildDefinition: { n: `replicas-${i}` } }));
        const [a, b] = await Promise.all([server.artifacts.attach(digest, raw, actor), other.attach(digest, raw, actor)]);
        assert.equal(a.evidence.id, b.evidence.id);
        assert.deepEqual([a.created, b.created].sort(), [false, true]);
      }
    });
  });
}
