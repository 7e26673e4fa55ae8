import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { AuditProofError } from './errors.js';
import {
  formatCheckpoint,
  formatNote,
  noteVerifier,
  parseCheckpoint,
  parseNote,
  parseSignerKey,
  parseVkey,
  signNote,
  signerKeyFromPrivateKey,
  verifyNote,
  vkeyFromPublicKey,
} from './checkpoint.js';
import type { NoteVerification, NoteVerifier } from './checkpoint.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { interop } from '../testing/interop.js';

const fixture = (name: string): string => interop.text('checkpoints', name);
const fixtureJson = <T>(name: string): T => JSON.parse(fixture(name)) as T;

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function verified(result: NoteVerification): string[] {
  assert.ok(result.ok, result.ok ? '' : result.error.message);
  return result.verified.map((s) => `${s.name}+${s.keyHash}`);
}

function failure(result: NoteVerification): AuditProofError {
  assert.equal(result.ok, false, 'note must not verify');
  assert.ok(!result.ok);
  assert.ok(result.error instanceof AuditProofError);
  return result.error;
}

const hasCode = (code: string) => (e: unknown) => e instanceof AuditProofError && e.code === code;

// Real log keys; without the interop fixtures the tests that use them are skipped.
let sumVkey = '';
let sumVerifier!: NoteVerifier;
let rekorVerifier!: NoteVerifier;
let stagingVerifier!: NoteVerifier;
if (interop.present) {
  sumVkey = fixture('sum.golang.org.vkey');
  sumVerifier = parseVkey(sumVkey);
  rekorVerifier = noteVerifier('rekor.sigstore.dev', fixture('rekor.sigstore.dev.pub.pem'));
  stagingVerifier = parseVkey(fixture('log2025-alpha3.rekor.sigstage.dev.vkey'));
}

describe('golang.org/x/mod sumdb/note vectors', { skip: interop.skip }, () => {
  interface Vectors {
    verifierKeys: Record<string, string>;
    verifierKeysPem: Record<string, string>;
    text: string;
    notes: Array<{ id: string; note: string; expect: Record<string, 'valid' | 'invalid'> }>;
  }
  const vectors = fixtureJson<Vectors>('golang-mod-sumdb-note-vectors.json');
  const verifiers = Object.values(vectors.verifierKeys).map(parseVkey);

  test('vkeys parse, key IDs match, and PEM keys give the same vkey', () => {
    assert.deepEqual(
      verifiers.map((v) => [v.name, v.keyHash, v.type]),
      [
        ['PeterNeumann', 'c74f20a3', 'ed25519'],
        ['EnochRoot', 'af0cfe78', 'ed25519'],
      ],
    );
    for (const [name, vkey] of Object.entries(vectors.verifierKeys)) {
      const pem = vectors.verifierKeysPem[name]!;
      assert.equal(vkeyFromPublicKey(name, pem), vkey);
      assert.equal(noteVerifier(name, pem).keyHash, parseVkey(vkey).keyHash);
    }
  });

  test('3 notes checked against their expectations', () => {
    assert.equal(vectors.notes.length, 3);
    for (const { id, note, expect } of vectors.notes) {
      const result = verifyNote(note, verifiers);
      const expected = Object.entries(expect);
      if (expected.every(([, outcome]) => outcome === 'valid')) {
        const names = verified(result).map((k) => k.split('+')[0]);
        assert.deepEqual(names.sort(), expected.map(([name]) => name).sort(), id);
        assert.equal(result.ok && result.text, vectors.text);
      } else {
        assert.match(failure(result).message, /invalid signature by PeterNeumann\+c74f20a3/, id);
      }
    }
  });

  test('a note signed only by Peter does not verify for a client that trusts only Enoch', () => {
    const peterOnly = vectors.notes.find((n) => n.id === 'peter-only')!.note;
    const enoch = verifiers.filter((v) => v.name === 'EnochRoot');
    assert.match(failure(verifyNote(peterOnly, enoch)).message, /no signature by a trusted key/);
    const both = vectors.notes.find((n) => n.id === 'peter-and-enoch')!.note;
    const result = verifyNote(both, enoch);
    assert.deepEqual(verified(result), ['EnochRoot+af0cfe78']);
    assert.deepEqual(result.ok && result.unverified.map((s) => s.name), ['PeterNeumann']);
  });
});

