/**
 * Artifacts where images live (DESIGN §12), against a real registry (Debian's docker-registry):
 * register by image reference, discover attestations pushed beside it, promote by copying into
 * each stage's repository, and a signed SLSA VSA checked by an independent DSSE verifier.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parseVkey, verifyReleaseProof } from '@charter/core';
import { MEDIA, RegistryClient } from '../oci/index.js';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { call } from '../testing/http.js';
import { pushCosignAttestations, pushImage, pushReferrer, type PushedImage } from '../testing/oci-images.js';
import { registryAvailable, REGISTRY_BINARY, startTestRegistry, type TestRegistry } from '../testing/oci-registry.js';
import { startTestServer } from '../testing/server.js';
import { attest, releasePipeline, type KeyPair } from '../testing/trust.js';

const SLSA = 'https://slsa.dev/provenance/v1';
const SPDX = 'https://spdx.dev/Document';
const VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1';
const TYPE = 'gpuaas.container_image';

/**
 * DSSE verification written from the spec (github.com/secure-systems-lab/dsse, protocol.md),
 * sharing no code with Charter: PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body.
 */
function independentDsseVerify(envelopeJson: string, publicPem: string): { payload: Buffer; keyids: string[] } {
  const env = JSON.parse(envelopeJson) as { payloadType: string; payload: string; signatures: { keyid?: string; sig: string }[] };
  const body = Buffer.from(env.payload, 'base64');
  const type = Buffer.from(env.payloadType, 'utf8');
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
  const key = createPublicKey(publicPem);
  const good = env.signatures.filter((s) => verify(null, pae, key, Buffer.from(s.sig, 'base64')));
  if (good.length === 0) throw new Error('no signature verifies');
  return { payload: body, keyids: good.map((s) => s.keyid ?? '') };
}

function registryMissing(t: { skip(message?: string): void }): boolean {
  if (registryAvailable()) return false;
  if (process.env.CI) assert.fail(`the OCI tests need ${REGISTRY_BINARY}: .ci/run installs it (apt-get install docker-registry)`);
  t.skip(`OCI test SKIPPED: no ${REGISTRY_BINARY}`);
  return true;
}

function vuln(critical: number) {
  return { scanner: { uri: 'pkg:github/aquasecurity/trivy', version: '0.50.0' }, metadata: { scanStartedOn: '2026-06-01T00:00:00Z' }, summary: { critical, high: 0 } };
}

