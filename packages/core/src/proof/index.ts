export { signatureTrust } from './signer-trust.js';
export { verifyReleaseProof, proofSigningBytes } from './release-proof.js';
export type { ReleaseProof, ProofDecision, DecisionCopy, ProofEvent, ProofReport } from './release-proof.js';
