import assert from 'node:assert/strict';
import { createPublicKey, createSecretKey, generateKeyPairSync, KeyObject, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeBase64Flexible,
  distinctVerifiedKeys,
  importTrustedKey,
  keyFingerprint,
  pae,
  parseEnvelope,
  signEnvelope,
  verifySignatures,
  verifySignaturesAsync,
} from './dsse.js';
import type { TrustedKey } from './dsse.js';
import { EvidenceError } from './errors.js';
import type { EvidenceErrorCode } from './errors.js';
import { ALL_KEYS, fixtureJson, fixtureText, interop, KEYS, VERIFYING } from './fixtures.testkit.js';
import { IN_TOTO_PAYLOAD_TYPE, readStatement } from './intoto.js';

function throwsEvidence(fn: () => unknown, code: EvidenceErrorCode, pointer: string): EvidenceError {
  let caught: unknown;
  assert.throws(fn, (e: unknown) => {
    caught = e;
    return true;
  });
  assert.ok(caught instanceof EvidenceError, `expected EvidenceError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.pointer, pointer, caught.message);
  return caught;
}

const ed = generateKeyPairSync('ed25519');
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();

function flipBit(b: Buffer, index: number, bit: number): Buffer {
  const copy = Buffer.from(b);
  copy[index] = (copy[index] ?? 0) ^ (1 << bit);
  return copy;
}

type Doc = Record<string, unknown>;

/** The DSSE envelope object inside a fixture document (itself, or a bundle's dsseEnvelope). */
function envelopeOf(doc: Doc): { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] } {
  return (doc['dsseEnvelope'] ?? doc) as ReturnType<typeof envelopeOf>;
}

describe('decodeBase64Flexible', () => {
  const bytes = Buffer.from([0xfb, 0xff, 0xbf, 0x3e, 0x3f]);

  it('accepts standard and URL-safe, padded and unpadded', () => {
    for (const s of ['+/+/Pj8=', '+/+/Pj8', '-_-_Pj8=', '-_-_Pj8']) assert.deepEqual(decodeBase64Flexible(s), bytes, s);
    assert.deepEqual(decodeBase64Flexible(''), Buffer.alloc(0));
  });

  it('refuses anything else, with the pointer it was given', () => {
    const cases: [string, RegExp][] = [
      ['ab$c', /unexpected character "\$" at offset 2/],
      [' QQ==', /unexpected character " " at offset 0/],
      ['QQ==\n', /unexpected character/],
      ['Q=Q=', /unexpected character "=" at offset 1/],
      ['QQ===', /unexpected character "="/],
      ['+/-_', /mixes the standard/],
      ['A', /impossible length 1/],
      ['AAAAA', /impossible length 5/],
      ['QQ=', /impossible length 3/],
      ['QR==', /non-zero trailing bits/],
      ['QUF=', /non-zero trailing bits/],
    ];
    for (const [input, why] of cases) {
      const e = throwsEvidence(() => decodeBase64Flexible(input, '/x/sig'), 'MALFORMED_ENVELOPE', '/x/sig');
      assert.match(e.message, why, input);
    }
  });

  it('decodes every encoding of any bytes to those bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (raw) => {
        const b = Buffer.from(raw);
        const std = b.toString('base64');
        const url = b.toString('base64url');
        for (const s of [std, std.replace(/=+$/, ''), url, url + '='.repeat((4 - (url.length % 4)) % 4)]) {
          assert.deepEqual(decodeBase64Flexible(s), b);
        }
      }),
    );
  });

  it('on arbitrary text either throws EvidenceError or agrees with node and re-encodes canonically', () => {
    const unit = fc.constantFrom(...'AQgw09+/-_=', ' ', '*', 'é');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 12 }), (s) => {
        let out: Buffer;
        try {
          out = decodeBase64Flexible(s);
        } catch (e) {
          assert.ok(e instanceof EvidenceError);
          return;
        }
        assert.deepEqual(out, Buffer.from(s, 'base64'));
        assert.equal(out.toString('base64url'), s.replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_'));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('pae', () => {
  it('matches the DSSE protocol example', () => {
    assert.equal(
      pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString(),
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('counts UTF-8 bytes, not characters, and ends an empty body with a space', () => {
    assert.equal(pae('é', Buffer.alloc(0)).toString(), 'DSSEv1 2 é 0 ');
  });
});

describe('parseEnvelope', () => {
  it('reads a bare DSSE envelope', { skip: interop.skip }, () => {
    const env = parseEnvelope(fixtureText('attestation-verifier-ed25519/build.fe1c6281.json'));
    assert.equal(env.form, 'dsse');
    assert.equal(env.mediaType, null);
    assert.equal(env.pointer, '');
    assert.equal(env.payloadType, IN_TOTO_PAYLOAD_TYPE);
    assert.match(env.payload.toString(), /^\{"_type":"https:\/\/in-toto.io\/Statement\/v1"/);
    assert.equal(env.signatures.length, 1);
    assert.equal(env.signatures[0]?.keyid, KEYS.attestationVerifier.id);
    assert.equal(env.signatures[0]?.sig.length, 64);
  });

  it('lifts dsseEnvelope out of Sigstore bundles v0.1 and v0.3', { skip: interop.skip }, () => {
    const v01 = parseEnvelope(fixtureText('npm-publish/bundle-publish.sigstore.json'));
    assert.equal(v01.form, 'sigstore-bundle');
    assert.equal(v01.mediaType, 'application/vnd.dev.sigstore.bundle+json;version=0.1');
    assert.equal(v01.pointer, '/dsseEnvelope');
    assert.equal(v01.signatures[0]?.keyid, 'SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA');
    const v03 = parseEnvelope(fixtureText('sigstore-bundles/cosign-oci-attestation.sigstore.json'));
    assert.equal(v03.form, 'sigstore-bundle');
    assert.equal(v03.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(v03.signatures[0]?.keyid, null);
  });

  it("treats protobuf's empty keyid as no hint", { skip: interop.skip }, () => {
    const doc = fixtureJson('sigstore-bundles/sigstore-go-bundle-provenance.sigstore.json');
    assert.equal(envelopeOf(doc).signatures[0]?.keyid, '');
    assert.equal(parseEnvelope(doc).signatures[0]?.keyid, null);
  });

  it('gives the same envelope from JSON text, UTF-8 bytes and a parsed object', { skip: interop.skip }, () => {
    const text = fixtureText('gcb-slsa/slsa-v0.1.envelope.json');
    const fromText = parseEnvelope(text);
    assert.deepEqual(parseEnvelope(Buffer.from(text)), fromText);
    assert.deepEqual(parseEnvelope(new TextEncoder().encode(text)), fromText);
    assert.deepEqual(parseEnvelope(JSON.parse(text)), fromText);
  });

  const good = { payloadType: 't', payload: 'e30=', signatures: [{ sig: 'AAAA' }] };
  const bundle = (dsseEnvelope: unknown) => ({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {},
    dsseEnvelope,
  });
  const cyclic: Doc = {};
  cyclic['self'] = cyclic;
  const refusals: [string, unknown, string][] = [
    ['invalid JSON text', '{"payload":', ''],
    ['invalid UTF-8 bytes', Uint8Array.of(0x7b, 0xff, 0x7d), ''],
    ['a JSON array', '[]', ''],
    ['null', null, ''],
    ['missing payloadType', { payload: 'e30=', signatures: good.signatures }, '/payloadType'],
    ['empty payloadType', { ...good, payloadType: '' }, '/payloadType'],
    ['lone surrogate in payloadType', { ...good, payloadType: 'a\uD800' }, '/payloadType'],
    ['cyclic payloadType', { ...good, payloadType: cyclic }, '/payloadType'],
    ['deeply nested payloadType', `{"payloadType":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, '/payloadType'],
    ['numeric payload', { ...good, payload: 5 }, '/payload'],
    ['payload not base64', { ...good, payload: 'e30=!' }, '/payload'],
    ['missing signatures', { payloadType: 't', payload: 'e30=' }, '/signatures'],
    ['empty signatures', { ...good, signatures: [] }, '/signatures'],
    ['signatures as object', { ...good, signatures: { sig: 'AAAA' } }, '/signatures'],
    ['signature not an object', { ...good, signatures: ['AAAA'] }, '/signatures/0'],
    ['empty sig', { ...good, signatures: [{ sig: '' }] }, '/signatures/0/sig'],
    ['second sig not base64', { ...good, signatures: [{ sig: 'AAAA' }, { sig: 'AA*A' }] }, '/signatures/1/sig'],
    ['numeric keyid', { ...good, signatures: [{ sig: 'AAAA', keyid: 7 }] }, '/signatures/0/keyid'],
    ['null keyid', { ...good, signatures: [{ sig: 'AAAA', keyid: null }] }, '/signatures/0/keyid'],
    ['bundle without dsseEnvelope', { ...bundle(undefined), messageSignature: {} }, '/dsseEnvelope'],
    ['bundle with a string dsseEnvelope', bundle('x'), '/dsseEnvelope'],
    ['bundle with a bad sig', bundle({ ...good, signatures: [{ sig: '%%' }] }), '/dsseEnvelope/signatures/0/sig'],
  ];
  for (const [name, input, pointer] of refusals) {
    it(`refuses ${name} at ${pointer || '(root)'}`, () => {
      throwsEvidence(() => parseEnvelope(input), 'MALFORMED_ENVELOPE', pointer);
    });
  }

  it('says which field and why in the message', () => {
    const e = throwsEvidence(
      () => parseEnvelope({ ...good, signatures: [{ sig: 'AB-/' }] }),
      'MALFORMED_ENVELOPE',
      '/signatures/0/sig',
    );
    assert.equal(e.message, '/signatures/0/sig: is not valid base64: mixes the standard (+/) and URL-safe (-_) alphabets');
  });
});

