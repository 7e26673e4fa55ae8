import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { firstDuplicateMember } from './duplicates.js';
import { decodeUtf8, EvidenceError, isPlainObject, preview } from './errors.js';

export type KeyAlgorithm = 'ed25519' | 'ecdsa-p256';

export interface TrustedKey {
  readonly id: string;
  readonly algorithm: KeyAlgorithm;
  /** A public KeyObject, or PEM text (SPKI). */
  readonly publicKey: KeyObject | string;
}

export interface EnvelopeSignature {
  readonly sig: Buffer;
  /** Unauthenticated hint from the envelope; absent and '' (protobuf's "unset") are both null. */
  readonly keyid: string | null;
}

export type EnvelopeForm = 'dsse' | 'sigstore-bundle';

export interface Envelope {
  readonly form: EnvelopeForm;
  /** The bundle's mediaType when form is 'sigstore-bundle', else null. */
  readonly mediaType: string | null;
  /** JSON pointer to the envelope inside the submitted document: '' or '/dsseEnvelope'. */
  readonly pointer: string;
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signatures: readonly EnvelopeSignature[];
}

export type SignatureEncoding = 'ed25519' | 'der' | 'raw';

export type SignatureReason = 'verified' | 'no_matching_key' | 'bad_signature' | 'malformed_signature';

export interface SignatureResult {
  readonly index: number;
  readonly keyid: string | null;
  readonly verified: boolean;
  /** id of the trusted key that verified the signature, or null. */
  readonly key: string | null;
  /** id of the trusted key the keyid hint names (by id or fingerprint), verified or not, or null. */
  readonly named: string | null;
  /** How the signature that verified was encoded, or null. */
  readonly encoding: SignatureEncoding | null;
  readonly reason: SignatureReason;
}

/** A standard DSSE JSON envelope, as written by signEnvelope. */
export interface DsseEnvelopeJson {
  payloadType: string;
  payload: string;
  signatures: { keyid?: string; sig: string }[];
}

export interface SignOptions {
  /** An Ed25519 or ECDSA P-256 private key: KeyObject or PEM. */
  privateKey: KeyObject | string;
  keyid?: string;
}

