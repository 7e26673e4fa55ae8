import { Type, type Static } from 'typebox';
import { listOf, Nullable } from './common.js';
import { ProblemSchema } from './problem.js';

/** Artifacts, evidence, approvals, promotion decisions, explain, deploy check, release proof (DESIGN §6). */

export const DIGEST_PATTERN = '^sha256:[0-9a-f]{64}$';
export const Digest = Type.String({ pattern: DIGEST_PATTERN, description: 'sha256:<64 lowercase hex>' });
export const DigestParams = Type.Object({ digest: Digest });
export const StageName = Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64, description: 'a stage of the artifact type, e.g. staging, prod' });
export const EvidenceId = Type.String({ pattern: '^ev_[0-9a-f]{20}$' });
export const EvidenceItemParams = Type.Object({ digest: Digest, id: EvidenceId });

/** Media types the evidence route reads (kept byte for byte). */
export const EVIDENCE_MEDIA_TYPES = ['application/json', 'application/vnd.in-toto+json', 'application/vnd.dev.sigstore.bundle+json', 'application/vnd.dev.sigstore.bundle.v0.3+json'] as const;

/** Open JSON object: documents and specs the API passes through. */
const AnyObject = Type.Object({}, { additionalProperties: true });

export const ArtifactSource = Type.Object({ repo: Type.Optional(Type.String()), commit: Type.Optional(Type.String()), build_url: Type.Optional(Type.String()) });

/** Where an artifact's image lives (DESIGN §12). */
export const ArtifactImageSchema = Type.Object(
  {
    repository: Type.String({ description: 'host[:port]/repository' }),
    tag: Nullable(Type.String({ description: 'the tag it was registered by, or null when registered by digest' })),
  },
  { description: 'the OCI repository the artifact was resolved from' },
);

export const ArtifactSchema = Type.Object(
  {
    digest: Type.String(),
    artifact_type: Type.String({ description: 'artifact-type id; its spec is the promotion policy' }),
    product: Type.String(),
    name: Type.String(),
    version: Type.String(),
    source: ArtifactSource,
    labels: Type.Record(Type.String(), Type.String()),
    registered_by: Type.String(),
    registered_at: Type.String(),
    audit_index: Type.Integer(),
    image: Nullable(ArtifactImageSchema),
  },
  { description: 'a registered artifact' },
);
export type ArtifactBody = Static<typeof ArtifactSchema>;

export const RegisterArtifactBody = Type.Object({
  digest: Type.Optional(Digest),
  image: Type.Optional(Type.String({ minLength: 3, maxLength: 1000, description: 'host[:port]/repository[:tag][@sha256:<hex>]: resolved to the manifest digest; with `digest`, the two must agree' })),
  artifact_type: Type.String({ maxLength: 160 }),
  product: Type.Optional(Type.String({ maxLength: 128, description: "default: the artifact type's owner" })),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  version: Type.String({ minLength: 1, maxLength: 200 }),
  source: Type.Optional(Type.Object({ repo: Type.Optional(Type.String({ maxLength: 500 })), commit: Type.Optional(Type.String({ maxLength: 100 })), build_url: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false })),
  labels: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 1000 }))),
}, { additionalProperties: false });
export type RegisterArtifactRequest = Static<typeof RegisterArtifactBody>;

export const ArtifactListQuery = Type.Object({
  product: Type.Optional(Type.String({ maxLength: 128 })),
  artifact_type: Type.Optional(Type.String({ maxLength: 160 })),
  stage: Type.Optional(StageName),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  cursor: Type.Optional(Digest),
}, { additionalProperties: false });

export const ArtifactList = listOf(ArtifactSchema);

export const EvidenceSignerSchema = Type.Object({
  signer: Nullable(Type.String({ description: 'signer:<id> whose key verified the signature' })),
  keyid: Nullable(Type.String({ description: "the envelope's keyid hint (unauthenticated)" })),
  fingerprint: Nullable(Type.String({ description: 'hex SHA-256 of the SPKI of the key concerned' })),
  verified: Type.Boolean(),
  reason: Type.String({ description: 'verified, no_matching_key, bad_signature, malformed_signature, …' }),
});

