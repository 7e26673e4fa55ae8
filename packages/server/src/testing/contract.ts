import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Holds every response the tests see to /openapi.json: the status is documented for the
 * operation, the content type is one the status documents, and the body is valid against its
 * schema (JSON Schema 2020-12, as OpenAPI 3.1 says). A drift is a failed test, never a warning.
 */

type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

/** The parts of an OpenAPI 3.1 document this checker reads. */
interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  description?: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId?: string;
  responses?: Record<string, ResponseObject>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown> };
}

export interface SeenResponse {
  method: string;
  /** Path and query as requested. */
  url: string;
  status: number;
  /** The Content-Type header, or '' when there is none. */
  contentType: string;
  body: string;
}

const DOC_ID = 'urn:charter:openapi';
/**
 * Answered before any route is found (Node's parser, the router's limits), so they can answer
 * any request: they must be problems, but no operation lists them (docs/errors.md says so).
 */
const BEFORE_ROUTING = new Set([408, 414, 431]);
const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);
/** Paths served but deliberately not in the document: the document itself, its viewer, the web pages. */
const UNDOCUMENTED = [/^\/openapi\.json$/, /^\/docs(\/|$)/, /^\/ui(\/|$)/, /^\/favicon\.ico$/, /^\/$/];

/** Rewrites the document's local references so that each schema compiles on its own. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${DOC_ID}${v}` : relink(v);
    return out;
  }
  return value;
}

interface Route {
  template: string;
  pattern: RegExp;
  operations: Record<string, Operation>;
}

export class ContractChecker {
  readonly #ajv: Ajv2020;
  readonly #routes: Route[];
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #problem: unknown;

  constructor(doc: OpenApiDocument) {
    this.#ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.#ajv);
    this.#ajv.addSchema({ $id: DOC_ID, components: relink(doc.components ?? {}) });
    this.#problem = { $ref: `${DOC_ID}#/components/schemas/Problem` };
    // Literal segments win over parameters, as in the router: /v1/audit/checkpoint before /v1/audit/{index}.
    this.#routes = Object.entries(doc.paths)
      .map(([template, operations]) => ({
        template,
        operations,
        pattern: new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+') + '/?$'),
      }))
      .sort((a, b) => (b.template.split('{').length > a.template.split('{').length ? -1 : b.template.split('{').length < a.template.split('{').length ? 1 : 0));
  }

  #validator(key: string, schema: unknown): ValidateFunction {
    let v = this.#validators.get(key);
    if (!v) {
      v = this.#ajv.compile(relink(schema) as object);
      this.#validators.set(key, v);
    }
    return v;
  }

  /** Every way `r` departs from the document; empty when it conforms. */
  check(r: SeenResponse): string[] {
    const path = r.url.split('?')[0]!;
    const method = r.method.toLowerCase();
    const route = this.#routes.find((x) => x.pattern.test(path));
    const where = `${r.method} ${r.url.slice(0, 200)} → ${r.status}`;
    if (BEFORE_ROUTING.has(r.status)) return this.#checkBody(where, 'problem', { content: { 'application/problem+json': { schema: this.#problem } } }, r);
    if (!route) {
      if (UNDOCUMENTED.some((p) => p.test(path))) return [];
      // Nothing is documented here (an unknown route): the answer must still be a problem.
      return this.#checkBody(where, `problem`, { content: { 'application/problem+json': { schema: this.#problem } } }, r);
    }
    const op = route.operations[method] ?? (method === 'head' ? route.operations.get : undefined);
    if (!op || !METHODS.has(method)) {
      return this.#checkBody(where, `problem`, { content: { 'application/problem+json': { schema: this.#problem } } }, r);
    }
    const responses = op.responses ?? {};
    const key = String(r.status) in responses ? String(r.status) : `${String(r.status)[0]}XX` in responses ? `${String(r.status)[0]}XX` : 'default' in responses ? 'default' : null;
    if (key === null) return [`${where}: status ${r.status} is not documented for ${op.operationId ?? `${method} ${route.template}`} (documented: ${Object.keys(responses).join(', ')}); body: ${r.body.slice(0, 300)}`];
    if (method === 'head') return [];
    return this.#checkBody(where, `${op.operationId ?? route.template}:${key}`, responses[key]!, r);
  }

  #checkBody(where: string, key: string, response: ResponseObject, r: SeenResponse): string[] {
    const content = response.content;
    if (!content || Object.keys(content).length === 0) {
      return r.body.length === 0 ? [] : [`${where}: documented without a body, but one was sent: ${r.body.slice(0, 200)}`];
    }
    const media = r.contentType.split(';')[0]!.trim().toLowerCase();
    const entry = content[media] ?? content[`${media.split('/')[0]}/*`] ?? content['*/*'];
    if (!entry) return [`${where}: content type '${r.contentType}' is not documented (documented: ${Object.keys(content).join(', ')}); body: ${r.body.slice(0, 200)}`];
    if (entry.schema === undefined) return [];
    let value: unknown = r.body;
    if (/[/+]json$/.test(media)) {
      try {
        value = JSON.parse(r.body);
      } catch {
        return [`${where}: the body is not JSON although the content type is ${media}: ${r.body.slice(0, 200)}`];
      }
    }
    const validate = this.#validator(`${key}:${media}`, entry.schema);
    if (validate(value)) return [];
    const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
    return [`${where}: the body does not match the documented schema: ${errors.join('; ')}; body: ${r.body.slice(0, 300)}`];
  }
}