const SIGSTORE_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle';
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** DSSE pre-authentication encoding; lengths are byte lengths of the UTF-8 type and the raw body. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `),
    type,
    Buffer.from(` ${payload.length} `),
    payload,
  ]);
}

/**
 * Decodes standard or URL-safe base64, padded or not. Refuses mixed alphabets, stray characters,
 * impossible lengths and non-zero trailing bits, so every accepted string has exactly one meaning.
 */
export function decodeBase64Flexible(s: string, pointer = ''): Buffer {
  const fail = (why: string) => new EvidenceError('MALFORMED_ENVELOPE', pointer, `is not valid base64: ${why}`);
  const body = s.replace(/={1,2}$/, '');
  const stray = /[^A-Za-z0-9+/_-]/.exec(body);
  if (stray) throw fail(`unexpected character ${preview(stray[0])} at offset ${stray.index}`);
  if (/[+/]/.test(body) && /[-_]/.test(body)) throw fail('mixes the standard (+/) and URL-safe (-_) alphabets');
  if (body.length % 4 === 1 || (body.length !== s.length && s.length % 4 !== 0)) {
    throw fail(`impossible length ${s.length}`);
  }
  const bytes = Buffer.from(body, 'base64');
  if (bytes.toString('base64url') !== body.replaceAll('+', '-').replaceAll('/', '_')) {
    throw fail('non-zero trailing bits');
  }
  return bytes;
}

/**
 * Parses a DSSE JSON envelope or a Sigstore bundle carrying one (`dsseEnvelope`). `input` is JSON
 * text, UTF-8 JSON bytes, or an already-parsed JSON value. Unknown fields are ignored.
 */
export function parseEnvelope(input: unknown): Envelope {
  const doc = typeof input === 'string' || input instanceof Uint8Array ? parseJsonText(input) : input;
  if (!isPlainObject(doc)) throw malformed('', 'must be a JSON object (a DSSE envelope or a Sigstore bundle)');
  const mediaType = doc['mediaType'];
  if (typeof mediaType === 'string' && mediaType.startsWith(SIGSTORE_BUNDLE_MEDIA_TYPE)) {
    const inner = doc['dsseEnvelope'];
    if (inner === undefined) {
      throw malformed('/dsseEnvelope', 'is required: this Sigstore bundle carries no DSSE envelope, so no attestation');
    }
    return readEnvelope(inner, '/dsseEnvelope', 'sigstore-bundle', mediaType);
  }
  return readEnvelope(doc, '', 'dsse', null);
}

function parseJsonText(input: string | Uint8Array): unknown {
  const text = typeof input === 'string' ? input : decodeUtf8(input);
  if (text === null) throw malformed('', 'is not valid UTF-8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw malformed('', `is not valid JSON (${(e as Error).message})`);
  }
  const duplicate = firstDuplicateMember(text);
  if (duplicate !== null) throw new EvidenceError('DUPLICATE_MEMBER', duplicate, 'appears twice in one object: an envelope must have one meaning for every verifier (RFC 8259 §4)');
  return doc;
}

function readEnvelope(v: unknown, at: string, form: EnvelopeForm, mediaType: string | null): Envelope {
  if (!isPlainObject(v)) throw malformed(at, `must be an object, got ${preview(v)}`);
  const payloadType = v['payloadType'];
  if (typeof payloadType !== 'string' || payloadType === '') {
    throw malformed(`${at}/payloadType`, `must be a non-empty string, got ${preview(payloadType)}`);
  }
  if (LONE_SURROGATE.test(payloadType)) {
    throw malformed(`${at}/payloadType`, 'is not well-formed Unicode (lone surrogate)');
  }
  const payload = v['payload'];
  if (typeof payload !== 'string') throw malformed(`${at}/payload`, `must be a base64 string, got ${preview(payload)}`);
  const payloadBytes = decodeBase64Flexible(payload, `${at}/payload`);
  const list = v['signatures'];
  if (!Array.isArray(list) || list.length === 0) {
    throw malformed(`${at}/signatures`, `must be a non-empty array, got ${preview(list)}`);
  }
  const signatures: EnvelopeSignature[] = [];
  for (let i = 0; i < list.length; i++) {
    const entry: unknown = list[i];
    const here = `${at}/signatures/${i}`;
    if (!isPlainObject(entry)) throw malformed(here, `must be an object {sig, keyid?}, got ${preview(entry)}`);
    const sig = entry['sig'];
    if (typeof sig !== 'string' || sig === '') {
      throw malformed(`${here}/sig`, `must be a non-empty base64 string, got ${preview(sig)}`);
    }
    const keyid = entry['keyid'];
    if (keyid !== undefined && typeof keyid !== 'string') {
      throw malformed(`${here}/keyid`, `must be a string when present, got ${preview(keyid)}`);
    }
    signatures.push({ sig: decodeBase64Flexible(sig, `${here}/sig`), keyid: keyid || null });
  }
  return { form, mediaType, pointer: at, payloadType, payload: payloadBytes, signatures };
}

function malformed(pointer: string, message: string): EvidenceError {
  return new EvidenceError('MALFORMED_ENVELOPE', pointer, message);
}

/**
 * Checks that a trusted key is readable and really is the algorithm it is registered as, so a
 * P-384 or RSA key can never be used under an 'ecdsa-p256' label. Pointers are into `key`.
 */
export function importTrustedKey(key: TrustedKey): KeyObject {
  const label = `trusted key ${preview(key.id)}`;
  if (key.algorithm !== 'ed25519' && key.algorithm !== 'ecdsa-p256') {
    throw new EvidenceError('INVALID_KEY', '/algorithm', `${label}: unsupported algorithm ${preview(key.algorithm)}`);
  }
  const object = toPublicKey(key.publicKey, '/publicKey', label);
  const actual = algorithmOf(object);
  if (actual !== key.algorithm) {
    const why = `${label}: registered as ${key.algorithm} but the key is ${describeKey(object)}`;
    throw new EvidenceError('INVALID_KEY', '/publicKey', why);
  }
  return object;
}

/** Hex SHA-256 of the key's DER SubjectPublicKeyInfo; accepts a public or private KeyObject or PEM. */
export function keyFingerprint(publicKey: KeyObject | string): string {
  const known = typeof publicKey === 'string' ? undefined : fingerprints.get(publicKey);
  if (known !== undefined) return known;
  const object = toPublicKey(publicKey, '', 'key');
  const fingerprint = createHash('sha256').update(object.export({ type: 'spki', format: 'der' })).digest('hex');
  if (typeof publicKey !== 'string') fingerprints.set(publicKey, fingerprint);
  return fingerprint;
}

/** Exporting a key costs more than verifying with it; a KeyObject never changes. */
const fingerprints = new WeakMap<KeyObject, string>();

function toPublicKey(input: KeyObject | string, pointer: string, label: string): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type === 'public') return input;
    if (input.type === 'private') return createPublicKey(input);
    throw new EvidenceError('INVALID_KEY', pointer, `${label}: a secret key is not a public key`);
  }
  try {
    return createPublicKey(input);
  } catch (e) {
    const why = `${label}: not a readable PEM public key (${(e as Error).message})`;
    throw new EvidenceError('INVALID_KEY', pointer, why);
  }
}

function algorithmOf(key: KeyObject): KeyAlgorithm | null {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa-p256';
  return null;
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${key.asymmetricKeyType} ${curve}` : String(key.asymmetricKeyType);
}

