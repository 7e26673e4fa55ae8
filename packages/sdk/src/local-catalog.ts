import { Catalog, type CheckAnswer, type CheckResult, type Entry } from '@charter/core';
import { CharterClient, type ClientOptions, type EntryBody } from './client.js';
import { NotAllowedError } from './errors.js';

export interface LocalCatalogOptions extends ClientOptions {
  /** A snapshot older than this (ms since it was last confirmed fresh) denies every check. Default 5 minutes. */
  stalenessMs?: number;
  /** Long-poll wait per feed request, seconds. Default 25. */
  pollWaitSeconds?: number;
  /** Back-off after a failed feed request, ms. Default 1000, doubling to 30 s. */
  retryMs?: number;
  clock?: () => number;
  onError?: (err: unknown) => void;
}

/**
 * The catalog held in memory by a shared service: loaded from the snapshot, kept current by
 * following the change feed, and checked locally in microseconds. It fails closed: with no
 * snapshot yet, or one not confirmed fresh within the staleness bound, every check is denied
 * with reason `stale`.
 */
export class LocalCatalog {
  readonly client: CharterClient;
  #catalog: Catalog | null = null;
  #freshAt = -Infinity;
  readonly #stalenessMs: number;
  readonly #waitSeconds: number;
  readonly #retryMs: number;
  readonly #clock: () => number;
  readonly #onError: (err: unknown) => void;
  #abort: AbortController | null = null;
  #loop: Promise<void> | null = null;
  /** Answers by ref string, for the catalog and sequence in #cachedOf; see `check`. */
  #answers = new Map<string, CachedAnswer>();
  #cachedOf: { catalog: Catalog | null; sequence: number } = { catalog: null, sequence: -1 };

  constructor(opts: LocalCatalogOptions) {
    this.client = new CharterClient(opts);
    this.#stalenessMs = opts.stalenessMs ?? 5 * 60_000;
    this.#waitSeconds = opts.pollWaitSeconds ?? 25;
    this.#retryMs = opts.retryMs ?? 1000;
    this.#clock = opts.clock ?? Date.now;
    this.#onError = opts.onError ?? (() => {});
  }

  get sequence(): number | null {
    return this.#catalog?.sequence ?? null;
  }

  /** True when checks can be answered (a snapshot within the staleness bound). */
  get fresh(): boolean {
    return this.#catalog !== null && this.#clock() - this.#freshAt <= this.#stalenessMs;
  }

  /** Loads the snapshot once. */
  async refresh(): Promise<void> {
    const res = await this.client.getSnapshot();
    if (!res) return;
    const catalog = new Catalog();
    catalog.apply(asEntries(res.snapshot.entries), res.snapshot.sequence);
    this.#catalog = catalog;
    this.#freshAt = this.#clock();
  }

  /** Loads the snapshot, then follows the change feed in the background until `stop()`. */
  async start(): Promise<void> {
    await this.refresh();
    this.#abort = new AbortController();
    this.#loop = this.#follow(this.#abort.signal);
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
    this.#loop = null;
  }

  /** Applies one page of the change feed. Exposed for tests and for callers that poll themselves. */
  async poll(waitSeconds = 0, signal?: AbortSignal): Promise<void> {
    if (!this.#catalog) return this.refresh();
    const page = await this.client.listChanges(this.#catalog.sequence, { wait: waitSeconds, ...(signal ? { signal } : {}) });
    if (page.resync) return this.refresh();
    const bySequence = new Map<number, typeof page.items>();
    for (const r of page.items) {
      const list = bySequence.get(r.sequence) ?? [];
      list.push(r);
      bySequence.set(r.sequence, list);
    }
    for (const [seq, revs] of bySequence) this.#catalog.apply(asEntries(revs.map((r) => r.entry)), seq);
    if (page.next_after > this.#catalog.sequence) this.#catalog.apply([], page.next_after);
    this.#freshAt = this.#clock();
  }

  async #follow(signal: AbortSignal): Promise<void> {
    let backoff = this.#retryMs;
    while (!signal.aborted) {
      try {
        await this.poll(this.#waitSeconds, signal);
        backoff = this.#retryMs;
      } catch (err) {
        if (signal.aborted) return;
        this.#onError(err);
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  /**
   * Services ask the same few questions over and over, so an answer is kept per ref string and
   * reused while it is still the answer: same catalog and sequence, and the clock between the
   * time it was computed and the next sunset or signer-validity boundary of the entry
   * (`Catalog.stableUntil`). Reused answers are frozen.
   */
  check(ref: string): CheckResult {
    const catalog = this.#catalog;
    const now = this.#clock();
    if (catalog === null || now - this.#freshAt > this.#stalenessMs) {
      return { ref, allowed: false, reason: 'stale', lifecycle: null, revision: null, replaced_by: null, sunset_at: null, warning: catalog ? 'the local catalog is older than its staleness bound' : 'no snapshot loaded yet' };
    }
    const of = this.#cachedOf;
    if (of.catalog !== catalog || of.sequence !== catalog.sequence) {
      this.#answers.clear();
      this.#cachedOf = { catalog, sequence: catalog.sequence };
    }
    const hit = this.#answers.get(ref);
    if (hit !== undefined && now < hit.until && now >= hit.from) return hit.result;
    const result = Object.freeze(catalog.check(ref, now));
    if (typeof ref === 'string') {
      if (this.#answers.size >= MAX_CACHED) this.#answers.clear();
      this.#answers.set(ref, { result, from: now, until: catalog.stableUntil([ref], now) });
    }
    return result;
  }

  checkAll(refs: readonly string[]): CheckAnswer {
    const results = refs.map((r) => this.check(r));
    return { allowed: results.length > 0 && results.every((r) => r.allowed), sequence: this.#catalog?.sequence ?? 0, results };
  }

  /** Returns the result if allowed; throws NotAllowedError carrying the reason otherwise. */
  require(ref: string): CheckResult {
    const r = this.check(ref);
    if (!r.allowed) throw new NotAllowedError(ref, r.reason, r.warning);
    return r;
  }
}

interface CachedAnswer {
  result: CheckResult;
  from: number;
  until: number;
}

/** Distinct refs remembered; a caller checking more than this many starts over. */
const MAX_CACHED = 10_000;

/** A back-off that `stop()` cuts short. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/**
 * The wire schema types `family` and `lifecycle` as plain strings; what the server sends are
 * the entries of its own catalog, whose families and lifecycles are core's.
 */
function asEntries(entries: readonly EntryBody[]): Entry[] {
  return entries as unknown as Entry[];
}
