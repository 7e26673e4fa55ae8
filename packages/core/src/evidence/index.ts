export { EvidenceError } from './errors.js';
export type { EvidenceErrorCode } from './errors.js';
export {
  canonicalEnvelope,
  canonicalOrigin,
  decodeBase64Flexible,
  distinctVerifiedKeys,
  importTrustedKey,
  keyFingerprint,
  pae,
  parseEnvelope,
  prepareKeys,
  rawToDer,
  signEnvelope,
  verifySignatures,
  verifySignaturesAsync,
} from './dsse.js';
export type {
  DsseEnvelopeJson,
  Envelope,
  EnvelopeForm,
  EnvelopeSignature,
  KeyAlgorithm,
  PreparedKeys,
  SignatureEncoding,
  SignatureReason,
  SignatureResult,
  SignOptions,
  TrustedKey,
} from './dsse.js';
export {
  IN_TOTO_PAYLOAD_TYPE,
  parseStatement,
  readStatement,
  STATEMENT_V0_1,
  STATEMENT_V1,
  subjectMatches,
} from './intoto.js';
export type { Statement, StatementType, Subject } from './intoto.js';
export { describeSignature, toTrustMaterial } from './trust-material.js';
export type { TrustMaterial } from './trust-material.js';