interface ReadyKey {
  readonly id: string;
  readonly algorithm: KeyAlgorithm;
  readonly object: KeyObject;
  readonly fingerprint: string;
}

/** Trusted keys imported once, indexed by what a keyid hint may say: the key's id or its SPKI fingerprint. */
export interface PreparedKeys {
  readonly keys: readonly ReadyKey[];
  readonly byHint: ReadonlyMap<string, readonly ReadyKey[]>;
}

/** Imports and indexes trusted keys for `verifySignatures`; do it once per key set, not per envelope. */
export function prepareKeys(keys: readonly TrustedKey[]): PreparedKeys {
  const ready: ReadyKey[] = keys.map((k) => {
    const object = importTrustedKey(k);
    return { id: k.id, algorithm: k.algorithm, object, fingerprint: keyFingerprint(object) };
  });
  const byHint = new Map<string, ReadyKey[]>();
  const index = (hint: string, k: ReadyKey) => {
    const list = byHint.get(hint);
    if (!list) byHint.set(hint, [k]);
    else if (!list.includes(k)) list.push(k);
  };
  for (const k of ready) {
    index(k.id, k);
    index(k.fingerprint, k);
  }
  return { keys: ready, byHint };
}

function isPrepared(keys: readonly TrustedKey[] | PreparedKeys): keys is PreparedKeys {
  return !Array.isArray(keys);
}

/**
 * Verifies every envelope signature over PAE(payloadType, payload) against the trusted keys,
 * trying the key the keyid hint names (by id or SPKI fingerprint) first. Reasons for a failure:
 * 'malformed_signature' when the bytes cannot be a signature for any trusted key's algorithm;
 * 'bad_signature' when the hint names a trusted key yet nothing verified (`named` says which);
 * 'no_matching_key' otherwise (unknown signer or altered envelope).
 */
export function verifySignatures(envelope: Envelope, keys: readonly TrustedKey[] | PreparedKeys): SignatureResult[] {
  const { message, plans } = planVerification(envelope, keys);
  return plans.map((p) => {
    for (const k of p.tries) {
      const encoding = verifyWith(k, message, p.sig);
      if (encoding) return { ...p.base, verified: true, key: k.id, reason: 'verified' as const, encoding };
    }
    return p.failure;
  });
}

/**
 * verifySignatures with the signature checks on libuv's thread pool (node:crypto's asynchronous
 * verify): the same keys tried in the same order, the same results. A server verifying many
 * envelopes at once keeps its main thread for everything else.
 */
export async function verifySignaturesAsync(envelope: Envelope, keys: readonly TrustedKey[] | PreparedKeys): Promise<SignatureResult[]> {
  const { message, plans } = planVerification(envelope, keys);
  return Promise.all(
    plans.map(async (p) => {
      for (const k of p.tries) {
        const encoding = await verifyWithAsync(k, message, p.sig);
        if (encoding) return { ...p.base, verified: true, key: k.id, reason: 'verified' as const, encoding };
      }
      return p.failure;
    }),
  );
}

