export { EvidenceError } from './errors.js';
export type { EvidenceErrorCode } from './errors.js';
export {
  decodeBase64Flexible,
  distinctVerifiedKeys,
  importTrustedKey,
  keyFingerprint,
  pae,
  parseEnvelope,
  signEnvelope,
  verifySignatures,
} from './dsse.js';
export type {
  DsseEnvelopeJson,
  Envelope,
  EnvelopeForm,
  EnvelopeSignature,
  KeyAlgorithm,
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
