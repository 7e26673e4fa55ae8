import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RegistryClient } from '../oci/index.js';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { pushImage } from '../testing/oci-images.js';
import { registryAvailable, REGISTRY_BINARY, startTestRegistry, type TestRegistry } from '../testing/oci-registry.js';
import { startTestServer } from '../testing/server.js';
import { activateSigner, attest, ed25519, govern } from '../testing/trust.js';
import { review, workload } from './reviews.testkit.js';

function registryMissing(t: { skip(message?: string): void }): boolean {
  if (registryAvailable()) return false;
  if (process.env.CI) assert.fail(`the admission pinning tests need ${REGISTRY_BINARY}: .ci/run installs it`);
  t.skip(`SKIPPED: no ${REGISTRY_BINARY}`);
  return true;
}

for (const engine of testEngines()) {
  describe(`mutating admission pins tags through the OCI client, against a real registry, on ${engine.name}`, () => {
    let reg: TestRegistry | null = null;
    let db: TestDatabase;
    let server: RunningServer;
    let digest = '';
    const mutate = (image: string) => call(server, 'POST', '/admission/v1/mutate/local', { body: review('Pod', 'gpuaas-dev', workload('Pod', 'api', 'gpuaas-dev', { containers: [image] })) });

    before(async () => {
      if (!registryAvailable()) return;
      reg = await startTestRegistry();
      const pusher = new RegistryClient({ insecure: [reg.host], dockerConfigDir: '/nonexistent' });
      digest = (await pushImage(pusher, { registry: reg.host, path: 'gpuaas/api' }, { tag: '1.0.0' })).digest;
      await pushImage(pusher, { registry: reg.host, path: 'gpuaas/api' }, { tag: '1.1.0' });
      db = await engine.create();
      server = await startTestServer(db, { insecureRegistries: [reg.host] });
      const admin = adminToken(server, db.dataDir);
      const reviewer = await token(server, admin, 'platform-reviewer', ['scope:platform.registry.approve']);
      const key = ed25519();
      await govern(server, admin, reviewer, 'release key', activateSigner(server, 'platform.release_ci', key.publicPem));
      const ci = await token(server, admin, 'gpuaas-ci', ['scope:platform.artifacts.register', 'scope:platform.evidence.attach'], { product: 'gpuaas' });
      const releaser = await token(server, admin, 'release-bot', ['scope:platform.artifacts.promote']);
      assert.equal((await call(server, 'POST', '/v1/artifacts', { token: ci, body: { digest, artifact_type: 'gpuaas.container_image', product: 'gpuaas', name: 'api', version: '1.0.0' } })).status, 201);
      assert.equal((await call(server, 'POST', `/v1/artifacts/${digest}/evidence`, { token: ci, body: attest(key, digest, 'https://slsa.dev/provenance/v1', { buildDefinition: { buildType: 'https://example/build' }, runDetails: {} }) })).status, 201);
      assert.equal((await call(server, 'POST', `/v1/artifacts/${digest}/promotions`, { token: releaser, body: { stage: 'dev' } })).status, 201);
    });
    after(async () => {
      await server?.close();
      await db?.drop();
      await reg?.close();
    });

    it('resolves a tag to the digest the registry names now, judges it, and answers a patch that pins it', async (t) => {
      if (registryMissing(t)) return;
      const r = await mutate(`${reg!.host}/gpuaas/api:1.0.0`);
      assert.equal(r.json.response.allowed, true, r.text);
      assert.deepEqual(JSON.parse(Buffer.from(r.json.response.patch, 'base64').toString()), [{ op: 'replace', path: '/spec/containers/0/image', value: `${reg!.host}/gpuaas/api:1.0.0@${digest}` }]);
    });

    it('denies a tag whose digest is not promoted, and a tag the registry does not have', async (t) => {
      if (registryMissing(t)) return;
      const other = await mutate(`${reg!.host}/gpuaas/api:1.1.0`);
      assert.equal(other.json.response.allowed, false);
      assert.match(other.json.response.status.message, /is not registered/);
      const missing = await mutate(`${reg!.host}/gpuaas/api:9.9.9`);
      assert.equal(missing.json.response.allowed, false);
      assert.match(missing.json.response.status.message, /the tag cannot be resolved/);
    });

    it('a registry that does not answer is an error, not a denial and never an admission', async (t) => {
      if (registryMissing(t)) return;
      await reg!.stop();
      const r = await mutate(`${reg!.host}/gpuaas/api:1.0.0`);
      assert.equal(r.status, 500, r.text);
      assert.equal(r.json.code, 'ADMISSION_FAILED');
    });
  });
}

describe('mutating admission with no image resolver (an embedding that gives none)', () => {
  it('denies a tag-only image it would have pinned, saying why', async () => {
    const db = await testEngines()[0]!.create();
    const server = await startTestServer(db, { imageResolver: null });
    try {
      const r = await call(server, 'POST', '/admission/v1/mutate?cluster=local', { body: review('Pod', 'gpuaas-dev', workload('Pod', 'api', 'gpuaas-dev', { containers: ['registry.example.com/gpuaas/api:1.0.0'] })) });
      assert.equal(r.json.response.allowed, false);
      assert.match(r.json.response.status.message, /no registry client to resolve tags: pin it by digest/);
    } finally {
      await server.close();
      await db.drop();
    }
  });
});
