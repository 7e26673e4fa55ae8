import type { Entry } from './entry.js';
import { FAMILIES } from './families/index.js';
import { entryKey, tryParseRef, type FamilyName } from './ids.js';
import type { Lifecycle } from './lifecycle.js';

/** Why a check answered as it did (DESIGN §3, the fail-closed table). `stale` is the SDK's own. */
export type CheckReason =
  | 'active'
  | 'deprecated'
  | 'sunset_passed'
  | 'not_active'
  | 'disabled'
  | 'retired'
  | 'unknown'
  | 'malformed'
  | 'untrusted'
  | 'stale';

export interface CheckResult {
  ref: string;
  allowed: boolean;
  reason: CheckReason;
  lifecycle: Lifecycle | null;
  revision: number | null;
  replaced_by: string | null;
  sunset_at: string | null;
  warning: string | null;
}

export interface CheckAnswer {
  allowed: boolean;
  sequence: number;
  results: CheckResult[];
}

/** Read access to registry state, as validation and policy need it. */
export interface RegistryView {
  readonly sequence: number;
  get(family: FamilyName, id: string): Entry | undefined;
  entries(): Iterable<Entry>;
  /** Entries whose spec references (family, id). */
  dependents(family: FamilyName, id: string): Entry[];
}

function denied(ref: string, reason: CheckReason, e: Entry | undefined, warning: string | null = null): CheckResult {
  return {
    ref,
    allowed: false,
    reason,
    lifecycle: e?.lifecycle ?? null,
    revision: e?.revision ?? null,
    replaced_by: e?.replaced_by ?? null,
    sunset_at: e?.sunset_at ?? null,
    warning,
  };
}

/**
 * The fail-closed answer for one entry at time `now` (ms since epoch). Pure: the caller
 * supplies the entry it found (or undefined) and the clock.
 */
export function checkEntry(ref: string, entry: Entry | undefined, now: number, pinnedRevision: number | null = null): CheckResult {
  if (!entry || (pinnedRevision !== null && pinnedRevision > entry.revision)) return denied(ref, 'unknown', entry);
  const usable = entry.lifecycle === 'active' || entry.lifecycle === 'deprecated';
  if (usable && entry.family === 'signer' && !insideValidity(entry.spec, now)) {
    return denied(ref, 'untrusted', entry, 'the signer is outside its validity window (not_before/not_after)');
  }
  switch (entry.lifecycle) {
    case 'active':
      return { ...denied(ref, 'active', entry), allowed: true };
    case 'deprecated': {
      const replacement = entry.replaced_by ? `; use ${entry.replaced_by}` : '';
      if (entry.sunset_at !== null && now >= Date.parse(entry.sunset_at)) {
        return denied(ref, 'sunset_passed', entry, `sunset at ${entry.sunset_at} has passed${replacement}`);
      }
      const until = entry.sunset_at ? ` until ${entry.sunset_at}` : '';
      return { ...denied(ref, 'deprecated', entry, `deprecated${until}${replacement}`), allowed: true };
    }
    case 'proposed':
      return denied(ref, 'not_active', entry);
    case 'disabled':
      return denied(ref, 'disabled', entry);
    case 'retired':
      return denied(ref, 'retired', entry);
  }
}

function insideValidity(spec: Record<string, unknown>, now: number): boolean {
  const nb = typeof spec.not_before === 'string' ? Date.parse(spec.not_before) : NaN;
  const na = typeof spec.not_after === 'string' ? Date.parse(spec.not_after) : NaN;
  return !(now < nb) && !(now >= na);
}

/**
 * The in-memory registry: every entry at its current revision, the reverse reference index
 * and the global sequence. The server answers checks and snapshots from it; the SDK keeps one
 * too. It is updated only by `apply`, with whole entries at a new sequence.
 */
export class Catalog implements RegistryView {
  #entries = new Map<string, Entry>();
  #dependents = new Map<string, Set<string>>();
  #sequence = 0;

  get sequence(): number {
    return this.#sequence;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(family: FamilyName, id: string): Entry | undefined {
    return this.#entries.get(entryKey(family, id));
  }

  getByKey(key: string): Entry | undefined {
    return this.#entries.get(key);
  }

  entries(): IterableIterator<Entry> {
    return this.#entries.values();
  }

  dependents(family: FamilyName, id: string): Entry[] {
    const keys = this.#dependents.get(entryKey(family, id));
    if (!keys) return [];
    return [...keys].map((k) => this.#entries.get(k)).filter((e): e is Entry => e !== undefined);
  }

  /** Installs entries at `sequence`. Sequences only move forward. */
  apply(entries: Iterable<Entry>, sequence: number): void {
    for (const e of entries) {
      const key = entryKey(e.family, e.id);
      const prev = this.#entries.get(key);
      if (prev && prev.revision > e.revision) continue;
      if (prev) this.#unindex(key, prev);
      this.#entries.set(key, e);
      this.#index(key, e);
    }
    if (sequence > this.#sequence) this.#sequence = sequence;
  }

  check(ref: string, now: number): CheckResult {
    const parsed = tryParseRef(ref);
    if (!parsed) return denied(typeof ref === 'string' ? ref : String(ref), 'malformed', undefined);
    return checkEntry(ref, this.#entries.get(entryKey(parsed.family, parsed.id)), now, parsed.revision);
  }

  checkAll(refs: readonly string[], now: number): CheckAnswer {
    const results = refs.map((r) => this.check(r, now));
    return { allowed: results.length > 0 && results.every((r) => r.allowed), sequence: this.#sequence, results };
  }

  /**
   * Until when (ms) the answer for `refs` at `now` stays the same if nothing is applied: the
   * earliest future sunset or signer validity boundary among the entries involved. Lets a
   * caller reuse an answer exactly as long as it is still the answer.
   */
  stableUntil(refs: readonly string[], now: number): number {
    let until = Infinity;
    const consider = (t: unknown) => {
      if (typeof t !== 'string') return;
      const ms = Date.parse(t);
      if (ms > now && ms < until) until = ms;
    };
    for (const ref of refs) {
      const p = tryParseRef(ref);
      const e = p ? this.#entries.get(entryKey(p.family, p.id)) : undefined;
      if (!e) continue;
      consider(e.sunset_at);
      if (e.family === 'signer') {
        consider(e.spec.not_before);
        consider(e.spec.not_after);
      }
    }
    return until;
  }

  #refsOf(e: Entry): string[] {
    const out: string[] = [];
    for (const r of FAMILIES[e.family].references(e.spec)) {
      const p = tryParseRef(r.ref);
      if (p) out.push(entryKey(p.family, p.id));
    }
    return out;
  }

  #index(key: string, e: Entry): void {
    for (const target of this.#refsOf(e)) {
      let set = this.#dependents.get(target);
      if (!set) this.#dependents.set(target, (set = new Set()));
      set.add(key);
    }
  }

  #unindex(key: string, e: Entry): void {
    for (const target of this.#refsOf(e)) this.#dependents.get(target)?.delete(key);
  }
}
