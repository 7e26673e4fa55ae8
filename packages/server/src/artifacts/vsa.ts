import { createHash, type KeyObject } from 'node:crypto';
import { canonicalJson, keyFingerprint, signEnvelope, type DsseEnvelopeJson } from '@charter/core';
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
