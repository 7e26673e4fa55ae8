import { CharterError, readEnvironment, type Entry } from '@charter/core';
import type { AdmissionReviewRequest, AdmissionReviewResponse } from '@charter/api';
import { ACTIONS, type Registry } from '../registry/registry.js';
import { parseImage, pinned, type ImageRef } from './image.js';
import type { Judge, Judgement } from './judge.js';
import { ImageNotFound, type ImageResolver } from './resolver.js';
import { containerImages, knowsKind, type ContainerImage } from './review.js';

export type Webhook = 'validate' | 'mutate';

export interface AdmissionOptions {
  /** Base of every link handed out: the explain page is `<publicUrl>/ui/artifacts/<digest>`. */
  publicUrl: () => string;
  /** Resolves tags for the mutating webhook; null: tag-only images are denied. */
  resolver: ImageResolver | null;
  /** Every answer is bounded by this (ms); past it the answer is a 500, never allowed. */
  deadlineMs: number;
}

/** What the route counts in /metrics. */
export type Outcome = 'allowed' | 'denied' | 'warned' | 'skipped';

export const MESSAGE_MAX = 511;
export const WARNING_MAX = 119;

interface Denial {
  /** False for a warn-mode environment: recorded and warned about, not denied. */
  enforced: boolean;
  image: string;
  digest: string | null;
  environment: string | null;
  stage: string | null;
  reason: string;
}

/**
 * Kubernetes admission (DESIGN §13) as an adapter over the deploy check: find the images of the
 * reviewed object, the environments of its namespace, ask the Judge about every digest in every
 * environment, and answer an AdmissionReview. A denial (not a dry run) is an audit event; an
 * internal failure is an error (the route answers 500), never `allowed: true`.
 */
export class Admission {
  readonly #registry: Registry;
  readonly #judge: Judge;
  readonly #opts: AdmissionOptions;

  constructor(registry: Registry, judge: Judge, opts: AdmissionOptions) {
    this.#registry = registry;
    this.#judge = judge;
    this.#opts = opts;
  }

  explainUrl(digest: string): string {
    return `${this.#opts.publicUrl().replace(/\/+$/, '')}/ui/artifacts/${digest}`;
  }

