import { CharterError, FAMILIES, FAMILY_NAMES, idProblem, type Entry, type FamilyName } from '@charter/core';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Auth } from '../auth/auth.js';
import type { Registry } from '../registry/registry.js';
import { EntryList, EntryListQuery, EntryParams, EntryQuery, EntrySchema, FamilyList, HistoryList, HistoryQuery, PUBLIC_READ, READ_PROBLEMS, responses } from '@charter/api';

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
      operationId: 'listFamilies',
      tags: ['catalog'],
      summary: 'The registry families: spec schema, contract fields, reference fields',
      security: PUBLIC_READ,
      response: responses({ 200: FamilyList }, READ_PROBLEMS),
    },
    handler: async () => {
      const counts = new Map<string, number>();
      for (const e of registry.catalog.entries()) counts.set(e.family, (counts.get(e.family) ?? 0) + 1);
      return {
        items: FAMILY_NAMES.map((name) => {
          const f = FAMILIES[name];
          return { name, title: f.title, description: f.description, spec_schema: f.specSchema, contract_fields: [...f.contractFields], reference_fields: [...f.referenceFields], entry_count: counts.get(name) ?? 0 };
        }),
        next_cursor: null,
      };
    },
  });

  app.get('/v1/entries', {
    preHandler: reads,
    schema: {
      tags: ['catalog'],
      summary: 'List entries (filters, cursor pagination)',
      operationId: 'listEntries',
      security: PUBLIC_READ,
      querystring: EntryListQuery,
      response: responses({ 200: EntryList }, [400, ...READ_PROBLEMS]),
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
      operationId: 'getEntry',
      security: PUBLIC_READ,
      params: EntryParams,
      querystring: EntryQuery,
      response: responses({ 200: EntrySchema }, [400, ...READ_PROBLEMS, 404]),
    },
    handler: async (req) => {
      const { family, id } = req.params;
      const entry = requireEntry(registry, family, id);
      const { revision } = req.query;
      if (revision === undefined || revision === entry.revision) return entry;
      const rev = revision < entry.revision ? await registry.revision(family, id, revision) : undefined;
      if (!rev) throw new CharterError('UNKNOWN_REVISION', `${family}:${id} has no revision ${revision} (current is ${entry.revision})`);
      return rev.entry;
    },
  });

  app.get('/v1/entries/:family/:id/history', {
    preHandler: reads,
    schema: {
      tags: ['catalog'],
      summary: 'Every revision of an entry, newest first, with the change set, author, approvers and the audit event that recorded it',
      operationId: 'getEntryHistory',
      security: PUBLIC_READ,
      params: EntryParams,
      querystring: HistoryQuery,
      response: responses({ 200: HistoryList }, [400, ...READ_PROBLEMS, 404]),
    },
    handler: async (req) => {
      const { family, id } = req.params;
      requireEntry(registry, family, id);
      const limit = req.query.limit ?? 100;
      const before = req.query.cursor ? Number(req.query.cursor) : undefined;
      const items = await registry.history(family, id, { before, limit: limit + 1 });
      const page = items.slice(0, limit);
      return { items: page, next_cursor: items.length > limit ? String(page[page.length - 1]!.revision) : null };
    },
  });

  app.get('/v1/entries/:family/:id/dependents', {
    preHandler: reads,
    schema: {
      tags: ['catalog'],
      summary: 'Entries whose references point at this one',
      operationId: 'listEntryDependents',
      security: PUBLIC_READ,
      params: EntryParams,
      response: responses({ 200: EntryList }, [400, ...READ_PROBLEMS, 404]),
    },
    handler: async (req) => {
      const { family, id } = req.params;
      requireEntry(registry, family, id);
      const items = registry.catalog.dependents(family, id).sort((a, b) => (`${a.family}:${a.id}` < `${b.family}:${b.id}` ? -1 : 1));
      return { items, next_cursor: null };
    },
  });
}
