// C2SP signed-note (https://c2sp.org/signed-note) and tlog-checkpoint (https://c2sp.org/tlog-checkpoint).
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AuditProofError } from './errors.js';
import { HASH_SIZE } from './merkle.js';

/** Signature types from the signed-note spec: 0x01 Ed25519, 0x02 ECDSA (transparency-dev witness / Rekor). */
export type NoteKeyType = 'ed25519' | 'ecdsa-p256';

const ALG_ED25519 = 0x01;
const ALG_ECDSA = 0x02;
const ED25519_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;
const SIGNATURE_PREFIX = '\u2014 ';
// The spec requires accepting at least 16; golang.org/x/mod caps at 100.
const MAX_SIGNATURES = 100;
const SIGNER_KEY_PREFIX = 'PRIVATE+KEY+';
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface NoteVerifier {
  readonly name: string;
  /** The 4-byte key ID as 8 lowercase hex digits. */
  readonly keyHash: string;
  readonly type: NoteKeyType;
  readonly publicKey: KeyObject;
}

export interface NoteSigner {
  readonly name: string;
  /** Ed25519 private key. */
  readonly privateKey: KeyObject;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyHash: string;
  /** Signature bytes without the leading 4-byte key ID. */
  readonly signature: Uint8Array;
}

export interface SignedNote {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export type NoteVerification =
  | {
      readonly ok: true;
      readonly text: string;
      /** Signatures by known keys, all verified; one entry per key. */
      readonly verified: NoteSignature[];
      /** Signatures by keys not in the verifier list (e.g. witness cosignatures); not checked. */
      readonly unverified: NoteSignature[];
    }
  | { readonly ok: false; readonly error: AuditProofError };

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions: readonly string[];
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64; non-canonical encodings (non-zero padding bits) are rejected. */
function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : undefined;
}

function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000B-\u001F]/;

/** Signed notes must be valid UTF-8 without ASCII control characters other than newline. */
function isValidNoteString(text: string): boolean {
  return !LONE_SURROGATE.test(text) && !CONTROL_EXCEPT_NEWLINE.test(text);
}

/** Key names are non-empty and contain no Unicode space and no '+'. */
function isValidKeyName(name: string): boolean {
  return name !== '' && isValidNoteString(name) && !/[\p{White_Space}+]/u.test(name);
}

function requireKeyName(name: unknown): string {
  if (typeof name !== 'string' || !isValidKeyName(name)) {
    throw new AuditProofError('INVALID_KEY', `invalid key name ${JSON.stringify(name)}`);
  }
  return name;
}

function ed25519KeyHash(name: string, rawPublicKey: Uint8Array): string {
  const prefix = Buffer.from(`${name}\n`, 'utf8');
  return toHex(sha256(prefix, Uint8Array.of(ALG_ED25519), rawPublicKey).subarray(0, 4));
}

function ecdsaKeyHash(spki: Uint8Array): string {
  return toHex(sha256(spki).subarray(0, 4));
}

function rawEd25519PublicKey(key: KeyObject): Uint8Array {
  const { x } = key.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(x ?? '', 'base64url'));
}

function ed25519PublicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

function toPublicKey(key: KeyObject | string): KeyObject {
  if (typeof key !== 'string') {
    if (key.type !== 'public') throw new AuditProofError('INVALID_KEY', 'expected a public key');
    return key;
  }
  try {
    return createPublicKey(key);
  } catch {
    throw new AuditProofError('INVALID_KEY', 'not a PEM public key');
  }
}

/** Key type, signature-type byte, key bytes as they appear in a vkey, and key ID. */
function describePublicKey(name: string, key: KeyObject): { type: NoteKeyType; alg: number; bytes: Uint8Array; keyHash: string } {
  if (key.asymmetricKeyType === 'ed25519') {
    const bytes = rawEd25519PublicKey(key);
    return { type: 'ed25519', alg: ALG_ED25519, bytes, keyHash: ed25519KeyHash(name, bytes) };
  }
  if (isP256(key)) {
    const bytes = new Uint8Array(key.export({ type: 'spki', format: 'der' }));
    return { type: 'ecdsa-p256', alg: ALG_ECDSA, bytes, keyHash: ecdsaKeyHash(bytes) };
  }
  throw new AuditProofError('INVALID_KEY', `unsupported key type ${key.asymmetricKeyType ?? 'unknown'}`);
}

