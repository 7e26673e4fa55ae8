import { isDeepStrictEqual } from 'node:util';
import type { RegistryView } from './catalog.js';
import type { Entry, EntryInput } from './entry.js';
import { pointer, type ErrorCode, type Issue } from './errors.js';
import { FAMILIES } from './families/index.js';
import { entryKey, FAMILY_NAMES, formatRef, idProblem, isFamilyName, namespaceOf, PLATFORM_PRODUCT, tryParseRef, type FamilyName } from './ids.js';
import { allowedMoves, canTransition, INITIAL_STATES, LIFECYCLES, LIVE_STATES, type Lifecycle } from './lifecycle.js';
import { validateAgainst, type JsonSchema } from './schema.js';

/** Who is asking. `admin` holds platform.registry.admin; `product` binds a token to one namespace. */
export interface Principal {
  name: string;
  product: string | null;
  admin: boolean;
}

export type Operation =
  | { op: 'create'; entry: EntryInput }
  | { op: 'update'; family: FamilyName; id: string; expected_revision: number; set: Partial<Pick<Entry, 'title' | 'description' | 'labels' | 'spec' | 'owner'>> }
  | {
      op: 'transition';
      family: FamilyName;
      id: string;
      expected_revision: number;
      to: Lifecycle;
      replaced_by?: string | null;
      sunset_at?: string | null;
      reason?: string | null;
    };

export interface ChangeSetInput {
  title: string;
  description?: string;
  operations: Operation[];
}

export interface FieldChange {
  /** JSON pointer inside the entry, e.g. `/spec/stages/1` or `/lifecycle`. */
  path: string;
  before: unknown;
  after: unknown;
}

/** What applying the change set would do to one entry (all its operations merged). */
export interface PlannedChange {
  family: FamilyName;
  id: string;
  ref: string;
  action: 'create' | 'update' | 'transition';
  operations: number[];
  before: Entry | null;
  after: Entry;
  diff: FieldChange[];
  /** For disable/deprecate: the entries that reference this one and so are affected. */
  affects: string[];
}

export interface Plan {
  changes: PlannedChange[];
  errors: Issue[];
}

const timestamp = { type: 'string', format: 'date-time' };
const familyEnum = { enum: [...FAMILY_NAMES] };
const labelsSchema = { type: 'object', additionalProperties: { type: 'string', maxLength: 1000 }, maxProperties: 50 };

const entryInputSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['family', 'id', 'owner', 'title', 'spec'],
  properties: {
    family: familyEnum,
    id: { type: 'string' },
    owner: { type: 'string' },
    lifecycle: { enum: [...INITIAL_STATES] },
    title: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 4000 },
    labels: labelsSchema,
    spec: { type: 'object' },
    // A new entry is never deprecated; these are accepted only empty, for files that list them.
    replaced_by: { type: 'null' },
    sunset_at: { type: 'null' },
  },
};

/** The JSON Schema of a change set request body; the HTTP layer publishes it in OpenAPI. */
export const changeSetInputSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'operations'],
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string', maxLength: 4000 },
    operations: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['op'],
        properties: { op: { enum: ['create', 'update', 'transition'] } },
        // if/then per kind (not oneOf), so a bad create reports its own problem, not every other kind's.
        allOf: [
          {
            if: { properties: { op: { const: 'create' } } },
            then: { properties: { op: {}, entry: entryInputSchema }, required: ['entry'], additionalProperties: false },
          },
          {
            if: { properties: { op: { const: 'update' } } },
            then: {
              properties: {
                op: {},
                family: familyEnum,
                id: { type: 'string' },
                expected_revision: { type: 'integer', minimum: 1 },
                set: {
                  type: 'object',
                  minProperties: 1,
                  additionalProperties: false,
                  properties: {
                    title: { type: 'string', minLength: 1, maxLength: 200 },
                    description: { type: 'string', maxLength: 4000 },
                    labels: labelsSchema,
                    spec: { type: 'object' },
                    owner: { type: 'string', description: 'never changes (the ID fixes it); present only to be refused clearly' },
                  },
                },
              },
              required: ['family', 'id', 'expected_revision', 'set'],
              additionalProperties: false,
            },
          },
          {
            if: { properties: { op: { const: 'transition' } } },
            then: {
              properties: {
                op: {},
                family: familyEnum,
                id: { type: 'string' },
                expected_revision: { type: 'integer', minimum: 1 },
                to: { enum: [...LIFECYCLES] },
                replaced_by: { type: ['string', 'null'] },
                sunset_at: { oneOf: [timestamp, { type: 'null' }] },
                reason: { type: ['string', 'null'], maxLength: 2000 },
              },
              required: ['family', 'id', 'expected_revision', 'to'],
              additionalProperties: false,
            },
          },
        ],
      },
    },
  },
};

