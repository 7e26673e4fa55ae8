import assert from 'node:assert/strict';
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dsse as sigstoreDsse, crypto as sigstoreCrypto } from '@sigstore/core';
import { parseVkey, verifyReleaseProof } from '@charter/core';
import { interop } from '@charter/core/testing';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';
import { ed25519, govern, p256, type KeyPair } from '../testing/trust.js';

/**
 * DESIGN §6, issue 9 item 15: whatever Charter trusted, an independent DSSE verifier accepts in
 * the release proof. The verifiers here share no code with Charter's: a PAE written from the
 * DSSE spec with node:crypto, and sigstore-js's own (@sigstore/core), both strict about what
 * the spec's canonical form is (standard padded base64, DER ECDSA).
 */

const dsse = (file: string): string => interop.text('dsse', file);
const GCB_DIGEST = 'sha256:7e9b6e7ba2842c91cf49f3e214d04a7a496f8214356f41d81a6e6dcad11f11e3';
const IN_TOTO = 'application/vnd.in-toto+json';
const SLSA_V1 = 'https://slsa.dev/provenance/v1';
const STD_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

interface Verifier {
  name: string;
  pae(type: string, body: Buffer): Buffer;
  verify(message: Buffer, key: KeyObject, sig: Buffer): boolean;
}

/** PAE from the DSSE protocol: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal bytes. */
const ownVerifier: Verifier = {
  name: 'own PAE + node:crypto',
  pae: (type, body) => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]),
  verify: (message, key, sig) => (key.asymmetricKeyType === 'ed25519' ? verify(null, message, key, sig) : verify('sha256', message, { key, dsaEncoding: 'der' }, sig)),
};
const sigstoreVerifier: Verifier = {
  name: '@sigstore/core',
  pae: (type, body) => sigstoreDsse.preAuthEncoding(type, body),
  verify: (message, key, sig) => sigstoreCrypto.verify(message, key, sig, key.asymmetricKeyType === 'ed25519' ? undefined : 'sha256'),
};

/** Accepts an envelope only in the DSSE canonical encoding, and only if every signature verifies with one of `keys`. */
function independentlyVerified(text: string, keys: KeyObject[], v: Verifier): string | true {
  const env = JSON.parse(text) as { payloadType?: unknown; payload?: unknown; signatures?: { sig?: unknown }[] };
  if (typeof env.payloadType !== 'string' || typeof env.payload !== 'string' || !Array.isArray(env.signatures) || env.signatures.length === 0) return 'not a DSSE envelope';
  if (!STD_B64.test(env.payload)) return 'payload is not padded standard base64';
  const message = v.pae(env.payloadType, Buffer.from(env.payload, 'base64'));
  for (const [i, s] of env.signatures.entries()) {
    if (typeof s.sig !== 'string' || !STD_B64.test(s.sig)) return `signature ${i} is not padded standard base64`;
    const sig = Buffer.from(s.sig, 'base64');
    if (!keys.some((k) => v.verify(message, k, sig))) return `signature ${i} does not verify (${v.name})`;
  }
  return true;
}

const statement = (predicate: unknown) => Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'image', digest: { sha256: GCB_DIGEST.slice(7) } }], predicateType: SLSA_V1, predicate }));
const unpadded = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

