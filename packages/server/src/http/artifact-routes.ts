import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { CharterError, SCOPES } from '@charter/core';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Artifacts } from '../artifacts/artifacts.js';
import { DIGEST_PATTERN } from '../artifacts/artifacts.js';
import type { Auth } from '../auth/auth.js';
import type { ReleaseProofs } from '../artifacts/proof.js';
import { actorOf } from './governance-routes.js';
import { problem, sendProblem } from './problem.js';

const Digest = Type.String({ pattern: DIGEST_PATTERN, description: 'sha256:<64 lowercase hex>' });
const DigestParams = Type.Object({ digest: Digest });
const Stage = Type.String({ pattern: '^[a-z][a-z0-9_]*$', maxLength: 64 });

const ArtifactSchema = Type.Object({
  digest: Type.String(),
  artifact_type: Type.String(),
  product: Type.String(),
  name: Type.String(),
  version: Type.String(),
  source: Type.Object({ repo: Type.Optional(Type.String()), commit: Type.Optional(Type.String()), build_url: Type.Optional(Type.String()) }),
  labels: Type.Record(Type.String(), Type.String()),
  registered_by: Type.String(),
  registered_at: Type.String(),
  audit_index: Type.Integer(),
});

/** Evidence bodies are kept byte for byte, so that route parses JSON itself. */
const ENVELOPE_TYPES = ['application/json', 'application/vnd.in-toto+json', 'application/vnd.dev.sigstore.bundle+json', 'application/vnd.dev.sigstore.bundle.v0.3+json'];

