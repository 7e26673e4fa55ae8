import { CharterError, FAMILIES, FAMILY_NAMES, idProblem, type Entry, type FamilyName } from '@charter/core';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Auth } from '../auth/auth.js';
import type { Registry } from '../registry/registry.js';
import { registryStore } from '../store/registry-store.js';
import { EntrySchema, FamilyParam, LifecycleParam, listOf, RevisionSchema } from '@charter/api';

const EntryParams = Type.Object({ family: FamilyParam, id: Type.String({ maxLength: 128 }) });

function encodeCursor(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}
function decodeCursor(s: string, pointer: string): string {
  const v = Buffer.from(s, 'base64url').toString('utf8');
  if (!/^[a-z-]+:[a-z0-9_.]+$/.test(v)) throw new CharterError('MALFORMED_REQUEST', 'the cursor is not one this server issued', { errors: [{ pointer, code: 'MALFORMED_REQUEST', detail: 'invalid cursor' }] });
  return v;
}

function requireEntry(registry: Registry, family: FamilyName, id: string): Entry {
  const idErr = idProblem(id);
  if (idErr) throw new CharterError('INVALID_ID', `'${id}': ${idErr}`, { errors: [{ pointer: '/params/id', code: 'INVALID_ID', detail: idErr }] });
  const entry = registry.catalog.get(family, id);
  if (!entry) throw new CharterError('UNKNOWN_ENTRY', `${family}:${id} is not in the registry`);
  return entry;
}

export function catalogRoutes(fastify: FastifyInstance, registry: Registry, auth: Auth): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const reads = auth.reads();
  let sorted: { sequence: number; entries: Entry[] } = { sequence: -1, entries: [] };
  const sortedEntries = (): Entry[] => {
    if (sorted.sequence !== registry.catalog.sequence) {
      const entries = [...registry.catalog.entries()].sort((a, b) => {
        const ka = `${a.family}:${a.id}`;
        const kb = `${b.family}:${b.id}`;
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
      sorted = { sequence: registry.catalog.sequence, entries };
    }
    return sorted.entries;
  };

  app.get('/v1/families', {
    preHandler: reads,
    schema: {
      tags: ['catalog'],
      summary: 'The registry families: spec schema, contract fields, reference fields',
      response: { 200: listOf(Type.Object({ name: Type.String(), title: Type.String(), description: Type.String(), spec_schema: Type.Unknown(), contract_fields: Type.Array(Type.String()), reference_fields: Type.Array(Type.Unknown()) })) },
    },
    handler: async () => ({
      items: FAMILY_NAMES.map((name) => {
        const f = FAMILIES[name];
        return { name, title: f.title, description: f.description, spec_schema: f.specSchema, contract_fields: [...f.contractFields], reference_fields: [...f.referenceFields] };
      }),
      next_cursor: null,
    }),
  });

  app.get('/v1/entries', {
    preHandler: reads,
    schema: {
      tags: ['catalog'],
      summary: 'List entries (filters, cursor pagination)',
      querystring: Type.Object({
        family: Type.Optional(FamilyParam),
        lifecycle: Type.Optional(LifecycleParam),
        owner: Type.Optional(Type.String({ maxLength: 128 })),
        q: Type.Optional(Type.String({ maxLength: 200, description: 'substring of id, title or description (case-insensitive)' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
        cursor: Type.Optional(Type.String({ maxLength: 400 })),
      }, { additionalProperties: false }),
      response: { 200: listOf(EntrySchema) },
    },
    handler: async (req) => {
      const { family, lifecycle, owner, q, cursor } = req.query;
      const limit = req.query.limit ?? 100;
      const after = cursor ? decodeCursor(cursor, '/querystring/cursor') : null;
      const needle = q?.toLowerCase();
      const items: Entry[] = [];
      let next: string | null = null;
      for (const e of sortedEntries()) {
        if (after !== null && `${e.family}:${e.id}` <= after) continue;
        if (family && e.family !== family) continue;
        if (lifecycle && e.lifecycle !== lifecycle) continue;
        if (owner && e.owner !== owner) continue;
        if (needle && !(e.id.includes(needle) || e.title.toLowerCase().includes(needle) || e.description.toLowerCase().includes(needle))) continue;
        if (items.length === limit) {
          const last = items[items.length - 1]!;
          next = encodeCursor(`${last.family}:${last.id}`);
          break;
        }
        items.push(e);
      }
      return { items, next_cursor: next };
    },
  });

  app.get('/v1/entries/:family/:id', {
    preHandler: reads,
    schema: {
      tags: ['catalog'],
      summary: 'One entry, current or at a revision',
      params: EntryParams,
      querystring: Type.Object({ revision: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
      response: { 200: EntrySchema },
    },
    handler: async (req) => {
      const { family, id } = req.params;
      const entry = requireEntry(registry, family, id);
      const { revision } = req.query;
      if (revision === undefined || revision === entry.revision) return entry;
      const rev = revision < entry.revision ? await registryStore.revision(registry.db, family, id, revision) : undefined;
      if (!rev) throw new CharterError('UNKNOWN_REVISION', `${family}:${id} has no revision ${revision} (current is ${entry.revision})`);
      return rev.entry;
    },
  });

  app.get('/v1/entries/:family/:id/history', {
    preHandler: reads,
    schema: {
      tags: ['catalog'],
      summary: 'Every revision of an entry, newest first, with the change set, author and approvers',
      params: EntryParams,
      querystring: Type.Object({
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
        cursor: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,8}$' })),
      }, { additionalProperties: false }),
      response: { 200: listOf(RevisionSchema) },
    },
    handler: async (req) => {
      const { family, id } = req.params;
      requireEntry(registry, family, id);
      const limit = req.query.limit ?? 100;
      const before = req.query.cursor ? Number(req.query.cursor) : undefined;
      const items = await registryStore.history(registry.db, family, id, { before, limit: limit + 1 });
      const page = items.slice(0, limit);
      return { items: page, next_cursor: items.length > limit ? String(page[page.length - 1]!.revision) : null };
    },
  });

  app.get('/v1/entries/:family/:id/dependents', {
    preHandler: reads,
    schema: {
      tags: ['catalog'],
      summary: 'Entries whose references point at this one',
      params: EntryParams,
      response: { 200: listOf(EntrySchema) },
    },
    handler: async (req) => {
      const { family, id } = req.params;
      requireEntry(registry, family, id);
      const items = registry.catalog.dependents(family, id).sort((a, b) => (`${a.family}:${a.id}` < `${b.family}:${b.id}` ? -1 : 1));
      return { items, next_cursor: null };
    },
  });
}
