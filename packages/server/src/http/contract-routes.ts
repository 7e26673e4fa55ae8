import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { renderNotification, validateManifest, validateUsage } from '@charter/core';
import type { FastifyInstance } from 'fastify';
import { ContractAnswerSchema, PUBLIC_READ, READ_PROBLEMS, RenderedNotificationSchema, RenderNotificationBody, responses, UsageAnswerSchema, ValidateManifestBody, ValidateUsageBody } from '@charter/api';
import type { Auth } from '../auth/auth.js';
import type { Registry } from '../registry/registry.js';

/**
 * Run-time contract checks for shared services, answered from the in-memory catalog. A "no" is
 * a 200 with valid: false and the errors; only a malformed request is a 400.
 */
export function contractRoutes(fastify: FastifyInstance, deps: { auth: Auth; registry: Registry }): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { registry } = deps;
  const reads = deps.auth.reads();
  const now = () => registry.now().getTime();

  app.post('/v1/validate/manifest', {
    preHandler: reads,
    schema: {
      tags: ['contracts'],
      summary: "Is this app manifest valid for its SDK contract (schema, and every registry ref it names usable and allowed)?",
      operationId: 'validateManifest',
      security: PUBLIC_READ,
      body: ValidateManifestBody,
      response: responses({ 200: ContractAnswerSchema }, [400, ...READ_PROBLEMS, 413, 415]),
    },
    handler: async (req) => validateManifest(registry.catalog, req.body.contract, req.body.manifest, now()),
  });

  app.post('/v1/validate/usage', {
    preHandler: reads,
    schema: {
      tags: ['contracts'],
      summary: 'Are these usage records valid for their usage units (unit usable, quantity, precision, dimensions)?',
      operationId: 'validateUsage',
      security: PUBLIC_READ,
      body: ValidateUsageBody,
      response: responses({ 200: UsageAnswerSchema }, [400, ...READ_PROBLEMS, 413, 415]),
    },
    handler: async (req) => {
      const results = req.body.records.map((r, i) => validateUsage(registry.catalog, r, `/records/${i}`, now()));
      return { valid: results.every((r) => r.valid), results };
    },
  });

  app.post('/v1/notifications/render', {
    preHandler: reads,
    schema: {
      tags: ['contracts'],
      summary: 'Render a notification template for a channel with variables that satisfy its schema',
      operationId: 'renderNotification',
      security: PUBLIC_READ,
      body: RenderNotificationBody,
      response: responses({ 200: RenderedNotificationSchema }, [400, ...READ_PROBLEMS, 413, 415]),
    },
    handler: async (req) => renderNotification(registry.catalog, req.body.template, req.body.channel, req.body.variables, now()),
  });
}