/** Field-level differences between two entries, for plans and history. */
export function diffEntries(before: Entry | null, after: Entry): FieldChange[] {
  const out: FieldChange[] = [];
  const fields = ['owner', 'lifecycle', 'title', 'description', 'labels', 'replaced_by', 'sunset_at'] as const;
  for (const f of fields) {
    const b = before ? before[f] : undefined;
    if (!isDeepStrictEqual(b, after[f])) out.push({ path: `/${f}`, before: b ?? null, after: after[f] });
  }
  const bs = before?.spec ?? {};
  for (const k of new Set([...Object.keys(bs), ...Object.keys(after.spec)])) {
    if (!isDeepStrictEqual(bs[k], after.spec[k])) out.push({ path: pointer('spec', k), before: bs[k] ?? null, after: after.spec[k] ?? null });
  }
  return out;
}

interface Working {
  /** Entries as they stand after the operations so far. */
  overlay: Map<string, Entry>;
  created: Set<string>;
  changes: Map<string, PlannedChange>;
}

/**
 * Validates a change set against the registry as it is and returns every problem at once,
 * each with a JSON pointer into the submitted body, plus the plan. Pure: `now` is an ISO
 * timestamp supplied by the caller; nothing is stored.
 */
export function planChangeSet(view: RegistryView, input: unknown, principal: Principal, now: string): Plan {
  const errors: Issue[] = validateAgainst(changeSetInputSchema, input, '', 'MALFORMED_REQUEST');
  const body = input as Partial<ChangeSetInput> | null;
  const ops = Array.isArray(body?.operations) ? body.operations : [];
  const w: Working = { overlay: new Map(), created: new Set(), changes: new Map() };
  const badOps = new Set(errors.map((e) => /^\/operations\/(\d+)/.exec(e.pointer)?.[1]).filter((x) => x !== undefined).map(Number));

  const current = (family: FamilyName, id: string): Entry | undefined => w.overlay.get(entryKey(family, id)) ?? view.get(family, id);
  const ctx = { view, principal, now, errors, current, w };

  ops.forEach((op, i) => {
    if (badOps.has(i) || typeof op !== 'object' || op === null) return;
    const at = `/operations/${i}`;
    if (op.op === 'create') planCreate(ctx, op.entry, i, at);
    else if (op.op === 'update') planUpdate(ctx, op, i, at);
    else if (op.op === 'transition') planTransition(ctx, op, i, at);
  });

  // Retiring is refused while live entries still reference the target (after this change set).
  for (const change of w.changes.values()) {
    if (change.after.lifecycle !== 'retired' || change.before?.lifecycle === 'retired') continue;
    const live = liveDependents(ctx, change.family, change.id);
    if (live.length > 0) {
      const i = change.operations[change.operations.length - 1]!;
      errors.push({
        pointer: `/operations/${i}/to`,
        code: 'REFERENCED_BY_ACTIVE',
        detail: `${change.ref} is still referenced by ${live.join(', ')}; deprecate or update those first`,
      });
    }
  }
  for (const change of w.changes.values()) {
    if (change.after.lifecycle === 'disabled' || change.after.lifecycle === 'deprecated') {
      change.affects = liveDependents(ctx, change.family, change.id);
    }
  }
  return { changes: [...w.changes.values()], errors };
}

type Ctx = {
  view: RegistryView;
  principal: Principal;
  now: string;
  errors: Issue[];
  current: (family: FamilyName, id: string) => Entry | undefined;
  w: Working;
};

function issue(ctx: Ctx, p: string, code: ErrorCode, detail: string): void {
  ctx.errors.push({ pointer: p, code, detail });
}

function liveDependents(ctx: Ctx, family: FamilyName, id: string): string[] {
  const out = new Map<string, Entry>();
  for (const d of ctx.view.dependents(family, id)) out.set(entryKey(d.family, d.id), ctx.current(d.family, d.id) ?? d);
  // Entries created or changed in this change set may reference the target too.
  for (const [key, e] of ctx.w.overlay) {
    if (FAMILIES[e.family].references(e.spec).some((r) => { const p = tryParseRef(r.ref); return p?.family === family && p.id === id; })) out.set(key, e);
    else if (out.has(key)) out.delete(key);
  }
  return [...out.values()].filter((e) => LIVE_STATES.includes(e.lifecycle)).map((e) => formatRef(e.family, e.id)).sort();
}