interface SignaturePlan {
  sig: Buffer;
  base: { index: number; keyid: string | null; named: string | null };
  /** The keys to try, in order: those the keyid hint names, then the rest; only keys this signature could be for. */
  tries: ReadyKey[];
  /** The result when none of them verifies. */
  failure: SignatureResult;
}

function planVerification(envelope: Envelope, keys: readonly TrustedKey[] | PreparedKeys): { message: Buffer; plans: SignaturePlan[] } {
  const prepared = isPrepared(keys) ? keys : prepareKeys(keys);
  const ready = prepared.keys;
  const message = pae(envelope.payloadType, envelope.payload);
  const plans = envelope.signatures.map(({ sig, keyid }, index): SignaturePlan => {
    // keyid is attacker-controlled: it only decides which trusted key is tried first.
    const hinted = keyid === null ? [] : (prepared.byHint.get(keyid) ?? []);
    const base = { index, keyid, named: hinted[0]?.id ?? null };
    const tries = [...hinted, ...ready.filter((k) => !hinted.includes(k))].filter((k) => couldBeSignature(k.algorithm, sig));
    const reason: SignatureReason = ready.length > 0 && tries.length === 0 ? 'malformed_signature' : hinted.length > 0 ? 'bad_signature' : 'no_matching_key';
    return { sig, base, tries, failure: { ...base, verified: false, key: null, reason, encoding: null } };
  });
  return { message, plans };
}

function couldBeSignature(algorithm: KeyAlgorithm, sig: Buffer): boolean {
  if (algorithm === 'ed25519') return sig.length === 64;
  // raw r||s, or the outer SEQUENCE of a DER ECDSA-Sig-Value (8..72 bytes for P-256)
  return sig.length === 64 || (sig.length >= 8 && sig.length <= 72 && sig[0] === 0x30 && sig[1] === sig.length - 2);
}

/** Which encoding verified: 'ed25519', 'der' or 'raw' (ECDSA r‖s), or null when none did. */
function verifyWith(key: ReadyKey, message: Buffer, sig: Buffer): SignatureEncoding | null {
  if (key.algorithm === 'ed25519') return verify(null, message, key.object, sig) ? 'ed25519' : null;
  if (verify('sha256', message, { key: key.object, dsaEncoding: 'der' }, sig)) return 'der';
  return sig.length === 64 && verify('sha256', message, { key: key.object, dsaEncoding: 'ieee-p1363' }, sig) ? 'raw' : null;
}

/** verifyWith on the thread pool. */
async function verifyWithAsync(key: ReadyKey, message: Buffer, sig: Buffer): Promise<SignatureEncoding | null> {
  if (key.algorithm === 'ed25519') return (await verifyOffThread(null, message, key.object, sig)) ? 'ed25519' : null;
  if (await verifyOffThread('sha256', message, { key: key.object, dsaEncoding: 'der' }, sig)) return 'der';
  return sig.length === 64 && (await verifyOffThread('sha256', message, { key: key.object, dsaEncoding: 'ieee-p1363' }, sig)) ? 'raw' : null;
}

/** node:crypto's verify with a callback runs on the thread pool; a malformed signature is a "no", as in the synchronous form. */
function verifyOffThread(algorithm: string | null, data: Buffer, key: KeyObject | { key: KeyObject; dsaEncoding: 'der' | 'ieee-p1363' }, sig: Buffer): Promise<boolean> {
  return new Promise((resolve, reject) => {
    try {
      verify(algorithm, data, key, sig, (err, ok) => (err ? reject(err) : resolve(ok)));
    } catch (err) {
      reject(err);
    }
  });
}

/**
 * The canonical form of an envelope (DESIGN §6), as any DSSE verifier reads it: a plain DSSE
 * JSON envelope, payload and signatures in padded standard base64, ECDSA signatures in ASN.1
 * DER (a raw r‖s signature re-encoded: the same signature), and only the signatures that
 * verified, in their order. Null when none verified: such an envelope has no canonical form.
 */
