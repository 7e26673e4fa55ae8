import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Catalog } from '../catalog.js';
import { entry, NOW } from '../policy/policy.testkit.js';
import { canonicalEnvelope, canonicalOrigin, pae, parseEnvelope, rawToDer, verifySignatures, type TrustedKey } from './dsse.js';
import { firstDuplicateMember } from './duplicates.js';
import { fixtureText, interop, KEYS, VERIFYING } from './fixtures.testkit.js';
import { describeSignature, toTrustMaterial } from './trust-material.js';

const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const pem = (k: typeof ed.publicKey) => k.export({ type: 'spki', format: 'pem' }).toString();
const TYPE = 'application/vnd.in-toto+json';

describe('canonical envelopes (DESIGN §6)', () => {
  it('re-encodes raw r‖s as DER: the same signature, any P-256 signature (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (msg) => {
        const raw = sign('sha256', msg, { key: p256.privateKey, dsaEncoding: 'ieee-p1363' });
        const der = rawToDer(raw);
        assert.equal(verify('sha256', msg, { key: p256.publicKey, dsaEncoding: 'der' }, der), true);
      }),
      { numRuns: 60 },
    );
    // Leading zeros are dropped and a high bit gets its 0x00: minimal DER INTEGERs.
    const raw = Buffer.concat([Buffer.alloc(31), Buffer.from([0x01]), Buffer.from([0x80]), Buffer.alloc(31, 0x11)]);
    assert.equal(rawToDer(raw).toString('hex'), '3026' + '020101' + '022100' + '80' + '11'.repeat(31));
  });

  it('keeps only verified signatures, in padded standard base64, ECDSA in DER', () => {
    const body = Buffer.from('{"hello":"wörld?>>"}');
    const raw = sign('sha256', pae(TYPE, body), { key: p256.privateKey, dsaEncoding: 'ieee-p1363' });
    const edSig = sign(null, pae(TYPE, body), ed.privateKey);
    const junk = Buffer.from(edSig).reverse();
    const received = parseEnvelope(JSON.stringify({ payloadType: TYPE, payload: body.toString('base64url'), signatures: [{ keyid: 'x', sig: junk.toString('base64url') }, { keyid: 'p', sig: raw.toString('base64url') }, { sig: edSig.toString('base64').replace(/=+$/, '') }] }));
    const keys: TrustedKey[] = [{ id: 'p', algorithm: 'ecdsa-p256', publicKey: p256.publicKey }, { id: 'e', algorithm: 'ed25519', publicKey: ed.publicKey }];
    const results = verifySignatures(received, keys);
    assert.deepEqual(results.map((r) => [r.verified, r.encoding]), [[false, null], [true, 'raw'], [true, 'ed25519']]);
    const canonical = canonicalEnvelope(received, results)!;
    assert.equal(canonical.payload, body.toString('base64'));
    assert.deepEqual(canonical.signatures.map((s) => s.keyid), ['p', undefined]);
    assert.ok(canonical.signatures.every((s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s.sig) && s.sig.length % 4 === 0));
    assert.equal(verify('sha256', pae(TYPE, body), { key: p256.publicKey, dsaEncoding: 'der' }, Buffer.from(canonical.signatures[0]!.sig, 'base64')), true);
    assert.deepEqual(canonicalOrigin(received, parseEnvelope(JSON.stringify(canonical))), [1, 2]);
    assert.equal(canonicalEnvelope(received, verifySignatures(received, [])), null, 'nothing verified: no canonical form');
  });

  it('the canonical form of every real fixture that verifies is accepted again, and traced back to what was received', { skip: interop.skip }, () => {
    for (const { file, key } of VERIFYING) {
      const received = parseEnvelope(fixtureText(file));
      const canonical = canonicalEnvelope(received, verifySignatures(received, [key]))!;
      const again = parseEnvelope(JSON.stringify(canonical));
      assert.equal(verifySignatures(again, [key])[0]!.verified, true, file);
      assert.ok(Array.isArray(canonicalOrigin(received, again)), file);
    }
  });

  it('a canonical form that is not the received envelope is named as such', () => {
    const body = Buffer.from('x');
    const received = parseEnvelope(JSON.stringify({ payloadType: TYPE, payload: body.toString('base64'), signatures: [{ sig: sign(null, pae(TYPE, body), ed.privateKey).toString('base64') }] }));
    const other = sign(null, pae(TYPE, body), generateKeyPairSync('ed25519').privateKey).toString('base64');
    assert.match(String(canonicalOrigin(received, parseEnvelope(JSON.stringify({ payloadType: TYPE, payload: body.toString('base64'), signatures: [{ sig: other }] })))), /does not/);
    assert.match(String(canonicalOrigin(received, parseEnvelope(JSON.stringify({ payloadType: TYPE, payload: 'eQ==', signatures: [{ sig: other }] })))), /payload/);
  });
});

