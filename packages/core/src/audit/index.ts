export { AuditProofError } from './errors.js';
export type { AuditProofErrorCode } from './errors.js';
export {
  CompactTree,
  HASH_SIZE,
  MemoryTree,
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
export type { NodeId, NodeReader, NodeRecord } from './merkle.js';
export {
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
export type {
  Checkpoint,
  NoteKeyType,
  NoteSignature,
  NoteSigner,
  NoteVerification,
  NoteVerifier,
  SignedNote,
} from './checkpoint.js';
export { canonicalJson, jsonDigest, eventBytes, eventLeafHash } from './event.js';
export type { AuditEvent } from './event.js';
export { LogVerifier, readCheckpoint, checkConsistency } from './verify-log.js';
export type { ServedEvent, LogProblem, LogVerification } from './verify-log.js';