/** Who may write an entry owned by `owner` with this ID (DESIGN §2, §8). */
function authorize(ctx: Ctx, family: FamilyName, id: string, owner: string, at: string): void {
  const { principal } = ctx;
  if (principal.admin) return;
  const shared = owner === PLATFORM_PRODUCT && !(family === 'product' && id === PLATFORM_PRODUCT) && namespaceOf(id) !== PLATFORM_PRODUCT;
  if (shared) {
    issue(ctx, at, 'NAMESPACE_DENIED', `'${id}' is shared platform vocabulary: only a registry admin (platform.registry.admin) may write it`);
  } else if (principal.product !== owner) {
    const bound = principal.product ? `bound to product '${principal.product}'` : 'not bound to a product';
    issue(ctx, at, 'NAMESPACE_DENIED', `'${id}' belongs to product '${owner}'; this token is ${bound}`);
  }
}

/** Entries other than products whose ID is `name` or starts with `name.`. */
function namespaceUsers(ctx: Ctx, name: string): string[] {
  const out = new Set<string>();
  const consider = (e: Entry) => {
    if (e.family !== 'product' && (e.id === name || e.id.startsWith(`${name}.`))) out.add(formatRef(e.family, e.id));
  };
  for (const e of ctx.view.entries()) consider(e);
  for (const e of ctx.w.overlay.values()) consider(e);
  return [...out].sort();
}

/** The owner an ID must have: its product prefix when that is a product, else platform. */
function expectedOwner(ctx: Ctx, family: FamilyName, id: string): string {
  if (family === 'product') return id;
  const ns = namespaceOf(id);
  return ctx.current('product', ns) ? ns : PLATFORM_PRODUCT;
}

function checkReferences(ctx: Ctx, family: FamilyName, spec: Record<string, unknown>, before: Record<string, unknown> | null, base: string): void {
  const previous = new Set(before ? FAMILIES[family].references(before).map((r) => r.ref) : []);
  for (const r of FAMILIES[family].references(spec)) {
    const at = base + r.pointer;
    const p = tryParseRef(r.ref);
    if (!p) {
      issue(ctx, at, 'MALFORMED_REF', `'${r.ref}' is not a reference of the form family:id[@revision]`);
      continue;
    }
    if (!r.families.includes(p.family)) {
      issue(ctx, at, 'REFERENCE_WRONG_FAMILY', `'${r.ref}' must point at ${r.families.join(' or ')}, not ${p.family}`);
      continue;
    }
    const target = ctx.current(p.family, p.id);
    if (!target) {
      issue(ctx, at, 'REFERENCE_UNRESOLVED', `'${r.ref}' does not exist in the registry`);
    } else if (target.lifecycle === 'disabled' || target.lifecycle === 'retired') {
      issue(ctx, at, 'REFERENCE_UNRESOLVED', `'${r.ref}' is ${target.lifecycle}`);
    } else if (p.revision !== null && p.revision > target.revision) {
      issue(ctx, at, 'REFERENCE_UNRESOLVED', `'${r.ref}' pins revision ${p.revision}, but the entry is at revision ${target.revision}`);
    } else if (target.lifecycle === 'deprecated' && !previous.has(r.ref)) {
      const hint = target.replaced_by ? `; use ${target.replaced_by}` : '';
      issue(ctx, at, 'REFERENCE_DEPRECATED', `'${r.ref}' is deprecated: new references to it are refused${hint}`);
    }
  }
}

function checkSpec(ctx: Ctx, family: FamilyName, spec: unknown, base: string): boolean {
  const def = FAMILIES[family];
  const issues = validateAgainst(def.specSchema, spec, base, 'INVALID_SPEC');
  if (issues.length === 0 && def.check) {
    for (const i of def.check(spec as Record<string, unknown>)) issues.push({ ...i, pointer: base + i.pointer });
  }
  ctx.errors.push(...issues);
  return issues.length === 0;
}

function record(ctx: Ctx, i: number, action: PlannedChange['action'], before: Entry | null, after: Entry): void {
  const key = entryKey(after.family, after.id);
  ctx.w.overlay.set(key, after);
  const existing = ctx.w.changes.get(key);
  if (existing) {
    existing.after = after;
    existing.operations.push(i);
    existing.diff = diffEntries(existing.before, after);
    if (existing.action !== 'create') existing.action = action === 'transition' && existing.action === 'transition' ? 'transition' : 'update';
    return;
  }
  ctx.w.changes.set(key, { family: after.family, id: after.id, ref: formatRef(after.family, after.id), action, operations: [i], before, after, diff: diffEntries(before, after), affects: [] });
}

