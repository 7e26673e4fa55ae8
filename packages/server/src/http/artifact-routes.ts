import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CharterError, SCOPES } from '@charter/core';
import type { FastifyInstance } from 'fastify';
import type { Artifacts } from '../artifacts/artifacts.js';
import type { Auth } from '../auth/auth.js';
import type { ReleaseProofs } from '../artifacts/proof.js';
import type { EvidencePosition } from '../artifacts/artifacts.js';
import { actorOf } from './governance-routes.js';
import { problem, sendProblem } from './problem.js';
import { DiscoverBody, AttestationKeySchema, CopyFailedSchema, DiscoverResultSchema, VsaEnvelopeSchema, VsaQuery, ApprovalBody, ApprovalList, ApprovalSchema, ArtifactList, ArtifactListQuery, ArtifactSchema, BEARER, DecisionList, DecisionSchema, DeployCheckBody, DeployCheckSchema, DigestParams, EnvelopeSchema, EVIDENCE_MEDIA_TYPES, EvidenceList, EvidenceListQuery, EvidenceRequestBody, EvidenceSchema, ExplanationSchema, problemResponse, PromotionBody, PromotionDeniedSchema, ProofQuery, PUBLIC_READ, READ_PROBLEMS, RegisterArtifactBody, ReleaseProofSchema, responses, EvidenceItemParams } from '@charter/api';

/** An opaque position in an artifact's evidence list: base64url of [attached_at, id]. */
function evidenceCursor(e: EvidencePosition): string {
  return Buffer.from(JSON.stringify([e.attached_at, e.id])).toString('base64url');
}

function readEvidenceCursor(cursor: string): EvidencePosition {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    v = null;
  }
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string' || !/^\d{4}-\d\d-\d\dT[0-9:.]+Z$/.test(v[0]) || !/^ev_[0-9a-f]{20}$/.test(v[1])) {
    throw new CharterError('MALFORMED_REQUEST', 'the cursor is not one this server issued', { errors: [{ pointer: '/querystring/cursor', code: 'MALFORMED_REQUEST', detail: 'invalid cursor' }] });
  }
  return { attached_at: v[0], id: v[1] };
}

