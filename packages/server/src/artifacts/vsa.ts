import { createHash, type KeyObject } from 'node:crypto';
import { canonicalJson, keyFingerprint, parseEnvelope, signEnvelope, type DsseEnvelopeJson, type EvidenceSignature } from '@charter/core';
import { loadOrCreateLogKey } from '../audit/log-key.js';

export const VSA_PREDICATE_TYPE = 'https://slsa.dev/verification_summary/v1';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** The service's Ed25519 attestation key: it signs verification summaries (not the audit log). */
export interface AttestationKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  /** Hex SHA-256 of the public key's SPKI, the `keyid` of every VSA signature. */
  keyid: string;
}

/** Generated into the data dir (0600) on first start, like the log key; replicas share one file. */
export function loadOrCreateAttestationKey(file: string): AttestationKey {
  const k = loadOrCreateLogKey(file);
  return { privateKey: k.privateKey, publicKey: k.publicKey, publicPem: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyid: keyFingerprint(k.publicKey) };
}

const sha256hex = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** ASN.1 DER of an ECDSA signature given as raw r‖s (64 bytes for P-256). */
function rawToDer(raw: Buffer): Buffer {
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(raw.subarray(0, 32)), int(raw.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/**
 * The canonical form of a stored envelope (DESIGN §6): padded standard base64, ECDSA signatures
 * in DER, only the signatures that verified; serialized as canonical JSON. Its SHA-256 is what a
 * VSA's inputAttestations names, so an independent verifier can recompute it.
 */
export function canonicalEnvelope(raw: string, signers: readonly EvidenceSignature[], algorithmOf: (signer: string) => string | undefined): string {
  const env = parseEnvelope(Buffer.from(raw, 'utf8'));
  const signatures = env.signatures.flatMap((s, i) => {
    if (!signers[i]?.verified) return [];
    // Ed25519 signatures are 64 bytes too; only a P-256 key's 64-byte signature is raw r‖s.
    const signer = signers[i]!.signer;
    const sig = s.sig.length === 64 && signer && algorithmOf(signer) === 'ecdsa-p256' ? rawToDer(s.sig) : s.sig;
    return [{ ...(s.keyid ? { keyid: s.keyid } : {}), sig: sig.toString('base64') }];
  });
  return canonicalJson({ payloadType: env.payloadType, payload: env.payload.toString('base64'), signatures });
}

export interface VsaInput {
  serviceUrl: string;
  artifactDigest: string;
  resourceUri: string;
  timeVerified: string;
  policy: { uri: string; digest: string };
  /** sha256 hex of each canonical envelope relied on, with a URI naming the evidence. */
  inputs: { uri: string; sha256: string }[];
  stage: string;
}

/** A SLSA Verification Summary Attestation v1 as an in-toto Statement v1 (slsa.dev/spec/v1.0/verification_summary). */
export function vsaStatement(v: VsaInput): Record<string, unknown> {
  return {
    _type: IN_TOTO_STATEMENT_V1,
    subject: [{ name: v.resourceUri, digest: { sha256: v.artifactDigest.slice('sha256:'.length) } }],
    predicateType: VSA_PREDICATE_TYPE,
    predicate: {
      verifier: { id: v.serviceUrl },
      timeVerified: v.timeVerified,
      resourceUri: v.resourceUri,
      policy: { uri: v.policy.uri, digest: { sha256: v.policy.digest } },
      inputAttestations: v.inputs.map((i) => ({ uri: i.uri, digest: { sha256: i.sha256 } })),
      verificationResult: 'PASSED',
      verifiedLevels: [`CHARTER_STAGE_${v.stage.toUpperCase()}`],
    },
  };
}

export function signVsa(statement: Record<string, unknown>, key: AttestationKey): DsseEnvelopeJson {
  return signEnvelope(IN_TOTO_PAYLOAD_TYPE, JSON.stringify(statement), { privateKey: key.privateKey, keyid: key.keyid });
}

export function policyDigest(stagePolicy: unknown): string {
  return sha256hex(canonicalJson(stagePolicy));
}

export { sha256hex };
