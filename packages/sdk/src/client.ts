// The HTTP client: one method per operation of the API, named by its operationId in
// /openapi.json. Types come from the wire schemas of @charter/api (type-only imports: the SDK
// loads neither TypeBox nor core at run time).
import type * as Api from '@charter/api';
import type { ChangeSetInput } from '@charter/core';
import type { Static } from 'typebox';
import { CharterProblem } from './errors.js';
import { fetchTransport, type Transport, type TransportResponse } from './transport.js';

export { CharterProblem };
export { fetchTransport, type Transport, type TransportRequest, type TransportResponse } from './transport.js';

// ---------------------------------------------------------------------------------------------
// Wire types, each derived from its schema

export type Page<T> = { items: T[]; next_cursor: string | null };
export type Family = Static<typeof Api.FamilySchema>;
export type EntryBody = Api.EntryBody;
export type RevisionBody = Api.RevisionBody;
export type CheckAnswerBody = Static<typeof Api.CheckAnswerSchema>;
export type CheckResultBody = Static<typeof Api.CheckResultSchema>;
export type Snapshot = Api.SnapshotBody;
export type ChangesPage = Api.ChangesBody;
export type EntryListQuery = Static<typeof Api.EntryListQuery>;
export type HistoryQuery = Static<typeof Api.HistoryQuery>;
export type ChangeSet = Api.ChangeSetBody;
export type DryRun = Api.DryRunBody;
export type PlannedChange = Static<typeof Api.PlannedChangeSchema>;
export type ChangeSetListQuery = Static<typeof Api.ChangeSetListQuery>;
export type CreateTokenRequest = Api.CreateTokenRequest;
export type CreatedToken = Api.CreatedTokenBody;
export type Token = Api.TokenBody;
export type RegisterArtifactRequest = Api.RegisterArtifactRequest;
export type Artifact = Api.ArtifactBody;
export type ArtifactListQuery = Static<typeof Api.ArtifactListQuery>;
export type Evidence = Api.EvidenceBody;
export type Approval = Api.ApprovalRecord;
export type Decision = Api.DecisionBody;
export type PolicyCheck = Static<typeof Api.PolicyCheckSchema>;
export type StageExplanation = Static<typeof Api.StageExplanationSchema>;
export type Explanation = Api.ExplanationBody;
export type DeployCheck = Api.DeployCheckAnswer;
export type AdmissionReview = Api.AdmissionReviewRequest;
export type AdmissionReviewAnswer = Api.AdmissionReviewResponse;
export type ProviderRequest = Api.ProviderRequest;
export type ProviderResponse = Api.ProviderResponse;
export type ReleaseProof = Api.ReleaseProofBody;
export type DiscoverResult = Api.DiscoverResultBody;
export type VsaEnvelope = Static<typeof Api.VsaEnvelopeSchema>;
export type AttestationKey = Static<typeof Api.AttestationKeySchema>;
export type AuditEvent = Api.AuditEventBody;
export type AuditPage = Static<typeof Api.AuditList>;
export type AuditListQuery = Static<typeof Api.AuditListQuery>;
export type LogKey = Api.LogKeyBody;
export type InclusionProof = Api.InclusionProofBody;
export type ConsistencyProof = Api.ConsistencyProofBody;
export type ContractAnswer = Api.ContractAnswer;
export type UsageRecords = Static<typeof Api.ValidateUsageBody>['records'];
export type UsageAnswer = Api.UsageAnswer;
export type RenderNotificationRequest = Static<typeof Api.RenderNotificationBody>;
export type RenderedNotification = Api.RenderedNotification;
export type Health = Static<typeof Api.HealthSchema>;
export type Readiness = Api.ReadyBody;
export type FamilyName = Static<typeof Api.FamilyParam>;
/** Media types evidence may be sent as (kept byte for byte by the server). */
export type EvidenceMediaType = (typeof Api.EVIDENCE_MEDIA_TYPES)[number];

/** An answer that either created something (201) or found it already there (200). */
export interface Created<T> {
  created: boolean;
  value: T;
}

