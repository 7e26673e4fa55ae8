import { isDeepStrictEqual } from 'node:util';
import type { RegistryView } from './catalog.js';
import type { Entry, EntryInput } from './entry.js';
import { FAMILIES } from './families/index.js';
import { entryKey, isFamilyName, namespaceOf, tryParseRef } from './ids.js';
import { canTransition, isLifecycle } from './lifecycle.js';
import type { Operation } from './changeset.js';

/**
 * Registry as code: the operations that bring the registry to the desired entries, like a
 * Terraform plan. Entries absent from `desired` are left alone (files describe what they
 * own, not the whole registry). A lifecycle the registry cannot move to directly yields a
 * transition that validation will refuse with the allowed moves, which is the right answer.
 */
export function operationsFor(view: RegistryView, desired: readonly EntryInput[]): Operation[] {
  const creates: Operation[] = [];
  const changes: Operation[] = [];
  for (const d of desired) {
    if (!isFamilyName(d.family)) {
      creates.push({ op: 'create', entry: d });
      continue;
    }
    const current = view.get(d.family, d.id);
    if (!current) {
      creates.push({ op: 'create', entry: d });
      continue;
    }
    const set: Partial<Pick<Entry, 'title' | 'description' | 'labels' | 'spec' | 'owner'>> = {};
    // Validation refuses an owner change (the ID fixes it); the plan must not hide it.
    if (d.owner !== current.owner) set.owner = d.owner;
    if (d.title !== current.title) set.title = d.title;
    if ((d.description ?? '') !== current.description) set.description = d.description ?? '';
    if (!isDeepStrictEqual(d.labels ?? {}, current.labels)) set.labels = d.labels ?? {};
    if (!isDeepStrictEqual(d.spec, current.spec)) set.spec = d.spec;
    if (Object.keys(set).length > 0) {
      changes.push({ op: 'update', family: d.family, id: d.id, expected_revision: current.revision, set });
    }
    const to = d.lifecycle ?? current.lifecycle;
    if (isLifecycle(to) && to !== current.lifecycle && (canTransition(current.lifecycle, to) || current.lifecycle !== 'retired')) {
      changes.push({
        op: 'transition',
        family: d.family,
        id: d.id,
        expected_revision: current.revision,
        to,
        replaced_by: d.replaced_by ?? null,
        sunset_at: d.sunset_at ?? null,
      });
    }
  }
  return [...creates, ...changes];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The entries (`family:id`) `e` needs to exist before it can be created: its product and everything its spec references. */
export function dependenciesOf(e: EntryInput): string[] {
  const deps: string[] = [];
  if (e.family !== 'product') {
    if (typeof e.owner === 'string') deps.push(entryKey('product', e.owner));
    if (typeof e.id === 'string') deps.push(entryKey('product', namespaceOf(e.id)));
  }
  if (typeof e.family === 'string' && isFamilyName(e.family) && isObject(e.spec)) {
    try {
      for (const r of FAMILIES[e.family].references(e.spec)) {
        const p = tryParseRef(r.ref);
        if (p) deps.push(entryKey(p.family, p.id));
      }
    } catch {
      // A spec too malformed to walk: validation reports it; ordering does not matter then.
    }
  }
  return deps;
}

/**
 * A change set is validated in order, so a product must come before its entries and a
 * referenced entry before its referrers. Files are written for people, not in that order:
 * sort dependencies first, otherwise keeping the given order (a cycle is left to validation).
 * Iterative, so a long chain of references cannot overflow the stack.
 */
export function inDependencyOrder<T>(items: readonly T[], entryOf: (item: T) => EntryInput): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const e = entryOf(item);
    const key = entryKey(String(e.family), String(e.id));
    if (!byKey.has(key)) byKey.set(key, item);
  }
  const seen = new Set<T>();
  const out: T[] = [];
  for (const root of items) {
    if (seen.has(root)) continue;
    seen.add(root);
    const stack: { item: T; deps: string[]; next: number }[] = [{ item: root, deps: dependenciesOf(entryOf(root)), next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.deps.length) {
        const d = byKey.get(top.deps[top.next++]!);
        if (d !== undefined && !seen.has(d)) {
          seen.add(d);
          stack.push({ item: d, deps: dependenciesOf(entryOf(d)), next: 0 });
        }
      } else {
        out.push(top.item);
        stack.pop();
      }
    }
  }
  return out;
}

/**
 * Where a pointer into a change-set operation (`rest`, after `/operations/N`) lands inside the
 * entry document that produced it: registry-as-code names problems in the author's files.
 */
export function pointerInEntry(op: unknown, rest: string): string {
  const head = /^\/[^/]*/.exec(rest)?.[0] ?? '';
  const tail = rest.slice(head.length);
  const transition = isObject(op) && op.op === 'transition';
  switch (head) {
    case '/entry': // create: the entry itself
    case '/set': // update: the fields it sets are the entry's fields
      return tail;
    case '/to':
      return '/lifecycle';
    case '/id':
    case '/family':
    case '/replaced_by':
    case '/sunset_at':
      return head + tail;
    case '':
      return transition ? '/lifecycle' : '';
    default: // expected_revision, op: the CLI wrote those, the entry as a whole is concerned
      return '';
  }
}