describe('verifySignatures on real envelopes', { skip: interop.skip }, () => {
  for (const { file, key } of VERIFYING) {
    it(`${file} verifies with ${key.id}`, () => {
      const env = parseEnvelope(fixtureText(file));
      const results = verifySignatures(env, [key]);
      assert.deepEqual(results, [
        { index: 0, keyid: env.signatures[0]?.keyid, named: env.signatures[0]?.keyid === key.id ? key.id : null, verified: true, key: key.id, reason: 'verified', encoding: key.algorithm === 'ed25519' ? 'ed25519' : results[0]!.encoding },
      ]);
    });

    it(`${file} does not verify with any other fixture's key`, () => {
      const others = ALL_KEYS.filter((k) => k.publicKey !== key.publicKey);
      const results = verifySignatures(parseEnvelope(fixtureText(file)), others);
      assert.equal(results.length, 1);
      assert.equal(results[0]?.verified, false);
      assert.equal(results[0]?.key, null);
    });
  }

  it('fails the README wrong-key pairings for the stated reasons', () => {
    const check = (file: string, key: TrustedKey, reason: string) =>
      assert.equal(verifySignatures(parseEnvelope(fixtureText(file)), [key])[0]?.reason, reason, `${file} / ${key.id}`);
    check('gcb-slsa/slsa-v1.envelope.json', KEYS.npm, 'no_matching_key');
    check('npm-publish/bundle-publish.sigstore.json', KEYS.gcbWorker, 'no_matching_key');
    // a 64-byte Ed25519 signature is tried as raw r||s under the P-256 key, and fails
    check('attestation-verifier-ed25519/build.fe1c6281.json', KEYS.conformanceV3, 'no_matching_key');
    // a 71-byte DER signature cannot be Ed25519
    check('npm-publish/bundle-publish.sigstore.json', KEYS.attestationVerifier, 'malformed_signature');
  });

  it('GCB v0.1: the PAE signature verifies, the regional raw-payload signature is refused', () => {
    const env = parseEnvelope(fixtureText('gcb-slsa/slsa-v0.1.envelope.json'));
    const results = verifySignatures(env, [KEYS.gcbWorker, KEYS.gcbProvenanceSigner, KEYS.gcbUsWest2]);
    assert.deepEqual(
      results.map((r) => [r.verified, r.key, r.reason]),
      [
        [true, KEYS.gcbProvenanceSigner.id, 'verified'],
        [false, null, 'bad_signature'],
      ],
    );
    // Why: us-west2 signed the bare payload, not PAE(type, payload); DSSE must not accept that.
    const regional = env.signatures[1]?.sig ?? Buffer.alloc(0);
    assert.equal(verify('sha256', env.payload, importTrustedKey(KEYS.gcbUsWest2), regional), true);
  });

  it('verifies the DSSE spec P-256 example, whose signature is raw r||s, not DER', () => {
    const env = parseEnvelope(fixtureText('dsse-spec/protocol-example.envelope.json'));
    const sig = env.signatures[0]?.sig ?? Buffer.alloc(0);
    assert.equal(sig.length, 64);
    const key = importTrustedKey(KEYS.dsseSpecP256);
    assert.equal(verify('sha256', pae(env.payloadType, env.payload), { key, dsaEncoding: 'der' }, sig), false);
    assert.equal(verifySignatures(env, [KEYS.dsseSpecP256])[0]?.verified, true);
  });

  it('refuses the conformance bundle with an invalid DSSE signature, even with every key', () => {
    const env = parseEnvelope(fixtureText('negative/conformance-dsse-invalid-sig_fail.sigstore.json'));
    assert.deepEqual(verifySignatures(env, [KEYS.negativeLeaf]), [
      { index: 0, keyid: null, named: null, verified: false, key: null, reason: 'no_matching_key', encoding: null },
    ]);
    assert.equal(verifySignatures(env, ALL_KEYS)[0]?.verified, false);
  });

  it('still verifies after re-encoding payload and signatures as URL-safe unpadded base64', () => {
    for (const { file, key } of VERIFYING) {
      const inner = envelopeOf(fixtureJson(file));
      const toUrl = (s: string) => Buffer.from(s, 'base64').toString('base64url');
      const reencoded = {
        payloadType: inner.payloadType,
        payload: toUrl(inner.payload),
        signatures: inner.signatures.map((s) => ({ sig: toUrl(s.sig) })),
      };
      assert.equal(verifySignatures(parseEnvelope(reencoded), [key])[0]?.verified, true, file);
    }
  });

  it('fails when any bit of a real payload or signature is flipped', () => {
    const envs = VERIFYING.map(({ file, key }) => ({ env: parseEnvelope(fixtureText(file)), key }));
    fc.assert(
      fc.property(
        fc.nat(envs.length - 1),
        fc.boolean(),
        fc.nat(),
        fc.nat(7),
        (which, inPayload, offset, bit) => {
          const { env, key } = envs[which] ?? assert.fail('index out of range');
          const sig = env.signatures[0]?.sig ?? assert.fail('no signature');
          const tampered = inPayload
            ? { ...env, payload: flipBit(env.payload, offset % env.payload.length, bit) }
            : { ...env, signatures: [{ sig: flipBit(sig, offset % sig.length, bit), keyid: null }] };
          assert.equal(verifySignatures(tampered, [key])[0]?.verified, false);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports no_matching_key when there are no trusted keys', () => {
    const env = parseEnvelope(fixtureText('attestation-verifier-ed25519/test.fe1c6281.json'));
    assert.equal(verifySignatures(env, [])[0]?.reason, 'no_matching_key');
  });
});

describe('keyid is only a hint', () => {
  const payload = '{"_type":"https://in-toto.io/Statement/v1"}';

  it('a keyid naming trusted key A does not stop trusted key B from verifying', () => {
    const json = signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, { privateKey: p256.privateKey, keyid: 'A' });
    const keys: TrustedKey[] = [
      { id: 'A', algorithm: 'ed25519', publicKey: ed.publicKey },
      { id: 'B', algorithm: 'ecdsa-p256', publicKey: p256.publicKey },
    ];
    const [result] = verifySignatures(parseEnvelope(json), keys);
    assert.equal(result?.key, 'B');
    assert.equal(result?.keyid, 'A');
  });

  it('orders attempts: the key the hint names wins when two trusted ids hold the same key', () => {
    const keys: TrustedKey[] = [
      { id: 'first', algorithm: 'ed25519', publicKey: ed.publicKey },
      { id: 'second', algorithm: 'ed25519', publicKey: pem(ed.publicKey) },
    ];
    const signed = (keyid?: string) =>
      parseEnvelope(signEnvelope('t', 'x', keyid === undefined ? { privateKey: ed.privateKey } : { privateKey: ed.privateKey, keyid }));
    assert.equal(verifySignatures(signed('second'), keys)[0]?.key, 'second');
    assert.equal(verifySignatures(signed(), keys)[0]?.key, 'first');
    assert.equal(verifySignatures(signed('unknown'), keys)[0]?.key, 'first');
  });

  it('bad_signature when the hint names a trusted key by id or fingerprint, no_matching_key otherwise', () => {
    const keys: TrustedKey[] = [{ id: 'mine', algorithm: 'ed25519', publicKey: ed.publicKey }];
    for (const [keyid, reason] of [
      ['mine', 'bad_signature'],
      [keyFingerprint(ed.publicKey), 'bad_signature'],
      ['someone-else', 'no_matching_key'],
    ] as const) {
      const env = parseEnvelope(signEnvelope('t', 'original', { privateKey: ed.privateKey, keyid }));
      const altered = { ...env, payload: Buffer.from('altered') };
      assert.deepEqual(verifySignatures(altered, keys)[0], { index: 0, keyid, named: reason === 'bad_signature' ? 'mine' : null, verified: false, key: null, reason, encoding: null });
    }
  });
});

describe('trusted keys', () => {
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });

  it('refuses keys that are not what they are registered as', () => {
    const cases: [TrustedKey, string, RegExp][] = [
      [{ id: 'k', algorithm: 'ed25519', publicKey: p256.publicKey }, '/publicKey', /registered as ed25519 but the key is ec prime256v1/],
      [{ id: 'k', algorithm: 'ecdsa-p256', publicKey: pem(p384.publicKey) }, '/publicKey', /but the key is ec secp384r1/],
      [{ id: 'k', algorithm: 'ecdsa-p256', publicKey: rsa.publicKey }, '/publicKey', /but the key is rsa/],
      [{ id: 'k', algorithm: 'ecdsa-p256', publicKey: 'not a pem' }, '/publicKey', /not a readable PEM public key/],
      [{ id: 'k', algorithm: 'ed25519', publicKey: createSecretKey(Buffer.alloc(32)) }, '/publicKey', /secret key/],
      [{ id: 'k', algorithm: 'rsa' as 'ed25519', publicKey: rsa.publicKey }, '/algorithm', /unsupported algorithm "rsa"/],
    ];
    for (const [key, pointer, why] of cases) {
      const e = throwsEvidence(() => importTrustedKey(key), 'INVALID_KEY', pointer);
      assert.match(e.message, why);
      assert.match(e.message, /trusted key "k"/);
    }
  });

  it('verifySignatures refuses an invalid trusted key instead of skipping it', { skip: interop.skip }, () => {
    const env = parseEnvelope(fixtureText('attestation-verifier-ed25519/test.fe1c6281.json'));
    const bad: TrustedKey = { id: 'k', algorithm: 'ed25519', publicKey: p256.publicKey };
    throwsEvidence(() => verifySignatures(env, [KEYS.attestationVerifier, bad]), 'INVALID_KEY', '/publicKey');
  });

  it('keyFingerprint is the hex SHA-256 of the DER SPKI, whatever form the key is in', { skip: interop.skip }, () => {
    // The fixture README gives base64(SHA-256(SPKI DER)) of npm's key.
    const npm = keyFingerprint(fixtureText('npm-publish/npm-attestations-key.pub.pem'));
    assert.equal(Buffer.from(npm, 'hex').toString('base64'), 'HpCKVUWf5t2sHMvBN+qGMe6DcDL+wqLMxSizjYHxcQg=');
    const fp = keyFingerprint(p256.publicKey);
    assert.match(fp, /^[0-9a-f]{64}$/);
    assert.equal(keyFingerprint(pem(p256.publicKey)), fp);
    assert.equal(keyFingerprint(p256.privateKey), fp);
    assert.notEqual(keyFingerprint(ed.publicKey), fp);
    throwsEvidence(() => keyFingerprint('garbage'), 'INVALID_KEY', '');
  });
});

