import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Auth } from '../auth/auth.js';
import type { Registry } from '../registry/registry.js';
import { CheckAnswerSchema, CheckBody, CheckQuery, PUBLIC_READ, READ_PROBLEMS, responses } from '@charter/api';

/** The fail-closed question. Answered from memory: no database access on this path. */
export function checkRoutes(fastify: FastifyInstance, registry: Registry, auth: Auth): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const reads = auth.reads();
  app.post('/v1/check', {
    preHandler: reads,
    schema: {
      tags: ['check'],
      summary: 'Are these entries usable now? Fails closed (DESIGN §3).',
      operationId: 'check',
      security: PUBLIC_READ,
      body: CheckBody,
      response: responses({ 200: CheckAnswerSchema }, [400, ...READ_PROBLEMS, 413, 415]),
    },
    handler: async (req) => registry.check((req.body as { refs: string[] }).refs),
  });

  app.get('/v1/check', {
    preHandler: reads,
    schema: {
      tags: ['check'],
      summary: 'The same check for refs given as query parameters (?ref=a&ref=b)',
      operationId: 'checkByQuery',
      security: PUBLIC_READ,
      querystring: CheckQuery,
      response: responses({ 200: CheckAnswerSchema }, [400, ...READ_PROBLEMS]),
    },
    handler: async (req) => {
      const { ref } = req.query as { ref: string | string[] };
      return registry.check(Array.isArray(ref) ? ref : [ref]);
    },
  });
}
