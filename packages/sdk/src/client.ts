import type { CheckAnswer, Entry, FamilyName, Revision } from '@charter/core';
import { CharterApiError } from './errors.js';

export { CharterApiError };

export interface ClientOptions {
  /** Base URL of a Charter server, e.g. http://127.0.0.1:8080 */
  url: string;
  token?: string | undefined;
  /** Per-request timeout in ms (long-polls add their wait). Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface Snapshot {
  sequence: number;
  generated_at: string;
  entries: Entry[];
}

export interface ChangesPage {
  sequence: number;
  next_after: number;
  resync: boolean;
  items: Revision[];
}

export interface ListQuery {
  family?: FamilyName;
  lifecycle?: string;
  owner?: string;
  q?: string;
  limit?: number;
  cursor?: string;
}

/** A thin HTTP client for the Charter API. Errors are CharterApiError with the server's code. */
export class CharterClient {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#fetch = opts.fetch ?? fetch;
  }

  async request<T>(method: string, path: string, opts: { body?: unknown; query?: Record<string, unknown>; headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<{ status: number; body: T; headers: Headers }> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined || v === null) continue;
      for (const item of Array.isArray(v) ? v : [v]) qs.append(k, String(item));
    }
    const target = `${this.url}${path}${qs.size ? `?${qs}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.#timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    let res: Response;
    try {
      res = await this.#fetch(target, { method, headers, body: opts.body === undefined ? null : JSON.stringify(opts.body), signal });
    } catch (err) {
      throw new CharterApiError(0, 'UNREACHABLE', `cannot reach Charter at ${this.url}: ${err instanceof Error ? err.message : String(err)}`, null, err);
    }
    if (res.status === 304) return { status: 304, body: undefined as T, headers: res.headers };
    const text = await res.text();
    let body: unknown = undefined;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    if (res.status >= 400) {
      const p = (body && typeof body === 'object' ? body : null) as Record<string, unknown> | null;
      throw new CharterApiError(res.status, String(p?.code ?? `HTTP_${res.status}`), String(p?.detail ?? (text || res.statusText)), p);
    }
    return { status: res.status, body: body as T, headers: res.headers };
  }

  async get<T>(path: string, query?: Record<string, unknown>): Promise<T> {
    return (await this.request<T>('GET', path, { query })).body;
  }

  async post<T>(path: string, body: unknown, query?: Record<string, unknown>): Promise<T> {
    return (await this.request<T>('POST', path, { body, query })).body;
  }

  families() {
    return this.get<Page<{ name: string; title: string; description: string; spec_schema: unknown; contract_fields: string[] }>>('/v1/families');
  }

  list(query: ListQuery = {}) {
    return this.get<Page<Entry>>('/v1/entries', { ...query });
  }

  async *listAll(query: Omit<ListQuery, 'cursor'> = {}): AsyncGenerator<Entry> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...query, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  entry(family: FamilyName, id: string, revision?: number) {
    return this.get<Entry>(`/v1/entries/${family}/${encodeURIComponent(id)}`, { revision });
  }

  history(family: FamilyName, id: string, opts: { limit?: number; cursor?: string } = {}) {
    return this.get<Page<Revision>>(`/v1/entries/${family}/${encodeURIComponent(id)}/history`, opts);
  }

  dependents(family: FamilyName, id: string) {
    return this.get<Page<Entry>>(`/v1/entries/${family}/${encodeURIComponent(id)}/dependents`);
  }

  check(refs: string[]) {
    return this.post<CheckAnswer>('/v1/check', { refs });
  }

  /** The snapshot, or null when `etag` still matches (304). */
  async snapshot(etag?: string): Promise<{ snapshot: Snapshot; etag: string | null } | null> {
    const res = await this.request<Snapshot>('GET', '/v1/snapshot', { headers: etag ? { 'if-none-match': etag } : {} });
    if (res.status === 304) return null;
    return { snapshot: res.body, etag: res.headers.get('etag') };
  }

  changes(after: number, opts: { wait?: number; limit?: number; signal?: AbortSignal } = {}) {
    const wait = opts.wait ?? 0;
    return this.request<ChangesPage>('GET', '/v1/changes', {
      query: { after, wait: wait || undefined, limit: opts.limit },
      timeoutMs: this.#timeoutMs + wait * 1000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    }).then((r) => r.body);
  }
}
