import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CharterError, type ErrorCode } from '@charter/core';
import { digestTag } from './reference.js';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dsse: 'application/vnd.dsse.envelope.v1+json',
  inToto: 'application/vnd.in-toto+json',
  sigstoreBundle: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  empty: 'application/vnd.oci.empty.v1+json',
} as const;

/** Every manifest kind Charter reads, so a registry never falls back to converting to schema 1. */
export const MANIFEST_ACCEPT = [MEDIA.ociManifest, MEDIA.ociIndex, MEDIA.dockerManifest, MEDIA.dockerList].join(', ');
const INDEXES: readonly string[] = [MEDIA.ociIndex, MEDIA.dockerList];

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface Manifest {
  /** Exactly as the registry served them: the digest is the sha256 of these bytes. */
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

/** A place in a registry: `registry` is `host[:port]`, `path` the repository inside it. */
export interface Repo {
  registry: string;
  path: string;
}

export interface RegistryStats {
  /** HTTP requests sent to registries (token requests included). */
  requests: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface RegistryClientOptions {
  /** `HOST[:PORT]` entries spoken to over plain HTTP; an entry without a port matches every port of the host. */
  insecure?: readonly string[];
  /** The directory holding config.json (default $DOCKER_CONFIG, else ~/.docker). */
  dockerConfigDir?: string | undefined;
  timeoutMs?: number;
  /** Largest manifest or attestation blob read into memory, bytes. */
  maxDocumentBytes?: number;
}

interface Credentials {
  username: string;
  password: string;
}

const sha256 = (b: Uint8Array) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** `CHARTER_INSECURE_REGISTRIES` (comma-separated) joined with flag values. */
export function insecureRegistries(flags: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.CHARTER_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return [...new Set([...flags, ...fromEnv].map((s) => s.toLowerCase()))];
}

/** Parses `Bearer realm="…",service="…",scope="…"` (RFC 7235 auth-params). */
function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/([a-zA-Z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) params[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme, params };
}

/**
 * A small client for the OCI distribution API (v1.1) and Docker registry v2: manifests byte for
 * byte, blobs (HEAD, cross-repository mount, streamed upload), referrers with the tag-schema
 * fallback, Docker config credentials, basic auth and the bearer-token challenge flow.
 * Credentials never appear in an error, a log line or an audit event: errors name the
 * registry, the repository and the HTTP status only.
 */
export class RegistryClient {
  readonly stats: RegistryStats = { requests: 0, bytesSent: 0, bytesReceived: 0 };
  readonly #insecure: string[];
  readonly #configDir: string;
  readonly #timeoutMs: number;
  readonly #maxDocument: number;
  /** Authorization header values by `registry scope…`; basic ones by registry. */
  readonly #auth = new Map<string, string>();

  constructor(opts: RegistryClientOptions = {}) {
    this.#insecure = (opts.insecure ?? []).map((s) => s.toLowerCase());
    this.#configDir = opts.dockerConfigDir ?? process.env.DOCKER_CONFIG ?? join(homedir(), '.docker');
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.#maxDocument = opts.maxDocumentBytes ?? 4 * 1024 * 1024;
  }

  isInsecure(hostPort: string): boolean {
    const h = hostPort.toLowerCase();
    const host = h.replace(/:\d+$/, '');
    return this.#insecure.some((e) => e === h || (!/:\d+$/.test(e) && e === host));
  }

  #base(registry: string): string {
    return `${this.isInsecure(registry) ? 'http' : 'https'}://${registry}`;
  }

  #fail(code: ErrorCode, repo: Repo, status: number | null, what: string): CharterError {
    const repository = `${repo.registry}/${repo.path}`;
    return new CharterError(code, `registry ${repo.registry}, repository ${repository}: ${what}${status === null ? '' : ` (HTTP ${status})`}`, {
      errors: [{ pointer: '', code, detail: what }],
      extra: { registry: repo.registry, repository, registry_status: status },
    });
  }

  /** The error a non-success answer stands for; reads the registry's own error code, never echoes headers. */
  async #errorFor(res: Response, repo: Repo, what: string): Promise<CharterError> {
    let codes = '';
    try {
      const text = await res.text();
      this.stats.bytesReceived += Buffer.byteLength(text);
      const body = JSON.parse(text) as { errors?: { code?: unknown }[] };
      codes = (body.errors ?? []).map((e) => String(e.code)).filter((c) => /^[A-Z_]{1,40}$/.test(c)).join(', ');
    } catch {
      // not JSON: the status says enough
    }
    const detail = `${what}${codes ? `: ${codes}` : ''}`;
    if (res.status === 401 || res.status === 403) return this.#fail('REGISTRY_DENIED', repo, res.status, `${detail}: the registry refused Charter's credentials (see the Docker config file's auths)`);
    return this.#fail('REGISTRY_ERROR', repo, res.status, detail);
  }

  #credentials(registry: string): Credentials | null {
    let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
    try {
      config = JSON.parse(readFileSync(join(this.#configDir, 'config.json'), 'utf8'));
    } catch {
      return null;
    }
    for (const [key, entry] of Object.entries(config.auths ?? {})) {
      const host = key.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '').toLowerCase();
      if (host !== registry) continue;
      if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
      if (entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
      }
    }
    return null;
  }

  async #fetch(url: string, init: RequestInit, repo: Repo, timeoutMs = this.#timeoutMs): Promise<Response> {
    this.stats.requests++;
    try {
      return await fetch(url, { ...init, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs), ...(init.body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      const hint = this.isInsecure(repo.registry) ? '' : '; a registry served over plain HTTP must be named with --insecure-registry';
      throw this.#fail('REGISTRY_UNREACHABLE', repo, null, `cannot reach ${new URL(url).origin} (${cause})${hint}`);
    }
  }

  /** Answers a 401 challenge: basic credentials, or a bearer token from the realm for `scopes`. */
  async #authorize(challenge: string | null, scopes: string[], repo: Repo): Promise<string | null> {
    if (!challenge) return null;
    const { scheme, params } = parseChallenge(challenge);
    const creds = this.#credentials(repo.registry);
    const basic = creds ? 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64') : null;
    if (scheme === 'basic') {
      if (basic) this.#auth.set(repo.registry, basic);
      return basic;
    }
    if (scheme !== 'bearer' || !params.realm) return null;
    let realm: URL;
    try {
      realm = new URL(params.realm);
    } catch {
      throw this.#fail('REGISTRY_DENIED', repo, 401, 'the registry named a token realm that is not a URL');
    }
    // Credentials go to a plain-HTTP realm only if that host was named insecure.
    const sendBasic = basic && (realm.protocol === 'https:' || this.isInsecure(realm.host));
    if (params.service) realm.searchParams.set('service', params.service);
    for (const s of new Set([...(params.scope ? params.scope.split(' ') : []), ...scopes])) realm.searchParams.append('scope', s);
    const res = await this.#fetch(realm.toString(), { headers: sendBasic ? { authorization: basic } : {} }, repo);
    if (!res.ok) throw await this.#errorFor(res, repo, 'the token realm refused to issue a token');
    const text = await res.text();
    this.stats.bytesReceived += Buffer.byteLength(text);
    let token: unknown;
    try {
      const body = JSON.parse(text) as { token?: unknown; access_token?: unknown };
      token = body.token ?? body.access_token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token === '') throw this.#fail('REGISTRY_DENIED', repo, res.status, 'the token realm answered without a token');
    const value = `Bearer ${token}`;
    this.#auth.set(`${repo.registry} ${scopes.join(' ')}`, value);
    return value;
  }

  /**
   * One request with authentication: cached credentials first, then (on 401) the challenge's.
   * A streamed body cannot be sent twice, so it is only sent once authentication is known.
   */
  async #request(repo: Repo, scopes: string[], method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer | ReadableStream<Uint8Array> } = {}, timeoutMs?: number): Promise<Response> {
    const url = path.startsWith('http') ? path : this.#base(repo.registry) + path;
    let authorization = this.#auth.get(`${repo.registry} ${scopes.join(' ')}`) ?? this.#auth.get(repo.registry) ?? null;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      if (authorization) headers.authorization = authorization;
      if (Buffer.isBuffer(init.body)) this.stats.bytesSent += init.body.length;
      const res = await this.#fetch(url, { method, headers, ...(init.body ? { body: init.body } : {}) }, repo, timeoutMs);
      if (res.status !== 401 || attempt > 0 || init.body instanceof ReadableStream) return res;
      const challenge = res.headers.get('www-authenticate');
      await res.body?.cancel();
      const next = await this.#authorize(challenge, scopes, repo);
      if (!next) return new Response(null, { status: 401 });
      authorization = next;
    }
  }

  async #readDocument(res: Response, repo: Repo, what: string): Promise<Buffer> {
    const length = Number(res.headers.get('content-length') ?? '0');
    if (length > this.#maxDocument) {
      await res.body?.cancel();
      throw this.#fail('REGISTRY_ERROR', repo, res.status, `${what} is ${length} bytes, more than the ${this.#maxDocument} Charter reads`);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    this.stats.bytesReceived += bytes.length;
    if (bytes.length > this.#maxDocument) throw this.#fail('REGISTRY_ERROR', repo, res.status, `${what} is more than the ${this.#maxDocument} bytes Charter reads`);
    return bytes;
  }

  static pull(repo: Repo): string[] {
    return [`repository:${repo.path}:pull`];
  }

  static push(repo: Repo): string[] {
    return [`repository:${repo.path}:pull,push`];
  }

  /** A manifest by tag or digest, byte for byte; null when the registry has none. */
  async getManifest(repo: Repo, reference: string): Promise<Manifest | null> {
    const res = await this.#request(repo, RegistryClient.pull(repo), 'GET', `/v2/${repo.path}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) throw await this.#errorFor(res, repo, `reading manifest ${reference}`);
    const bytes = await this.#readDocument(res, repo, `manifest ${reference}`);
    const digest = sha256(bytes);
    // A digest reference is a promise about the bytes; a registry that breaks it is not trusted.
    if (reference.startsWith('sha256:') && digest !== reference) throw this.#fail('REGISTRY_ERROR', repo, res.status, `manifest ${reference} was served with digest ${digest}`);
    let mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    try {
      const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown };
      if (typeof parsed.mediaType === 'string') mediaType = parsed.mediaType;
    } catch {
      throw this.#fail('REGISTRY_ERROR', repo, res.status, `manifest ${reference} is not JSON`);
    }
    return { bytes, mediaType, digest };
  }

  /** The manifest a tag or digest names, or MANIFEST_UNKNOWN. */
  async requireManifest(repo: Repo, reference: string): Promise<Manifest> {
    const m = await this.getManifest(repo, reference);
    if (!m) throw this.#fail('MANIFEST_UNKNOWN', repo, 404, `no manifest ${reference}`);
    return m;
  }

  async hasManifest(repo: Repo, reference: string, scopes = RegistryClient.pull(repo)): Promise<boolean> {
    const res = await this.#request(repo, scopes, 'HEAD', `/v2/${repo.path}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
    if (res.status === 404) return false;
    if (!res.ok) throw await this.#errorFor(res, repo, `checking manifest ${reference}`);
    return true;
  }

  /** Puts the bytes as given (so the digest is kept); returns whether the registry took `subject` (OCI 1.1). */
  async putManifest(repo: Repo, reference: string, manifest: Pick<Manifest, 'bytes' | 'mediaType' | 'digest'>): Promise<{ subjectHandled: boolean }> {
    const res = await this.#request(repo, RegistryClient.push(repo), 'PUT', `/v2/${repo.path}/manifests/${reference}`, { headers: { 'content-type': manifest.mediaType }, body: manifest.bytes });
    if (!res.ok) throw await this.#errorFor(res, repo, `writing manifest ${reference}`);
    await res.body?.cancel();
    const stored = res.headers.get('docker-content-digest');
    if (stored && stored !== manifest.digest) throw this.#fail('REGISTRY_ERROR', repo, res.status, `the registry stored manifest ${reference} as ${stored}, not ${manifest.digest}`);
    return { subjectHandled: res.headers.has('oci-subject') };
  }

  async hasBlob(repo: Repo, digest: string, scopes = RegistryClient.pull(repo)): Promise<boolean> {
    const res = await this.#request(repo, scopes, 'HEAD', `/v2/${repo.path}/blobs/${digest}`);
    if (res.status === 404) return false;
    if (!res.ok) throw await this.#errorFor(res, repo, `checking blob ${digest}`);
    return true;
  }

  /** A small blob (an attestation), read into memory and checked against its digest. */
  async getBlob(repo: Repo, digest: string): Promise<Buffer> {
    const res = await this.#request(repo, RegistryClient.pull(repo), 'GET', `/v2/${repo.path}/blobs/${digest}`);
    if (res.status === 404) {
      await res.body?.cancel();
      throw this.#fail('REGISTRY_ERROR', repo, 404, `blob ${digest} is missing`);
    }
    if (!res.ok) throw await this.#errorFor(res, repo, `reading blob ${digest}`);
    const bytes = await this.#readDocument(res, repo, `blob ${digest}`);
    if (sha256(bytes) !== digest) throw this.#fail('REGISTRY_ERROR', repo, res.status, `blob ${digest} was served with other content`);
    return bytes;
  }

  #location(res: Response, repo: Repo): string {
    const loc = res.headers.get('location');
    if (!loc) throw this.#fail('REGISTRY_ERROR', repo, res.status, 'the upload session has no Location');
    return new URL(loc, this.#base(repo.registry) + '/').toString();
  }

  /** Uploads bytes (monolithic PUT); does nothing if the repository has the blob. */
  async pushBlob(repo: Repo, bytes: Buffer): Promise<Descriptor & { uploaded: boolean }> {
    const digest = sha256(bytes);
    const desc = { mediaType: 'application/octet-stream', digest, size: bytes.length };
    if (await this.hasBlob(repo, digest, RegistryClient.push(repo))) return { ...desc, uploaded: false };
    const start = await this.#request(repo, RegistryClient.push(repo), 'POST', `/v2/${repo.path}/blobs/uploads/`);
    if (start.status !== 202) throw await this.#errorFor(start, repo, 'starting a blob upload');
    await start.body?.cancel();
    const url = new URL(this.#location(start, repo));
    url.searchParams.set('digest', digest);
    const put = await this.#request(repo, RegistryClient.push(repo), 'PUT', url.toString(), { headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) }, body: bytes });
    if (put.status !== 201) throw await this.#errorFor(put, repo, `uploading blob ${digest}`);
    await put.body?.cancel();
    return { ...desc, uploaded: true };
  }

  /**
   * Makes `desc` present in `to`: nothing if it is there, a cross-repository mount within one
   * registry, else the bytes streamed from `from` to `to` (never held in memory).
   */
  async copyBlob(from: Repo, to: Repo, desc: Descriptor): Promise<'present' | 'mounted' | 'streamed'> {
    const scopes = [...RegistryClient.push(to), ...(from.registry === to.registry && from.path !== to.path ? RegistryClient.pull(from) : [])];
    if (await this.hasBlob(to, desc.digest, scopes)) return 'present';
    let session: string | null = null;
    if (from.registry === to.registry) {
      const q = new URLSearchParams({ mount: desc.digest, from: from.path });
      const res = await this.#request(to, scopes, 'POST', `/v2/${to.path}/blobs/uploads/?${q}`);
      if (res.status === 201) {
        await res.body?.cancel();
        return 'mounted';
      }
      if (res.status !== 202) throw await this.#errorFor(res, to, `mounting blob ${desc.digest} from ${from.path}`);
      await res.body?.cancel();
      session = this.#location(res, to);
    }
    if (!session) {
      const res = await this.#request(to, scopes, 'POST', `/v2/${to.path}/blobs/uploads/`);
      if (res.status !== 202) throw await this.#errorFor(res, to, 'starting a blob upload');
      await res.body?.cancel();
      session = this.#location(res, to);
    }
    const src = await this.#request(from, RegistryClient.pull(from), 'GET', `/v2/${from.path}/blobs/${desc.digest}`, {}, 10 * 60_000);
    if (!src.ok || !src.body) throw await this.#errorFor(src, from, `reading blob ${desc.digest}`);
    const stats = this.stats;
    const hash = createHash('sha256');
    const counted = src.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, ctl) {
          stats.bytesReceived += chunk.length;
          stats.bytesSent += chunk.length;
          hash.update(chunk);
          ctl.enqueue(chunk);
        },
      }),
    );
    const url = new URL(session);
    url.searchParams.set('digest', desc.digest);
    const put = await this.#request(to, scopes, 'PUT', url.toString(), { headers: { 'content-type': 'application/octet-stream', 'content-length': String(desc.size) }, body: counted }, 10 * 60_000);
    // The destination registry checks the digest too; this says which side was wrong.
    if (put.status !== 201) throw await this.#errorFor(put, to, `uploading blob ${desc.digest}`);
    await put.body?.cancel();
    if ('sha256:' + hash.digest('hex') !== desc.digest) throw this.#fail('REGISTRY_ERROR', from, src.status, `blob ${desc.digest} was served with other content`);
    return 'streamed';
  }

  /**
   * What refers to `digest`: the OCI 1.1 referrers API, or (where the registry answers 404, as
   * distribution 2.8 does) the `sha256-<hex>` tag-schema index.
   */
  async referrers(repo: Repo, digest: string): Promise<{ descriptors: Descriptor[]; via: 'api' | 'tag' }> {
    const res = await this.#request(repo, RegistryClient.pull(repo), 'GET', `/v2/${repo.path}/referrers/${digest}`, { headers: { accept: MEDIA.ociIndex } });
    if (res.ok && (res.headers.get('content-type') ?? '').startsWith(MEDIA.ociIndex)) {
      const index = JSON.parse((await this.#readDocument(res, repo, 'the referrers index')).toString('utf8')) as { manifests?: Descriptor[] };
      return { descriptors: index.manifests ?? [], via: 'api' };
    }
    if (res.ok || res.status === 404 || res.status === 400 || res.status === 405) await res.body?.cancel();
    else throw await this.#errorFor(res, repo, `listing referrers of ${digest}`);
    const tagged = await this.getManifest(repo, digestTag(digest));
    if (!tagged || !INDEXES.includes(tagged.mediaType)) return { descriptors: [], via: 'tag' };
    return { descriptors: (JSON.parse(tagged.bytes.toString('utf8')) as { manifests?: Descriptor[] }).manifests ?? [], via: 'tag' };
  }

  /** Adds descriptors to the `sha256-<hex>` tag-schema index (for registries without the API). */
  async addToReferrersTag(repo: Repo, subject: string, add: Descriptor[]): Promise<void> {
    const tag = digestTag(subject);
    const existing = await this.getManifest(repo, tag);
    const index = existing && existing.mediaType === MEDIA.ociIndex ? (JSON.parse(existing.bytes.toString('utf8')) as { schemaVersion: number; mediaType: string; manifests: Descriptor[] }) : { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] as Descriptor[] };
    const have = new Set(index.manifests.map((d) => d.digest));
    const missing = add.filter((d) => !have.has(d.digest));
    if (missing.length === 0) return;
    index.manifests = [...index.manifests, ...missing];
    const bytes = Buffer.from(JSON.stringify(index));
    await this.putManifest(repo, tag, { bytes, mediaType: MEDIA.ociIndex, digest: sha256(bytes) });
  }

  static isIndex(mediaType: string): boolean {
    return INDEXES.includes(mediaType);
  }
}

export { sha256 as digestOf };