// ---------------------------------------------------------------------------------------------
// Options

export interface ClientOptions {
  /** Base URL of a Charter server, e.g. http://127.0.0.1:8080 */
  url: string;
  token?: string | undefined;
  /** Per attempt, in ms (a long-poll adds its wait). Default 10 s. */
  timeoutMs?: number;
  /**
   * Extra attempts for requests that are safe to repeat — GET, and POST /v1/check — after a
   * transport failure, a timeout, or 429/502/503/504. Default 2; 0 turns retries off.
   * Other requests are sent once: repeating a mutation could apply it twice.
   */
  retries?: number;
  /** First backoff in ms, doubled per attempt with jitter, at most 2 s (or Retry-After, at most 5 s). Default 100. */
  retryDelayMs?: number;
  /** The fetch the default transport uses (the global one unless given). */
  fetch?: typeof fetch;
  /** How requests go on the wire; wins over `fetch`. Node.js one-shot processes: nodeTransport() of @charter/sdk/node. */
  transport?: Transport;
}

interface Call {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, unknown> | undefined;
  /** JSON-encoded unless `raw` is set. */
  body?: unknown;
  raw?: { bytes: string | Uint8Array; type: string };
  accept?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  /** Safe to send again (GET, POST /v1/check). */
  idempotent: boolean;
}

interface Answer<T> {
  status: number;
  body: T;
  header(name: string): string | null;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const seg = (s: string | number) => encodeURIComponent(String(s));

// ---------------------------------------------------------------------------------------------

/**
 * A client for Charter's HTTP API. Every method is one operation of /openapi.json and has its
 * name. A problem answer (4XX/5XX), a transport failure or a timeout throws CharterProblem.
 */
export class CharterClient {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #transport: Transport;

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#retries = Math.max(0, Math.floor(opts.retries ?? 2));
    this.#retryDelayMs = Math.max(0, opts.retryDelayMs ?? 100);
    this.#transport = opts.transport ?? fetchTransport(opts.fetch);
  }

  // -- catalog ---------------------------------------------------------------------------------

  listFamilies(): Promise<Page<Family>> {
    return this.#json({ method: 'GET', path: '/v1/families', idempotent: true });
  }

  listEntries(query: EntryListQuery = {}): Promise<Page<EntryBody>> {
    return this.#json({ method: 'GET', path: '/v1/entries', query, idempotent: true });
  }

