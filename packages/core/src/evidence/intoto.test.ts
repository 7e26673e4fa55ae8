import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseEnvelope } from './dsse.js';
import { EvidenceError } from './errors.js';
import type { EvidenceErrorCode } from './errors.js';
import { fixtureJson, fixtureText, interop } from './fixtures.testkit.js';
import { parseStatement, readStatement, STATEMENT_V0_1, STATEMENT_V1, subjectMatches } from './intoto.js';
import type { Statement } from './intoto.js';

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

const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));
const statementFrom = (file: string) => readStatement(parseEnvelope(fixtureText(file)));

const SLSA_V1 = 'https://slsa.dev/provenance/v1';
const NPM_PUBLISH = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1';
const NPM_1_3_0 =
  '76176ffa33808b54602c7c35de5c6e9a4deb96066dba6533f50ac234f4f1f4c6b3527515dc17c06fbe2860030f410eee69ea20079bd3a2c6f3dcf3b329b10751';
const NPM_1_2_0 =
  '16bf7e5b59e40522190a425047b8c39ffcc8d145cdb15a69fbb9834240a764e2311bda7ac8d5c1c7dc67b47b1f532607139e570e4915577fab61bae4cc079eb0';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const A_TXT = 'a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf';
const GCB_IMAGE = '7e9b6e7ba2842c91cf49f3e214d04a7a496f8214356f41d81a6e6dcad11f11e3';
const GCB_NAME = 'https://us-central1-docker.pkg.dev/argo-local-khalk/khalk-docker-ar/prod-prov-image';

describe('statements of real envelopes', { skip: interop.skip }, () => {
  const expected: [file: string, type: string, predicateType: string, subjects: number, name: string, alg: string, hex: string][] = [
    ['npm-publish/bundle-publish.sigstore.json', STATEMENT_V0_1, NPM_PUBLISH, 1, 'pkg:npm/sigstore@1.3.0', 'sha512', NPM_1_3_0],
    ['attestation-verifier-ed25519/build.fe1c6281.json', STATEMENT_V1, SLSA_V1, 1, 'bin/foo', 'sha256', '58eaf5a78d580f5dbd49d31a5b733094169b31bfdf49055b74bcac2877d8f58c'],
    ['attestation-verifier-ed25519/test.fe1c6281.json', STATEMENT_V1, 'https://in-toto.io/attestation/test-result/v0.1', 1, 'foo', 'sha256', EMPTY_SHA256],
    ['attestation-verifier-ed25519/npm-build.fe1c6281.json', STATEMENT_V0_1, 'https://slsa.dev/provenance/v0.2', 1, 'pkg:npm/sigstore@1.2.0', 'sha512', NPM_1_2_0],
    ['attestation-verifier-ed25519/npm-publish.fe1c6281.json', STATEMENT_V0_1, NPM_PUBLISH, 1, 'pkg:npm/sigstore@1.2.0', 'sha512', NPM_1_2_0],
    ['gcb-slsa/slsa-v1.envelope.json', STATEMENT_V1, SLSA_V1, 2, GCB_NAME, 'sha256', GCB_IMAGE],
    ['gcb-slsa/slsa-v0.1.envelope.json', STATEMENT_V0_1, 'https://slsa.dev/provenance/v0.1', 2, GCB_NAME, 'sha256', GCB_IMAGE],
    ['sigstore-bundles/conformance-happy-path-intoto-in-dsse-v3.sigstore.json', STATEMENT_V1, SLSA_V1, 1, 'a.txt', 'sha256', A_TXT],
    ['sigstore-bundles/conformance-rekor2-dsse-happy-path.sigstore.json', STATEMENT_V1, SLSA_V1, 1, 'a.txt', 'sha256', A_TXT],
    ['sigstore-bundles/cosign-oci-attestation.sigstore.json', STATEMENT_V0_1, 'https://cosign.sigstore.dev/attestation/v1', 1, '127.0.0.1:60943/repo', 'sha256', '732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4'],
    ['sigstore-bundles/sigstore-go-bundle-provenance.sigstore.json', STATEMENT_V0_1, 'https://slsa.dev/provenance/v0.2', 1, 'pkg:npm/sigstore@1.3.0', 'sha512', NPM_1_3_0],
    ['negative/conformance-dsse-invalid-sig_fail.sigstore.json', STATEMENT_V1, SLSA_V1, 1, 'a.txt', 'sha256', A_TXT],
  ];
  for (const [file, type, predicateType, subjects, name, alg, hex] of expected) {
    it(`${file}: ${type.split('/').pop()} ${predicateType}`, () => {
      const st = statementFrom(file);
      assert.equal(st._type, type);
      assert.equal(st.predicateType, predicateType);
      assert.equal(st.subject.length, subjects);
      assert.deepEqual(st.subject[0], { name, digest: { [alg]: hex } });
      assert.ok(Object.keys(st.predicate).length > 0);
    });
  }

  it('refuses the attestation-verifier payload that lacks _type, though its signature is valid', () => {
    const e = throwsEvidence(
      () => statementFrom('attestation-verifier-ed25519/clone.fe1c6281.json'),
      'MALFORMED_STATEMENT',
      '/payload/_type',
    );
    assert.match(e.message, /must be https:\/\/in-toto.io\/Statement\/v1 or .*, got undefined/);
  });

  it('points through /dsseEnvelope when the envelope came in a Sigstore bundle', () => {
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      dsseEnvelope: fixtureJson('attestation-verifier-ed25519/clone.fe1c6281.json'),
    };
    throwsEvidence(() => readStatement(parseEnvelope(bundle)), 'MALFORMED_STATEMENT', '/dsseEnvelope/payload/_type');
  });

  it('refuses a payload type other than in-toto', () => {
    const env = parseEnvelope(fixtureText('dsse-spec/protocol-example.envelope.json'));
    throwsEvidence(() => readStatement(env), 'UNSUPPORTED_PAYLOAD_TYPE', '/payloadType');
  });
});