describe('sum.golang.org checkpoints', { skip: interop.skip }, () => {
  interface SumCheckpoints {
    verifierKey: string;
    checkpoints: Array<{ note: string; treeSize: number; rootHashBase64: string }>;
  }
  const data = fixtureJson<SumCheckpoints>('sum.golang.org-checkpoints.json');

  test('the vkey file and the PEM give the same verifier', () => {
    assert.equal(sumVkey.trim(), data.verifierKey);
    assert.equal(sumVerifier.keyHash, '033de0ae');
    assert.equal(vkeyFromPublicKey('sum.golang.org', fixture('sum.golang.org.pub.pem')), data.verifierKey);
  });

  test('all 6 real tree heads verify and parse', () => {
    assert.equal(data.checkpoints.length, 6);
    for (const cp of data.checkpoints) {
      const result = verifyNote(cp.note, [sumVerifier]);
      assert.deepEqual(verified(result), ['sum.golang.org+033de0ae']);
      const checkpoint = parseCheckpoint(result.ok ? result.text : '');
      assert.equal(checkpoint.origin, 'go.sum database tree');
      assert.equal(checkpoint.size, cp.treeSize);
      assert.equal(hex(checkpoint.rootHash), hex(b64(cp.rootHashBase64)));
      assert.deepEqual(checkpoint.extensions, []);
    }
  });

  test('the raw .note file verifies', () => {
    assert.deepEqual(verified(verifyNote(fixture('sum.golang.org-454425.note'), [sumVerifier])), ['sum.golang.org+033de0ae']);
  });
});

describe('rekor.sigstore.dev checkpoints (ECDSA P-256)', { skip: interop.skip }, () => {
  interface RekorCheckpoints {
    verifierKey: string;
    checkpoints: Array<{ note: string }>;
  }
  const data = fixtureJson<RekorCheckpoints>('rekor.sigstore.dev-checkpoints.json');

  test('the PEM key has key ID SHA-256(SPKI)[:4] = c0d23d6a and the published vkey', () => {
    assert.equal(rekorVerifier.type, 'ecdsa-p256');
    assert.equal(rekorVerifier.keyHash, 'c0d23d6a');
    assert.equal(vkeyFromPublicKey('rekor.sigstore.dev', fixture('rekor.sigstore.dev.pub.pem')), data.verifierKey);
    assert.equal(parseVkey(data.verifierKey).keyHash, 'c0d23d6a');
  });

  test('all 4 checkpoints verify with the PEM key and with the vkey', () => {
    assert.equal(data.checkpoints.length, 4);
    for (const { note } of data.checkpoints) {
      assert.deepEqual(verified(verifyNote(note, [rekorVerifier])), ['rekor.sigstore.dev+c0d23d6a']);
      assert.deepEqual(verified(verifyNote(note, [parseVkey(data.verifierKey)])), ['rekor.sigstore.dev+c0d23d6a']);
    }
    const legacy = verifyNote(data.checkpoints[3]!.note, [rekorVerifier]);
    assert.equal(parseCheckpoint(legacy.ok ? legacy.text : '').origin, 'Rekor');
  });

  test('the raw .note file verifies', () => {
    const result = verifyNote(fixture('rekor.sigstore.dev-33786589.note'), [rekorVerifier]);
    assert.deepEqual(verified(result), ['rekor.sigstore.dev+c0d23d6a']);
    assert.equal(parseCheckpoint(result.ok ? result.text : '').size, 33786589);
  });

  test('the Pixel binary transparency checkpoint verifies with its vkey and its PEM', () => {
    const pixel = fixtureJson<{ verifierKey: string; verifierKeyPem: string; checkpoint: string }>(
      'pixel6-transparency-log-checkpoint.json',
    );
    const fromVkey = parseVkey(pixel.verifierKey);
    assert.equal(fromVkey.keyHash, '91c16e30');
    assert.deepEqual(verified(verifyNote(pixel.checkpoint, [fromVkey])), ['pixel6_transparency_log+91c16e30']);
    const fromPem = noteVerifier('pixel6_transparency_log', pixel.verifierKeyPem);
    const result = verifyNote(pixel.checkpoint, [fromPem]);
    assert.deepEqual(verified(result), ['pixel6_transparency_log+91c16e30']);
    assert.equal(parseCheckpoint(result.ok ? result.text : '').size, 10);
  });
});

