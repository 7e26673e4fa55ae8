export { signatureTrust } from './signer-trust.js';
export { verifyReleaseProof, proofSigningBytes } from './release-proof.js';
export type { ReleaseProof, ProofDecision, ProofEvent, ProofReport } from './release-proof.js';