  /** Every entry matching `query`, following `next_cursor` page by page. */
  async *listAllEntries(query: Omit<EntryListQuery, 'cursor'> = {}): AsyncGenerator<EntryBody> {
    let cursor: string | undefined;
    do {
      const page = await this.listEntries({ ...query, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  getEntry(family: FamilyName, id: string, revision?: number): Promise<EntryBody> {
    return this.#json({ method: 'GET', path: `/v1/entries/${seg(family)}/${seg(id)}`, query: { revision }, idempotent: true });
  }

  getEntryHistory(family: FamilyName, id: string, query: HistoryQuery = {}): Promise<Page<RevisionBody>> {
    return this.#json({ method: 'GET', path: `/v1/entries/${seg(family)}/${seg(id)}/history`, query, idempotent: true });
  }

  listEntryDependents(family: FamilyName, id: string): Promise<Page<EntryBody>> {
    return this.#json({ method: 'GET', path: `/v1/entries/${seg(family)}/${seg(id)}/dependents`, idempotent: true });
  }

  // -- check and feed --------------------------------------------------------------------------

  /** The fail-closed question. A read: retried like a GET. */
  check(refs: readonly string[]): Promise<CheckAnswerBody> {
    return this.#json({ method: 'POST', path: '/v1/check', body: { refs }, idempotent: true });
  }

  checkByQuery(refs: readonly string[]): Promise<CheckAnswerBody> {
    return this.#json({ method: 'GET', path: '/v1/check', query: { ref: refs }, idempotent: true });
  }

  /** The snapshot and its ETag, or null when `etag` still matches (304). */
  async getSnapshot(etag?: string): Promise<{ snapshot: Snapshot; etag: string | null } | null> {
    const res = await this.#call<Snapshot>({ method: 'GET', path: '/v1/snapshot', headers: etag ? { 'if-none-match': etag } : {}, idempotent: true });
    if (res.status === 304) return null;
    return { snapshot: res.body, etag: res.header('etag') };
  }

  /** The change feed after `after`; with `wait` (seconds) a long-poll that returns on the next change. */
  listChanges(after: number, opts: { wait?: number; limit?: number; signal?: AbortSignal } = {}): Promise<ChangesPage> {
    const wait = opts.wait ?? 0;
    return this.#json({
      method: 'GET',
      path: '/v1/changes',
      query: { after, wait: wait || undefined, limit: opts.limit },
      timeoutMs: this.#timeoutMs + wait * 1000,
      signal: opts.signal,
      idempotent: true,
    });
  }

  // -- change sets -----------------------------------------------------------------------------

  /** Opens a change set (201). Every problem at once comes back as a 422 CharterProblem. */
  submitChangeSet(input: ChangeSetInput): Promise<ChangeSet> {
    return this.#json({ method: 'POST', path: '/v1/changesets', body: input, idempotent: false });
  }

  /** `POST /v1/changesets?dry_run=true`: validates and plans, stores nothing. */
  planChangeSet(input: ChangeSetInput): Promise<DryRun> {
    return this.#json({ method: 'POST', path: '/v1/changesets', query: { dry_run: true }, body: input, idempotent: false });
  }

  listChangeSets(query: ChangeSetListQuery = {}): Promise<Page<ChangeSet>> {
    return this.#json({ method: 'GET', path: '/v1/changesets', query, idempotent: true });
  }

  getChangeSet(id: string): Promise<ChangeSet> {
    return this.#json({ method: 'GET', path: `/v1/changesets/${seg(id)}`, idempotent: true });
  }

  approveChangeSet(id: string, comment?: string): Promise<ChangeSet> {
    return this.#json({ method: 'POST', path: `/v1/changesets/${seg(id)}/approve`, body: comment === undefined ? {} : { comment }, idempotent: false });
  }

  rejectChangeSet(id: string, reason: string): Promise<ChangeSet> {
    return this.#json({ method: 'POST', path: `/v1/changesets/${seg(id)}/reject`, body: { reason }, idempotent: false });
  }

  applyChangeSet(id: string): Promise<ChangeSet> {
    return this.#json({ method: 'POST', path: `/v1/changesets/${seg(id)}/apply`, body: {}, idempotent: false });
  }

  // -- tokens ----------------------------------------------------------------------------------

  /** The secret is in the answer's `token`, and only there. */
  createToken(request: CreateTokenRequest): Promise<CreatedToken> {
    return this.#json({ method: 'POST', path: '/v1/tokens', body: request, idempotent: false });
  }

  listTokens(): Promise<Page<Token>> {
    return this.#json({ method: 'GET', path: '/v1/tokens', idempotent: true });
  }

  revokeToken(id: string): Promise<Token> {
    return this.#json({ method: 'DELETE', path: `/v1/tokens/${seg(id)}`, idempotent: false });
  }

  // -- artifacts -------------------------------------------------------------------------------

  /** `created` is false when the same content was registered before (200). */
  async registerArtifact(request: RegisterArtifactRequest): Promise<Created<Artifact>> {
    const res = await this.#call<Artifact>({ method: 'POST', path: '/v1/artifacts', body: request, idempotent: false });
    return { created: res.status === 201, value: res.body };
  }

  listArtifacts(query: ArtifactListQuery = {}): Promise<Page<Artifact>> {
    return this.#json({ method: 'GET', path: '/v1/artifacts', query, idempotent: true });
  }

  getArtifact(digest: string): Promise<Artifact> {
    return this.#json({ method: 'GET', path: `/v1/artifacts/${seg(digest)}`, idempotent: true });
  }

  /**
   * Attaches evidence: a DSSE envelope, in-toto JSON or a Sigstore bundle. Text or bytes are
   * sent exactly as given (the server keeps them byte for byte; their digest is their identity);
   * an object is JSON-encoded. `created` is false when the same envelope was attached before.
   */
  async attachEvidence(digest: string, evidence: string | Uint8Array | object, mediaType: EvidenceMediaType = 'application/json'): Promise<Created<Evidence>> {
    const bytes = typeof evidence === 'string' || evidence instanceof Uint8Array ? evidence : JSON.stringify(evidence);
    const res = await this.#call<Evidence>({ method: 'POST', path: `/v1/artifacts/${seg(digest)}/evidence`, raw: { bytes, type: mediaType }, idempotent: false });
    return { created: res.status === 201, value: res.body };
  }

  listEvidence(digest: string): Promise<Page<Evidence>> {
    return this.#json({ method: 'GET', path: `/v1/artifacts/${seg(digest)}/evidence`, idempotent: true });
  }

  /** The envelope exactly as it was attached, as text. */
  getEvidenceEnvelope(digest: string, id: string): Promise<string> {
    return this.#text({ method: 'GET', path: `/v1/artifacts/${seg(digest)}/evidence/${seg(id)}/envelope`, idempotent: true });
  }

  approveRelease(digest: string, stage: string, comment?: string): Promise<Approval> {
    return this.#json({ method: 'POST', path: `/v1/artifacts/${seg(digest)}/approvals`, body: { stage, ...(comment === undefined ? {} : { comment }) }, idempotent: false });
  }

  listApprovals(digest: string): Promise<Page<Approval>> {
    return this.#json({ method: 'GET', path: `/v1/artifacts/${seg(digest)}/approvals`, idempotent: true });
  }

  /**
   * Finds the attestations pushed beside the artifact's image in its OCI registry and attaches
   * each as if it had been posted (idempotent).
   */
  discoverEvidence(digest: string): Promise<DiscoverResult> {
    return this.#json({ method: 'POST', path: `/v1/artifacts/${seg(digest)}/evidence/discover`, body: {}, idempotent: false });
  }

  /** The signed SLSA verification summary (a DSSE envelope) of the newest promotion to `stage`. */
  getVerificationSummary(digest: string, stage: string): Promise<VsaEnvelope> {
    return this.#json({ method: 'GET', path: `/v1/artifacts/${seg(digest)}/vsa`, query: { stage }, idempotent: true });
  }

  /** The public key that signs verification summaries. */
  getAttestationKey(): Promise<AttestationKey> {
    return this.#json({ method: 'GET', path: '/v1/attestation/key', idempotent: true });
  }

  /**
   * Requests promotion. Every recorded decision is an answer: `promoted` (201), `denied` (403
   * with the decision in the problem body), or promoted by policy with a failed copy into the
   * stage repository (502 REGISTRY_COPY_FAILED with the decision; `decision.copy.status` is
   * `failed` and it does not count). Anything else (no scope, unknown artifact, bad stage) throws.
   */
  async promoteArtifact(digest: string, stage: string): Promise<Decision> {
    try {
      return await this.#json<Decision>({ method: 'POST', path: `/v1/artifacts/${seg(digest)}/promotions`, body: { stage }, idempotent: false });
    } catch (err) {
      const decision = err instanceof CharterProblem && (err.status === 403 || err.status === 502) ? err.problem?.['decision'] : undefined;
      if (decision && typeof decision === 'object') return decision as Decision;
      throw err;
    }
  }

  listPromotions(digest: string): Promise<Page<Decision>> {
    return this.#json({ method: 'GET', path: `/v1/artifacts/${seg(digest)}/promotions`, idempotent: true });
  }

  explainArtifact(digest: string): Promise<Explanation> {
    return this.#json({ method: 'GET', path: `/v1/artifacts/${seg(digest)}/explain`, idempotent: true });
  }

  getReleaseProof(digest: string, stage: string): Promise<ReleaseProof> {
    return this.#json({ method: 'GET', path: `/v1/artifacts/${seg(digest)}/proof`, query: { stage }, idempotent: true });
  }

  /** The deploy check: allowed only if promoted to `stage` and still trusted now. A read, but sent once. */
  checkDeploy(digest: string, stage: string): Promise<DeployCheck> {
    return this.#json({ method: 'POST', path: '/v1/artifacts/check', body: { digest, stage }, idempotent: false });
  }

  // -- deploy-time enforcement -----------------------------------------------------------------
  // What a Kubernetes API server or Gatekeeper sends; here for tools that replay or test reviews.

  /** The validating admission webhook: an AdmissionReview in, the answer out (a denial is `allowed: false`, not an error). */
  admissionValidate(cluster: string, review: AdmissionReview): Promise<AdmissionReviewAnswer> {
    return this.#json({ method: 'POST', path: '/admission/v1/validate', query: { cluster }, body: review, idempotent: false });
  }

  /** The same webhook with the cluster in the path, as a webhook configuration calls it. */
  admissionValidateCluster(cluster: string, review: AdmissionReview): Promise<AdmissionReviewAnswer> {
    return this.#json({ method: 'POST', path: `/admission/v1/validate/${seg(cluster)}`, body: review, idempotent: false });
  }

  /** The mutating admission webhook: pins tag-only images where the environment says pin_digests. */
  admissionMutate(cluster: string, review: AdmissionReview): Promise<AdmissionReviewAnswer> {
    return this.#json({ method: 'POST', path: '/admission/v1/mutate', query: { cluster }, body: review, idempotent: false });
  }

  /** The mutating webhook with the cluster in the path. */
  admissionMutateCluster(cluster: string, review: AdmissionReview): Promise<AdmissionReviewAnswer> {
    return this.#json({ method: 'POST', path: `/admission/v1/mutate/${seg(cluster)}`, body: review, idempotent: false });
  }

  /** The Gatekeeper external data provider for one environment: one item per image reference. */
  gatekeeperProvider(environment: string, keys: string[]): Promise<ProviderResponse> {
    const body: ProviderRequest = { apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } };
    return this.#json({ method: 'POST', path: '/gatekeeper/v1beta1/provider', query: { environment }, body, idempotent: true });
  }

  // -- audit -----------------------------------------------------------------------------------

  listAuditEvents(query: AuditListQuery = {}): Promise<AuditPage> {
    return this.#json({ method: 'GET', path: '/v1/audit', query, idempotent: true });
  }

  getAuditEvent(index: number): Promise<AuditEvent> {
    return this.#json({ method: 'GET', path: `/v1/audit/${seg(index)}`, idempotent: true });
  }

  /** The current checkpoint: the C2SP signed note, as served (text/plain). */
  getAuditCheckpoint(): Promise<string> {
    return this.#text({ method: 'GET', path: '/v1/audit/checkpoint', accept: 'text/plain', idempotent: true });
  }

  getAuditKey(): Promise<LogKey> {
    return this.#json({ method: 'GET', path: '/v1/audit/key', idempotent: true });
  }

  getInclusionProof(index: number, size: number): Promise<InclusionProof> {
    return this.#json({ method: 'GET', path: '/v1/audit/proofs/inclusion', query: { index, size }, idempotent: true });
  }

  getConsistencyProof(from: number, to: number): Promise<ConsistencyProof> {
    return this.#json({ method: 'GET', path: '/v1/audit/proofs/consistency', query: { from, to }, idempotent: true });
  }

  // -- run-time contracts ----------------------------------------------------------------------

  /** A "no" is an answer (`valid: false` with the errors), not a throw. */
  validateManifest(contract: string, manifest: unknown): Promise<ContractAnswer> {
    return this.#json({ method: 'POST', path: '/v1/validate/manifest', body: { contract, manifest }, idempotent: false });
  }

  validateUsage(records: UsageRecords): Promise<UsageAnswer> {
    return this.#json({ method: 'POST', path: '/v1/validate/usage', body: { records }, idempotent: false });
  }

  renderNotification(request: RenderNotificationRequest): Promise<RenderedNotification> {
    return this.#json({ method: 'POST', path: '/v1/notifications/render', body: request, idempotent: false });
  }

  // -- operations ------------------------------------------------------------------------------

  getHealth(): Promise<Health> {
    return this.#json({ method: 'GET', path: '/healthz', idempotent: true });
  }

  /** Ready to serve; a server that is not throws CharterProblem (503). */
  getReadiness(): Promise<Readiness> {
    return this.#json({ method: 'GET', path: '/readyz', idempotent: true });
  }

  /** Prometheus text exposition. */
  getMetrics(): Promise<string> {
    return this.#text({ method: 'GET', path: '/metrics', accept: 'text/plain', idempotent: true });
  }

  // -- transport -------------------------------------------------------------------------------

  async #json<T>(call: Call): Promise<T> {
    return (await this.#call<T>(call)).body;
  }

  async #text(call: Call): Promise<string> {
    const res = await this.#call<unknown>({ ...call, accept: call.accept ?? 'application/json' }, true);
    return res.body as string;
  }