describe('duplicate member names', () => {
  it('finds none in anything JSON.stringify writes (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => assert.equal(firstDuplicateMember(JSON.stringify(v)), null)));
  });

  it('points at the first repeated name, however deep, strings and escapes notwithstanding', () => {
    assert.equal(firstDuplicateMember('{"a":1,"a":2}'), '/a');
    assert.equal(firstDuplicateMember('[0,{"x":[{"b":"\\"a\\":","b":1}]}]'), '/1/x/0/b');
    assert.equal(firstDuplicateMember('{"a":{"k":1},"b":{"k":1}}'), null);
    assert.equal(firstDuplicateMember('{"\\u00e9":1,"é":2}'), '/é');
    let deep = '1';
    for (let i = 0; i < 20_000; i++) deep = `{"a":${deep}}`;
    assert.equal(firstDuplicateMember(deep), null, 'no recursion: any depth');
    assert.equal(firstDuplicateMember(deep.replace('{"a":1}', '{"a":1,"a":1}')), '/a'.repeat(20_000));
  });
});

describe('trust material', () => {
  const signer = (id: string, publicKey: string, over = {}) => entry('signer', id, { owner: 'platform', spec: { algorithm: 'ed25519', public_key: publicKey, evidence_types: ['evidence-type:prov'] }, ...over });
  const other = generateKeyPairSync('ed25519');
  const view = new Catalog();
  view.apply(
    [
      signer('platform.a', pem(ed.publicKey)),
      signer('platform.b', pem(ed.publicKey)),
      signer('platform.c', pem(other.publicKey)),
      signer('platform.old', pem(other.publicKey), { lifecycle: 'retired' }),
      signer('platform.broken', 'not a key'),
      entry('evidence-type', 'prov', { spec: { predicate_type: 'https://p/v1' } }),
      entry('evidence-type', 'gone', { spec: { predicate_type: 'https://g/v1' }, lifecycle: 'disabled' }),
    ],
    3,
  );
  const body = Buffer.from('{}');
  const signed = (keyid?: string, key = ed.privateKey) => parseEnvelope(JSON.stringify({ payloadType: TYPE, payload: body.toString('base64'), signatures: [{ ...(keyid ? { keyid } : {}), sig: sign(null, pae(TYPE, body), key).toString('base64') }] }));

  it('has every signer key not retired, unreadable ones verifying nothing, indexed by hint', () => {
    const tm = toTrustMaterial(view, NOW);
    assert.deepEqual(tm.keys.keys.map((k) => k.id).sort(), ['signer:platform.a', 'signer:platform.b', 'signer:platform.c']);
    assert.equal(toTrustMaterial(view, NOW + 1, tm).keys, tm.keys, 'keys are reused while the sequence stands');
  });

  it('tries the key the keyid names first', () => {
    const tm = toTrustMaterial(view, NOW);
    assert.equal(verifySignatures(signed('signer:platform.b'), tm.keys)[0]!.key, 'signer:platform.b');
    assert.equal(verifySignatures(signed('signer:platform.a'), tm.keys)[0]!.key, 'signer:platform.a');
  });

  it('a bad signature names the signer its keyid points at (never counting it)', () => {
    const tm = toTrustMaterial(view, NOW);
    const results = verifySignatures(signed('signer:platform.c', generateKeyPairSync('ed25519').privateKey), tm.keys);
    const [s] = tm.judge(results, 'evidence-type:prov');
    assert.equal(s!.reason, 'bad_signature');
    assert.equal(s!.verified, false);
    assert.equal(s!.signer, 'signer:platform.c');
    assert.match(describeSignature(s!, 'prov'), /names signer:platform\.c/);
    assert.doesNotMatch(describeSignature(s!, 'prov'), /unknown key/);
    const [unknown] = tm.judge(verifySignatures(signed('nobody', generateKeyPairSync('ed25519').privateKey), tm.keys), 'evidence-type:prov');
    assert.equal(unknown!.signer, null);
    assert.match(describeSignature(unknown!, 'prov'), /unknown key/);
  });

  it('maps a predicate type to its usable evidence type now, or says why not', () => {
    const tm = toTrustMaterial(view, NOW);
    assert.equal(tm.evidenceTypeFor('https://p/v1').entry?.id, 'prov');
    assert.match(tm.evidenceTypeFor('https://g/v1').detail!, /gone, which is disabled/);
    assert.match(tm.evidenceTypeFor('https://none').detail!, /no evidence type/);
  });

  it('judges with the real fixture keys as registered signers', { skip: interop.skip }, () => {
    const v = new Catalog();
    v.apply([entry('signer', 'platform.gcb', { owner: 'platform', spec: { algorithm: 'ecdsa-p256', public_key: String(KEYS.gcbWorker.publicKey), evidence_types: ['evidence-type:prov'] } }), entry('evidence-type', 'prov', { spec: { predicate_type: 'https://slsa.dev/provenance/v1' } })], 1);
    const tm = toTrustMaterial(v, NOW);
    const env = parseEnvelope(fixtureText('gcb-slsa/slsa-v1.envelope.json'));
    assert.deepEqual(tm.judge(verifySignatures(env, tm.keys), 'evidence-type:prov').map((s) => [s.signer, s.reason]), [['signer:platform.gcb', 'verified']]);
  });
});