  /** Runs `fn` within the deadline (and the caller's `timeout`, if shorter): past it, ADMISSION_FAILED. */
  async bounded<T>(fn: (signal: AbortSignal) => Promise<T>, timeoutMs?: number): Promise<T> {
    const ms = Math.max(1, Math.min(this.#opts.deadlineMs, timeoutMs ?? Infinity));
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new CharterError('ADMISSION_FAILED', `no answer within the ${ms} ms deadline; not admitting (the cluster's failurePolicy decides)`));
      }, ms);
    });
    try {
      return await Promise.race([fn(abort.signal), deadline]);
    } catch (err) {
      if (err instanceof CharterError && (err.code === 'MALFORMED_REQUEST' || err.code === 'ADMISSION_FAILED')) throw err;
      // Error is not deny: whatever broke (database, audit log, registry client), the cluster must not read it as an answer.
      throw new CharterError('ADMISSION_FAILED', `the admission could not be decided: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500), { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  async review(webhook: Webhook, cluster: string, review: AdmissionReviewRequest, timeoutMs?: number): Promise<{ answer: AdmissionReviewResponse; outcome: Outcome }> {
    const req = review.request;
    const respond = (allowed: boolean, extra: Partial<AdmissionReviewResponse['response']> = {}): AdmissionReviewResponse => ({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: req.uid, allowed, ...extra },
    });
    if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return { answer: respond(true), outcome: 'skipped' };
    const { group, kind } = req.kind;
    const namespace = req.namespace ?? '';
    const images = this.#changedImages(req, group, kind);
    if (images === 'unknown-kind') {
      return this.bounded((signal) => this.#deny(respond, req, cluster, namespace, [{ enforced: true, image: '-', digest: null, environment: null, stage: null, reason: `Charter does not know where a ${group ? `${group}/` : ''}${kind} keeps its containers, so it admits none` }], signal), timeoutMs);
    }
    if (images.length === 0) return { answer: respond(true), outcome: 'skipped' };
    const fromMemory = this.#fromMemory(cluster, namespace, images, respond);
    if (fromMemory) return fromMemory;
    return this.bounded(async (signal) => {
      const envs = this.#judge.environments(cluster, namespace);
      if (envs.length === 0) {
        const reason = `namespace ${namespace || '(none)'} of cluster ${cluster} is in no environment; Charter admits nothing there`;
        return this.#deny(respond, req, cluster, namespace, [{ enforced: true, image: images[0]!.image, digest: parseDigest(images[0]!.image), environment: null, stage: null, reason }], signal);
      }
      const pin = webhook === 'mutate' && envs.some((e) => readEnvironment(e).pinDigests);
      // A refusal that is not one environment's judgement (unpinned, unresolvable) binds every
      // environment of the namespace: it is enforced unless all of them only warn.
      const lead = envs.find((e) => readEnvironment(e).mode === 'enforce') ?? envs[0]!;
      const refuse = (image: string, reason: string): void => {
        const enforced = readEnvironment(lead).mode === 'enforce';
        denials.push({ enforced, image, digest: null, environment: lead.id, stage: readEnvironment(lead).stage, reason });
        if (!enforced) warnings.push(clip(`${lead.id} (warn) would deny ${shortImage(image)}: ${reason}`, WARNING_MAX));
      };
      const denials: Denial[] = [];
      const warnings: string[] = [];
      const patch: { op: 'replace'; path: string; value: string }[] = [];
      const unique = new Map<string, ContainerImage[]>();
      for (const c of images) unique.set(c.image, [...(unique.get(c.image) ?? []), c]);
      await Promise.all(
        [...unique].map(async ([image, containers]) => {
          const ref = this.#parse(image);
          if (typeof ref === 'string') return void denials.push({ enforced: true, image, digest: null, environment: null, stage: null, reason: `'${image}' is not an image reference: ${ref}` });
          let digest = ref.digest;
          if (digest === null) {
            if (!pin) return refuse(image, 'the image is not pinned by digest: pin by digest, or let the mutating webhook pin it');
            const resolved = await this.#resolve(ref, signal);
            if (typeof resolved !== 'string') return refuse(image, resolved.reason);
            digest = resolved;
            for (const c of containers) patch.push({ op: 'replace', path: c.pointer, value: pinned(ref, digest) });
          }
          const judgements = await Promise.all(envs.map((env) => this.#judge.judge(env, digest!)));
          for (const j of judgements) this.#collect(image, j, denials, warnings);
        }),
      );
      if (denials.some((d) => d.enforced)) return this.#deny(respond, req, cluster, namespace, denials, signal, warnings);
      const extra: Partial<AdmissionReviewResponse['response']> = {};
      if (warnings.length) extra.warnings = [...new Set(warnings)];
      if (patch.length) {
        extra.patchType = 'JSONPatch';
        extra.patch = Buffer.from(JSON.stringify(patch.sort((a, b) => (a.path < b.path ? -1 : 1)))).toString('base64');
      }
      // Warn mode: admitted, and what it would have denied is recorded like a denial.
      if (denials.length > 0 && !req.dryRun) await this.#record(req, cluster, namespace, denials, false);
      return { answer: respond(true, extra), outcome: denials.length > 0 || warnings.length > 0 ? 'warned' : 'allowed' };
    }, timeoutMs);
  }

  /**
   * The answer without waiting for anything, when every image is pinned and every judgement is
   * in memory and allows it (a denial is recorded, so it takes the full path). The same Judge,
   * the same verdicts: only the waiting is skipped, never a check.
   */
  #fromMemory(cluster: string, namespace: string, images: ContainerImage[], respond: (allowed: boolean, extra?: Partial<AdmissionReviewResponse['response']>) => AdmissionReviewResponse): { answer: AdmissionReviewResponse; outcome: Outcome } | null {
    const envs = this.#judge.environments(cluster, namespace);
    if (envs.length === 0) return null;
    let warnings: string[] | null = null;
    let last = '';
    for (const c of images) {
      if (c.image === last) continue;
      last = c.image;
      const ref = this.#parse(c.image);
      if (typeof ref === 'string' || ref.digest === null) return null;
      for (const env of envs) {
        const j = this.#judge.judgeCached(env, ref.digest);
        if (!j || !j.allowed) return null;
        if (j.expiring.length) for (const e of j.expiring) (warnings ??= []).push(expiryWarning(c.image, e));
      }
    }
    return warnings ? { answer: respond(true, { warnings: [...new Set(warnings)] }), outcome: 'warned' } : { answer: respond(true), outcome: 'allowed' };
  }

  readonly #parsed = new Map<string, ImageRef | string>();

  #parse(image: string): ImageRef | string {
    let ref = this.#parsed.get(image);
    if (ref === undefined) {
      ref = parseImage(image);
      if (this.#parsed.size >= 10_000) this.#parsed.clear();
      this.#parsed.set(image, ref);
    }
    return ref;
  }

  #collect(image: string, j: Judgement, denials: Denial[], warnings: string[]): void {
    for (const e of j.expiring) warnings.push(expiryWarning(image, e));
    if (j.allowed) return;
    denials.push({ enforced: j.mode === 'enforce', image, digest: j.digest, environment: j.environment, stage: j.stage, reason: j.reason });
    if (j.mode === 'warn') warnings.push(clip(`${j.environment} (warn) would deny ${shortImage(image)}: ${j.reason}`, WARNING_MAX));
  }

  async #resolve(ref: ImageRef, signal: AbortSignal): Promise<string | { reason: string }> {
    if (!this.#opts.resolver) return { reason: 'the image is not pinned by digest and this Charter server has no registry client to resolve tags: pin it by digest' };
    try {
      return await this.#opts.resolver.resolve(ref.image, signal);
    } catch (err) {
      if (err instanceof ImageNotFound) return { reason: `the tag cannot be resolved: ${err.message}` };
      throw err;
    }
  }

  /** Images of the object that are new: all of them on CREATE, those not in oldObject on UPDATE. */
  #changedImages(req: AdmissionReviewRequest['request'], group: string, kind: string): ContainerImage[] | 'unknown-kind' {
    if (!knowsKind(group, kind)) return 'unknown-kind';
    const now = containerImages(group, kind, req.object, '/request/object');
    if (req.operation !== 'UPDATE') return now;
    const before = new Set(containerImages(group, kind, req.oldObject, '/request/oldObject').map((c) => c.image));
    return now.filter((c) => !before.has(c.image));
  }

  async #deny(respond: (allowed: boolean, extra?: Partial<AdmissionReviewResponse['response']>) => AdmissionReviewResponse, req: AdmissionReviewRequest['request'], cluster: string, namespace: string, denials: Denial[], signal: AbortSignal, warnings: string[] = []): Promise<{ answer: AdmissionReviewResponse; outcome: Outcome }> {
    const first = denials.find((d) => d.enforced) ?? denials[0]!;
    const where = first.environment ? `environment ${first.environment} (stage ${first.stage})` : `cluster ${cluster}`;
    const link = first.digest ? `; explain: ${this.explainUrl(first.digest)}` : '';
    const enforced = denials.filter((d) => d.enforced).length;
    const more = enforced > 1 ? ` (+${enforced - 1} more)` : '';
    const head = `${clip(first.image, 200)} denied in ${where}: `;
    const message = head + clip(first.reason, MESSAGE_MAX - head.length - link.length - more.length) + more + link;
    if (!req.dryRun) {
      signal.throwIfAborted();
      await this.#record(req, cluster, namespace, denials, true);
    }
    const extra: Partial<AdmissionReviewResponse['response']> = { status: { code: 403, reason: 'Forbidden', message } };
    if (warnings.length) extra.warnings = [...new Set(warnings)];
    return { answer: respond(false, extra), outcome: 'denied' };
  }

  async #record(req: AdmissionReviewRequest['request'], cluster: string, namespace: string, denials: Denial[], enforced: boolean): Promise<void> {
    const user = req.userInfo.username ?? '';
    const first = denials[0]!;
    const details = {
      enforced,
      user,
      cluster,
      namespace,
      image: first.image,
      digest: first.digest,
      environment: first.environment,
      kind: `${req.kind.group ? `${req.kind.group}/` : ''}${req.kind.kind}`,
      name: req.name ?? null,
      operation: req.operation,
      uid: req.uid,
      denials: denials.slice(0, 50),
    };
    const subject = [...new Set(denials.flatMap((d) => [d.digest ?? d.image, ...(d.environment ? [`environment:${d.environment}`] : [])]))].slice(0, 20);
    await this.#registry.mutate({ principal: { name: `admission:${cluster}`, product: null, admin: false }, requestId: req.uid }, ACTIONS.admissionDeny, async () => ({ value: null, subject, details }));
  }
}

function expiryWarning(image: string, e: { evidence_type: string; expires_at: string }): string {
  return clip(`${shortImage(image)}: ${e.evidence_type} evidence passes max_age at ${e.expires_at}`, WARNING_MAX);
}

function parseDigest(image: string): string | null {
  const r = parseImage(image);
  return typeof r === 'string' ? null : r.digest;
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

function shortImage(image: string): string {
  const at = image.indexOf('@');
  return at < 0 ? clip(image, 60) : `${clip(image.slice(0, at), 40)}@${image.slice(at + 1, at + 20)}…`;
}

/** `10s`, `500ms`, `1m`, or a bare number of seconds, as the API server's `timeout` parameter. */
export function parseTimeout(t: string | undefined): number | undefined {
  const m = t === undefined ? null : /^([0-9]{1,4})(ms|s|m)?$/.exec(t);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

export type { Entry };