export const EvidenceSchema = Type.Object(
  {
    id: Type.String(),
    artifact: Type.String(),
    evidence_type: Type.String({ description: 'evidence-type:<id> the predicate type maps to' }),
    predicate_type: Type.String(),
    statement: AnyObject,
    signers: Type.Array(EvidenceSignerSchema),
    trusted: Type.Boolean({ description: 'only trusted evidence counts for promotion' }),
    reasons: Type.Array(Type.String()),
    attached_by: Type.String(),
    attached_at: Type.String(),
    predicate_time: Type.Optional(Nullable(Type.String())),
    envelope_digest: Type.String(),
    audit_index: Type.Integer(),
  },
  { description: 'a DSSE envelope attached to an artifact, as verified when it was attached' },
);
export type EvidenceBody = Static<typeof EvidenceSchema>;

/** Evidence in a list: everything but the statement, which is the payload of the envelope. */
export const EvidenceSummarySchema = Type.Omit(EvidenceSchema, ['statement'], { description: 'an evidence item without its statement (read it from .../evidence/{id}/envelope)' });
export const EvidenceList = listOf(EvidenceSummarySchema);

export const EvidenceListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page' })),
}, { additionalProperties: false });

/** The envelope as attached, byte for byte (a DSSE envelope or a Sigstore bundle). */
export const EnvelopeSchema = Type.Object({}, { additionalProperties: true, description: 'the envelope exactly as attached' });

