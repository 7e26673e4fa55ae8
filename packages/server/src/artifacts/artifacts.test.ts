import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parseVkey, verifyReleaseProof } from '@charter/core';
import { interop } from '@charter/core/testing';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';
import { activateSigner, attest, ed25519, govern, p256, type KeyPair } from '../testing/trust.js';

const SLSA = 'https://slsa.dev/provenance/v1';
const VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1';
const dsse = (file: string): string => interop.text('dsse', file);

function digestOf(s: string): string {
  return 'sha256:' + createHash('sha256').update(s).digest('hex');
}

function vuln(critical: number) {
  return { scanner: { uri: 'pkg:github/aquasecurity/trivy', version: '0.50.0' }, metadata: { scanStartedOn: '2026-06-01T00:00:00Z' }, summary: { critical, high: 0 } };
}

for (const engine of testEngines()) {
  describe(`artifact trust path on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;
    let admin: string;
    let reviewer: string;
    let ci: string;
    let releaser: string;
    let alice: string;
    let bob: string;
    let releaseCi: KeyPair;
    let scanner: KeyPair;
    const digest = digestOf('runtime bundle 1.0.0');

    const attach = (envelope: string, tok = ci, d = digest) => call(server, 'POST', `/v1/artifacts/${d}/evidence`, { token: tok, body: envelope });
    const promote = (stage: string) => call(server, 'POST', `/v1/artifacts/${digest}/promotions`, { token: releaser, body: { stage } });

    before(async () => {
      db = await engine.create();
      server = await startTestServer(db);
      admin = adminToken(server, db.dataDir);
      reviewer = await token(server, admin, 'platform-reviewer', ['scope:platform.registry.approve']);
      releaseCi = ed25519();
      scanner = p256();
      await govern(server, admin, reviewer, 'real signer keys', [...activateSigner(server, 'platform.release_ci', releaseCi.publicPem), ...activateSigner(server, 'platform.scanner', scanner.publicPem, 'ecdsa-p256')]);
      ci = await token(server, admin, 'gpuaas-ci', ['scope:platform.artifacts.register', 'scope:platform.evidence.attach'], { product: 'gpuaas' });
      releaser = await token(server, admin, 'release-bot', ['scope:platform.artifacts.promote']);
      alice = await token(server, admin, 'alice', ['scope:platform.release.approve']);
      bob = await token(server, admin, 'bob', ['scope:platform.release.approve']);
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    it('registers an artifact by digest, idempotently, and refuses a conflicting registration', async () => {
      const body = { digest, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'runtime', version: '1.0.0', source: { repo: 'https://git.example/gpuaas/runtime', commit: 'abc123' } };
      const first = await call(server, 'POST', '/v1/artifacts', { token: ci, body });
      assert.equal(first.status, 201, first.text);
      assert.equal(first.json.registered_by, 'gpuaas-ci');
      assert.equal((await call(server, 'POST', '/v1/artifacts', { token: ci, body })).status, 200);
      const conflict = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { ...body, version: '1.0.1' } });
      assert.equal(conflict.status, 409);
      assert.equal(conflict.json.code, 'ARTIFACT_CONFLICT');
      assert.equal(conflict.json.errors[0].pointer, '/version');
      const bad = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { ...body, digest: 'sha256:ABC' } });
      assert.equal(bad.status, 400);
      const other = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { ...body, digest: digestOf('x'), product: 'platform' } });
      assert.equal(other.status, 403, 'a gpuaas token cannot register for another product');
      const unknownType = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { ...body, digest: digestOf('y'), artifact_type: 'gpuaas.nope' } });
      assert.equal(unknownType.status, 422);
      assert.equal(unknownType.json.code, 'UNUSABLE_ENTRY');
    });

    it('verifies and keeps evidence; untrusted evidence is kept with the reason; malformed input is refused precisely', async () => {
      const ok = await attach(attest(releaseCi, digest, SLSA, { buildDefinition: { buildType: 'https://example/build' }, runDetails: {} }));
      assert.equal(ok.status, 201, ok.text);
      assert.equal(ok.json.trusted, true);
      assert.equal(ok.json.evidence_type, 'evidence-type:slsa_provenance_v1');
      assert.deepEqual(ok.json.signers.map((s: any) => [s.signer, s.verified, s.reason]), [['signer:platform.release_ci', true, 'verified']]);
      const envelope = attest(releaseCi, digest, SLSA, { buildDefinition: { buildType: 'https://example/build2' }, runDetails: {} });
      const first = await attach(envelope);
      const again = await attach(envelope);
      assert.equal(again.status, 200, 'the same envelope twice is idempotent');
      assert.equal(again.json.id, first.json.id);
      const stored = await call(server, 'GET', `/v1/artifacts/${digest}/evidence/${first.json.id}/envelope`);
      assert.equal(stored.text, envelope, 'kept byte for byte');

      const stranger = await attach(attest(ed25519(), digest, SLSA, { buildDefinition: {}, runDetails: {} }));
      assert.equal(stranger.status, 201);
      assert.equal(stranger.json.trusted, false);
      assert.match(stranger.json.reasons[0], /no registered signer/);

      const wrongSigner = await attach(attest(scanner, digest, SLSA, { buildDefinition: {}, runDetails: {} }));
      assert.equal(wrongSigner.json.trusted, false);
      assert.match(wrongSigner.json.reasons[0], /platform\.scanner, which may not sign slsa_provenance_v1/);

      const mismatch = await attach(attest(releaseCi, digestOf('other'), SLSA, {}));
      assert.equal(mismatch.status, 422);
      assert.equal(mismatch.json.code, 'SUBJECT_MISMATCH');
      assert.equal(mismatch.json.errors[0].pointer, '/payload/subject');
      const unknownType = await attach(attest(releaseCi, digest, 'https://example.com/unknown/v1', {}));
      assert.equal(unknownType.status, 422);
      assert.equal(unknownType.json.code, 'UNKNOWN_EVIDENCE_TYPE');
      assert.equal(unknownType.json.errors[0].pointer, '/payload/predicateType');
      const notJson = await attach('{"payloadType":');
      assert.equal(notJson.status, 422);
      assert.ok(notJson.json.errors[0].pointer !== undefined);
      const badSig = JSON.parse(envelope);
      badSig.signatures[0].sig = '!!!';
      const malformed = await attach(JSON.stringify(badSig));
      assert.equal(malformed.status, 422);
      assert.equal(malformed.json.errors[0].pointer, '/signatures/0/sig');
      const badPredicate = await attach(attest(scanner, digest, VULN, { scanner: { uri: 'x' }, summary: { critical: 'many' } }));
      assert.equal(badPredicate.status, 422);
      assert.ok(badPredicate.json.errors.some((e: any) => e.pointer.startsWith('/payload/predicate/summary/critical')), JSON.stringify(badPredicate.json.errors));
      const huge = await attach(JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: 'A'.repeat(1_100_000), signatures: [{ sig: 'AA==' }] }));
      assert.equal(huge.status, 413);
    });

    it('promotes stage by stage by policy, recording every decision and explaining what is missing', async () => {
      const dev = await promote('dev');
      assert.equal(dev.status, 201, dev.text);
      assert.equal(dev.json.outcome, 'promoted');
      assert.equal(dev.json.policy.artifact_type, 'gpuaas.runtime_bundle');
      assert.equal(dev.json.checks[0].status, 'satisfied');
      assert.ok(Number.isInteger(dev.json.audit_index));

      const noScan = await promote('staging');
      assert.equal(noScan.status, 403);
      assert.equal(noScan.json.code, 'PROMOTION_DENIED');
      assert.equal(noScan.json.decision.outcome, 'denied');
      const missing = noScan.json.decision.checks.find((c: any) => c.requirement.evidence === 'evidence-type:vuln_scan');
      assert.equal(missing.status, 'missing');
      assert.match(missing.detail, /vuln_scan/);

      assert.equal((await attach(attest(scanner, digest, VULN, vuln(2)))).json.trusted, true);
      const critical = await promote('staging');
      assert.equal(critical.status, 403);
      const failed = critical.json.decision.checks.find((c: any) => c.requirement.evidence === 'evidence-type:vuln_scan');
      assert.equal(failed.status, 'failed');
      assert.match(failed.detail, /critical.*2.*0/);

      assert.equal((await attach(attest(scanner, digest, VULN, vuln(0)))).json.trusted, true);
      assert.equal((await promote('staging')).status, 201);

      const prod = await promote('prod');
      assert.equal(prod.status, 403);
      assert.match(prod.json.decision.checks.find((c: any) => 'approvals' in c.requirement).detail, /2 approvals/);
      const self = await call(server, 'POST', `/v1/artifacts/${digest}/approvals`, { token: await token(server, admin, 'gpuaas-ci', ['scope:platform.release.approve']), body: { stage: 'prod' } });
      assert.equal(self.status, 403, 'the principal that registered the artifact cannot approve it');
      assert.equal(self.json.code, 'SELF_APPROVAL');
      const first = await call(server, 'POST', `/v1/artifacts/${digest}/approvals`, { token: alice, body: { stage: 'prod', comment: 'ok' } });
      assert.equal(first.status, 201);
      const again = await call(server, 'POST', `/v1/artifacts/${digest}/approvals`, { token: alice, body: { stage: 'prod' } });
      assert.deepEqual([again.status, again.json.id], [200, first.json.id], 'approving again creates nothing: 200 with the first approval');
      assert.equal((await promote('prod')).status, 403, 'one approval is not two');
      assert.equal((await call(server, 'POST', `/v1/artifacts/${digest}/approvals`, { token: bob, body: { stage: 'prod' } })).status, 201);
      const promoted = await promote('prod');
      assert.equal(promoted.status, 201, promoted.text);

      const decisions = await call(server, 'GET', `/v1/artifacts/${digest}/promotions`);
      assert.deepEqual(decisions.json.items.map((d: any) => `${d.stage}:${d.outcome}`), ['dev:promoted', 'staging:denied', 'staging:denied', 'staging:promoted', 'prod:denied', 'prod:denied', 'prod:promoted']);
      const explain = await call(server, 'GET', `/v1/artifacts/${digest}/explain`);
      assert.equal(explain.json.current_stage, 'prod');
      assert.deepEqual(explain.json.stages.map((s: any) => [s.stage, s.promoted, s.would_pass, s.revoked]), [['dev', true, true, false], ['staging', true, true, false], ['prod', true, true, false]]);
      const check = await call(server, 'POST', '/v1/artifacts/check', { body: { digest, stage: 'prod' } });
      assert.deepEqual([check.json.allowed, check.json.reason], [true, 'trusted']);
      assert.equal(check.json.decision.id, promoted.json.id);
      const listed = await call(server, 'GET', '/v1/artifacts?stage=prod');
      assert.deepEqual(listed.json.items.map((a: any) => a.digest), [digest]);
    });

    it('produces a release proof that verifies offline, and fails when one byte changes', async () => {
      const proof = await call(server, 'GET', `/v1/artifacts/${digest}/proof?stage=prod`);
      assert.equal(proof.status, 200, proof.text);
      const key = await call(server, 'GET', '/v1/audit/key');
      const report = verifyReleaseProof(proof.json, { logKey: parseVkey(key.json.vkey) });
      assert.ok(report.ok, report.problems.join('; '));
      assert.ok(report.proved.some((p) => /promoted to prod/.test(p)));
      assert.ok(report.proved.some((p) => /re-evaluating the policy/.test(p)));
      // One byte anywhere in a string value: every such change is caught (the document is signed).
      const text: string = proof.text;
      // Every JSON string, in order (so short strings and escapes never shift the pairing), then the long ones.
      const positions = [...text.matchAll(/"((?:[^"\\]|\\.)*)"/g)].filter((m) => m[1]!.length >= 4 && !m[1]!.includes('\\')).map((m) => m.index! + 2);
      for (let i = 0; i < 40; i++) {
        const at = positions[Math.floor((i * 7919) % positions.length)]!;
        const changed = text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1);
        if (changed === text) continue;
        assert.equal(verifyReleaseProof(JSON.parse(changed), { logKey: parseVkey(key.json.vkey) }).ok, false, `a change at ${at} (${text.slice(at - 20, at + 20)}) went unnoticed`);
      }
      const flipped = structuredClone(proof.json);
      flipped.decision.actor = 'mallory';
      assert.equal(verifyReleaseProof(flipped, { logKey: parseVkey(key.json.vkey) }).ok, false);
      const otherKey = ed25519();
      const { vkeyFromPublicKey } = await import('@charter/core');
      assert.equal(verifyReleaseProof(proof.json, { logKey: parseVkey(vkeyFromPublicKey(key.json.name, otherKey.publicPem)) }).ok, false, 'a checkpoint signed by another key does not verify');
      assert.equal((await call(server, 'GET', `/v1/artifacts/${digestOf('nothing')}/proof?stage=prod`)).status, 404);
    });

    it('revokes current trust when a signer is disabled, while history stays readable', async () => {
      const rev = server.registry.catalog.get('signer', 'platform.scanner')!.revision;
      await govern(server, admin, reviewer, 'scanner key compromised', [{ op: 'transition', family: 'signer', id: 'platform.scanner', expected_revision: rev, to: 'disabled', reason: 'key compromised' }]);
      const check = await call(server, 'POST', '/v1/artifacts/check', { body: { digest, stage: 'prod' } });
      assert.equal(check.json.allowed, false);
      assert.equal(check.json.reason, 'revoked');
      assert.match(check.json.detail, /platform\.scanner/);
      const explain = await call(server, 'GET', `/v1/artifacts/${digest}/explain`);
      const staging = explain.json.stages.find((s: any) => s.stage === 'staging');
      assert.equal(staging.revoked, true);
      assert.match(staging.revoked_reason, /disabled/);
      assert.equal(explain.json.stages.find((s: any) => s.stage === 'dev').revoked, false);
      assert.equal(explain.json.current_stage, 'dev');
      assert.equal(staging.last_decision.outcome, 'promoted', 'past decisions stay readable');
      assert.equal((await call(server, 'POST', '/v1/artifacts/check', { body: { digest: digestOf('unknown'), stage: 'prod' } })).json.reason, 'unknown_artifact');
    });

    it('re-verifies an untrusted envelope attached again once its signer is registered', async () => {
      const late = ed25519();
      const envelope = attest(late, digest, SLSA, { buildDefinition: { buildType: 'late' }, runDetails: {} });
      const first = await attach(envelope);
      assert.equal(first.json.trusted, false);
      await govern(server, admin, reviewer, 'late signer', activateSigner(server, 'platform.late_ci', late.publicPem));
      const again = await attach(envelope);
      assert.equal(again.status, 200);
      assert.equal(again.json.id, first.json.id);
      assert.equal(again.json.trusted, true);
      assert.equal(again.json.signers[0].signer, 'signer:platform.late_ci');
      assert.equal((await attach(envelope)).json.audit_index, again.json.audit_index, 'once trusted, attaching again changes nothing');
    });

    it('takes a Sigstore bundle as written by sigstore tooling and verifies its DSSE envelope', { skip: interop.skip }, async () => {
      const bundle = dsse('sigstore-bundles/conformance-happy-path-intoto-in-dsse-v3.sigstore.json');
      const leaf = dsse('sigstore-bundles/conformance-happy-path-intoto-in-dsse-v3.leaf-pubkey.pem');
      const subject = 'sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf';
      await govern(server, admin, reviewer, 'sigstore conformance key', activateSigner(server, 'platform.sigstore_conformance', leaf, 'ecdsa-p256'));
      assert.equal((await call(server, 'POST', '/v1/artifacts', { token: ci, body: { digest: subject, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'conformance', version: '1.0.0' } })).status, 201);
      const r = await call(server, 'POST', `/v1/artifacts/${subject}/evidence`, { token: ci, body: bundle, headers: { 'content-type': 'application/vnd.dev.sigstore.bundle.v0.3+json' } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.trusted, true);
      assert.equal(r.json.signers[0].signer, 'signer:platform.sigstore_conformance');
      const stored = await call(server, 'GET', `/v1/artifacts/${subject}/evidence/${r.json.id}/envelope`);
      assert.equal(stored.text, bundle, 'the bundle is kept byte for byte');
    });

    it('verifies real attestations written by other tools, and not with the wrong key', { skip: interop.skip }, async () => {
      const envelope = dsse('attestation-verifier-ed25519/build.fe1c6281.json');
      const pem = dsse('attestation-verifier-ed25519/key.pub.pem');
      const subject = 'sha256:58eaf5a78d580f5dbd49d31a5b733094169b31bfdf49055b74bcac2877d8f58c';
      await govern(server, admin, reviewer, 'in-toto signer', activateSigner(server, 'platform.intoto_demo', pem));
      const reg = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { digest: subject, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'foo', version: '0.1.0' } });
      assert.equal(reg.status, 201, reg.text);
      const r = await attach(envelope, ci, subject);
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.trusted, true);
      assert.equal(r.json.signers[0].signer, 'signer:platform.intoto_demo');
      // The same envelope, with the signer's key swapped for another one: it must not verify.
      const rev = server.registry.catalog.get('signer', 'platform.intoto_demo')!.revision;
      await govern(server, admin, reviewer, 'retire demo', [{ op: 'transition', family: 'signer', id: 'platform.intoto_demo', expected_revision: rev, to: 'deprecated', sunset_at: '2026-01-01T00:00:00Z' }]);
      await govern(server, admin, reviewer, 'wrong key', activateSigner(server, 'platform.intoto_wrong', ed25519().publicPem));
      const subject2 = 'sha256:' + 'a'.repeat(64);
      const statement = JSON.parse(Buffer.from(JSON.parse(envelope).payload, 'base64').toString());
      assert.equal(statement.subject[0].digest.sha256, subject.slice(7));
      const again = await attach(envelope, ci, subject);
      assert.equal(again.status, 200, 'already attached: idempotent');
      const reg2 = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { digest: subject2, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'bar', version: '0.1.0' } });
      assert.equal(reg2.status, 201);
      const wrong = await attach(envelope, ci, subject2);
      assert.equal(wrong.status, 422, 'the statement is about another digest');
    });
  });
}