export function canonicalEnvelope(envelope: Envelope, results: readonly SignatureResult[]): DsseEnvelopeJson | null {
  const signatures: { keyid?: string; sig: string }[] = [];
  for (const r of results) {
    if (!r.verified || r.encoding === null) continue;
    const { sig, keyid } = envelope.signatures[r.index]!;
    const der = r.encoding === 'raw' ? rawToDer(sig) : sig;
    signatures.push(keyid === null ? { sig: der.toString('base64') } : { keyid, sig: der.toString('base64') });
  }
  if (signatures.length === 0) return null;
  return { payloadType: envelope.payloadType, payload: envelope.payload.toString('base64'), signatures };
}

/**
 * Whether `canonical` is the canonical form of `received`: the same payloadType and payload,
 * and each of its signatures one of the received ones (a raw r‖s re-encoded as DER is the same
 * signature), with the same keyid, in the received order. Returns, for each canonical
 * signature, the index of the received one; or why it is not.
 */
export function canonicalOrigin(received: Envelope, canonical: Envelope): number[] | string {
  if (canonical.form !== 'dsse') return 'the canonical form is a plain DSSE envelope';
  if (canonical.payloadType !== received.payloadType) return 'its payloadType differs from the envelope received';
  if (!canonical.payload.equals(received.payload)) return 'its payload differs from the envelope received';
  const origin: number[] = [];
  let from = 0;
  for (const c of canonical.signatures) {
    let found = -1;
    for (let i = from; i < received.signatures.length && found < 0; i++) {
      const r = received.signatures[i]!;
      if (r.keyid !== c.keyid) continue;
      if (r.sig.equals(c.sig) || (r.sig.length === 64 && rawToDer(r.sig).equals(c.sig))) found = i;
    }
    if (found < 0) return 'it carries a signature the envelope received does not';
    origin.push(found);
    from = found + 1;
  }
  return origin;
}

/** IEEE P1363 r‖s (64 bytes for P-256) as a DER ECDSA-Sig-Value (RFC 3279 §2.2.3). */
export function rawToDer(raw: Uint8Array): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new EvidenceError('MALFORMED_ENVELOPE', '', `a raw ECDSA signature has an even, non-zero length, got ${raw.length}`);
  const half = raw.length / 2;
  const integer = (bytes: Uint8Array): Buffer => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    const body = Buffer.from(bytes.subarray(i));
    const padded = body[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body;
    return Buffer.concat([Buffer.from([0x02, padded.length]), padded]);
  };
  const seq = Buffer.concat([integer(raw.subarray(0, half)), integer(raw.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30, seq.length]), seq]);
}

/** Distinct trusted keys that verified at least one signature: the number to compare with a threshold. */
export function distinctVerifiedKeys(results: readonly SignatureResult[]): string[] {
  return [...new Set(results.flatMap((r) => (r.key === null ? [] : [r.key])))];
}

/** Signs payload as a one-signature DSSE envelope: standard base64, ECDSA signatures DER-encoded. */
export function signEnvelope(
  payloadType: string,
  payload: Uint8Array | string,
  options: SignOptions,
): DsseEnvelopeJson {
  if (payloadType === '') throw malformed('/payloadType', 'must be a non-empty string');
  const key = toPrivateKey(options.privateKey);
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const message = pae(payloadType, body);
  const sig =
    algorithmOf(key) === 'ed25519' ? sign(null, message, key) : sign('sha256', message, { key, dsaEncoding: 'der' });
  const signature = { sig: sig.toString('base64') };
  return {
    payloadType,
    payload: body.toString('base64'),
    signatures: [options.keyid === undefined ? signature : { keyid: options.keyid, ...signature }],
  };
}

function toPrivateKey(input: KeyObject | string): KeyObject {
  let key: KeyObject;
  if (input instanceof KeyObject) {
    key = input;
  } else {
    try {
      key = createPrivateKey(input);
    } catch (e) {
      throw new EvidenceError('INVALID_KEY', '/privateKey', `not a readable PEM private key (${(e as Error).message})`);
    }
  }
  if (key.type !== 'private') {
    throw new EvidenceError('INVALID_KEY', '/privateKey', `is a ${key.type} key, not a private key`);
  }
  if (algorithmOf(key) === null) {
    const why = `is ${describeKey(key)}; only Ed25519 and ECDSA P-256 can sign`;
    throw new EvidenceError('INVALID_KEY', '/privateKey', why);
  }
  return key;
}
