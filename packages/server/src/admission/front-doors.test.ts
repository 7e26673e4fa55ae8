import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';
import { activateSigner, attest, ed25519, govern, p256, type KeyPair } from '../testing/trust.js';
import { ImageNotFound, type ImageResolver } from './resolver.js';
import { review, workload } from './reviews.testkit.js';

const SLSA = 'https://slsa.dev/provenance/v1';
const SPDX = 'https://spdx.dev/Document';
const VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1';
const DAY = 24 * 60 * 60 * 1000;
const digestOf = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('hex');
const vuln = (critical: number) => ({ scanner: { uri: 'pkg:github/aquasecurity/trivy', version: '0.50.0' }, summary: { critical, high: 0 } });
const spdx = { spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'api', dataLicense: 'CC0-1.0', documentNamespace: 'https://example/spdx/api', creationInfo: { created: '2026-06-01T00:00:00Z', creators: ['Tool: syft'] }, packages: [] };

/**
 * Until the OCI registry client is on main, the mutating webhook's resolver here is an in-memory
 * table behind the ImageResolver interface: it answers what a registry would for these tags.
 */
class TableResolver implements ImageResolver {
  constructor(readonly tags: Map<string, string>, readonly slow = new Set<string>()) {}
  async resolve(image: string, signal: AbortSignal): Promise<string> {
    if (this.slow.has(image)) await new Promise((r, j) => { const t = setTimeout(r, 5000); signal.addEventListener('abort', () => { clearTimeout(t); j(new Error('aborted')); }); });
    if (image.includes('broken-registry')) throw new Error('connect ECONNREFUSED 10.0.0.1:443');
    const d = this.tags.get(image);
    if (!d) throw new ImageNotFound(image, 'manifest unknown');
    return d;
  }
}