function planCreate(ctx: Ctx, input: EntryInput, i: number, at: string): void {
  const base = `${at}/entry`;
  if (!isFamilyName(input.family)) return;
  const family = input.family;
  const idErr = idProblem(input.id);
  if (idErr) {
    // Report the spec's problems too: every problem at once, even when the ID is unusable.
    issue(ctx, `${base}/id`, 'INVALID_ID', idErr);
    checkSpec(ctx, family, input.spec, `${base}/spec`);
    return;
  }
  const key = entryKey(family, input.id);
  const existing = ctx.current(family, input.id);
  if (ctx.w.created.has(key)) {
    issue(ctx, `${base}/id`, 'DUPLICATE_OPERATION', `${key} is created twice in this change set`);
    return;
  }
  if (existing) {
    if (existing.lifecycle === 'retired') issue(ctx, `${base}/id`, 'ID_REUSED', `${key} was retired; an ID is never reused: choose a new one`);
    else issue(ctx, `${base}/id`, 'ENTRY_EXISTS', `${key} already exists (revision ${existing.revision}); change it with an update`);
    return;
  }
  if (family === 'product') {
    const taken = namespaceUsers(ctx, input.id);
    if (taken.length > 0) {
      issue(ctx, `${base}/id`, 'NAMESPACE_TAKEN', `'${input.id}' is already used by shared platform entries (${taken.slice(0, 5).join(', ')}${taken.length > 5 ? ', …' : ''}); a product cannot take it as its namespace`);
    }
  } else if (!input.id.includes('.') && ctx.current('product', input.id)) {
    issue(ctx, `${base}/id`, 'NAMESPACE_TAKEN', `'${input.id}' is the name of a product; entries of that product are named ${input.id}.<name>`);
    return;
  }
  const owner = expectedOwner(ctx, family, input.id);
  if (input.owner !== owner && input.owner === namespaceOf(input.id) && input.id.includes('.')) {
    issue(ctx, `${base}/owner`, 'OWNER_UNKNOWN', `product '${input.owner}' does not exist; create the product entry first (it may come earlier in this change set)`);
  } else if (input.owner !== owner) {
    issue(ctx, `${base}/owner`, 'NAMESPACE_DENIED', owner === PLATFORM_PRODUCT
      ? `'${input.id}' has no product prefix, so it is shared vocabulary owned by 'platform', not '${input.owner}'`
      : `'${input.id}' is in the namespace of product '${owner}', so its owner must be '${owner}'`);
  } else if (family !== 'product' && !ctx.current('product', owner)) {
    issue(ctx, `${base}/owner`, 'OWNER_UNKNOWN', `product '${owner}' does not exist`);
  }
  authorize(ctx, family, input.id, input.owner, `${base}/id`);
  const specOk = checkSpec(ctx, family, input.spec, `${base}/spec`);
  if (specOk) checkReferences(ctx, family, input.spec, null, `${base}/spec`);
  const lifecycle = (input.lifecycle ?? 'proposed') as Lifecycle;
  const entry: Entry = {
    family,
    id: input.id,
    owner: input.owner,
    lifecycle,
    title: input.title,
    description: input.description ?? '',
    labels: input.labels ?? {},
    spec: input.spec,
    revision: 1,
    replaced_by: null,
    sunset_at: null,
    activated_at: lifecycle === 'active' ? ctx.now : null,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  ctx.w.created.add(key);
  record(ctx, i, 'create', null, entry);
}

/** The entry an update/transition works on, or null after reporting why it cannot. */
function target(ctx: Ctx, op: { family: FamilyName; id: string; expected_revision: number; to?: Lifecycle }, at: string): { before: Entry; working: Entry } | null {
  const key = entryKey(op.family, op.id);
  const working = ctx.current(op.family, op.id);
  if (!working) {
    issue(ctx, `${at}/id`, 'UNKNOWN_ENTRY', `${key} does not exist`);
    return null;
  }
  if (ctx.w.created.has(key)) {
    issue(ctx, `${at}/id`, 'DUPLICATE_OPERATION', `${key} is created in this change set; create it in its final form instead`);
    return null;
  }
  const before = ctx.view.get(op.family, op.id)!;
  if (op.expected_revision !== before.revision) {
    issue(ctx, `${at}/expected_revision`, 'REVISION_MISMATCH', `${key} is at revision ${before.revision}, not ${op.expected_revision}: it changed since you read it`);
    return null;
  }
  if (working.lifecycle === 'retired') {
    if ('to' in op) issue(ctx, `${at}/to`, 'ILLEGAL_TRANSITION', `${key} is retired, a terminal tombstone: no move is allowed`);
    else issue(ctx, `${at}/id`, 'IMMUTABLE_FIELD', `${key} is retired: a tombstone never changes`);
    return null;
  }
  authorize(ctx, op.family, op.id, working.owner, `${at}/id`);
  return { before, working };
}

function planUpdate(ctx: Ctx, op: Extract<Operation, { op: 'update' }>, i: number, at: string): void {
  const t = target(ctx, op, at);
  if (!t) return;
  const { working } = t;
  const { owner, ...set } = op.set;
  if (owner !== undefined && owner !== working.owner) {
    issue(ctx, `${at}/set/owner`, 'IMMUTABLE_FIELD', `the owner of ${entryKey(op.family, op.id)} is '${working.owner}', fixed by its ID: a different owner needs a new ID in that product's namespace`);
  }
  const next: Entry = { ...working, ...set, revision: t.before.revision + 1, updated_at: ctx.now };
  if (op.set.spec !== undefined) {
    const base = `${at}/set/spec`;
    if (checkSpec(ctx, op.family, op.set.spec, base)) {
      if (working.activated_at !== null) {
        for (const field of FAMILIES[op.family].contractFields) {
          if (!isDeepStrictEqual(working.spec[field], op.set.spec[field])) {
            issue(ctx, pointer('operations', i, 'set', 'spec', field), 'FROZEN_FIELD',
              `'${field}' is a contract field of ${op.family} and ${entryKey(op.family, op.id)} has been active: a new meaning needs a new ID (deprecate this one with replaced_by)`);
          }
        }
      }
      if (next.lifecycle !== 'disabled') checkReferences(ctx, op.family, op.set.spec, working.spec, base);
    }
  }
  record(ctx, i, 'update', t.before, next);
}

function planTransition(ctx: Ctx, op: Extract<Operation, { op: 'transition' }>, i: number, at: string): void {
  const t = target(ctx, op, at);
  if (!t) return;
  const { working } = t;
  const key = entryKey(op.family, op.id);
  if (!canTransition(working.lifecycle, op.to)) {
    issue(ctx, `${at}/to`, 'ILLEGAL_TRANSITION', `${key} cannot move from ${working.lifecycle} to ${op.to}; allowed: ${allowedMoves(working.lifecycle).join(', ')}`);
    return;
  }
  const next: Entry = { ...working, lifecycle: op.to, revision: t.before.revision + 1, updated_at: ctx.now };
  if (op.to === 'deprecated') {
    const replacedBy = op.replaced_by ?? null;
    const sunsetAt = op.sunset_at ?? null;
    if (replacedBy === null && sunsetAt === null) {
      issue(ctx, at, 'DEPRECATION_NEEDS_REPLACEMENT', `deprecating ${key} needs replaced_by or sunset_at, so its users know what to do`);
    }
    if (replacedBy !== null) {
      const p = tryParseRef(replacedBy);
      const r = p ? ctx.current(p.family, p.id) : undefined;
      if (!p) issue(ctx, `${at}/replaced_by`, 'MALFORMED_REF', `'${replacedBy}' is not a reference of the form family:id`);
      else if (p.family !== op.family) issue(ctx, `${at}/replaced_by`, 'REFERENCE_WRONG_FAMILY', `a ${op.family} is replaced by another ${op.family}, not a ${p.family}`);
      else if (p.id === op.id) issue(ctx, `${at}/replaced_by`, 'REFERENCE_UNRESOLVED', 'an entry cannot replace itself');
      else if (!r || !['active', 'proposed'].includes(r.lifecycle)) issue(ctx, `${at}/replaced_by`, 'REFERENCE_UNRESOLVED', `'${replacedBy}' must be an active (or proposed) entry, it is ${r ? r.lifecycle : 'unknown'}`);
    }
    next.replaced_by = replacedBy;
    next.sunset_at = sunsetAt;
  } else if (op.to === 'active') {
    next.replaced_by = null;
    next.sunset_at = null;
    next.activated_at = working.activated_at ?? ctx.now;
    const before = ctx.errors.length;
    checkReferences(ctx, op.family, working.spec, working.spec, '');
    // The references live in the stored spec, not in this operation: point at `to`, name the field.
    for (const e of ctx.errors.slice(before)) {
      e.detail = `cannot activate: spec${e.pointer} ${e.detail}`;
      e.pointer = `${at}/to`;
    }
  }
  record(ctx, i, 'transition', t.before, next);
}