describe('signEnvelope', () => {
  const payload = JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [] });
  const signers = [
    { name: 'Ed25519', pair: ed, algorithm: 'ed25519' as const },
    { name: 'ECDSA P-256', pair: p256, algorithm: 'ecdsa-p256' as const },
  ];

  for (const { name, pair, algorithm } of signers) {
    it(`round-trips with ${name} (KeyObject and PEM), through JSON`, () => {
      const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      for (const privateKey of [pair.privateKey, privatePem]) {
        const json = signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, { privateKey, keyid: 'me' });
        assert.deepEqual(Object.keys(json), ['payloadType', 'payload', 'signatures']);
        assert.equal(json.payload, Buffer.from(payload).toString('base64'));
        assert.doesNotMatch(json.signatures[0]?.sig ?? '', /[-_]/);
        const env = parseEnvelope(JSON.stringify(json));
        const trusted: TrustedKey = { id: 'me', algorithm, publicKey: pem(pair.publicKey) };
        assert.deepEqual(verifySignatures(env, [trusted]), [
          { index: 0, keyid: 'me', named: 'me', verified: true, key: 'me', reason: 'verified', encoding: algorithm === 'ed25519' ? 'ed25519' : 'der' },
        ]);
      }
    });

    it(`${name}: a flipped byte in payload or signature fails`, () => {
      const env = parseEnvelope(signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, { privateKey: pair.privateKey }));
      const trusted: TrustedKey = { id: 'me', algorithm, publicKey: pair.publicKey };
      const sig = env.signatures[0]?.sig ?? assert.fail('no signature');
      const badPayload = { ...env, payload: flipBit(env.payload, 3, 0) };
      const badSig = { ...env, signatures: [{ sig: flipBit(sig, sig.length - 1, 0), keyid: null }] };
      assert.equal(verifySignatures(env, [trusted])[0]?.verified, true);
      assert.equal(verifySignatures(badPayload, [trusted])[0]?.verified, false);
      assert.equal(verifySignatures(badSig, [trusted])[0]?.verified, false);
    });
  }

  it('writes ECDSA signatures in DER and omits an absent keyid', () => {
    const json = signEnvelope('t', new Uint8Array([1, 2, 3]), { privateKey: p256.privateKey });
    assert.deepEqual(Object.keys(json.signatures[0] ?? {}), ['sig']);
    const sig = Buffer.from(json.signatures[0]?.sig ?? '', 'base64');
    assert.equal(sig[0], 0x30);
    assert.equal(verify('sha256', pae('t', Buffer.from([1, 2, 3])), { key: p256.publicKey, dsaEncoding: 'der' }, sig), true);
  });

  it('refuses keys that cannot sign DSSE for Charter', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    throwsEvidence(() => signEnvelope('t', 'x', { privateKey: p384.privateKey }), 'INVALID_KEY', '/privateKey');
    throwsEvidence(() => signEnvelope('t', 'x', { privateKey: ed.publicKey }), 'INVALID_KEY', '/privateKey');
    throwsEvidence(() => signEnvelope('t', 'x', { privateKey: pem(ed.publicKey) }), 'INVALID_KEY', '/privateKey');
    throwsEvidence(() => signEnvelope('', 'x', { privateKey: ed.privateKey }), 'MALFORMED_ENVELOPE', '/payloadType');
  });
});