export function artifactRoutes(fastify: FastifyInstance, deps: { auth: Auth; artifacts: Artifacts; proofs: ReleaseProofs; evidenceLimit: number }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { auth, artifacts, proofs } = deps;
  const reads = auth.reads();

  app.post('/v1/artifacts', {
    preHandler: auth.require(SCOPES.register),
    schema: {
      tags: ['artifacts'],
      summary: 'Register an artifact by digest (idempotent; different content for the same digest is 409)',
      security: [{ bearer: [] }],
      body: Type.Object({
        digest: Digest,
        artifact_type: Type.String({ maxLength: 160 }),
        product: Type.String({ maxLength: 128 }),
        name: Type.String({ minLength: 1, maxLength: 200 }),
        version: Type.String({ minLength: 1, maxLength: 200 }),
        source: Type.Optional(Type.Object({ repo: Type.Optional(Type.String({ maxLength: 500 })), commit: Type.Optional(Type.String({ maxLength: 100 })), build_url: Type.Optional(Type.String({ maxLength: 1000 })) }, { additionalProperties: false })),
        labels: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 1000 }))),
      }, { additionalProperties: false }),
      response: { 200: ArtifactSchema, 201: ArtifactSchema },
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
      querystring: Type.Object({
        product: Type.Optional(Type.String({ maxLength: 128 })),
        artifact_type: Type.Optional(Type.String({ maxLength: 160 })),
        stage: Type.Optional(Stage),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
        cursor: Type.Optional(Digest),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ items: Type.Array(ArtifactSchema), next_cursor: Type.Union([Type.String(), Type.Null()]) }) },
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
    schema: { tags: ['artifacts'], summary: 'One artifact', params: DigestParams, response: { 200: ArtifactSchema } },
    handler: async (req) => artifacts.get(req.params.digest),
  });

  fastify.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(ENVELOPE_TYPES, { parseAs: 'buffer', bodyLimit: deps.evidenceLimit }, (_req, body, done) => done(null, body));
    scope.withTypeProvider<TypeBoxTypeProvider>().post('/v1/artifacts/:digest/evidence', {
      preHandler: auth.require(SCOPES.attach),
      bodyLimit: deps.evidenceLimit,
      schema: {
        tags: ['artifacts'],
        summary: 'Attach a DSSE envelope (or a Sigstore bundle) carrying an in-toto Statement about this artifact',
        description: 'Kept byte for byte. Verified against the registry signers; a well-formed envelope no trusted signer verifies is kept as untrusted and never counts.',
        security: [{ bearer: [] }],
        params: DigestParams,
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
    schema: { tags: ['artifacts'], summary: 'Evidence attached to an artifact, trusted or not, with the reasons', params: DigestParams },
    handler: async (req) => ({ items: await artifacts.evidence(req.params.digest), next_cursor: null }),
  });

  app.get('/v1/artifacts/:digest/evidence/:id/envelope', {
    preHandler: reads,
    schema: { tags: ['artifacts'], summary: 'The envelope exactly as it was attached', params: Type.Object({ digest: Digest, id: Type.String({ pattern: '^ev_[0-9a-f]{20}$' }) }) },
    handler: async (req, reply) => reply.type('application/json').send(await artifacts.envelope(req.params.digest, req.params.id)),
  });

  app.post('/v1/artifacts/:digest/approvals', {
    preHandler: auth.require(SCOPES.releaseApprove),
    schema: {
      tags: ['artifacts'],
      summary: 'Approve the release of an artifact to a stage (never by who registered it)',
      security: [{ bearer: [] }],
      params: DigestParams,
      body: Type.Object({ stage: Stage, comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false }),
    },
    handler: async (req, reply) => reply.code(201).send({ ...(await artifacts.approve(req.params.digest, req.body.stage, req.body.comment ?? null, actorOf(req))), evidence_type: 'evidence-type:approval' }),
  });

  app.get('/v1/artifacts/:digest/approvals', {
    preHandler: reads,
    schema: { tags: ['artifacts'], summary: 'Approvals recorded for an artifact', params: DigestParams },
    handler: async (req) => ({ items: (await artifacts.approvals(req.params.digest)).map((a) => ({ ...a, evidence_type: 'evidence-type:approval' })), next_cursor: null }),
  });

  app.post('/v1/artifacts/:digest/promotions', {
    preHandler: auth.require(SCOPES.promote),
    schema: {
      tags: ['artifacts'],
      summary: 'Request promotion to a stage: a decision is recorded either way (201 promoted, 403 denied with the decision)',
      security: [{ bearer: [] }],
      params: DigestParams,
      body: Type.Object({ stage: Stage }, { additionalProperties: false }),
    },
    handler: async (req, reply) => {
      const decision = await artifacts.promote(req.params.digest, req.body.stage, actorOf(req));
      if (decision.outcome === 'promoted') return reply.code(201).send(decision);
      const missing = decision.checks.filter((c) => c.status !== 'satisfied');
      return sendProblem(reply, problem(403, 'PROMOTION_DENIED', `promotion of ${decision.artifact} to ${decision.stage} denied: ${missing.map((c) => c.detail).join('; ')}`, missing.map((c, i) => ({ pointer: `/decision/checks/${decision.checks.indexOf(c)}`, code: 'PROMOTION_DENIED' as const, detail: `${c.status}: ${c.detail}` })).slice(0, 50), { decision }));
    },
  });

  app.get('/v1/artifacts/:digest/promotions', {
    preHandler: reads,
    schema: { tags: ['artifacts'], summary: 'Every promotion decision, promoted or denied, oldest first', params: DigestParams },
    handler: async (req) => ({ items: await artifacts.decisions(req.params.digest), next_cursor: null }),
  });

  app.get('/v1/artifacts/:digest/explain', {
    preHandler: reads,
    schema: { tags: ['artifacts'], summary: 'For each stage: would promotion pass now, the last decision, and what satisfies or is missing per requirement', params: DigestParams },
    handler: async (req) => {
      const { artifact, explanation } = await artifacts.explain(req.params.digest);
      return { artifact, ...explanation };
    },
  });

  app.get('/v1/artifacts/:digest/proof', {
    preHandler: reads,
    schema: { tags: ['artifacts'], summary: 'A self-contained release proof for a promoted stage, verifiable offline', params: DigestParams, querystring: Type.Object({ stage: Stage }, { additionalProperties: false }) },
    handler: async (req) => proofs.build(req.params.digest, req.query.stage),
  });

  app.post('/v1/artifacts/check', {
    preHandler: reads,
    schema: {
      tags: ['artifacts'],
      summary: 'The deploy admission check: allowed only if promoted to the stage and still trusted now',
      body: Type.Object({ digest: Digest, stage: Stage }, { additionalProperties: false }),
    },
    handler: async (req) => artifacts.check(req.body.digest, req.body.stage),
  });
}
