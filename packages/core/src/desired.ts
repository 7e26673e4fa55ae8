import { isDeepStrictEqual } from 'node:util';
import type { RegistryView } from './catalog.js';
import type { Entry, EntryInput } from './entry.js';
import { isFamilyName } from './ids.js';
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