const checkers = new Map<string, ContractChecker>();

/** One checker per distinct document (every test server serves the same one). */
export function checkerFor(doc: OpenApiDocument): ContractChecker {
  const key = JSON.stringify(doc);
  let c = checkers.get(key);
  if (!c) {
    c = new ContractChecker(doc);
    checkers.set(key, c);
  }
  return c;
}

const byBaseUrl = new Map<string, Promise<ContractChecker>>();

/** The checker for the server at `baseUrl`, from its own /openapi.json. */
export function checkerAt(baseUrl: string): Promise<ContractChecker> {
  let c = byBaseUrl.get(baseUrl);
  if (!c) {
    c = fetch(baseUrl + '/openapi.json').then(async (res) => {
      if (res.status !== 200) throw new Error(`${baseUrl}/openapi.json answered ${res.status}`);
      return checkerFor((await res.json()) as OpenApiDocument);
    });
    byBaseUrl.set(baseUrl, c);
    c.catch(() => byBaseUrl.delete(baseUrl));
  }
  return c;
}

/** Throws when `r`, received from the server at `baseUrl`, is not what the document says. */
export async function assertConforms(baseUrl: string, r: SeenResponse): Promise<void> {
  const problems = (await checkerAt(baseUrl)).check(r);
  if (problems.length) throw new Error(`response does not match ${baseUrl}/openapi.json:\n  ${problems.join('\n  ')}`);
}

/** Calls `done` with what `res` sent once it is finished: status, Content-Type and body as written. */
export function observe(req: IncomingMessage, res: ServerResponse, done: (seen: SeenResponse) => void): void {
  const chunks: Buffer[] = [];
  const keep = (chunk: unknown, encoding?: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
  };
  // Fastify and the fast path pass headers to writeHead, where getHeader() cannot see them.
  let contentType = '';
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    const headers = args.find((a, i) => i > 0 && a !== null && typeof a === 'object');
    if (Array.isArray(headers)) {
      for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'content-type') contentType = String(headers[i + 1]);
    } else if (headers) {
      for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'content-type') contentType = String(v);
    }
    return writeHead(...args);
  }) as typeof res.writeHead;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((...args: unknown[]) => {
    keep(args[0], args[1]);
    return write(...args);
  }) as typeof res.write;
  res.end = ((...args: unknown[]) => {
    keep(args[0], args[1]);
    return end(...args);
  }) as typeof res.end;
  res.once('finish', () => {
    const type = res.getHeader('content-type');
    done({ method: req.method ?? 'GET', url: req.url ?? '/', status: res.statusCode, contentType: typeof type === 'string' ? type : contentType, body: Buffer.concat(chunks).toString('utf8') });
  });
}