for (const engine of testEngines()) {
  describe(`artifacts in an OCI registry on ${engine.name}`, () => {
    let db: TestDatabase;
    let reg: TestRegistry | null = null;
    let server: RunningServer;
    let oci: RegistryClient;
    let ci: string;
    let releaser: string;
    let alice: string;
    let bob: string;
    let releaseCi: KeyPair;
    let scanner: KeyPair;
    let img: PushedImage;
    const repo = (path: string) => ({ registry: reg!.host, path });

    /** The three envelopes staging needs, pushed cosign-style as the `.att` tag. */
    async function pushEvidence(subject: PushedImage, path: string): Promise<void> {
      await pushCosignAttestations(oci, repo(path), subject.digest, [
        attest(releaseCi, subject.digest, SLSA, { buildDefinition: { buildType: 'https://example/build' }, runDetails: {} }),
        attest(releaseCi, subject.digest, SPDX, { spdxVersion: 'SPDX-2.3', name: 'trainer' }),
        attest(scanner, subject.digest, VULN, vuln(0)),
      ]);
    }

    before(async () => {
      if (!registryAvailable()) return;
      reg = await startTestRegistry();
      oci = new RegistryClient({ insecure: [reg.host] });
      db = await engine.create();
      server = await startTestServer(db, { insecureRegistries: [reg.host] });
      ({ releaseCi, scanner, ci, releaser, alice, bob } = await releasePipeline(server, db.dataDir, reg.host, TYPE));
      img = await pushImage(oci, repo('gpuaas/trainer'), { tag: '1.4.2', layers: 3 });
    });
    after(async () => {
      if (!reg) return;
      await server.close();
      await db.drop();
      await reg.close();
    });

    it('registers by image reference: the tag resolves to the manifest digest, the product defaults to the type owner, a different digest is 409', async (t) => {
      if (registryMissing(t)) return;
      const body = { image: `${reg!.host}/gpuaas/trainer:1.4.2`, artifact_type: TYPE, name: 'trainer', version: '1.4.2' };
      const r = await call(server, 'POST', '/v1/artifacts', { token: ci, body });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.digest, img.digest);
      assert.equal(r.json.product, 'gpuaas');
      assert.deepEqual(r.json.image, { repository: `${reg!.host}/gpuaas/trainer`, tag: '1.4.2' });
      assert.equal((await call(server, 'POST', '/v1/artifacts', { token: ci, body: { ...body, digest: img.digest } })).status, 200);
      const other = 'sha256:' + 'b'.repeat(64);
      const mismatch = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { ...body, digest: other } });
      assert.equal(mismatch.status, 409, mismatch.text);
      assert.equal(mismatch.json.code, 'IMAGE_DIGEST_MISMATCH');
      assert.equal(mismatch.json.errors[0].pointer, '/digest');

      const unknown = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { ...body, image: `${reg!.host}/gpuaas/trainer:9.9.9` } });
      assert.equal(unknown.status, 422, unknown.text);
      assert.equal(unknown.json.code, 'MANIFEST_UNKNOWN');
      assert.match(unknown.json.detail, new RegExp(`registry ${reg!.host}, repository ${reg!.host}/gpuaas/trainer`));
      const bad = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { ...body, image: 'trainer:1.4.2' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.code, 'INVALID_IMAGE_REF');
      // Not named insecure: Charter speaks TLS to it, which it does not have.
      const down = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { ...body, image: `127.0.0.1:1/gpuaas/trainer:1.4.2` } });
      assert.equal(down.status, 502, down.text);
      assert.equal(down.json.code, 'REGISTRY_UNREACHABLE');
      assert.equal(down.json.repository, '127.0.0.1:1/gpuaas/trainer');
      const neither = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { artifact_type: TYPE, name: 'x', version: '1' } });
      assert.equal(neither.status, 400);
    });

    it('discovers cosign .att envelopes and OCI referrers (tag fallback), attaches them as if posted, skips what it cannot read, and is idempotent', async (t) => {
      if (registryMissing(t)) return;
      await pushEvidence(img, 'gpuaas/trainer');
      await pushReferrer(oci, repo('gpuaas/trainer'), img, 'application/spdx+json', 'application/spdx+json', Buffer.from('{"spdxVersion":"SPDX-2.3"}'));
      const bundle = { mediaType: MEDIA.sigstoreBundle, verificationMaterial: { publicKey: { hint: 'release-ci' } }, dsseEnvelope: JSON.parse(attest(releaseCi, img.digest, SLSA, { buildDefinition: { buildType: 'https://example/bundle' }, runDetails: {} })) };
      await pushReferrer(oci, repo('gpuaas/trainer'), img, MEDIA.sigstoreBundle, MEDIA.sigstoreBundle, Buffer.from(JSON.stringify(bundle)));
      await pushReferrer(oci, repo('gpuaas/trainer'), img, MEDIA.dsse, MEDIA.dsse, Buffer.from(attest(releaseCi, 'sha256:' + 'c'.repeat(64), SLSA, {})));

      const first = await call(server, 'POST', `/v1/artifacts/${img.digest}/evidence/discover`, { token: ci, body: {} });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.json.discovered, 5);
      assert.equal(first.json.attached.length, 4);
      assert.ok(first.json.attached.every((e: { trusted: boolean }) => e.trusted), JSON.stringify(first.json.attached.map((e: { reasons: string[] }) => e.reasons)));
      assert.deepEqual(first.json.attached.map((e: { evidence_type: string }) => e.evidence_type).sort(), ['evidence-type:slsa_provenance_v1', 'evidence-type:slsa_provenance_v1', 'evidence-type:spdx_sbom', 'evidence-type:vuln_scan']);
      const reasons = first.json.skipped.map((s: { reason: string }) => s.reason);
      assert.equal(reasons.length, 2);
      assert.ok(reasons.some((r: string) => r === 'artifact type application/spdx+json is not an attestation Charter reads'), reasons.join('\n'));
      assert.ok(reasons.some((r: string) => r.startsWith('SUBJECT_MISMATCH')), reasons.join('\n'));

      const again = await call(server, 'POST', `/v1/artifacts/${img.digest}/evidence/discover`, { token: ci, body: {} });
      assert.deepEqual(again.json.attached.map((e: { id: string }) => e.id).sort(), first.json.attached.map((e: { id: string }) => e.id).sort());
      assert.equal((await call(server, 'GET', `/v1/artifacts/${img.digest}/evidence`)).json.items.length, 4, 'nothing attached twice');
      const events = await call(server, 'GET', '/v1/audit/events?limit=500');
      assert.ok(!JSON.stringify(events.json).includes('Basic '), 'no credentials in audit events');
      const noScope = await call(server, 'POST', `/v1/artifacts/${img.digest}/evidence/discover`, { token: releaser, body: {} });
      assert.equal(noScope.status, 403);
    });

    it('promotes to dev, staging and prod by copying the image into each stage repository with the same digest and a VSA referrer beside it', async (t) => {
      if (registryMissing(t)) return;
      assert.equal((await call(server, 'POST', `/v1/artifacts/${img.digest}/approvals`, { token: alice, body: { stage: 'prod' } })).status, 201);
      assert.equal((await call(server, 'POST', `/v1/artifacts/${img.digest}/approvals`, { token: bob, body: { stage: 'prod' } })).status, 201);
      const key = await call(server, 'GET', '/v1/attestation/key');
      assert.equal(key.status, 200);
      assert.equal(key.json.keyid, createHash('sha256').update(createPublicKey(key.json.public_key).export({ type: 'spki', format: 'der' })).digest('hex'));
      for (const stage of ['dev', 'staging', 'prod']) {
        const p = await call(server, 'POST', `/v1/artifacts/${img.digest}/promotions`, { token: releaser, body: { stage } });
        assert.equal(p.status, 201, p.text);
        assert.deepEqual({ ...p.json.copy, detail: undefined }, { repository: `${reg!.host}/gpuaas-${stage}/trainer`, tag: '1.4.2', status: 'done', detail: undefined });
        const stageRepo = repo(`gpuaas-${stage}/trainer`);
        const copied = await oci.requireManifest(stageRepo, '1.4.2');
        assert.equal(copied.digest, img.digest, 'same digest in the stage repository');
        assert.ok(copied.bytes.equals(img.bytes), 'byte-identical manifest');
        assert.ok(await oci.hasManifest(stageRepo, `${img.digest.replace(':', '-')}.att`), 'the cosign attestations came along');

        const vsa = await call(server, 'GET', `/v1/artifacts/${img.digest}/vsa?stage=${stage}`);
        assert.equal(vsa.status, 200, vsa.text);
        const { payload, keyids } = independentDsseVerify(vsa.text, key.json.public_key);
        assert.deepEqual(keyids, [key.json.keyid]);
        const statement = JSON.parse(payload.toString('utf8'));
        assert.equal(JSON.parse(vsa.text).payloadType, 'application/vnd.in-toto+json');
        assert.equal(statement._type, 'https://in-toto.io/Statement/v1');
        assert.equal(statement.predicateType, 'https://slsa.dev/verification_summary/v1');
        assert.deepEqual(statement.subject, [{ name: `${reg!.host}/gpuaas-${stage}/trainer@${img.digest}`, digest: { sha256: img.digest.slice(7) } }]);
        const pr = statement.predicate;
        assert.deepEqual(Object.keys(pr).sort(), ['inputAttestations', 'policy', 'resourceUri', 'timeVerified', 'verificationResult', 'verifiedLevels', 'verifier']);
        assert.equal(pr.verifier.id, server.url);
        assert.equal(pr.resourceUri, `${reg!.host}/gpuaas-${stage}/trainer@${img.digest}`);
        assert.equal(pr.verificationResult, 'PASSED');
        assert.deepEqual(pr.verifiedLevels, [`CHARTER_STAGE_${stage.toUpperCase()}`]);
        assert.ok(!Number.isNaN(Date.parse(pr.timeVerified)));
        assert.match(pr.policy.uri, new RegExp(`artifact-type/${TYPE}\\?revision=\\d+#stage=${stage}`));
        assert.match(pr.policy.digest.sha256, /^[0-9a-f]{64}$/);
        const satisfiedEvidence = new Set(p.json.checks.filter((c: { requirement: { approvals?: number } }) => c.requirement.approvals === undefined).flatMap((c: { evidence: string[] }) => c.evidence));
        assert.equal(pr.inputAttestations.length, satisfiedEvidence.size);
        for (const ia of pr.inputAttestations) assert.match(ia.digest.sha256, /^[0-9a-f]{64}$/);
        // The VSA names the very canonical envelopes the release proof bundles: one form for both.
        const proof = await call(server, 'GET', `/v1/artifacts/${img.digest}/proof?stage=${stage}`);
        assert.equal(proof.status, 200, proof.text);
        const bundled = new Set((proof.json.evidence as { envelope: string }[]).map((e) => createHash('sha256').update(e.envelope).digest('hex')));
        for (const ia of pr.inputAttestations) assert.ok(bundled.has(ia.digest.sha256), `input attestation ${ia.uri} is a canonical envelope of the proof`);

        // The VSA is in the registry too, as a referrer of the image in the stage repository.
        const refs = await oci.referrers(stageRepo, img.digest);
        const pushed: string[] = [];
        for (const d of refs.descriptors.filter((x) => x.artifactType === MEDIA.dsse)) {
          const layer = JSON.parse((await oci.requireManifest(stageRepo, d.digest)).bytes.toString('utf8')).layers[0];
          assert.equal(layer.mediaType, MEDIA.dsse);
          pushed.push((await oci.getBlob(stageRepo, layer.digest)).toString('utf8'));
        }
        assert.ok(pushed.includes(vsa.text), 'the served VSA is the one pushed beside the image');
      }
      const check = await call(server, 'POST', '/v1/artifacts/check', { body: { digest: img.digest, stage: 'prod' } });
      assert.equal(check.json.allowed, true);
      // The decisions carry their copy, and the release proof (which re-checks them against the log) still verifies.
      const proof = await call(server, 'GET', `/v1/artifacts/${img.digest}/proof?stage=prod`);
      assert.equal(proof.json.decision.copy.status, 'done');
      const logKey = await call(server, 'GET', '/v1/audit/key');
      const report = verifyReleaseProof(proof.json, { logKey: parseVkey(logKey.json.vkey) });
      assert.ok(report.ok, report.problems.join('; '));
    });

    it('a registry outage during promotion leaves a decision whose copy failed (502, not counted, no VSA); promoting again after the restart completes it', async (t) => {
      if (registryMissing(t)) return;
      const next = await pushImage(oci, repo('gpuaas/trainer'), { tag: '2.0.0' });
      await pushEvidence(next, 'gpuaas/trainer');
      assert.equal((await call(server, 'POST', '/v1/artifacts', { token: ci, body: { image: `${reg!.host}/gpuaas/trainer:2.0.0`, artifact_type: TYPE, name: 'trainer', version: '2.0.0' } })).status, 201);
      assert.equal((await call(server, 'POST', `/v1/artifacts/${next.digest}/evidence/discover`, { token: ci, body: {} })).json.attached.length, 3);
      await reg!.stop();
      try {
        const failed = await call(server, 'POST', `/v1/artifacts/${next.digest}/promotions`, { token: releaser, body: { stage: 'dev' } });
        assert.equal(failed.status, 502, failed.text);
        assert.equal(failed.json.code, 'REGISTRY_COPY_FAILED');
        assert.equal(failed.json.decision.outcome, 'promoted');
        assert.equal(failed.json.decision.copy.status, 'failed');
        assert.match(failed.json.decision.copy.detail, new RegExp(`registry ${reg!.host}`));
        const decisions = await call(server, 'GET', `/v1/artifacts/${next.digest}/promotions`);
        assert.deepEqual(decisions.json.items.map((d: { copy: { status: string } }) => d.copy.status), ['failed']);
        assert.equal((await call(server, 'POST', '/v1/artifacts/check', { body: { digest: next.digest, stage: 'dev' } })).json.allowed, false, 'a failed copy is not a promotion');
        assert.equal((await call(server, 'GET', `/v1/artifacts/${next.digest}/vsa?stage=dev`)).status, 404);
        assert.equal((await call(server, 'GET', `/v1/artifacts/${next.digest}/proof?stage=dev`)).status, 404, 'no release proof for a failed copy');
        assert.ok(!(await call(server, 'GET', '/v1/artifacts?stage=dev')).json.items.some((a: { digest: string }) => a.digest === next.digest));
        const staging = await call(server, 'POST', `/v1/artifacts/${next.digest}/promotions`, { token: releaser, body: { stage: 'staging' } });
        assert.equal(staging.status, 403, 'staging needs dev, whose copy failed');
        // The artifact page says the copy failed; it never shows the decision as a promotion.
        const pageRes = await fetch(`${server.url}/ui/artifacts/${next.digest}`);
        const pageText = await pageRes.text();
        assert.equal(pageRes.status, 200);
        assert.match(pageText, /copy failed/);
        assert.doesNotMatch(pageText, /proof of the promotion to dev/);
      } finally {
        await reg!.start();
      }
      const retry = await call(server, 'POST', `/v1/artifacts/${next.digest}/promotions`, { token: releaser, body: { stage: 'dev' } });
      assert.equal(retry.status, 201, retry.text);
      assert.equal(retry.json.copy.status, 'done');
      assert.equal((await oci.requireManifest(repo('gpuaas-dev/trainer'), '2.0.0')).digest, next.digest);
      assert.equal((await call(server, 'POST', '/v1/artifacts/check', { body: { digest: next.digest, stage: 'dev' } })).json.allowed, true);
      assert.equal((await call(server, 'GET', `/v1/artifacts/${next.digest}/vsa?stage=dev`)).status, 200);
    });
  });
}