describe('Rekor v2 staging checkpoint (Ed25519 + witness cosignatures)', { skip: interop.skip }, () => {
  const data = fixtureJson<{ verifierKeyDerived: string; checkpoint: string; cosignatures: Array<{ name: string; keyHash: string }> }>(
    'log2025-alpha3.rekor.sigstage.dev-checkpoint.json',
  );

  test('the log signature verifies; the 3 cosignatures are reported as unverified', () => {
    assert.equal(stagingVerifier.keyHash, 'd3d3a70c');
    const fromPem = noteVerifier('log2025-alpha3.rekor.sigstage.dev', fixture('log2025-alpha3.rekor.sigstage.dev.pub.pem'));
    assert.equal(vkeyFromPublicKey(fromPem.name, fromPem.publicKey), data.verifierKeyDerived);
    for (const note of [data.checkpoint, fixture('log2025-alpha3.rekor.sigstage.dev-4026479.note')]) {
      for (const verifier of [stagingVerifier, fromPem]) {
        const result = verifyNote(note, [verifier]);
        assert.deepEqual(verified(result), ['log2025-alpha3.rekor.sigstage.dev+d3d3a70c']);
        assert.deepEqual(
          result.ok && result.unverified.map((s) => [s.name, s.keyHash, s.signature.length]),
          data.cosignatures.map((c) => [c.name, c.keyHash, 72]),
        );
      }
    }
  });

  test('cosignatures alone do not make a note trusted', () => {
    const withoutLogSignature = data.checkpoint.replace(/^— log2025-alpha3.*\n/m, '');
    assert.notEqual(withoutLogSignature, data.checkpoint);
    assert.match(failure(verifyNote(withoutLogSignature, [stagingVerifier])).message, /no signature by a trusted key/);
  });
});

describe('negative wrong-key pairings', { skip: interop.skip }, () => {
  const { cases } = fixtureJson<{ cases: Array<{ id: string; note: string; key: string }> }>('negative-wrong-key-pairings.json');

  test('both pairings fail, also when the wrong key is forced onto the signature name and ID', () => {
    assert.equal(cases.length, 2);
    for (const { id, note, key } of cases) {
      const wrong = parseVkey(key);
      assert.match(failure(verifyNote(note, [wrong])).message, /no signature by a trusted key/, id);
      const [signature] = parseNote(note).signatures;
      const forced: NoteVerifier = { ...wrong, name: signature!.name, keyHash: signature!.keyHash };
      assert.match(failure(verifyNote(note, [forced])).message, /invalid signature/, id);
    }
  });

  test('a key with the right name but another key ID is ignored', () => {
    const note = fixture('sum.golang.org-454425.note');
    const other = generateKeyPairSync('ed25519').publicKey;
    assert.match(failure(verifyNote(note, [noteVerifier('sum.golang.org', other)])).message, /no signature by a trusted key/);
  });
});