for (const engine of testEngines()) {
  describe(`deploy check, mutate and Gatekeeper on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;
    let admin: string;
    let reviewer: string;
    let ci: string;
    let releaser: string;
    let releaseCi: KeyPair;
    let scanner: KeyPair;
    let now = Date.parse('2026-09-01T00:00:00Z');
    const image = digestOf('api 2.0.0');
    const rc = digestOf('api 2.1.0-rc1');
    const resolver = new TableResolver(new Map([
      ['registry.example.com/gpuaas/api:2.0.0', image],
      ['registry.example.com/gpuaas/api:2.1.0-rc1', rc],
    ]), new Set(['registry.example.com/gpuaas/slow:1']));

    const check = (digest: string, stage: string, path = '/v1/artifacts/check') => call(server, 'POST', path, { body: { digest, stage } });
    const register = async (digest: string, version: string) => {
      assert.equal((await call(server, 'POST', '/v1/artifacts', { token: ci, body: { digest, artifact_type: 'gpuaas.container_image', product: 'gpuaas', name: 'api', version } })).status, 201);
    };
    const attach = async (digest: string, key: KeyPair, type: string, predicate: unknown) => {
      const r = await call(server, 'POST', `/v1/artifacts/${digest}/evidence`, { token: ci, body: attest(key, digest, type, predicate) });
      assert.ok(r.status === 201 || r.status === 200, r.text);
    };
    const promote = async (digest: string, stage: string) => call(server, 'POST', `/v1/artifacts/${digest}/promotions`, { token: releaser, body: { stage } });

    before(async () => {
      db = await engine.create();
      server = await startTestServer(db, { clock: () => new Date(now), imageResolver: resolver, config: { admissionDeadlineMs: 400, publicUrl: 'https://charter.example.com/' } });
      admin = adminToken(server, db.dataDir);
      reviewer = await token(server, admin, 'platform-reviewer', ['scope:platform.registry.approve']);
      releaseCi = ed25519();
      scanner = p256();
      await govern(server, admin, reviewer, 'real keys', [...activateSigner(server, 'platform.release_ci', releaseCi.publicPem), ...activateSigner(server, 'platform.scanner', scanner.publicPem, 'ecdsa-p256')]);
      ci = await token(server, admin, 'gpuaas-ci', ['scope:platform.artifacts.register', 'scope:platform.evidence.attach'], { product: 'gpuaas' });
      releaser = await token(server, admin, 'release-bot', ['scope:platform.artifacts.promote']);
      await register(image, '2.0.0');
      await register(rc, '2.1.0-rc1');
      for (const d of [image, rc]) {
        await attach(d, releaseCi, SLSA, { buildDefinition: { buildType: 'https://example/build' }, runDetails: {} });
        await attach(d, releaseCi, SPDX, spdx);
        await attach(d, scanner, VULN, vuln(0));
      }
      assert.equal((await promote(image, 'dev')).status, 201);
      assert.equal((await promote(image, 'staging')).status, 201);
    });
    after(async () => {
      await server?.close();
      await db?.drop();
    });

    it('the deploy check answers from memory: a hit is the same answer a miss gave', async () => {
      const stats = server.artifacts.deployChecks.stats;
      // On PostgreSQL the replica feed may still be reading the setup's events (each one invalidates its digest).
      await server.artifacts.deployChecks.follow();
      const first = await check(image, 'staging');
      assert.equal(first.json.allowed, true, first.text);
      const hits = stats.hits;
      const second = await check(image, 'staging');
      assert.equal(stats.hits, hits + 1);
      assert.equal(second.text, first.text);
      const routed = await check(image, 'staging', '/v1/artifacts/check/');
      assert.deepEqual(routed.json, first.json, 'the routed handler and the fast path give one answer');
      const bad = await call(server, 'POST', '/v1/artifacts/check', { body: { digest: 'sha256:XYZ', stage: 'dev' } });
      const badRouted = await call(server, 'POST', '/v1/artifacts/check/', { body: { digest: 'sha256:XYZ', stage: 'dev' } });
      assert.equal(bad.status, 400);
      assert.deepEqual({ ...bad.json, request_id: null }, { ...badRouted.json, request_id: null });
    });

    it('a new decision clears the cached answer at once', async () => {
      assert.equal((await check(rc, 'dev')).json.reason, 'not_promoted');
      assert.equal((await check(rc, 'dev')).json.reason, 'not_promoted');
      assert.equal((await promote(rc, 'dev')).status, 201);
      const after = await check(rc, 'dev');
      assert.equal(after.json.allowed, true, after.text);
    });

    it('a hit never skips a time-based check: evidence passing max_age denies with no write; a day before, admission warns', async () => {
      const pod = () => review('Pod', 'gpuaas-staging', workload('Pod', 'api', 'gpuaas-staging', { containers: [`registry.example.com/gpuaas/api@${image}`] }));
      assert.equal((await check(image, 'staging')).json.allowed, true);
      now += 6.5 * DAY;
      const warned = await call(server, 'POST', '/admission/v1/validate?cluster=local', { body: pod() });
      assert.equal(warned.json.response.allowed, true);
      assert.equal(warned.json.response.warnings.length, 1);
      assert.match(warned.json.response.warnings[0], /vuln_scan evidence passes max_age at 2026-09-08T/);
      assert.ok(warned.json.response.warnings[0].length < 120);
      now += 1 * DAY;
      const expired = await check(image, 'staging');
      assert.equal(expired.json.allowed, false);
      assert.equal(expired.json.reason, 'revoked');
      assert.match(expired.json.detail, /old; policy allows 7d/);
    });

    it('new evidence clears the cached answer at once: a fresh scan restores staging', async () => {
      assert.equal((await check(image, 'staging')).json.allowed, false);
      await attach(image, scanner, VULN, { ...vuln(0), metadata: { rescan: now } });
      assert.equal((await check(image, 'staging')).json.allowed, true);
    });

    it('a catalog change clears it at once: disabling the scanner revokes staging, re-enabling restores it', async () => {
      assert.equal((await check(image, 'staging')).json.allowed, true);
      const rev = server.registry.catalog.get('signer', 'platform.scanner')!.revision;
      await govern(server, admin, reviewer, 'scanner key withdrawn', [{ op: 'transition', family: 'signer', id: 'platform.scanner', expected_revision: rev, to: 'disabled', reason: 'rotation' }]);
      const revoked = await check(image, 'staging');
      assert.equal(revoked.json.allowed, false);
      assert.match(revoked.json.detail, /platform\.scanner, which is disabled/);
      await govern(server, admin, reviewer, 'scanner key back', [{ op: 'transition', family: 'signer', id: 'platform.scanner', expected_revision: rev + 1, to: 'active' }]);
      assert.equal((await check(image, 'staging')).json.allowed, true);
    });

    if (engine.name === 'postgres') {
      it('other replicas: a promotion through one server clears the cached answer of another through the audit feed', async () => {
        const other = await startTestServer(db, { clock: () => new Date(now), seed: false });
        try {
          const fresh = digestOf('api 2.2.0');
          await register(fresh, '2.2.0');
          await attach(fresh, releaseCi, SLSA, { buildDefinition: { buildType: 'https://example/build' }, runDetails: {} });
          const ask = () => call(other, 'POST', '/v1/artifacts/check', { body: { digest: fresh, stage: 'dev' } });
          assert.equal((await ask()).json.reason, 'not_promoted');
          await other.artifacts.deployChecks.follow();
          assert.equal((await ask()).json.reason, 'not_promoted');
          assert.equal((await promote(fresh, 'dev')).status, 201);
          const deadline = Date.now() + 3000;
          let answer = await ask();
          while (!answer.json.allowed && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 20));
            answer = await ask();
          }
          assert.equal(answer.json.allowed, true, 'the other replica saw the decision');
        } finally {
          await other.close();
        }
      });
    }

    it('coalesces concurrent misses for one digest into one load', async () => {
      const checks = server.artifacts.deployChecks;
      checks.invalidate(image);
      const loads = checks.stats.loads;
      const answers = await Promise.all(Array.from({ length: 25 }, () => checks.verdict(image, 'dev')));
      assert.equal(checks.stats.loads, loads + 1);
      assert.ok(answers.every((a) => a.check.allowed));
    });

    it('a namespace matched by several environments must satisfy all of them', async () => {
      await govern(server, admin, reviewer, 'two environments over one namespace', [
        { op: 'create', entry: { family: 'environment', id: 'gpuaas.shared_dev', owner: 'gpuaas', lifecycle: 'active', title: 'Shared (dev)', spec: { stage: 'dev', kubernetes: { cluster: 'local', namespaces: ['shared-*'] } } } },
        { op: 'create', entry: { family: 'environment', id: 'gpuaas.shared_staging', owner: 'gpuaas', lifecycle: 'active', title: 'Shared (staging)', spec: { stage: 'staging', kubernetes: { cluster: 'local', namespaces: ['shared-gpu'] } } } },
      ]);
      const pod = (d: string) => review('Pod', 'shared-gpu', workload('Pod', 'api', 'shared-gpu', { containers: [`registry.example.com/gpuaas/api@${d}`] }));
      assert.equal((await call(server, 'POST', '/admission/v1/validate?cluster=local', { body: pod(image) })).json.response.allowed, true, 'promoted to dev and staging');
      const devOnly = await call(server, 'POST', '/admission/v1/validate?cluster=local', { body: pod(rc) });
      assert.equal(devOnly.json.response.allowed, false);
      assert.match(devOnly.json.response.status.message, /environment gpuaas\.shared_staging \(stage staging\): the artifact has not been promoted to staging/);
    });

    it('mutate pins a tag-only image to the digest its tag names, as a base64 JSON Patch', async () => {
      const body = review('Deployment', 'gpuaas-dev', workload('Deployment', 'api', 'gpuaas-dev', { containers: ['registry.example.com/gpuaas/api:2.0.0'], initContainers: ['registry.example.com/gpuaas/api:2.0.0'] }));
      const r = await call(server, 'POST', '/admission/v1/mutate?cluster=local', { body });
      assert.equal(r.json.response.allowed, true, r.text);
      assert.equal(r.json.response.patchType, 'JSONPatch');
      assert.deepEqual(JSON.parse(Buffer.from(r.json.response.patch, 'base64').toString()), [
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `registry.example.com/gpuaas/api:2.0.0@${image}` },
        { op: 'replace', path: '/spec/template/spec/initContainers/0/image', value: `registry.example.com/gpuaas/api:2.0.0@${image}` },
      ]);
      const staging = await call(server, 'POST', '/admission/v1/mutate?cluster=local', { body: review('Pod', 'gpuaas-staging', workload('Pod', 'api', 'gpuaas-staging', { containers: ['registry.example.com/gpuaas/api:2.0.0'] })) });
      assert.equal(staging.json.response.allowed, false, 'gpuaas.staging does not pin digests');
    });

    it('mutate judges the digest a tag resolves to, and denies a tag the registry does not know', async () => {
      const pod = (img: string, ns = 'gpuaas-dev') => review('Pod', ns, workload('Pod', 'api', ns, { containers: [img] }));
      const prod = await call(server, 'POST', '/admission/v1/mutate?cluster=local', { body: pod('registry.example.com/gpuaas/api:2.1.0-rc1', 'gpuaas-prod') });
      assert.equal(prod.json.response.allowed, false);
      const unknown = await call(server, 'POST', '/admission/v1/mutate?cluster=local', { body: pod('registry.example.com/gpuaas/api:9.9.9') });
      assert.equal(unknown.json.response.allowed, false);
      assert.match(unknown.json.response.status.message, /the tag cannot be resolved: .*manifest unknown/);
    });

    it('error is not deny: a registry outage or a passed deadline answers 500, never allowed', async () => {
      const pod = (img: string) => review('Pod', 'gpuaas-dev', workload('Pod', 'api', 'gpuaas-dev', { containers: [img] }));
      const outage = await call(server, 'POST', '/admission/v1/mutate?cluster=local', { body: pod('broken-registry.example.com/api:1') });
      assert.equal(outage.status, 500, outage.text);
      assert.equal(outage.json.code, 'ADMISSION_FAILED');
      const started = Date.now();
      const slow = await call(server, 'POST', '/admission/v1/mutate?cluster=local', { body: pod('registry.example.com/gpuaas/slow:1') });
      assert.equal(slow.status, 500, slow.text);
      assert.match(slow.json.detail, /no answer within the 400 ms deadline/);
      assert.ok(Date.now() - started < 3000);
      const metrics = await call(server, 'GET', '/metrics');
      assert.match(metrics.text, /charter_admission_reviews_total\{webhook="mutate",outcome="error"\} 2/);
    });

    it('Gatekeeper: one item per key, values for digests, per-key errors for what cannot be judged', async () => {
      const unknown = digestOf('never registered');
      const keys = [`registry.example.com/gpuaas/api@${image}`, `registry.example.com/gpuaas/api:2.1.0-rc1@${rc}`, `registry.example.com/x@${unknown}`, 'registry.example.com/gpuaas/api:2.0.0', 'registry.example.com/gpuaas/api:nope', 'Not A Ref'];
      const r = await call(server, 'POST', '/gatekeeper/v1beta1/provider?environment=gpuaas.staging', { body: { apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.apiVersion, 'externaldata.gatekeeper.sh/v1beta1');
      assert.equal(r.json.kind, 'ProviderResponse');
      assert.equal(r.json.response.idempotent, true);
      assert.equal(r.json.response.systemError, undefined);
      const items = r.json.response.items;
      assert.deepEqual(items.map((i: { key: string }) => i.key), keys);
      assert.deepEqual(items[0].value, { allowed: true, digest: image, stage: 'staging', reason: 'promoted to staging and still trusted', explain_url: `https://charter.example.com/ui/artifacts/${image}` });
      assert.equal(items[1].value.allowed, false);
      assert.equal(items[1].value.reason, 'the artifact has not been promoted to staging');
      assert.equal(items[2].value.allowed, false);
      assert.match(items[2].value.reason, /is not registered/);
      assert.equal(items[3].value.digest, image, 'a tag is resolved to its digest');
      assert.match(items[4].error, /cannot be resolved/);
      assert.match(items[5].error, /not an image reference/);
      const none = await call(server, 'POST', '/gatekeeper/v1beta1/provider?environment=gpuaas.nowhere', { body: { apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } } });
      assert.equal(none.status, 404);
      const malformed = await call(server, 'POST', '/gatekeeper/v1beta1/provider?environment=gpuaas.staging', { body: { kind: 'ProviderRequest', request: { keys: 'x' } } });
      assert.equal(malformed.status, 400);
    });

    it('Gatekeeper: an outage is a systemError with no items, never an allowed value', async () => {
      await server.handle.close();
      const r = await call(server, 'POST', '/gatekeeper/v1beta1/provider?environment=gpuaas.staging', { body: { apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [`r.example.com/a@${digestOf('cold')}`] } } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.response.items, []);
      assert.match(r.json.response.systemError, /could not be decided/);
    });
  });
}
