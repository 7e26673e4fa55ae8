import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Auth } from '../auth/auth.js';
import type { Registry } from '../registry/registry.js';
import { CheckAnswerSchema, CheckBody } from '@charter/api';

/** The fail-closed question. Answered from memory: no database access on this path. */
export function checkRoutes(fastify: FastifyInstance, registry: Registry, auth: Auth): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const reads = auth.reads();
  app.post('/v1/check', {
    preHandler: reads,
    schema: {
      tags: ['check'],
      summary: 'Are these entries usable now? Fails closed (DESIGN §3).',
      body: CheckBody,
      response: { 200: CheckAnswerSchema },
    },
    handler: async (req) => registry.check((req.body as { refs: string[] }).refs),
  });

  app.get('/v1/check', {
    preHandler: reads,
    schema: {
      tags: ['check'],
      summary: 'The same check for refs given as query parameters (?ref=a&ref=b)',
      querystring: Type.Object(
        { ref: Type.Union([Type.String({ maxLength: 300 }), Type.Array(Type.String({ maxLength: 300 }), { minItems: 1, maxItems: 100 })]) },
        { additionalProperties: false },
      ),
      response: { 200: CheckAnswerSchema },
    },
    handler: async (req) => {
      const { ref } = req.query as { ref: string | string[] };
      return registry.check(Array.isArray(ref) ? ref : [ref]);
    },
  });
}