  async #call<T>(call: Call, asText = false): Promise<Answer<T>> {
    const attempts = call.idempotent ? this.#retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      let retryAfterMs: number | null = null;
      try {
        return await this.#once<T>(call, asText);
      } catch (err) {
        if (!(err instanceof CharterProblem) || attempt >= attempts || call.signal?.aborted) throw err;
        if (err.status !== 0 && !RETRY_STATUSES.has(err.status)) throw err;
        retryAfterMs = err.retryAfterMs;
      }
      const backoff = Math.min(2000, this.#retryDelayMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      await sleep(retryAfterMs === null ? backoff : Math.min(5000, retryAfterMs));
    }
  }

  async #once<T>(call: Call, asText: boolean): Promise<Answer<T>> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(call.query ?? {})) {
      if (v === undefined || v === null) continue;
      for (const item of Array.isArray(v) ? v : [v]) qs.append(k, String(item));
    }
    const target = `${this.url}${call.path}${qs.size ? `?${qs}` : ''}`;
    const headers: Record<string, string> = { accept: call.accept ?? 'application/json', ...call.headers };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    let body: string | Uint8Array | null = null;
    if (call.raw) {
      headers['content-type'] = call.raw.type;
      body = call.raw.bytes;
    } else if (call.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(call.body);
    }
    const timeoutMs = call.timeoutMs ?? this.#timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = call.signal ? AbortSignal.any([timeout, call.signal]) : timeout;
    let res: TransportResponse;
    try {
      res = await this.#transport({ method: call.method, url: target, headers, body, signal });
    } catch (err) {
      if (timeout.aborted && !call.signal?.aborted) {
        throw CharterProblem.transport('TIMEOUT', `Charter at ${this.url} did not answer ${call.method} ${call.path} within ${timeoutMs} ms`, err);
      }
      throw CharterProblem.transport('UNREACHABLE', `cannot reach Charter at ${this.url}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    const { text } = res;
    if (res.status === 304) return { status: 304, body: undefined as T, header: res.header };
    const isJson = /[/+]json\b/.test(res.header('content-type') ?? '');
    let parsed: unknown = text;
    if (isJson && text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (res.status >= 400) throw CharterProblem.fromResponse(res.status, parsed, text || res.statusText, res.header('retry-after'));
    // Charter never redirects; a proxy in front of it might. Following it could turn a POST into
    // a GET or send the token elsewhere, so the client says where it points instead.
    if (res.status >= 300 || res.status < 200) {
      const to = res.header('location');
      throw CharterProblem.fromResponse(res.status, null, `${this.url} answered ${call.method} ${call.path} with HTTP ${res.status}${to ? ` (redirect to ${to}): set the client's URL to where it points` : ''}`, null);
    }
    if (asText) return { status: res.status, body: text as T, header: res.header };
    return { status: res.status, body: parsed as T, header: res.header };
  }
}
