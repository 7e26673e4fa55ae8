import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CharterError } from '@charter/core';
import { pushCosignAttestations, pushImage, pushIndex, pushReferrer } from '../testing/oci-images.js';
import { registryAvailable, REGISTRY_BINARY, startTestRegistry, type TestRegistry } from '../testing/oci-registry.js';
import { MEDIA, RegistryClient, copyManifest, copyReferrers, discoverEnvelopes, emptyReport, insecureRegistries, parseImageRef, resolveImage } from './index.js';

/** Without the registry binary the suite is skipped locally, but CI must have it: there it fails. */
function registryMissing(t: { skip(message?: string): void }): boolean {
  if (registryAvailable()) return false;
  if (process.env.CI) assert.fail(`the OCI tests need ${REGISTRY_BINARY}: .ci/run installs it (apt-get install docker-registry)`);
  t.skip(`OCI test SKIPPED: no ${REGISTRY_BINARY} (apt-get install docker-registry apache2-utils)`);
  return true;
}

async function rejects(p: Promise<unknown>, code: string): Promise<CharterError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CharterError, `expected a CharterError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe('image references', () => {
  it('splits host, repository, tag and digest, and refuses a reference without a registry host', () => {
    const d = 'sha256:' + 'a'.repeat(64);
    assert.deepEqual(parseImageRef(`localhost:5000/gpuaas/trainer:1.4.2@${d}`), { registry: 'localhost:5000', path: 'gpuaas/trainer', repository: 'localhost:5000/gpuaas/trainer', tag: '1.4.2', digest: d });
    assert.equal(parseImageRef('registry.example.com/a/b:v1').tag, 'v1');
    for (const bad of ['gpuaas/trainer:1.0', 'localhost:5000/Upper:1', 'localhost:5000/a', 'localhost:5000/a:tag@sha256:abc', 'host.example/a b:1']) {
      assert.throws(() => parseImageRef(bad), (e: unknown) => e instanceof CharterError && e.code === 'INVALID_IMAGE_REF', bad);
    }
  });

  it('joins --insecure-registry values with CHARTER_INSECURE_REGISTRIES, and an entry without a port matches every port', () => {
    const list = insecureRegistries(['reg.internal:5000'], { CHARTER_INSECURE_REGISTRIES: 'localhost, other:1' });
    assert.deepEqual(list, ['reg.internal:5000', 'localhost', 'other:1']);
    const c = new RegistryClient({ insecure: list });
    assert.ok(c.isInsecure('localhost:5001'));
    assert.ok(c.isInsecure('reg.internal:5000'));
    assert.ok(!c.isInsecure('reg.internal:5001'));
    assert.ok(!c.isInsecure('other:2'));
  });
});

describe('OCI client against a real registry (docker-registry, distribution 2.8)', () => {
  let reg: TestRegistry | null = null;
  let client: RegistryClient;
  before(async () => {
    if (!registryAvailable()) return;
    reg = await startTestRegistry();
    client = new RegistryClient({ insecure: [reg.host], dockerConfigDir: '/nonexistent' });
  });
  after(async () => reg?.close());
  const repo = (path: string) => ({ registry: reg!.host, path });

  it('resolves tags of OCI and Docker v2 manifests, OCI indexes and Docker manifest lists to their digests', async (t) => {
    if (registryMissing(t)) return;
    const oci = await pushImage(client, repo('res/app'), { tag: 'oci' });
    const docker = await pushImage(client, repo('res/app'), { tag: 'docker', format: 'docker' });
    const index = await pushIndex(client, repo('res/app'), [oci, docker], { tag: 'index' });
    const list = await pushIndex(client, repo('res/app'), [docker], { tag: 'list', format: 'docker' });
    for (const [tag, img] of [['oci', oci], ['docker', docker], ['index', index], ['list', list]] as const) {
      const r = await resolveImage(client, `${reg!.host}/res/app:${tag}`);
      assert.deepEqual(r, { digest: img.digest, repository: `${reg!.host}/res/app`, tag, mediaType: img.mediaType });
      const m = await client.requireManifest(repo('res/app'), img.digest);
      assert.ok(m.bytes.equals(img.bytes), 'manifest bytes come back exactly as pushed');
    }
    await rejects(resolveImage(client, `${reg!.host}/res/app:nope`), 'MANIFEST_UNKNOWN');
    await rejects(resolveImage(client, `${reg!.host}/res/app@sha256:${'0'.repeat(64)}`), 'MANIFEST_UNKNOWN');
  });

  it('copies an image within one registry by mounting its blobs: same digest, nothing downloaded', async (t) => {
    if (registryMissing(t)) return;
    const img = await pushImage(client, repo('copy/src'), { layers: 3, layerBytes: 64 * 1024 });
    const before = { ...client.stats };
    const report = emptyReport();
    await copyManifest(client, repo('copy/src'), repo('copy/prod'), img.digest, '1.0.0', report);
    assert.deepEqual(report.blobs, { present: 0, mounted: 4, streamed: 0 });
    assert.ok(client.stats.bytesReceived - before.bytesReceived < 8 * 1024, `only manifests were read, got ${client.stats.bytesReceived - before.bytesReceived} bytes`);
    const copied = await client.requireManifest(repo('copy/prod'), '1.0.0');
    assert.equal(copied.digest, img.digest);
    assert.ok(copied.bytes.equals(img.bytes));
    // Again: everything is there, only the tag is written.
    const again = emptyReport();
    await copyManifest(client, repo('copy/src'), repo('copy/prod'), img.digest, '1.0.0', again);
    assert.deepEqual(again, { manifests: 0, blobs: { present: 0, mounted: 0, streamed: 0 }, referrers: 0 });
  });

  it('copies an index with its child manifests, and streams blobs between registries', async (t) => {
    if (registryMissing(t)) return;
    const other = await startTestRegistry();
    try {
      const a = await pushImage(client, repo('idx/src'));
      const b = await pushImage(client, repo('idx/src'), { format: 'docker' });
      const index = await pushIndex(client, repo('idx/src'), [a, b]);
      const c2 = new RegistryClient({ insecure: [reg!.host, other.host] });
      const report = emptyReport();
      await copyManifest(c2, repo('idx/src'), { registry: other.host, path: 'idx/dst' }, index.digest, 'v1', report);
      assert.equal(report.manifests, 3);
      assert.equal(report.blobs.streamed, 6);
      for (const m of [a, b, index]) assert.ok((await c2.requireManifest({ registry: other.host, path: 'idx/dst' }, m.digest)).bytes.equals(m.bytes));
    } finally {
      await other.close();
    }
  });

  it('lists referrers through the sha256-<hex> tag index when the registry has no referrers API, and copies them along', async (t) => {
    if (registryMissing(t)) return;
    const img = await pushImage(client, repo('ref/src'));
    const sbom = await pushReferrer(client, repo('ref/src'), img, 'application/spdx+json', 'application/spdx+json', Buffer.from('{"spdxVersion":"SPDX-2.3"}'));
    const att = await pushCosignAttestations(client, repo('ref/src'), img.digest, ['{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}']);
    const listed = await client.referrers(repo('ref/src'), img.digest);
    assert.equal(listed.via, 'tag');
    assert.deepEqual(listed.descriptors.map((d) => d.digest), [sbom.digest]);
    await copyManifest(client, repo('ref/src'), repo('ref/dst'), img.digest, 'v1');
    const report = await copyReferrers(client, repo('ref/src'), repo('ref/dst'), img.digest);
    assert.equal(report.referrers, 2);
    assert.deepEqual((await client.referrers(repo('ref/dst'), img.digest)).descriptors.map((d) => d.digest), [sbom.digest]);
    assert.equal((await client.requireManifest(repo('ref/dst'), `${img.digest.replace(':', '-')}.att`)).digest, att);
    const found = await discoverEnvelopes(client, repo('ref/dst'), img.digest);
    assert.equal(found.envelopes.length, 1);
    assert.deepEqual(found.skipped.map((s) => s.reason), ['artifact type application/spdx+json is not an attestation Charter reads']);
    // The evidence size limit holds for envelopes taken from a registry too.
    const capped = await discoverEnvelopes(client, repo('ref/dst'), img.digest, 16);
    assert.equal(capped.envelopes.length, 0);
    assert.match(capped.skipped.at(-1)!.reason, /more than the 16 this server accepts/);
  });

  it('names the registry, repository and status when a registry is unreachable or spoken to over TLS it does not have', async (t) => {
    if (registryMissing(t)) return;
    const tls = new RegistryClient({});
    const err = await rejects(tls.getManifest(repo('x/y'), 'latest'), 'REGISTRY_UNREACHABLE');
    assert.match(err.message, new RegExp(`registry ${reg!.host}, repository ${reg!.host}/x/y`));
    assert.match(err.message, /--insecure-registry/);
    assert.deepEqual(err.extra, { registry: reg!.host, repository: `${reg!.host}/x/y`, registry_status: null });
  });
});

for (const auth of ['basic', 'bearer'] as const) {
  describe(`OCI client with ${auth} auth from the Docker config file`, () => {
    let reg: TestRegistry | null = null;
    before(async () => {
      if (registryAvailable()) reg = await startTestRegistry({ auth });
    });
    after(async () => reg?.close());

    it('pushes, resolves and mounts with the credentials of config.json auths; without them it is REGISTRY_DENIED and never shows the secret', async (t) => {
      if (registryMissing(t)) return;
      // The test token realm is plain HTTP on another port of 127.0.0.1: a host entry without a port covers both.
      const client = new RegistryClient({ insecure: ['127.0.0.1'], dockerConfigDir: reg!.dockerConfigDir! });
      const img = await pushImage(client, { registry: reg!.host, path: 'auth/src' }, { tag: 'v1' });
      assert.equal((await resolveImage(client, `${reg!.host}/auth/src:v1`)).digest, img.digest);
      const report = emptyReport();
      await copyManifest(client, { registry: reg!.host, path: 'auth/src' }, { registry: reg!.host, path: 'auth/prod' }, img.digest, 'v1', report);
      assert.equal(report.blobs.mounted, 3);
      if (auth === 'bearer') assert.ok(reg!.tokenRequests() > 0, 'tokens came from the realm');

      const anonymous = new RegistryClient({ insecure: [reg!.host], dockerConfigDir: '/nonexistent' });
      const err = await rejects(resolveImage(anonymous, `${reg!.host}/auth/src:v1`), 'REGISTRY_DENIED');
      assert.match(err.message, new RegExp(`repository ${reg!.host}/auth/src`));
      assert.equal((err.extra as { registry_status: number }).registry_status, 401);
      assert.ok(!err.message.includes(reg!.user!.password) && !JSON.stringify(err.extra).includes(reg!.user!.password));
      assert.equal(MEDIA.ociManifest, img.mediaType);
      if (auth === 'bearer') {
        // Credentials never travel to a plain-HTTP realm that was not named insecure.
        const strict = new RegistryClient({ insecure: [reg!.host], dockerConfigDir: reg!.dockerConfigDir! });
        await rejects(resolveImage(strict, `${reg!.host}/auth/src:v1`), 'REGISTRY_DENIED');
      }
    });
  });
}
