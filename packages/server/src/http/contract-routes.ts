import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { renderNotification, validateManifest, validateUsage } from '@charter/core';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Auth } from '../auth/auth.js';
import type { Registry } from '../registry/registry.js';

const Answer = Type.Object({
  valid: Type.Boolean(),
  contract: Type.Union([Type.Object({ ref: Type.String(), revision: Type.Integer() }), Type.Null()]),
  errors: Type.Array(Type.Object({ pointer: Type.String(), code: Type.String(), detail: Type.String() })),
});

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
      body: Type.Object({ contract: Type.String({ maxLength: 300, description: 'sdk-contract:app_sdk.v1' }), manifest: Type.Unknown() }, { additionalProperties: false }),
      response: { 200: Answer },
    },
    handler: async (req) => validateManifest(registry.catalog, req.body.contract, req.body.manifest, now()),
  });

  app.post('/v1/validate/usage', {
    preHandler: reads,
    schema: {
      tags: ['contracts'],
      summary: 'Are these usage records valid for their usage units (unit usable, quantity, precision, dimensions)?',
      body: Type.Object({
        records: Type.Array(
          Type.Object({ unit: Type.String({ maxLength: 300 }), quantity: Type.Number(), dimensions: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 256 }))) }, { additionalProperties: false }),
          { minItems: 1, maxItems: 1000 },
        ),
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ valid: Type.Boolean(), results: Type.Array(Answer) }) },
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
      body: Type.Object({ template: Type.String({ maxLength: 300 }), channel: Type.String({ maxLength: 32 }), variables: Type.Record(Type.String(), Type.Unknown()) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          valid: Type.Boolean(),
          contract: Answer.properties.contract,
          errors: Answer.properties.errors,
          channel: Type.Union([Type.String(), Type.Null()]),
          subject: Type.Union([Type.String(), Type.Null()]),
          body: Type.Union([Type.String(), Type.Null()]),
        }),
      },
    },
    handler: async (req) => renderNotification(registry.catalog, req.body.template, req.body.channel, req.body.variables, now()),
  });
}