/**
 * Verifier for `name` from a public key object or PEM. Ed25519 keys get the signed-note key ID;
 * ECDSA P-256 keys get the Rekor / transparency-dev key ID, SHA-256(SPKI DER)[:4].
 */
export function noteVerifier(name: string, publicKey: KeyObject | string): NoteVerifier {
  const keyName = requireKeyName(name);
  const key = toPublicKey(publicKey);
  const { type, keyHash } = describePublicKey(keyName, key);
  return { name: keyName, keyHash, type, publicKey: key };
}

/** Verifier key string `<name>+<hex key ID>+<base64(type byte || key)>`. */
export function vkeyFromPublicKey(name: string, publicKey: KeyObject | string): string {
  const keyName = requireKeyName(name);
  const { alg, bytes, keyHash } = describePublicKey(keyName, toPublicKey(publicKey));
  return `${keyName}+${keyHash}+${encodeBase64(Uint8Array.of(alg, ...bytes))}`;
}

/** Splits `<name>+<hex key ID>+<base64>`; the base64 part may itself contain '+'. */
function splitKey(text: string): { name: string; keyHash: string; key: Uint8Array } {
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new AuditProofError('INVALID_KEY', 'key must be <name>+<key id>+<base64 key>');
  const name = requireKeyName(text.slice(0, first));
  const keyHash = text.slice(first + 1, second);
  if (!/^[0-9a-fA-F]{8}$/.test(keyHash)) throw new AuditProofError('INVALID_KEY', 'key ID must be 8 hex digits');
  const key = decodeBase64(text.slice(second + 1));
  if (key === undefined || key.length < 2) throw new AuditProofError('INVALID_KEY', 'key must be non-empty base64');
  return { name, keyHash: keyHash.toLowerCase(), key };
}

/** Parses a vkey. The declared key ID must match the key, or the vkey is rejected. */
export function parseVkey(vkey: string): NoteVerifier {
  if (typeof vkey !== 'string') throw new AuditProofError('INVALID_KEY', 'vkey must be a string');
  const { name, keyHash, key } = splitKey(vkey.trim());
  const body = key.subarray(1);
  let verifier: NoteVerifier;
  if (key[0] === ALG_ED25519) {
    if (body.length !== ED25519_KEY_SIZE) throw new AuditProofError('INVALID_KEY', 'Ed25519 key must be 32 bytes');
    verifier = { name, keyHash: ed25519KeyHash(name, body), type: 'ed25519', publicKey: ed25519PublicKeyFromRaw(body) };
  } else if (key[0] === ALG_ECDSA) {
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: Buffer.from(body), format: 'der', type: 'spki' });
    } catch {
      throw new AuditProofError('INVALID_KEY', 'ECDSA key is not a DER SubjectPublicKeyInfo');
    }
    if (!isP256(publicKey)) throw new AuditProofError('INVALID_KEY', 'only ECDSA P-256 keys are supported');
    verifier = { name, keyHash: ecdsaKeyHash(body), type: 'ecdsa-p256', publicKey };
  } else {
    throw new AuditProofError('INVALID_KEY', `unsupported signature type 0x${toHex(key.subarray(0, 1))}`);
  }
  if (verifier.keyHash !== keyHash) {
    throw new AuditProofError('INVALID_KEY', `key ID ${keyHash} does not match the key (${verifier.keyHash})`);
  }
  return verifier;
}

function requireEd25519PrivateKey(key: KeyObject): KeyObject {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new AuditProofError('INVALID_KEY', 'note signing needs an Ed25519 private key');
  }
  return key;
}

/** Signer key string in golang.org/x/mod/sumdb/note form: `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`. */
export function signerKeyFromPrivateKey(name: string, privateKey: KeyObject): string {
  const keyName = requireKeyName(name);
  const key = requireEd25519PrivateKey(privateKey);
  const seed = Buffer.from(key.export({ format: 'jwk' }).d ?? '', 'base64url');
  const keyHash = ed25519KeyHash(keyName, rawEd25519PublicKey(createPublicKey(key)));
  return `${SIGNER_KEY_PREFIX}${keyName}+${keyHash}+${encodeBase64(Uint8Array.of(ALG_ED25519, ...seed))}`;
}