describe('real log proofs end to end: checkpoint signature, then inclusion', { skip: interop.skip }, () => {
  interface RealProof {
    log: string;
    leafDataBase64: string;
    leafIndex: number;
    treeSize: number;
    proofBase64: string[];
    checkpoint: string;
  }
  const { proofs } = JSON.parse(
    interop.text('merkle', 'real-log-inclusion-proofs.json'),
  ) as { proofs: RealProof[] };

  for (const p of proofs) {
    test(`${p.log} leaf ${p.leafIndex}`, () => {
      const result = verifyNote(p.checkpoint, [rekorVerifier, stagingVerifier]);
      assert.equal(verified(result).length, 1);
      const checkpoint = parseCheckpoint(result.ok ? result.text : '');
      assert.equal(checkpoint.origin, p.log);
      assert.equal(checkpoint.size, p.treeSize);
      const leaf = leafHash(b64(p.leafDataBase64));
      assert.ok(verifyInclusion(leaf, p.leafIndex, checkpoint.size, p.proofBase64.map(b64), checkpoint.rootHash));
    });
  }
});

describe('signing', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const name = 'charter.example/log';
  const signer = { name, privateKey };
  const verifier = noteVerifier(name, publicKey);
  const rootHash = new Uint8Array(32).map((_, i) => i * 7);
  const body = formatCheckpoint({ origin: name, size: 42, rootHash, extensions: ['charter-ext 1'] });
  const note = signNote(body, signer);

  test('a signed checkpoint verifies and round-trips through parse and format', () => {
    assert.equal(body, `${name}\n42\n${Buffer.from(rootHash).toString('base64')}\ncharter-ext 1\n`);
    assert.ok(note.startsWith(`${body}\n— ${name} `));
    const result = verifyNote(note, [verifier]);
    assert.deepEqual(verified(result), [`${name}+${verifier.keyHash}`]);
    assert.equal(formatNote(parseNote(note)), note);
    const checkpoint = parseCheckpoint(result.ok ? result.text : '');
    assert.deepEqual(checkpoint, { origin: name, size: 42, rootHash, extensions: ['charter-ext 1'] });
    assert.equal(formatCheckpoint(checkpoint), body);
  });

  test('vkey and signer key strings round-trip', () => {
    const vkey = vkeyFromPublicKey(name, publicKey);
    assert.equal(parseVkey(vkey).keyHash, verifier.keyHash);
    assert.deepEqual(verified(verifyNote(note, [parseVkey(vkey)])), [`${name}+${verifier.keyHash}`]);
    const skey = signerKeyFromPrivateKey(name, privateKey);
    assert.ok(skey.startsWith(`PRIVATE+KEY+${name}+${verifier.keyHash}+`));
    // Ed25519 is deterministic, so the restored key yields the identical note.
    assert.equal(signNote(body, parseSignerKey(skey)), note);
  });

  test('any one-bit change to the text or to the signature fails', () => {
    const { text, signatures } = parseNote(note);
    const [signature] = signatures;
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 6 }), fc.nat(), (at, bit, sigAt) => {
        const position = at % text.length;
        const flipped = String.fromCharCode(text.charCodeAt(position) ^ (1 << bit));
        const tamperedText = text.slice(0, position) + flipped + text.slice(position + 1);
        assert.equal(verifyNote(tamperedText + note.slice(text.length), [verifier]).ok, false);

        const bytes = new Uint8Array([...Buffer.from(signature!.keyHash, 'hex'), ...signature!.signature]);
        bytes[sigAt % bytes.length]! ^= 1 << bit;
        const tamperedNote = `${text}\n— ${name} ${Buffer.from(bytes).toString('base64')}\n`;
        assert.equal(verifyNote(tamperedNote, [verifier]).ok, false);
      }),
    );
  });

  test('several signers; a bad signature from a known key rejects the whole note', () => {
    const other = generateKeyPairSync('ed25519');
    const otherSigner = { name: 'witness.example/w1', privateKey: other.privateKey };
    const otherVerifier = noteVerifier(otherSigner.name, other.publicKey);
    const both = signNote(body, [signer, otherSigner]);
    assert.equal(verified(verifyNote(both, [verifier, otherVerifier])).length, 2);
    const onlyLog = verifyNote(both, [verifier]);
    assert.deepEqual(onlyLog.ok && onlyLog.unverified.map((s) => s.name), [otherSigner.name]);

    const parsed = parseNote(both);
    const corrupted = parsed.signatures.map((s, i) => (i === 1 ? { ...s, signature: s.signature.map((b) => b ^ 0xff) } : s));
    const forged = formatNote({ text: parsed.text, signatures: corrupted });
    assert.match(failure(verifyNote(forged, [verifier, otherVerifier])).message, /invalid signature by witness\.example\/w1/);
    assert.ok(verifyNote(forged, [verifier]).ok, 'unknown keys are not checked');

    const repeated = formatNote({ text: parsed.text, signatures: [parsed.signatures[0]!, parsed.signatures[0]!] });
    assert.equal(verified(verifyNote(repeated, [verifier])).length, 1);
  });

  test('invalid signing input is rejected', () => {
    assert.throws(() => signNote('no trailing newline', signer), hasCode('INVALID_NOTE'));
    assert.throws(() => signNote('tab\there\n', signer), hasCode('INVALID_NOTE'));
    assert.throws(() => signNote('', signer), hasCode('INVALID_NOTE'));
    assert.throws(() => signNote(body, { name: 'has space', privateKey }), hasCode('INVALID_KEY'));
    assert.throws(() => signNote(body, { name: 'a+b', privateKey }), hasCode('INVALID_KEY'));
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.throws(() => signNote(body, { name, privateKey: ec.privateKey }), hasCode('INVALID_KEY'));
    assert.throws(() => signNote(body, { name, privateKey: publicKey }), hasCode('INVALID_KEY'));
    assert.throws(() => formatNote({ text: body, signatures: [] }), hasCode('INVALID_NOTE'));
  });
});

