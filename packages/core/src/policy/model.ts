import type { Entry } from '../entry.js';
import { PolicyError } from './errors.js';

/** One signature on stored evidence, as the server recorded it when the evidence was attached. */
export interface EvidenceSignature {
  /** `signer:<id>` of the registry signer whose key verified this signature, or null. */
  signer: string | null;
  /** The envelope's keyid hint (unauthenticated), or null. */
  keyid: string | null;
  /** Hex SHA-256 of the SPKI of the key concerned (the verifying key, or the one the hint names), or null. */
  fingerprint: string | null;
  verified: boolean;
  /** Why (not) verified: 'verified', 'no_matching_key', 'bad_signature', 'malformed_signature', or the server's own. */
  reason: string;
}

/** The part of an in-toto Statement policy reads; `where` pointers resolve against the whole object. */
export interface StatementLike {
  readonly predicateType?: unknown;
  readonly predicate?: unknown;
}

/** Evidence as the server stores it (DSSE envelope already parsed and verified). */
export interface Evidence {
  id: string;
  /** `evidence-type:<id>` the predicate type mapped to. */
  evidence_type: string;
  predicate_type: string;
  /** The parsed in-toto Statement. */
  statement: StatementLike;
  signers: EvidenceSignature[];
  /** ISO 8601: when Charter accepted it. max_age is measured from here. */
  attached_at: string;
  /** A time the predicate itself claims (e.g. scan finished), if any. Informational: policy does not use it. */
  predicate_time?: string | null;
}

export interface Approval {
  id: string;
  stage: string;
  principal: string;
  comment: string | null;
  at: string;
}

/** One condition on a statement field, keyed by JSON pointer in `where`. All present operators must hold. */
export interface Condition {
  eq?: unknown;
  in?: unknown[];
  min?: number;
  max?: number;
  exists?: boolean;
}

export interface EvidenceRequirement {
  evidence: string;
  /** Any one of these signers satisfies the requirement (OR). */
  signers: string[];
  where?: Record<string, Condition>;
  max_age?: string;
}

export interface ApprovalRequirement {
  approvals: number;
}

/** A requirement as written in `stages[].requirements[]`. Requirements of a stage are ANDed. */
export type Requirement = EvidenceRequirement | ApprovalRequirement;

/** What a check is about: a written requirement (with its index in the stage), or one of two implicit gates. */
export type CheckRequirement =
  | (Requirement & { index: number })
  | { previous_stage: string }
  | { artifact_type: string };

export type CheckStatus = 'satisfied' | 'missing' | 'untrusted' | 'failed' | 'expired';

export interface Check {
  requirement: CheckRequirement;
  status: CheckStatus;
  /** Evidence (or approval) ids used when satisfied, else the ones considered; newest first. */
  evidence: string[];
  /** One sentence a release manager understands. */
  detail: string;
}

export interface StageEvaluation {
  stage: string;
  passes: boolean;
  previous_stage: string | null;
  /** The policy judged by: record it in the decision. */
  policy: { artifact_type: string; revision: number };
  checks: Check[];
}

export interface Stage {
  name: string;
  /** As written; each one is classified when evaluated, so an unreadable one fails closed alone. */
  requirements: readonly unknown[];
  /** `host[:port]/repo`: where a promoted image is copied (DESIGN §12); absent for no copy. */
  repository?: string;
}

/** The ordered stages of an artifact type. Throws PolicyError('INVALID_POLICY') if there are none to read. */
export function readStages(artifactType: Entry): Stage[] {
  if (artifactType.family !== 'artifact-type') {
    throw new PolicyError('INVALID_POLICY', `${artifactType.family}:${artifactType.id} is not an artifact type`);
  }
  const stages = artifactType.spec['stages'];
  if (!Array.isArray(stages) || stages.length === 0) {
    throw new PolicyError('INVALID_POLICY', `artifact type ${artifactType.id} has no stages[]`);
  }
  return stages.map((s: unknown, i) => {
    const name = isRecord(s) ? s['name'] : undefined;
    const requirements = isRecord(s) ? s['requirements'] : undefined;
    if (typeof name !== 'string' || !Array.isArray(requirements)) {
      throw new PolicyError('INVALID_POLICY', `artifact type ${artifactType.id}: stages[${i}] needs a name and requirements[]`);
    }
    const repository = isRecord(s) && typeof s['repository'] === 'string' ? s['repository'] : undefined;
    return repository === undefined ? { name, requirements } : { name, requirements, repository };
  });
}

/** The stage names of an artifact type, in promotion order. */
export function stageNames(artifactType: Entry): string[] {
  return readStages(artifactType).map((s) => s.name);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isEvidenceRequirement(r: unknown): r is EvidenceRequirement {
  return isRecord(r) && typeof r['evidence'] === 'string' && Array.isArray(r['signers']) && !('approvals' in r);
}

export function isApprovalRequirement(r: unknown): r is ApprovalRequirement {
  return isRecord(r) && Number.isInteger(r['approvals']) && (r['approvals'] as number) >= 1 && !('evidence' in r);
}