export function parseSignerKey(signerKey: string): NoteSigner {
  if (typeof signerKey !== 'string' || !signerKey.startsWith(SIGNER_KEY_PREFIX)) {
    throw new AuditProofError('INVALID_KEY', `signer key must start with ${SIGNER_KEY_PREFIX}`);
  }
  const { name, keyHash, key } = splitKey(signerKey.slice(SIGNER_KEY_PREFIX.length).trim());
  if (key[0] !== ALG_ED25519 || key.length !== 1 + ED25519_KEY_SIZE) {
    throw new AuditProofError('INVALID_KEY', 'signer key must be an Ed25519 seed');
  }
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, key.subarray(1)]),
    format: 'der',
    type: 'pkcs8',
  });
  if (ed25519KeyHash(name, rawEd25519PublicKey(createPublicKey(privateKey))) !== keyHash) {
    throw new AuditProofError('INVALID_KEY', 'signer key ID does not match the key');
  }
  return { name, privateKey };
}

function requireNoteText(text: unknown): string {
  if (typeof text !== 'string' || text === '' || !text.endsWith('\n') || !isValidNoteString(text)) {
    throw new AuditProofError('INVALID_NOTE', 'note text must be non-empty, end in a newline and contain no control characters');
  }
  return text;
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw new AuditProofError('INVALID_NOTE', 'signature line must start with an em dash');
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = space < 0 ? '' : rest.slice(0, space);
  const bytes = space < 0 ? undefined : decodeBase64(rest.slice(space + 1));
  if (!isValidKeyName(name) || bytes === undefined || bytes.length < 5) {
    throw new AuditProofError('INVALID_NOTE', 'malformed signature line');
  }
  return { name, keyHash: toHex(bytes.subarray(0, 4)), signature: bytes.slice(4) };
}

/** Splits a signed note into text and signature lines; checks syntax only, not signatures. */
export function parseNote(note: string): SignedNote {
  if (typeof note !== 'string' || !isValidNoteString(note)) {
    throw new AuditProofError('INVALID_NOTE', 'note must be text without control characters other than newline');
  }
  // The text may contain blank lines; the last one separates it from the signatures.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new AuditProofError('INVALID_NOTE', 'note has no signature block');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) throw new AuditProofError('INVALID_NOTE', 'signature block must end in a newline');
  const lines = block.slice(0, -1).split('\n', MAX_SIGNATURES + 1);
  if (lines.length > MAX_SIGNATURES) throw new AuditProofError('INVALID_NOTE', `more than ${MAX_SIGNATURES} signatures`);
  return { text, signatures: lines.map(parseSignatureLine) };
}

export function formatNote(note: SignedNote): string {
  const text = requireNoteText(note.text);
  if (note.signatures.length === 0) throw new AuditProofError('INVALID_NOTE', 'a note needs at least one signature');
  const lines = note.signatures.map(({ name, keyHash, signature }) => {
    if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(keyHash) || signature.length === 0) {
      throw new AuditProofError('INVALID_NOTE', `malformed signature by ${JSON.stringify(name)}`);
    }
    return `${SIGNATURE_PREFIX}${name} ${encodeBase64(Uint8Array.of(...Buffer.from(keyHash, 'hex'), ...signature))}\n`;
  });
  return `${text}\n${lines.join('')}`;
}

/** Signs `text` (which must end in a newline) with one or more Ed25519 keys. */
export function signNote(text: string, signers: NoteSigner | readonly NoteSigner[]): string {
  const message = Buffer.from(requireNoteText(text), 'utf8');
  const signatures = [signers].flat().map(({ name, privateKey }) => {
    const keyName = requireKeyName(name);
    const key = requireEd25519PrivateKey(privateKey);
    return {
      name: keyName,
      keyHash: ed25519KeyHash(keyName, rawEd25519PublicKey(createPublicKey(key))),
      signature: new Uint8Array(sign(null, message, key)),
    };
  });
  return formatNote({ text, signatures });
}