describe('parseCheckpoint is strict', () => {
  const root = Buffer.alloc(32, 1).toString('base64');

  test('accepts size 0, large sizes and extension lines', () => {
    assert.equal(parseCheckpoint(`o\n0\n${root}\n`).size, 0);
    assert.equal(parseCheckpoint(`o\n9007199254740991\n${root}\n`).size, Number.MAX_SAFE_INTEGER);
    assert.deepEqual(parseCheckpoint(`o\n1\n${root}\na\nb c\n`).extensions, ['a', 'b c']);
  });

  test('rejects malformed bodies', () => {
    const bad: Record<string, string> = {
      'missing trailing newline': `o\n1\n${root}`,
      'leading zero': `o\n01\n${root}\n`,
      'plus sign': `o\n+1\n${root}\n`,
      'negative size': `o\n-1\n${root}\n`,
      'fractional size': `o\n1.0\n${root}\n`,
      'hex size': `o\n0x1\n${root}\n`,
      'space in size': `o\n 1\n${root}\n`,
      'empty size': `o\n\n${root}\n`,
      'size above 2^53': `o\n9007199254740993\n${root}\n`,
      'empty origin': `\n1\n${root}\n`,
      'two lines': `o\n1\n`,
      'root not base64': `o\n1\n!!!!\n`,
      'root without padding': `o\n1\n${root.replace(/=+$/, '')}\n`,
      'non-canonical base64': `o\n1\n${root.slice(0, -2)}F=\n`,
      '31-byte root': `o\n1\n${Buffer.alloc(31).toString('base64')}\n`,
      '33-byte root': `o\n1\n${Buffer.alloc(33).toString('base64')}\n`,
      'empty extension line': `o\n1\n${root}\n\next\n`,
      'carriage return': `o\r\n1\n${root}\n`,
    };
    for (const [what, text] of Object.entries(bad)) {
      assert.throws(() => parseCheckpoint(text), hasCode('INVALID_CHECKPOINT'), what);
    }
  });

  test('formatCheckpoint rejects what parseCheckpoint would reject', () => {
    const rootHash = new Uint8Array(32);
    assert.throws(() => formatCheckpoint({ origin: '', size: 1, rootHash }), hasCode('INVALID_CHECKPOINT'));
    assert.throws(() => formatCheckpoint({ origin: 'a\nb', size: 1, rootHash }), hasCode('INVALID_CHECKPOINT'));
    assert.throws(() => formatCheckpoint({ origin: 'o', size: -1, rootHash }), hasCode('INVALID_CHECKPOINT'));
    assert.throws(() => formatCheckpoint({ origin: 'o', size: 1.5, rootHash }), hasCode('INVALID_CHECKPOINT'));
    assert.throws(() => formatCheckpoint({ origin: 'o', size: 1, rootHash: new Uint8Array(20) }), hasCode('INVALID_CHECKPOINT'));
    assert.throws(() => formatCheckpoint({ origin: 'o', size: 1, rootHash, extensions: [''] }), hasCode('INVALID_CHECKPOINT'));
  });

  test('format then parse is the identity', () => {
    const line = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\u0000-\u001f]/.test(s));
    fc.assert(
      fc.property(
        line,
        fc.maxSafeNat(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(line, { maxLength: 3 }),
        (origin, size, rootHash, extensions) => {
          const parsed = parseCheckpoint(formatCheckpoint({ origin, size, rootHash, extensions }));
          assert.deepEqual(parsed, { origin, size, rootHash, extensions });
        },
      ),
    );
  });
});