for (const engine of testEngines()) {
  describe(`canonical evidence in release proofs on ${engine.name}`, { skip: interop.skip }, () => {
    let db: TestDatabase;
    let server: RunningServer;
    let admin: string;
    let ci: string;
    const releaseCi: KeyPair = ed25519();
    const rawSigner: KeyPair = p256();
    const stranger: KeyPair = p256();
    const pem = dsse;
    const keys: KeyObject[] = [];

    before(async () => {
      db = await engine.create();
      server = await startTestServer(db);
      admin = adminToken(server, db.dataDir);
      const reviewer = await token(server, admin, 'platform-reviewer', ['scope:platform.registry.approve']);
      const signer = (id: string, algorithm: string, publicPem: string, types = ['evidence-type:slsa_provenance_v1']) => ({ op: 'create', entry: { family: 'signer', id, owner: 'platform', lifecycle: 'active', title: id, spec: { algorithm, public_key: publicPem, evidence_types: types } } });
      const release = server.registry.catalog.get('signer', 'platform.release_ci')!;
      await govern(server, admin, reviewer, 'interop trust', [
        { op: 'update', family: 'signer', id: 'platform.release_ci', expected_revision: release.revision, set: { spec: { ...release.spec, public_key: releaseCi.publicPem } } },
        { op: 'transition', family: 'signer', id: 'platform.release_ci', expected_revision: release.revision, to: 'active' },
        { op: 'create', entry: { family: 'evidence-type', id: 'gpuaas.slsa_v01', owner: 'gpuaas', lifecycle: 'active', title: 'SLSA 0.1', spec: { predicate_type: 'https://slsa.dev/provenance/v0.1', retention_class: 'standard', signature: 'required' } } },
        signer('platform.gcb_worker', 'ecdsa-p256', pem('gcb-slsa/global-pae-google-hosted-worker_1.pub.pem')),
        signer('platform.gcb_provenance', 'ecdsa-p256', pem('gcb-slsa/global-pae-provenanceSigner_1.pub.pem'), ['evidence-type:gpuaas.slsa_v01']),
        signer('platform.gcb_us_west2', 'ecdsa-p256', pem('gcb-slsa/us-west2.pub.pem'), ['evidence-type:gpuaas.slsa_v01']),
        signer('platform.raw_p256', 'ecdsa-p256', rawSigner.publicPem),
        { op: 'create', entry: { family: 'artifact-type', id: 'gpuaas.interop_image', owner: 'gpuaas', lifecycle: 'active', title: 'interop image', spec: { media_types: ['application/vnd.oci.image.manifest.v1+json'], stages: [{ name: 'dev', requirements: [{ evidence: 'evidence-type:slsa_provenance_v1', signers: ['signer:platform.release_ci', 'signer:platform.gcb_worker', 'signer:platform.raw_p256'] }, { evidence: 'evidence-type:gpuaas.slsa_v01', signers: ['signer:platform.gcb_provenance', 'signer:platform.gcb_us_west2'] }] }] } } },
      ]);
      for (const f of ['gcb-slsa/global-pae-google-hosted-worker_1.pub.pem', 'gcb-slsa/global-pae-provenanceSigner_1.pub.pem', 'gcb-slsa/us-west2.pub.pem']) keys.push(createPublicKey(pem(f)));
      keys.push(createPublicKey(releaseCi.publicPem), createPublicKey(rawSigner.publicPem));
      ci = await token(server, admin, 'gpuaas-ci', ['scope:platform.artifacts.register', 'scope:platform.evidence.attach'], { product: 'gpuaas' });
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    it('refuses upper-case hex subject digests and duplicate member names, each with its own code (item 16)', async () => {
      const reg = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { digest: GCB_DIGEST, artifact_type: 'gpuaas.interop_image', product: 'gpuaas', name: 'prod-prov-image', version: '1' } });
      assert.ok(reg.status === 201 || reg.status === 200, reg.text);
      const envelopeOf = (payload: Buffer) => JSON.stringify({ payloadType: IN_TOTO, payload: payload.toString('base64'), signatures: [{ sig: sign(null, ownVerifier.pae(IN_TOTO, payload), releaseCi.privateKey).toString('base64') }] });
      const text = statement({ buildDefinition: { buildType: 'x' }, runDetails: {} }).toString();
      const upper = await call(server, 'POST', `/v1/artifacts/${GCB_DIGEST}/evidence`, { token: ci, body: envelopeOf(Buffer.from(text.replace(GCB_DIGEST.slice(7), GCB_DIGEST.slice(7).toUpperCase()))) });
      assert.equal(upper.status, 422, upper.text);
      assert.equal(upper.json.code, 'DIGEST_NOT_LOWERCASE');
      assert.equal(upper.json.errors[0].pointer, '/payload/subject/0/digest/sha256');
      const nested = await call(server, 'POST', `/v1/artifacts/${GCB_DIGEST}/evidence`, { token: ci, body: envelopeOf(Buffer.from(text.replace('"runDetails":{}', '"runDetails":{"builder":{"id":"a","id":"b"}}'))) });
      assert.equal(nested.status, 422, nested.text);
      assert.equal(nested.json.code, 'DUPLICATE_MEMBER');
      assert.equal(nested.json.errors[0].pointer, '/payload/predicate/runDetails/builder/id');
      const top = await call(server, 'POST', `/v1/artifacts/${GCB_DIGEST}/evidence`, { token: ci, body: envelopeOf(Buffer.from(text.replace('{"_type"', `{"predicateType":"https://evil.example/x","_type"`))) });
      assert.equal(top.json.code, 'DUPLICATE_MEMBER');
      const envelopeDup = await call(server, 'POST', `/v1/artifacts/${GCB_DIGEST}/evidence`, { token: ci, body: envelopeOf(Buffer.from(text)).replace('{"payloadType"', '{"payload":"e30=","payloadType"') });
      assert.equal(envelopeDup.json.code, 'DUPLICATE_MEMBER');
      assert.equal(envelopeDup.json.errors[0].pointer, '/payload');
    });

    it('a bad signature names the signer whose key the keyid points at (item 17)', async () => {
      const payload = statement({ buildDefinition: { buildType: 'forged' }, runDetails: {} });
      const forged = sign('sha256', ownVerifier.pae(IN_TOTO, payload), stranger.privateKey).toString('base64');
      const r = await call(server, 'POST', `/v1/artifacts/${GCB_DIGEST}/evidence`, { token: ci, body: JSON.stringify({ payloadType: IN_TOTO, payload: payload.toString('base64'), signatures: [{ keyid: 'signer:platform.raw_p256', sig: forged }] }) });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.trusted, false);
      assert.deepEqual([r.json.signers[0].signer, r.json.signers[0].verified, r.json.signers[0].reason], ['signer:platform.raw_p256', false, 'bad_signature']);
      assert.match(r.json.reasons[0], /signer:platform\.raw_p256/);
      assert.doesNotMatch(r.json.reasons[0], /unknown key/);
    });

    it('every envelope in a proof made from URL-safe, unpadded and raw r‖s inputs verifies independently', async () => {
      const reg = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { digest: GCB_DIGEST, artifact_type: 'gpuaas.interop_image', product: 'gpuaas', name: 'prod-prov-image', version: '1' } });
      assert.ok(reg.status === 201 || reg.status === 200, reg.text);
      const attach = async (body: string) => {
        const r = await call(server, 'POST', `/v1/artifacts/${GCB_DIGEST}/evidence`, { token: ci, body });
        assert.ok(r.status === 201, r.text);
        return r.json;
      };
      // Real tools: GCB's envelopes (URL-safe signatures; v0.1 with a second, non-DSSE signature).
      await attach(dsse('gcb-slsa/slsa-v1.envelope.json'));
      const v01 = await attach(dsse('gcb-slsa/slsa-v0.1.envelope.json'));
      assert.deepEqual(v01.signers.map((s: { verified: boolean }) => s.verified), [true, false]);
      // Raw r‖s ECDSA, URL-safe unpadded payload and signature, plus a stranger's signature that verifies nothing.
      const body = statement({ buildDefinition: { buildType: 'raw' }, runDetails: {} });
      const pae = ownVerifier.pae(IN_TOTO, body);
      const raw = sign('sha256', pae, { key: rawSigner.privateKey, dsaEncoding: 'ieee-p1363' });
      const strange = sign('sha256', pae, { key: stranger.privateKey, dsaEncoding: 'ieee-p1363' });
      await attach(JSON.stringify({ payloadType: IN_TOTO, payload: body.toString('base64url'), signatures: [{ keyid: 'stranger', sig: strange.toString('base64url') }, { keyid: '', sig: raw.toString('base64url') }] }));
      // Ed25519, standard alphabet without padding.
      const edBody = statement({ buildDefinition: { buildType: 'ed-unpadded!' }, runDetails: {} });
      await attach(JSON.stringify({ payloadType: IN_TOTO, payload: unpadded(edBody), signatures: [{ sig: unpadded(sign(null, ownVerifier.pae(IN_TOTO, edBody), releaseCi.privateKey)) }] }));
      // Untrusted and unverifiable: kept on the artifact, never in a proof.
      const lone = statement({ buildDefinition: { buildType: 'stranger only' }, runDetails: {} });
      await attach(JSON.stringify({ payloadType: IN_TOTO, payload: lone.toString('base64'), signatures: [{ sig: sign('sha256', ownVerifier.pae(IN_TOTO, lone), stranger.privateKey).toString('base64') }] }));

      const releaser = await token(server, admin, 'release-bot', ['scope:platform.artifacts.promote']);
      const promoted = await call(server, 'POST', `/v1/artifacts/${GCB_DIGEST}/promotions`, { token: releaser, body: { stage: 'dev' } });
      assert.equal(promoted.status, 201, promoted.text);
      const proof = await call(server, 'GET', `/v1/artifacts/${GCB_DIGEST}/proof?stage=dev`);
      assert.equal(proof.status, 200, proof.text);
      const key = await call(server, 'GET', '/v1/audit/key');
      const report = verifyReleaseProof(proof.json, { logKey: parseVkey(key.json.vkey) });
      assert.ok(report.ok, report.problems.join('; '));

      const items = proof.json.evidence as { envelope: string; received?: string }[];
      assert.equal(items.length, 4, 'four envelopes with a verified signature; the unverifiable one is left out');
      for (const item of items) {
        for (const v of [ownVerifier, sigstoreVerifier]) assert.equal(independentlyVerified(item.envelope, keys, v), true, `${v.name}: ${item.envelope.slice(0, 120)}`);
      }
      // The received bytes travel beside the canonical form where they differ, and they would not have passed.
      const received = items.filter((i) => i.received !== undefined);
      assert.equal(received.length, 4);
      assert.ok(received.some((i) => independentlyVerified(i.received!, keys, ownVerifier) !== true), 'the inputs were not canonical');
      const v01Canonical = JSON.parse(items.find((i) => JSON.parse(i.envelope).payload === JSON.parse(dsse('gcb-slsa/slsa-v0.1.envelope.json')).payload)!.envelope);
      assert.equal(v01Canonical.signatures.length, 1, 'only the verified signature is kept');
    });
  });
}