describe('DSSE spec test vectors', { skip: interop.skip }, () => {
  interface Vector {
    id: string;
    envelope: Doc;
    trustedKeys: string[];
    threshold: number;
    supportedPayloadTypes: string[];
    pae: string;
    expect: 'accept' | 'reject';
  }
  const file = fixtureJson('dsse-spec/testvectors-vectors.json') as {
    keys: Record<string, { public: string }>;
    vectors: Vector[];
  };
  const keyById = (id: string): TrustedKey => {
    const x = Buffer.from(file.keys[id]?.public ?? assert.fail(`no key ${id}`), 'hex').toString('base64url');
    return { id, algorithm: 'ed25519', publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }) };
  };

  function decide(v: Vector): 'accept' | 'reject' {
    let env;
    try {
      env = parseEnvelope(v.envelope);
    } catch (e) {
      if (e instanceof EvidenceError) return 'reject';
      throw e;
    }
    if (!v.supportedPayloadTypes.includes(env.payloadType)) return 'reject';
    const results = verifySignatures(env, v.trustedKeys.map(keyById));
    return distinctVerifiedKeys(results).length >= v.threshold ? 'accept' : 'reject';
  }

  assert.equal(file.vectors.length, 9);
  for (const v of file.vectors) {
    it(`${v.id}: ${v.expect}`, () => {
      assert.equal(decide(v), v.expect);
      const computed = pae(v.envelope['payloadType'] as string, decodeBase64Flexible(v.envelope['payload'] as string));
      if (v.id === 'payload-type-swapped') assert.notEqual(computed.toString('hex'), v.pae);
      else assert.equal(computed.toString('hex'), v.pae);
    });
  }

  it('rejects for the stated reasons', () => {
    const byId = (id: string) => file.vectors.find((v) => v.id === id) ?? assert.fail(id);
    throwsEvidence(() => parseEnvelope(byId('empty-payload-type').envelope), 'MALFORMED_ENVELOPE', '/payloadType');
    const swapped = byId('payload-type-swapped');
    assert.equal(verifySignatures(parseEnvelope(swapped.envelope), [keyById('A')])[0]?.reason, 'bad_signature');
    const twice = verifySignatures(parseEnvelope(byId('threshold-two-one-key-twice').envelope), [keyById('A'), keyById('B')]);
    assert.deepEqual(twice.map((r) => r.key), ['A', 'A']);
    assert.deepEqual(distinctVerifiedKeys(twice), ['A']);
  });
});