describe('parseStatement', () => {
  const valid = {
    _type: STATEMENT_V1,
    subject: [{ name: 'app.tar', digest: { sha256: GCB_IMAGE } }],
    predicateType: SLSA_V1,
    predicate: { buildDefinition: {} },
  };

  it('returns the statement, keeping digests as written', () => {
    const other = { ...valid, subject: [{ digest: { sha256: GCB_IMAGE, gitCommit: 'ab12', constructor: 'cd' } }] };
    assert.deepEqual(parseStatement(bytes(other)), other);
  });

  it('refuses an upper-case hex digest with its own code (the in-toto digest set is lowercase)', () => {
    throwsEvidence(() => parseStatement(bytes({ ...valid, subject: [{ digest: { sha256: GCB_IMAGE.toUpperCase() } }] })), 'DIGEST_NOT_LOWERCASE', '/payload/subject/0/digest/sha256');
    throwsEvidence(() => parseStatement(bytes({ ...valid, subject: [valid.subject[0], { digest: { gitCommit: 'AB12' } }] })), 'DIGEST_NOT_LOWERCASE', '/payload/subject/1/digest/gitCommit');
  });

  it('refuses duplicate member names with their own code, at any depth, names compared unescaped', () => {
    const text = JSON.stringify(valid);
    const cases: [string, string][] = [
      [text.replace('{"_type"', '{"predicateType":"https://evil.example/x","_type"'), '/payload/predicateType'],
      [text.replace('"digest":{', '"digest":{"sha256":"' + '0'.repeat(64) + '",'), '/payload/subject/0/digest/sha256'],
      [text.replace('"predicate":{', '"predicate":{"a":{"b":[1,{"c":1,"\\u0063":2}]},'), '/payload/predicate/a/b/1/c'],
      [text.replace('"predicate":{', '"predicate":{"x/y~z":1,"x/y~z":2,'), '/payload/predicate/x~1y~0z'],
    ];
    for (const [dup, pointer] of cases) {
      assert.doesNotThrow(() => JSON.parse(dup), 'JSON.parse alone accepts it');
      throwsEvidence(() => parseStatement(Buffer.from(dup)), 'DUPLICATE_MEMBER', pointer);
    }
    // The same name in different objects, or as a string value, is no duplicate.
    assert.doesNotThrow(() => parseStatement(Buffer.from(text.replace('"predicate":{', '"predicate":{"subject":"subject","a":{"subject":{"subject":1}},'))));
  });

  it('defaults an absent predicate to {}', () => {
    const { predicate: _, ...rest } = valid;
    assert.deepEqual(parseStatement(bytes(rest)).predicate, {});
  });

  it('prefixes pointers with the location it was given', () => {
    throwsEvidence(() => parseStatement(bytes({ ...valid, subject: [] }), '/x/payload'), 'MALFORMED_STATEMENT', '/x/payload/subject');
  });

  const withSubject = (subject: unknown) => ({ ...valid, subject: [subject] });
  const refusals: [string, Uint8Array, string][] = [
    ['invalid UTF-8', Uint8Array.of(0x7b, 0xc3, 0x7d), '/payload'],
    ['invalid JSON', Buffer.from('{"_type":'), '/payload'],
    ['a JSON array', bytes([valid]), '/payload'],
    ['an unknown _type', bytes({ ...valid, _type: 'https://in-toto.io/Statement/v2' }), '/payload/_type'],
    ['a missing subject', bytes({ ...valid, subject: undefined }), '/payload/subject'],
    ['an empty subject', bytes({ ...valid, subject: [] }), '/payload/subject'],
    ['a subject object instead of array', bytes({ ...valid, subject: valid.subject[0] }), '/payload/subject'],
    ['a subject entry that is a string', bytes(withSubject('app.tar')), '/payload/subject/0'],
    ['a numeric subject name', bytes(withSubject({ name: 1, digest: { sha256: GCB_IMAGE } })), '/payload/subject/0/name'],
    ['a missing digest', bytes(withSubject({ name: 'a' })), '/payload/subject/0/digest'],
    ['an empty digest', bytes(withSubject({ digest: {} })), '/payload/subject/0/digest'],
    ['a short sha256', bytes(withSubject({ digest: { sha256: 'abc123' } })), '/payload/subject/0/digest/sha256'],
    ['a non-hex sha256', bytes(withSubject({ digest: { sha256: 'z'.repeat(64) } })), '/payload/subject/0/digest/sha256'],
    ['a non-hex sha512', bytes(withSubject({ digest: { sha512: NPM_1_3_0.replace('7', 'g') } })), '/payload/subject/0/digest/sha512'],
    ['a numeric digest value', bytes(withSubject({ digest: { gitCommit: 12 } })), '/payload/subject/0/digest/gitCommit'],
    ['a non-hex digest under an escaped key', bytes(withSubject({ digest: { 'a/b~c': 'xyz' } })), '/payload/subject/0/digest/a~1b~0c'],
    ['a missing predicateType', bytes({ ...valid, predicateType: undefined }), '/payload/predicateType'],
    ['an empty predicateType', bytes({ ...valid, predicateType: '' }), '/payload/predicateType'],
    ['a predicateType that is not a URI', bytes({ ...valid, predicateType: 'slsa provenance' }), '/payload/predicateType'],
    ['an array predicate', bytes({ ...valid, predicate: [] }), '/payload/predicate'],
    ['a null predicate', bytes({ ...valid, predicate: null }), '/payload/predicate'],
  ];
  for (const [name, input, pointer] of refusals) {
    it(`refuses ${name} at ${pointer}`, () => {
      throwsEvidence(() => parseStatement(input), 'MALFORMED_STATEMENT', pointer);
    });
  }

  it('returns exactly what any well-formed statement says', () => {
    const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
    const subject = fc.record(
      {
        name: fc.string(),
        digest: fc.record({ sha256: hex(64), sha512: hex(128), gitCommit: hex(40) }, { requiredKeys: ['sha256'] }),
      },
      { requiredKeys: ['digest'] },
    );
    const statement = fc.record({
      _type: fc.constantFrom(STATEMENT_V1, STATEMENT_V0_1),
      subject: fc.array(subject, { minLength: 1, maxLength: 4 }),
      predicateType: fc.webUrl(),
      predicate: fc.dictionary(fc.string(), fc.jsonValue()),
    });
    fc.assert(
      fc.property(statement, (st) => {
        const parsed = parseStatement(bytes(st));
        assert.deepEqual(parsed, JSON.parse(JSON.stringify(st)) as Statement);
      }),
    );
  });

  it('on random bytes and random JSON throws only MALFORMED_STATEMENT', () => {
    const check = (input: Uint8Array) => {
      try {
        parseStatement(input);
      } catch (e) {
        assert.ok(e instanceof EvidenceError, String(e));
        assert.equal(e.code, 'MALFORMED_STATEMENT');
        assert.ok(e.pointer.startsWith('/payload'));
      }
    };
    fc.assert(fc.property(fc.uint8Array(), check));
    fc.assert(fc.property(fc.jsonValue(), (v) => check(bytes(v))));
    fc.assert(
      fc.property(fc.record({ _type: fc.constantFrom(STATEMENT_V1, 5), subject: fc.jsonValue(), predicateType: fc.jsonValue() }), (v) =>
        check(bytes(v)),
      ),
    );
  });
});

describe('subjectMatches', { skip: interop.skip }, () => {
  const gcb = () => statementFrom('gcb-slsa/slsa-v1.envelope.json');

  it('is true when a subject has exactly that sha256', () => {
    assert.equal(subjectMatches(gcb(), `sha256:${GCB_IMAGE}`), true);
  });

  it('is false for another digest, or when subjects carry only sha512', () => {
    assert.equal(subjectMatches(gcb(), `sha256:${A_TXT}`), false);
    assert.equal(subjectMatches(statementFrom('npm-publish/bundle-publish.sigstore.json'), `sha256:${A_TXT}`), false);
  });

  it('refuses a digest argument that is not sha256:<64 hex>', () => {
    for (const bad of [GCB_IMAGE, `sha256:${GCB_IMAGE.toUpperCase()}`, `sha256:${GCB_IMAGE}0`, `sha256:${'g'.repeat(64)}`, `sha512:${NPM_1_3_0}`, `SHA256:${GCB_IMAGE}`, '']) {
      throwsEvidence(() => subjectMatches(gcb(), bad), 'INVALID_DIGEST', '');
    }
  });
});