function signatureVerifies(verifier: NoteVerifier, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (verifier.type === 'ed25519') {
      return signature.length === ED25519_SIGNATURE_SIZE && verify(null, message, verifier.publicKey, signature);
    }
    return verify('sha256', message, { key: verifier.publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    // OpenSSL can throw on garbage signature encodings; that is simply a bad signature.
    return false;
  }
}

/**
 * Verifies a signed note against trusted keys. Signatures from unknown keys (no verifier with
 * both that name and key ID) are ignored; a bad signature from a known key rejects the whole
 * note; at least one known signature must verify. Never throws on malformed input.
 */
export function verifyNote(note: string, verifiers: readonly NoteVerifier[]): NoteVerification {
  let parsed: SignedNote;
  try {
    parsed = parseNote(note);
  } catch (error) {
    if (error instanceof AuditProofError) return { ok: false, error };
    throw error;
  }
  const message = Buffer.from(parsed.text, 'utf8');
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const signature of parsed.signatures) {
    const candidates = verifiers.filter((v) => v.name === signature.name && v.keyHash === signature.keyHash);
    if (candidates.length === 0) {
      unverified.push(signature);
      continue;
    }
    const id = `${signature.name}+${signature.keyHash}`;
    if (!candidates.some((v) => signatureVerifies(v, message, signature.signature))) {
      return { ok: false, error: new AuditProofError('INVALID_NOTE', `invalid signature by ${id}`) };
    }
    if (!seen.has(id)) {
      seen.add(id);
      verified.push(signature);
    }
  }
  if (verified.length === 0) {
    return { ok: false, error: new AuditProofError('INVALID_NOTE', 'no signature by a trusted key') };
  }
  return { ok: true, text: parsed.text, verified, unverified };
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

function requireCheckpointLine(line: unknown, what: string): string {
  if (typeof line !== 'string' || line === '' || line.includes('\n') || !isValidNoteString(line)) {
    throw new AuditProofError('INVALID_CHECKPOINT', `${what} must be a non-empty line of text`);
  }
  return line;
}

/** Formats a checkpoint body (the note text); sign it with signNote. */
export function formatCheckpoint(checkpoint: {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  extensions?: readonly string[];
}): string {
  const origin = requireCheckpointLine(checkpoint.origin, 'origin');
  const { size, rootHash, extensions = [] } = checkpoint;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new AuditProofError('INVALID_CHECKPOINT', 'tree size must be a non-negative safe integer');
  }
  if (!(rootHash instanceof Uint8Array) || rootHash.length !== HASH_SIZE) {
    throw new AuditProofError('INVALID_CHECKPOINT', `root hash must be ${HASH_SIZE} bytes`);
  }
  const lines = [origin, String(size), encodeBase64(rootHash), ...extensions.map((l) => requireCheckpointLine(l, 'extension line'))];
  return `${lines.join('\n')}\n`;
}

/**
 * Parses a checkpoint body: the text of a signed note, not the note itself. Only call this on
 * text returned by a successful verifyNote; the text of an unverified note means nothing.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string' || !text.endsWith('\n') || !isValidNoteString(text)) {
    throw new AuditProofError('INVALID_CHECKPOINT', 'checkpoint must be text ending in a newline');
  }
  const [origin, sizeLine, rootLine, ...extensions] = text.slice(0, -1).split('\n');
  if (origin === undefined || origin === '' || sizeLine === undefined || rootLine === undefined) {
    throw new AuditProofError('INVALID_CHECKPOINT', 'checkpoint needs origin, tree size and root hash lines');
  }
  if (!DECIMAL.test(sizeLine) || !Number.isSafeInteger(Number(sizeLine))) {
    throw new AuditProofError('INVALID_CHECKPOINT', 'tree size must be decimal without leading zeros');
  }
  const rootHash = decodeBase64(rootLine);
  if (rootHash === undefined || rootHash.length !== HASH_SIZE) {
    throw new AuditProofError('INVALID_CHECKPOINT', `root hash must be base64 of ${HASH_SIZE} bytes`);
  }
  if (extensions.includes('')) throw new AuditProofError('INVALID_CHECKPOINT', 'extension lines must be non-empty');
  return { origin, size: Number(sizeLine), rootHash, extensions };
}