describe('verifySignaturesAsync (thread pool) answers what verifySignatures answers', { skip: interop.skip }, () => {
  it('on every real envelope, with its own key, with every other key, and with all keys', async () => {
    for (const { file } of VERIFYING) {
      const env = parseEnvelope(fixtureText(file));
      for (const keys of [ALL_KEYS, ...ALL_KEYS.map((k) => [k]), []]) {
        assert.deepEqual(await verifySignaturesAsync(env, keys), verifySignatures(env, keys), `${file} with ${keys.map((k) => k.id).join(',')}`);
      }
    }
  });

  it('on tampered envelopes and random signature bytes (property)', async () => {
    const envs = VERIFYING.map(({ file }) => parseEnvelope(fixtureText(file)));
    await fc.assert(
      fc.asyncProperty(
        fc.nat(envs.length - 1),
        fc.oneof(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ minLength: 1, maxLength: 80 }), fc.uint8Array({ minLength: 6, maxLength: 70 }).map((b) => new Uint8Array([0x30, b.length, ...b]))),
        fc.option(fc.constantFrom(...ALL_KEYS.map((k) => k.id)), { nil: null }),
        async (which, sigBytes, keyid) => {
          const env = envs[which]!;
          const tampered = { ...env, signatures: [...env.signatures, { sig: Buffer.from(sigBytes), keyid }] };
          assert.deepEqual(await verifySignaturesAsync(tampered, ALL_KEYS), verifySignatures(tampered, ALL_KEYS));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('hostile input (property tests)', { skip: interop.skip }, () => {
  /** Runs the whole pipeline; only EvidenceError may escape, and it reports whether anything verified. */
  function anythingVerifies(input: unknown): boolean {
    try {
      const env = parseEnvelope(input);
      const verified = verifySignatures(env, ALL_KEYS).some((r) => r.verified);
      try {
        readStatement(env);
      } catch (e) {
        if (!(e instanceof EvidenceError)) throw e;
      }
      return verified;
    } catch (e) {
      if (e instanceof EvidenceError) return false;
      throw e;
    }
  }

  it('random strings and bytes', () => {
    fc.assert(fc.property(fc.string(), (s) => assert.equal(anythingVerifies(s), false)));
    fc.assert(fc.property(fc.uint8Array(), (b) => assert.equal(anythingVerifies(b), false)));
  });

  it('random JSON, as values and as text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        assert.equal(anythingVerifies(v), false);
        assert.equal(anythingVerifies(JSON.stringify(v)), false);
      }),
    );
  });

  it('random envelope-shaped documents, bare and in bundles', () => {
    const b64 = fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('base64'));
    const sigBytes = fc.oneof(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.uint8Array({ minLength: 1, maxLength: 80 }));
    const envelope = fc.record(
      {
        payloadType: fc.oneof(fc.constant(IN_TOTO_PAYLOAD_TYPE), fc.string()),
        payload: fc.oneof(b64, fc.string()),
        signatures: fc.array(
          fc.record(
            {
              sig: fc.oneof(sigBytes.map((b) => Buffer.from(b).toString('base64url')), fc.string()),
              keyid: fc.oneof(fc.constantFrom(...ALL_KEYS.map((k) => k.id)), fc.string(), fc.jsonValue()),
            },
            { requiredKeys: ['sig'] },
          ),
          { maxLength: 3 },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(envelope, fc.boolean(), (env, wrap) => {
        const doc = wrap ? { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', dsseEnvelope: env } : env;
        assert.equal(anythingVerifies(doc), false);
      }),
      { numRuns: 500 },
    );
  });

  const realTexts = [...VERIFYING.map((v) => v.file), 'gcb-slsa/slsa-v0.1.envelope.json'].map((f) => fixtureText(f).trimEnd());

  it('sanity: the untruncated real envelopes do verify through the same pipeline', () => {
    for (const text of realTexts) assert.equal(anythingVerifies(text), true);
  });

  it('every truncation of a real envelope', () => {
    fc.assert(
      fc.property(fc.constantFrom(...realTexts), fc.nat(), (text, cut) => {
        assert.equal(anythingVerifies(text.slice(0, cut % text.length)), false);
      }),
      { numRuns: 500 },
    );
  });

  it('truncated payload or signature inside a real envelope', () => {
    fc.assert(
      fc.property(fc.constantFrom(...realTexts), fc.boolean(), fc.integer({ min: 1, max: 200 }), (text, inPayload, drop) => {
        const doc = JSON.parse(text) as Doc;
        const inner = envelopeOf(doc);
        // strip padding first: dropping only '=' would leave the same bytes
        const cut = (s: string) => s.replace(/=+$/, '').slice(0, -drop);
        if (inPayload) inner.payload = cut(inner.payload);
        else for (const s of inner.signatures) s.sig = cut(s.sig);
        assert.equal(anythingVerifies(doc), false);
      }),
      { numRuns: 300 },
    );
  });
});
