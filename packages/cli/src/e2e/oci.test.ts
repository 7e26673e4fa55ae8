/**
 * DESIGN §12 end to end, through the `charter` binary against a real registry (Debian's
 * docker-registry): an image and its cosign-style `.att` attestations are pushed; `charter
 * artifact register --image` and `charter artifact discover` attach them as trusted; promotion
 * to dev, staging and prod copies the image into each stage repository with the same digest and
 * pushes a VSA beside it, which an independent DSSE verification accepts; a registry outage
 * during promotion leaves a decision whose copy failed, and a retry after the restart completes it.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RegistryClient, type RunningServer } from '@charter/server';
import { attest, pushCosignAttestations, pushImage, registryAvailable, REGISTRY_BINARY, releasePipeline, startTestRegistry, startTestServer, type KeyPair, type PushedImage, type TestRegistry } from '@charter/server/testing';
import { e2eEngines, runCharter, tempDir, type CliRun, type E2EDatabase } from './harness.js';

const TYPE = 'gpuaas.container_image';

/** DSSE verification from the spec alone: PAE = "DSSEv1" SP len(type) SP type SP len(body) SP body. */
function dsseVerify(envelope: string, publicPem: string): Record<string, any> {
  const env = JSON.parse(envelope) as { payloadType: string; payload: string; signatures: { sig: string }[] };
  const body = Buffer.from(env.payload, 'base64');
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(env.payloadType)} ${env.payloadType} ${body.length} `), body]);
  assert.ok(env.signatures.some((s) => verify(null, pae, createPublicKey(publicPem), Buffer.from(s.sig, 'base64'))), 'the VSA signature verifies with the published key');
  return JSON.parse(body.toString('utf8'));
}

describe('OCI registry path through the charter CLI (sqlite)', () => {
  const sqlite = e2eEngines().find((e) => e.name === 'sqlite')!;
  const work = tempDir('charter-e2e-oci-');
  let reg: TestRegistry | null = null;
  let db: E2EDatabase;
  let server: RunningServer;
  let oci: RegistryClient;
  let ci: string;
  let releaser: string;
  let alice: string;
  let bob: string;
  let releaseCi: KeyPair;
  let scanner: KeyPair;
  let img: PushedImage;

  const charter = (tok: string, ...args: string[]): Promise<CliRun> => runCharter(['--url', server.url, '--token', tok, ...args], { cwd: work, timeoutMs: 60_000 });
  const says = (r: CliRun) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  const repo = (path: string) => ({ registry: reg!.host, path });
  const skip = (t: { skip(m?: string): void }) => {
    if (reg) return false;
    if (process.env.CI) assert.fail(`the OCI end-to-end test needs ${REGISTRY_BINARY}: .ci/run installs it`);
    t.skip(`SKIPPED: no ${REGISTRY_BINARY}`);
    return true;
  };

  async function pushWithAttestations(tag: string): Promise<PushedImage> {
    const pushed = await pushImage(oci, repo('gpuaas/trainer'), { tag, layers: 3 });
    await pushCosignAttestations(oci, repo('gpuaas/trainer'), pushed.digest, [
      attest(releaseCi, pushed.digest, 'https://slsa.dev/provenance/v1', { buildDefinition: { buildType: 'https://example/build' }, runDetails: {} }),
      attest(releaseCi, pushed.digest, 'https://spdx.dev/Document', { spdxVersion: 'SPDX-2.3', name: 'trainer' }),
      attest(scanner, pushed.digest, 'https://cosign.sigstore.dev/attestation/vuln/v1', { scanner: { uri: 'pkg:github/aquasecurity/trivy', version: '0.50.0' }, metadata: { scanStartedOn: '2026-06-01T00:00:00Z' }, summary: { critical: 0, high: 0 } }),
    ]);
    return pushed;
  }

  before(async () => {
    if (!registryAvailable()) return;
    reg = await startTestRegistry();
    oci = new RegistryClient({ insecure: [reg.host] });
    db = await sqlite.create();
    server = await startTestServer(db, { insecureRegistries: [reg.host] });
    ({ releaseCi, scanner, ci, releaser, alice, bob } = await releasePipeline(server, db.dataDir, reg.host, TYPE));
    img = await pushWithAttestations('1.4.2');
  });
  after(async () => {
    if (!reg) return;
    await server.close();
    await db.drop();
    await reg.close();
  });

  it('register --image and discover attach the pushed attestations as trusted', async (t) => {
    if (skip(t)) return;
    const reg1 = await charter(ci, '--json', 'artifact', 'register', '--image', `${reg!.host}/gpuaas/trainer:1.4.2`, '--type', TYPE, '--name', 'trainer', '--version', '1.4.2');
    assert.equal(reg1.code, 0, says(reg1));
    const artifact = JSON.parse(reg1.stdout);
    assert.equal(artifact.digest, img.digest);
    assert.deepEqual(artifact.image, { repository: `${reg!.host}/gpuaas/trainer`, tag: '1.4.2' });
    const found = await charter(ci, 'artifact', 'discover', img.digest);
    assert.equal(found.code, 0, says(found));
    assert.match(found.stdout, /discovered 3 envelope\(s\); 3 attached \(3 trusted\), 0 skipped/);
  });

  it('promotes to dev, staging and prod: the same digest lands in each stage repository with a VSA that verifies independently', async (t) => {
    if (skip(t)) return;
    for (const who of [alice, bob]) assert.equal((await charter(who, 'artifact', 'approve', img.digest, '--stage', 'prod')).code, 0);
    const key = await (await fetch(`${server.url}/v1/attestation/key`)).json() as { public_key: string };
    for (const stage of ['dev', 'staging', 'prod']) {
      const p = await charter(releaser, 'artifact', 'promote', img.digest, '--stage', stage);
      assert.equal(p.code, 0, says(p));
      assert.match(p.stdout, new RegExp(`copy to ${reg!.host}/gpuaas-${stage}/trainer:1.4.2: done`));
      assert.equal((await oci.requireManifest(repo(`gpuaas-${stage}/trainer`), '1.4.2')).digest, img.digest);
      const vsa = await (await fetch(`${server.url}/v1/artifacts/${img.digest}/vsa?stage=${stage}`)).text();
      const statement = dsseVerify(vsa, key.public_key);
      assert.equal(statement.predicateType, 'https://slsa.dev/verification_summary/v1');
      assert.equal(statement.predicate.resourceUri, `${reg!.host}/gpuaas-${stage}/trainer@${img.digest}`);
      assert.deepEqual(statement.predicate.verifiedLevels, [`CHARTER_STAGE_${stage.toUpperCase()}`]);
      const refs = await oci.referrers(repo(`gpuaas-${stage}/trainer`), img.digest);
      assert.ok(refs.descriptors.some((d) => d.artifactType === 'application/vnd.dsse.envelope.v1+json'), 'the VSA is a referrer of the image');
    }
  });

  it('a registry outage during promotion leaves a failed copy on the decision (exit 1); promoting again after the restart completes it', async (t) => {
    if (skip(t)) return;
    const next = await pushWithAttestations('2.0.0');
    assert.equal((await charter(ci, 'artifact', 'register', '--image', `${reg!.host}/gpuaas/trainer:2.0.0`, '--type', TYPE, '--name', 'trainer', '--version', '2.0.0')).code, 0);
    assert.equal((await charter(ci, 'artifact', 'discover', next.digest)).code, 0);
    await reg!.stop();
    let failed: CliRun;
    try {
      failed = await charter(releaser, 'artifact', 'promote', next.digest, '--stage', 'dev');
    } finally {
      await reg!.start();
    }
    assert.equal(failed.code, 1, says(failed));
    assert.match(failed.stdout, /FAILED \(the promotion does not count; promote again to retry\)/);
    const retry = await charter(releaser, '--json', 'artifact', 'promote', next.digest, '--stage', 'dev');
    assert.equal(retry.code, 0, says(retry));
    assert.equal(JSON.parse(retry.stdout).copy.status, 'done');
    assert.equal((await oci.requireManifest(repo('gpuaas-dev/trainer'), '2.0.0')).digest, next.digest);
    const decisions = await (await fetch(`${server.url}/v1/artifacts/${next.digest}/promotions`)).json() as { items: { copy: { status: string } }[] };
    assert.deepEqual(decisions.items.map((d) => d.copy.status), ['failed', 'done']);
  });
});