describe('parseNote and parseVkey are strict', () => {
  const sig = Buffer.alloc(68, 9).toString('base64');

  test('accepts a text with blank lines, split at the last blank line', () => {
    const parsed = parseNote(`a\n\nb\n\n— k ${sig}\n`);
    assert.equal(parsed.text, 'a\n\nb\n');
    assert.equal(parsed.signatures.length, 1);
  });

  test('rejects malformed notes', { skip: interop.skip }, () => {
    const bad: Record<string, string> = {
      'no blank line': `text\n— k ${sig}\n`,
      'no signatures': 'text\n\n',
      'signature block without final newline': `text\n\n— k ${sig}`,
      'hyphen instead of em dash': `text\n\n- k ${sig}\n`,
      'missing space after dash': `text\n\n—k ${sig}\n`,
      'no signature': 'text\n\n— k\n',
      'empty name': `text\n\n—  ${sig}\n`,
      'plus in name': `text\n\n— a+b ${sig}\n`,
      'signature shorter than 5 bytes': `text\n\n— k ${Buffer.alloc(4).toString('base64')}\n`,
      'bad base64': `text\n\n— k ${sig.slice(1)}\n`,
      'trailing token': `text\n\n— k ${sig} x\n`,
      'carriage return': `text\r\n\n— k ${sig}\n`,
      'tab': `te\txt\n\n— k ${sig}\n`,
      'lone surrogate': `te\uD800xt\n\n— k ${sig}\n`,
      '101 signatures': `text\n\n${`— k ${sig}\n`.repeat(101)}`,
    };
    for (const [what, note] of Object.entries(bad)) {
      assert.throws(() => parseNote(note), hasCode('INVALID_NOTE'), what);
      assert.equal(verifyNote(note, [sumVerifier]).ok, false, what);
    }
    assert.equal(parseNote(`text\n\n${`— k ${sig}\n`.repeat(100)}`).signatures.length, 100);
  });

  test('rejects malformed or mismatched vkeys', { skip: interop.skip }, () => {
    const ed = sumVkey.trim();
    const [name, keyHash, key] = [ed.slice(0, 14), ed.slice(15, 23), ed.slice(24)];
    assert.equal(`${name}+${keyHash}+${key}`, ed);
    const keyBytes = b64(key);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' });
    const p384KeyHash = createHash('sha256').update(p384).digest('hex').slice(0, 8);
    const bad: Record<string, string> = {
      'wrong key ID': `${name}+033de0af+${key}`,
      'other name, same key': `sum.golang.org2+${keyHash}+${key}`,
      'short key ID': `${name}+033de0a+${key}`,
      'non-hex key ID': `${name}+033de0ag+${key}`,
      'missing key': `${name}+${keyHash}+`,
      'missing parts': `${name}+${keyHash}`,
      'name with space': `sum golang+${keyHash}+${key}`,
      'bad base64': `${name}+${keyHash}+${key.slice(1)}`,
      'unknown signature type': `${name}+${keyHash}+${Buffer.from([0x05, ...keyBytes.subarray(1)]).toString('base64')}`,
      '31-byte Ed25519 key': `${name}+${keyHash}+${Buffer.from(keyBytes.subarray(0, 32)).toString('base64')}`,
      'ECDSA garbage': `${name}+${keyHash}+${Buffer.from([0x02, 1, 2, 3]).toString('base64')}`,
      'ECDSA P-384 (with its correct key ID)': `${name}+${p384KeyHash}+${Buffer.concat([Buffer.from([0x02]), p384]).toString('base64')}`,
    };
    for (const [what, vkey] of Object.entries(bad)) {
      assert.throws(() => parseVkey(vkey), hasCode('INVALID_KEY'), what);
    }
    assert.equal(parseVkey(`${name}+${keyHash.toUpperCase()}+${key}`).keyHash, '033de0ae');
  });

  test('noteVerifier and parseSignerKey reject unusable keys', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const ed = generateKeyPairSync('ed25519');
    assert.throws(() => noteVerifier('k', rsa), hasCode('INVALID_KEY'));
    assert.throws(() => noteVerifier('k', ed.privateKey), hasCode('INVALID_KEY'));
    assert.throws(() => noteVerifier('k', 'not a pem'), hasCode('INVALID_KEY'));
    assert.throws(() => noteVerifier('', ed.publicKey), hasCode('INVALID_KEY'));
    const skey = signerKeyFromPrivateKey('k', ed.privateKey);
    assert.throws(() => parseSignerKey(skey.replace('PRIVATE+KEY+k+', 'PRIVATE+KEY+j+')), hasCode('INVALID_KEY'));
    assert.throws(() => parseSignerKey(skey.slice('PRIVATE+KEY+'.length)), hasCode('INVALID_KEY'));
  });
});