export function artifactRoutes(fastify: FastifyInstance, deps: { auth: Auth; artifacts: Artifacts; proofs: ReleaseProofs; evidenceLimit: number }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { auth, artifacts, proofs } = deps;
  const reads = auth.reads();

  app.post('/v1/artifacts', {
    preHandler: auth.require(SCOPES.register),
    schema: {
      tags: ['artifacts'],
      summary: 'Register an artifact by digest or image reference (idempotent; different content for the same digest is 409)',
      description: "With `image`, Charter resolves the manifest digest in the registry (OCI manifest or index, Docker v2 manifest or list); a `digest` given beside it must agree (409 IMAGE_DIGEST_MISMATCH). The product defaults to the artifact type's owner. Registry failures are 502 problems naming the registry, repository and HTTP status.",
      operationId: 'registerArtifact',
      security: BEARER,
      body: RegisterArtifactBody,
      response: responses({ 200: { ...ArtifactSchema, description: 'already registered with the same content' }, 201: ArtifactSchema }, [400, 401, 403, 409, 413, 415, 422, 502]),
    },
    handler: async (req, reply) => {
      const { artifact, created } = await artifacts.register(req.body, actorOf(req));
      return reply.code(created ? 201 : 200).send(artifact);
    },
  });

  app.get('/v1/artifacts', {
    preHandler: reads,
    schema: {
      tags: ['artifacts'],
      summary: 'List artifacts (by product, type, or promoted stage)',
      operationId: 'listArtifacts',
      security: PUBLIC_READ,
      querystring: ArtifactListQuery,
      response: responses({ 200: ArtifactList }, [400, ...READ_PROBLEMS]),
    },
    handler: async (req) => {
      const limit = req.query.limit ?? 100;
      const items = await artifacts.list({ ...(req.query.product ? { product: req.query.product } : {}), ...(req.query.artifact_type ? { artifact_type: req.query.artifact_type } : {}), ...(req.query.stage ? { stage: req.query.stage } : {}), ...(req.query.cursor ? { after: req.query.cursor } : {}), limit: limit + 1 });
      const page = items.slice(0, limit);
      return { items: page, next_cursor: items.length > limit ? page[page.length - 1]!.digest : null };
    },
  });

  app.get('/v1/artifacts/:digest', {
    preHandler: reads,
    schema: { operationId: 'getArtifact', tags: ['artifacts'], summary: 'One artifact', security: PUBLIC_READ, params: DigestParams, response: responses({ 200: ArtifactSchema }, [400, ...READ_PROBLEMS, 404]) },
    handler: async (req) => artifacts.get(req.params.digest),
  });

  fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser([...EVIDENCE_MEDIA_TYPES], { parseAs: 'buffer', bodyLimit: deps.evidenceLimit }, (_req, body, done) => done(null, body));
    scope.withTypeProvider<TypeBoxTypeProvider>().post('/v1/artifacts/:digest/evidence', {
      preHandler: auth.require(SCOPES.attach),
      bodyLimit: deps.evidenceLimit,
      schema: {
        tags: ['artifacts'],
        summary: 'Attach a DSSE envelope (or a Sigstore bundle) carrying an in-toto Statement about this artifact',
        description: 'Kept byte for byte. Verified against the registry signers; a well-formed envelope no trusted signer verifies is kept as untrusted and never counts.',
        operationId: 'attachEvidence',
        security: BEARER,
        params: DigestParams,
        body: EvidenceRequestBody,
        response: responses({ 200: { ...EvidenceSchema, description: 'the same envelope was attached before' }, 201: EvidenceSchema }, [400, 401, 403, 404, 409, 413, 415, 422]),
      },
      handler: async (req, reply) => {
        if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new CharterError('MALFORMED_REQUEST', 'send the envelope JSON as the request body', { errors: [{ pointer: '', code: 'MALFORMED_REQUEST', detail: 'empty body' }] });
        const { evidence, created } = await artifacts.attach(req.params.digest, req.body, actorOf(req));
        return reply.code(created ? 201 : 200).send(evidence);
      },
    });
  });

  app.get('/v1/artifacts/:digest/evidence', {
    preHandler: reads,
    schema: {
      operationId: 'listEvidence',
      tags: ['artifacts'],
      summary: 'Evidence attached to an artifact, trusted or not, with the reasons, a page at a time in attach order',
      description: 'Items are summaries: the statement of each is the payload of its envelope (.../evidence/{id}/envelope).',
      security: PUBLIC_READ,
      params: DigestParams,
      querystring: EvidenceListQuery,
      response: responses({ 200: EvidenceList }, [400, ...READ_PROBLEMS, 404]),
    },
    handler: async (req) => {
      const limit = req.query.limit ?? 100;
      const after = req.query.cursor === undefined ? undefined : readEvidenceCursor(req.query.cursor);
      const items = await artifacts.evidence(req.params.digest, { ...(after ? { after } : {}), limit: limit + 1 });
      const page = items.slice(0, limit);
      const last = page[page.length - 1];
      return { items: page, next_cursor: items.length > limit && last ? evidenceCursor(last) : null };
    },
  });

  app.get('/v1/artifacts/:digest/evidence/:id/envelope', {
    preHandler: reads,
    schema: { operationId: 'getEvidenceEnvelope', tags: ['artifacts'], summary: 'The envelope exactly as it was attached', security: PUBLIC_READ, params: EvidenceItemParams, response: responses({ 200: EnvelopeSchema }, [400, ...READ_PROBLEMS, 404]) },
    handler: async (req, reply) => reply.type('application/json').send(await artifacts.envelope(req.params.digest, req.params.id)),
  });

  app.post('/v1/artifacts/:digest/approvals', {
    preHandler: auth.require(SCOPES.releaseApprove),
    schema: {
      tags: ['artifacts'],
      summary: 'Approve the release of an artifact to a stage (never by who registered it)',
      operationId: 'approveRelease',
      security: BEARER,
      params: DigestParams,
      body: ApprovalBody,
      response: responses({ 200: { ...ApprovalSchema, description: 'this principal had already approved this stage: the first approval' }, 201: ApprovalSchema }, [400, 401, 403, 404, 413, 415, 422]),
    },
    handler: async (req, reply) => {
      const { approval, created } = await artifacts.approve(req.params.digest, req.body.stage, req.body.comment ?? null, actorOf(req));
      return reply.code(created ? 201 : 200).send({ ...approval, evidence_type: 'evidence-type:approval' as const });
    },
  });

  app.get('/v1/artifacts/:digest/approvals', {
    preHandler: reads,
    schema: { operationId: 'listApprovals', tags: ['artifacts'], summary: 'Approvals recorded for an artifact', security: PUBLIC_READ, params: DigestParams, response: responses({ 200: ApprovalList }, [400, ...READ_PROBLEMS, 404]) },
    handler: async (req) => ({ items: (await artifacts.approvals(req.params.digest)).map((a) => ({ ...a, evidence_type: 'evidence-type:approval' })), next_cursor: null }),
  });

  app.post('/v1/artifacts/:digest/promotions', {
    preHandler: auth.require(SCOPES.promote),
    schema: {
      tags: ['artifacts'],
      summary: 'Request promotion to a stage: a decision is recorded either way (201 promoted, 403 denied with the decision)',
      operationId: 'promoteArtifact',
      security: BEARER,
      params: DigestParams,
      body: PromotionBody,
      description: 'When the stage names a repository, a promotion that passes copies the image there (same digest, tagged with the version, referrers along) and pushes its verification summary beside it; if the copy fails the decision is recorded with `copy.status: failed`, does not count, and the answer is 502 REGISTRY_COPY_FAILED with the decision.',
      response: responses({ 201: DecisionSchema, 403: problemResponse(403, PromotionDeniedSchema, 'Denied: the promotion was evaluated and refused (`decision` is the recorded decision); or the token lacks the scope'), 502: problemResponse(502, CopyFailedSchema, 'The policy passed but the copy into the stage repository failed (`decision` is the recorded decision; promote again to retry)') }, [400, 401, 404, 413, 415, 422]),
    },
    handler: async (req, reply) => {
      const decision = await artifacts.promote(req.params.digest, req.body.stage, actorOf(req));
      if (decision.outcome === 'promoted' && decision.copy?.status === 'failed') {
        return sendProblem(reply, problem('REGISTRY_COPY_FAILED', `${decision.artifact} passed the policy for ${decision.stage}, but copying it to ${decision.copy.repository} failed: ${decision.copy.detail}. The decision is recorded and does not count; promote again to retry.`, [{ pointer: '/decision/copy', code: 'REGISTRY_COPY_FAILED', detail: decision.copy.detail }], { decision }));
      }
      if (decision.outcome === 'promoted') return reply.code(201).send(decision);
      const missing = decision.checks.filter((c) => c.status !== 'satisfied');
      return sendProblem(reply, problem('PROMOTION_DENIED', `promotion of ${decision.artifact} to ${decision.stage} denied: ${missing.map((c) => c.detail).join('; ')}`, missing.map((c, i) => ({ pointer: `/decision/checks/${decision.checks.indexOf(c)}`, code: 'PROMOTION_DENIED' as const, detail: `${c.status}: ${c.detail}` })).slice(0, 50), { decision }));
    },
  });

  app.post('/v1/artifacts/:digest/evidence/discover', {
    preHandler: auth.require(SCOPES.attach),
    schema: {
      tags: ['artifacts'],
      operationId: 'discoverEvidence',
      summary: "Find the attestations pushed beside the artifact's image and attach each as if it had been posted",
      description: "OCI 1.1 referrers (the API, or the sha256-<hex> tag index where the registry lacks it), cosign's sha256-<hex>.att tag (DSSE envelope layers) and Sigstore bundles. Idempotent. What Charter cannot take is skipped with a reason.",
      security: BEARER,
      params: DigestParams,
      body: DiscoverBody,
      response: responses({ 200: DiscoverResultSchema }, [400, 401, 403, 404, 413, 415, 422, 502]),
    },
    handler: async (req) => artifacts.discover(req.params.digest, actorOf(req)),
  });

  app.get('/v1/artifacts/:digest/vsa', {
    preHandler: reads,
    schema: {
      tags: ['artifacts'],
      operationId: 'getVerificationSummary',
      summary: 'The SLSA verification summary (VSA v1, a DSSE envelope signed by the attestation key) of the newest promotion to a stage',
      security: PUBLIC_READ,
      params: DigestParams,
      querystring: VsaQuery,
      response: responses({ 200: VsaEnvelopeSchema }, [400, ...READ_PROBLEMS, 404]),
    },
    handler: async (req, reply) => reply.type('application/json').send(await artifacts.vsa(req.params.digest, req.query.stage)),
  });

  app.get('/v1/attestation/key', {
    preHandler: reads,
    schema: {
      tags: ['artifacts'],
      operationId: 'getAttestationKey',
      summary: 'The public key that signs verification summaries',
      security: PUBLIC_READ,
      response: responses({ 200: AttestationKeySchema }, READ_PROBLEMS),
    },
    handler: async () => ({ public_key: artifacts.attestationKey.publicPem, keyid: artifacts.attestationKey.keyid }),
  });

  app.get('/v1/artifacts/:digest/promotions', {
    preHandler: reads,
    schema: { operationId: 'listPromotions', tags: ['artifacts'], summary: 'Every promotion decision, promoted or denied, oldest first', security: PUBLIC_READ, params: DigestParams, response: responses({ 200: DecisionList }, [400, ...READ_PROBLEMS, 404]) },
    handler: async (req) => ({ items: await artifacts.decisions(req.params.digest), next_cursor: null }),
  });

  app.get('/v1/artifacts/:digest/explain', {
    preHandler: reads,
    schema: { operationId: 'explainArtifact', tags: ['artifacts'], summary: 'For each stage: would promotion pass now, the last decision, and what satisfies or is missing per requirement', security: PUBLIC_READ, params: DigestParams, response: responses({ 200: ExplanationSchema }, [400, ...READ_PROBLEMS, 404]) },
    handler: async (req) => {
      const { artifact, explanation } = await artifacts.explain(req.params.digest);
      return { artifact, ...explanation };
    },
  });

  app.get('/v1/artifacts/:digest/proof', {
    preHandler: reads,
    schema: { operationId: 'getReleaseProof', tags: ['artifacts'], summary: 'A self-contained release proof for a promoted stage, verifiable offline', security: PUBLIC_READ, params: DigestParams, querystring: ProofQuery, response: responses({ 200: ReleaseProofSchema }, [400, ...READ_PROBLEMS, 404, 409, 422]) },
    // The proof is signed over its canonical JSON: sent exactly as built, never re-serialized.
    handler: async (req, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(await proofs.build(req.params.digest, req.query.stage))),
  });

  app.post('/v1/artifacts/check', {
    preHandler: reads,
    schema: {
      tags: ['artifacts'],
      summary: 'The deploy admission check: allowed only if promoted to the stage and still trusted now',
      operationId: 'checkDeploy',
      security: PUBLIC_READ,
      body: DeployCheckBody,
      response: responses({ 200: DeployCheckSchema }, [400, ...READ_PROBLEMS, 413, 415]),
    },
    handler: async (req) => artifacts.check(req.body.digest, req.body.stage),
  });
}