export const ApprovalBody = Type.Object({ stage: StageName, comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
export const ApprovalSchema = Type.Object({
  id: Type.String(),
  artifact: Type.String(),
  stage: Type.String(),
  principal: Type.String(),
  comment: Nullable(Type.String()),
  at: Type.String(),
  audit_index: Type.Integer(),
  evidence_type: Type.Literal('evidence-type:approval'),
}, { description: 'a release approval: evidence of type approval' });
export type ApprovalRecord = Static<typeof ApprovalSchema>;
export const ApprovalList = listOf(ApprovalSchema);

export const CheckStatusSchema = Type.Union([Type.Literal('satisfied'), Type.Literal('missing'), Type.Literal('untrusted'), Type.Literal('failed'), Type.Literal('expired')]);

export const PolicyCheckSchema = Type.Object({
  requirement: Type.Object({}, { additionalProperties: true, description: 'the requirement as written (with its index), or {previous_stage} / {artifact_type}' }),
  status: CheckStatusSchema,
  evidence: Type.Array(Type.String(), { description: 'evidence or approval ids used (or considered), newest first' }),
  detail: Type.String(),
});

/** The image copy a promotion made into the stage's repository (DESIGN §12). */
export const DecisionCopySchema = Type.Object(
  {
    repository: Type.String({ description: "the stage's repository, host[:port]/repository" }),
    tag: Type.String({ description: "the artifact's version, as the tag written" }),
    status: Type.Union([Type.Literal('done'), Type.Literal('failed')]),
    detail: Type.String(),
  },
  { description: 'present when the stage names a repository; a failed copy does not count as a promotion, and promoting again retries it' },
);

export const DecisionSchema = Type.Object(
  {
    id: Type.String(),
    artifact: Type.String(),
    stage: Type.String(),
    outcome: Type.Union([Type.Literal('promoted'), Type.Literal('denied')]),
    policy: Type.Object({ artifact_type: Type.String(), revision: Type.Integer(), registry: Type.Record(Type.String(), Type.Integer(), { description: 'revision of each signer and evidence type the decision relied on' }) }),
    checks: Type.Array(PolicyCheckSchema),
    actor: Type.String(),
    decided_at: Type.String(),
    audit_index: Type.Integer(),
    copy: Type.Optional(DecisionCopySchema),
  },
  { description: 'a promotion decision, promoted or denied' },
);
export type DecisionBody = Static<typeof DecisionSchema>;
export const DecisionList = listOf(DecisionSchema);

export const PromotionBody = Type.Object({ stage: StageName }, { additionalProperties: false });

/**
 * 403 of a promotion request: PROMOTION_DENIED carries the recorded decision; a token without
 * the scope (FORBIDDEN) is refused before any decision, so there is none to carry.
 */
export const PromotionDeniedSchema = Type.Object(
  { ...ProblemSchema.properties, decision: Type.Optional(DecisionSchema) },
  { additionalProperties: true, description: 'PROMOTION_DENIED: the promotion was evaluated and denied; `decision` is the recorded decision and errors[] point at its failing checks. FORBIDDEN (no scope): no decision was made' },
);

/** 502 REGISTRY_COPY_FAILED: the policy passed but the copy into the stage repository failed; the decision is recorded. */
export const CopyFailedSchema = Type.Object(
  { ...ProblemSchema.properties, decision: DecisionSchema },
  { additionalProperties: true, description: 'the copy into the stage repository failed; `decision` is the recorded decision (copy.status failed, not counted); promote again to retry' },
);

export const StageExplanationSchema = Type.Object({
  stage: Type.String(),
  promoted: Type.Boolean(),
  would_pass: Type.Boolean({ description: 'would a promotion request for this stage pass now' }),
  revoked: Type.Boolean({ description: 'promoted, but would not pass now' }),
  revoked_reason: Nullable(Type.String()),
  revoked_status: Nullable(CheckStatusSchema),
  last_decision: Nullable(DecisionSchema),
  checks: Type.Array(PolicyCheckSchema),
});

export const ExplanationSchema = Type.Object({
  artifact: ArtifactSchema,
  artifact_type: Type.String(),
  revision: Type.Integer(),
  evaluated_at: Type.String(),
  current_stage: Nullable(Type.String()),
  stages: Type.Array(StageExplanationSchema),
});
export type ExplanationBody = Static<typeof ExplanationSchema>;

export const DeployCheckBody = Type.Object({ digest: Digest, stage: StageName }, { additionalProperties: false });
export const DeployCheckSchema = Type.Object({
  allowed: Type.Boolean({ description: 'only if promoted to the stage and still trusted now' }),
  reason: Type.Union([Type.Literal('trusted'), Type.Literal('not_promoted'), Type.Literal('revoked'), Type.Literal('unknown_artifact'), Type.Literal('unknown_stage')]),
  detail: Type.String(),
  stage: Type.String(),
  decision: Nullable(DecisionSchema),
});
export type DeployCheckAnswer = Static<typeof DeployCheckSchema>;

export const ProofQuery = Type.Object({ stage: StageName }, { additionalProperties: false });

const ProofEventSchema = Type.Object({
  index: Type.Integer(),
  action: Type.String(),
  actor: Type.String(),
  subject: Type.Array(Type.String()),
  at: Type.String(),
  request_id: Nullable(Type.String()),
  details_digest: Type.String(),
  leaf_hash: Type.String(),
  details: Type.Unknown(),
  inclusion: Type.Object({ index: Type.Integer(), size: Type.Integer(), hashes: Type.Array(Type.String()) }),
});

export const ReleaseProofSchema = Type.Object(
  {
    format: Type.Literal('charter.release-proof/v1'),
    generated_at: Type.String(),
    stage: Type.String(),
    artifact: ArtifactSchema,
    decision: DecisionSchema,
    prior_decisions: Type.Array(DecisionSchema),
    evidence: Type.Array(Type.Object({ id: Type.String(), evidence_type: Type.String(), attached_at: Type.String(), envelope_digest: Type.String(), audit_index: Type.Integer(), envelope: Type.String({ description: 'the canonical form of the envelope (plain DSSE, padded standard base64, ECDSA in DER, only the signatures that verified): any DSSE verifier checks it' }), received: Type.Optional(Type.String({ description: 'the envelope as attached (envelope_digest is its SHA-256), when it differs from the canonical form' })) })),
    approvals: Type.Array(Type.Object({ id: Type.String(), artifact: Type.String(), stage: Type.String(), principal: Type.String(), comment: Nullable(Type.String()), at: Type.String(), audit_index: Type.Integer() })),
    registry: Type.Array(Type.Object({}, { additionalProperties: true, description: 'a registry entry at the revision the decision relied on' })),
    audit: Type.Object({
      log: Type.Object({ name: Type.String(), public_key: Type.String(), vkey: Type.String() }),
      checkpoint: Type.String({ description: 'the signed note' }),
      events: Type.Array(ProofEventSchema),
    }),
    signature: Type.String({ description: 'Ed25519 by the log key over the canonical JSON of every other field (base64)' }),
  },
  { description: 'a self-contained release proof, verifiable offline (`charter proof verify`)' },
);
export type ReleaseProofBody = Static<typeof ReleaseProofSchema>;

/**
 * A DSSE envelope carrying an in-toto Statement. Documented here; core parses and verifies the
 * bytes as sent (so nothing validates or rewrites them on the way in).
 */
export const DsseEnvelopeSchema = Type.Object({
  payloadType: Type.String({ description: 'application/vnd.in-toto+json' }),
  payload: Type.String({ description: 'base64 of the in-toto Statement' }),
  signatures: Type.Array(Type.Object({ keyid: Type.Optional(Type.String()), sig: Type.String({ description: 'base64' }) }), { minItems: 1 }),
}, { description: 'a DSSE envelope', 'x-validated-by': 'core' });

export const SigstoreBundleSchema = Type.Object({
  mediaType: Type.String({ description: 'application/vnd.dev.sigstore.bundle.v0.3+json' }),
  verificationMaterial: Type.Object({}, { additionalProperties: true }),
  dsseEnvelope: DsseEnvelopeSchema,
}, { description: 'a Sigstore bundle wrapping a DSSE envelope', 'x-validated-by': 'core' });

/** The request body of evidence attach, by media type. */
export const EvidenceRequestBody = {
  content: {
    'application/json': { schema: DsseEnvelopeSchema },
    'application/vnd.in-toto+json': { schema: DsseEnvelopeSchema },
    'application/vnd.dev.sigstore.bundle+json': { schema: SigstoreBundleSchema },
    'application/vnd.dev.sigstore.bundle.v0.3+json': { schema: SigstoreBundleSchema },
  },
} satisfies { content: Record<(typeof EVIDENCE_MEDIA_TYPES)[number], unknown> };

/** An OCI content descriptor, as the registry listed it. */
export const OciDescriptorSchema = Type.Object(
  {
    mediaType: Type.String(),
    digest: Type.String(),
    size: Type.Integer({ minimum: 0 }),
    artifactType: Type.Optional(Type.String()),
  },
  { description: 'an OCI content descriptor' },
);

/** Discovery takes no options: the artifact's recorded image says where to look. */
export const DiscoverBody = Type.Object({}, { additionalProperties: false, description: "empty: the artifact's recorded image says where to look" });

/** What `POST /v1/artifacts/{digest}/evidence/discover` found and did. */
export const DiscoverResultSchema = Type.Object({
  discovered: Type.Integer({ minimum: 0, description: 'envelopes found beside the image' }),
  attached: Type.Array(EvidenceSchema, { description: 'every evidence item the found envelopes map to, also those attached before' }),
  skipped: Type.Array(Type.Object({ descriptor: OciDescriptorSchema, reason: Type.String() }), { description: 'what was found but not attached, and why' }),
});
export type DiscoverResultBody = Static<typeof DiscoverResultSchema>;

export const VsaQuery = Type.Object({ stage: StageName }, { additionalProperties: false });

/** A SLSA verification summary as Charter signs it: a DSSE envelope, one Ed25519 signature with keyid. */
export const VsaEnvelopeSchema = Type.Object({
  payloadType: Type.Literal('application/vnd.in-toto+json'),
  payload: Type.String({ description: 'base64 of the in-toto Statement v1 with predicateType https://slsa.dev/verification_summary/v1' }),
  signatures: Type.Array(Type.Object({ keyid: Type.String({ description: 'the attestation key id (GET /v1/attestation/key)' }), sig: Type.String({ description: 'base64 Ed25519 signature over the DSSE PAE' }) }), { minItems: 1, maxItems: 1 }),
}, { description: 'a DSSE envelope carrying a SLSA VSA v1' });

export const AttestationKeySchema = Type.Object(
  {
    public_key: Type.String({ description: 'PEM (SPKI) Ed25519 public key' }),
    keyid: Type.String({ description: "hex SHA-256 of the key's SPKI; the keyid of every signature it makes" }),
  },
  { description: 'the key that signs verification summaries (VSAs)' },
);