describe('verifyNote on hostile input', { skip: interop.skip }, () => {
  const verifiers = [sumVerifier, rekorVerifier, stagingVerifier];
  const realNotes = [
    fixture('sum.golang.org-454425.note'),
    fixture('rekor.sigstore.dev-33786589.note'),
    fixture('log2025-alpha3.rekor.sigstage.dev-4026479.note'),
  ];
  // Bytes covered by the trusted signature: the text and the log's own signature line. The
  // witness cosignature lines after it belong to unknown keys, so edits there are ignored.
  const covered = (note: string): number => note.indexOf('\n', note.lastIndexOf('\n\n') + 2) + 1;

  test('the untouched notes verify', () => {
    for (const note of realNotes) assert.ok(verifyNote(note, verifiers).ok);
    const staging = realNotes[2]!;
    assert.ok(verifyNote(staging.slice(0, covered(staging)), verifiers).ok);
  });

  test('random text never throws and never verifies', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        assert.equal(verifyNote(text, verifiers).ok, false);
      }),
      { numRuns: 500 },
    );
  });

  test('truncated or spliced real notes never throw and never verify', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...realNotes),
        fc.nat(),
        fc.nat(),
        fc.string({ unit: 'binary', maxLength: 8 }),
        (note, a, b, insert) => {
          const cut = a % covered(note);
          assert.equal(verifyNote(note.slice(0, cut), verifiers).ok, false);
          assert.equal(verifyNote(note.slice(cut + 1), verifiers).ok, false);
          const at = b % covered(note);
          const spliced = note.slice(0, at) + insert + note.slice(at + 1);
          // Replacing a character with itself is the only splice that may still verify.
          if (spliced !== note) assert.equal(verifyNote(spliced, verifiers).ok, false);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
