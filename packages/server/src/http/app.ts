import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { Ajv, type Options as AjvOptions, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import Fastify, { type FastifyInstance } from 'fastify';
import { createServer } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as TlsServerOptions } from 'node:https';
import type { Registry } from '../registry/registry.js';
import { CONNECTION_DEFAULTS, type ServerConfig } from '../config.js';
import { Auth } from '../auth/auth.js';
import { Sessions } from '../auth/sessions.js';
import { TokenService } from '../auth/token-service.js';
import { ChangeSets } from '../registry/changesets.js';
import { Artifacts, type OciDeps } from '../artifacts/artifacts.js';
import { ReleaseProofs } from '../artifacts/proof.js';
import { webRoutes } from '../web/web-routes.js';
import { artifactRoutes } from './artifact-routes.js';
import { auditRoutes } from './audit-routes.js';
import { catalogRoutes } from './catalog-routes.js';
import { contractRoutes } from './contract-routes.js';
import { governanceRoutes } from './governance-routes.js';
import { checkRoutes } from './check-routes.js';
import { feedRoutes } from './feed-routes.js';
import { opsRoutes } from './ops-routes.js';
import { clientErrorHandler, errorHandler, frameworkProblem, notFoundHandler, problem, sendProblem } from './problem.js';
import { CheckBody, problemResponse, ProblemSchema } from '@charter/api';
import { checkFastPath } from './check-fast-path.js';
import { createMetrics } from './metrics.js';
import { compileParams, installEdge, requestIdFrom } from './edge.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Admission } from '../admission/admission.js';
import { GatekeeperProvider } from '../admission/gatekeeper.js';
import { Judge } from '../admission/judge.js';
import type { ImageResolver } from '../admission/resolver.js';
import { ociResolver } from '../admission/oci-resolver.js';
import { admissionCounter, admissionFastPath, admissionRoutes } from './admission-routes.js';

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

/** The database the use-case services are given, named by what they take: http/ imports neither kysely nor store/ (layering.test). */
type ServiceDb = ConstructorParameters<typeof Auth>[1];

export interface AppOptions {
  registry: Registry;
  /**
   * The database the use-case services read through (auth, tokens, sessions, change sets,
   * artifacts, release proofs): buildApp hands it to each explicitly. Registry keeps its own
   * handle for the catalog and the write path and gives it to no one; routes never see it.
   */
  db: ServiceDb;
  engine: string;
  version: string;
  /** Catalog reads and checks need a token with platform.registry.read. */
  privateReads?: boolean;
  /** Largest accepted evidence envelope, bytes (default 1 MiB). */
  evidenceLimit?: number;
  /** Largest accepted request body, bytes. */
  bodyLimit?: number;
  logLevel?: string;
  /** OCI registry client, attestation key and service URL (DESIGN §12). */
  oci: OciDeps;
  /** Connection handling (defaults: CONNECTION_DEFAULTS in config.ts). */
  connections?: Partial<Pick<ServerConfig, 'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnections'>>;
  /** Untrusted evidence items kept per artifact (default 20). */
  untrustedEvidencePerArtifact?: number;
  /** The artifact use cases (and their deploy-check core), when the caller needs them too. */
  artifacts?: Artifacts;
  /** Base URL of every link handed out (explain pages in admission denials); read when a link is made. */
  publicUrl?: string | (() => string);
  /** Resolves image tags for the mutating webhook; none: tag-only images are denied. */
  imageResolver?: ImageResolver | null;
  /** Deadline of every admission answer, ms (default 2000). */
  admissionDeadlineMs?: number;
  /** Serve HTTPS with these (key, cert, and ca + requestCert to require client certificates). */
  tls?: TlsServerOptions;
}

function ajv(opts: AjvOptions): Ajv {
  const a = new Ajv({ allErrors: true, strict: false, ...opts });
  addFormats(a);
  return a;
}

/** A validator compiled on first use, reporting its errors the way Fastify reads them. */
function lazyValidator(compile: () => ValidateFunction): (data: unknown) => boolean {
  let fn: ValidateFunction | undefined;
  const validate = (data: unknown): boolean => {
    fn ??= compile();
    const ok = fn(data);
    validate.errors = fn.errors;
    return ok;
  };
  validate.errors = null as ValidateFunction['errors'];
  return validate;
}

/** Fastify's own response serializers, each compiled on its first response rather than at start. */
const fastSerializers = SerializerSelector();
function lazySerializers(...args: Parameters<typeof fastSerializers>): ReturnType<typeof fastSerializers> {
  const compile = fastSerializers(...args);
  return (route) => {
    let fn: ((doc: unknown) => string) | undefined;
    return (doc: unknown) => (fn ??= compile(route))(doc);
  };
}

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  // Bodies are validated exactly as sent (no coercion, nothing removed); query strings and
  // path parameters arrive as text and are coerced to the declared types.
  const bodyAjv = ajv({ coerceTypes: false, removeAdditional: false, useDefaults: false });
  const paramAjv = ajv({ coerceTypes: 'array', removeAdditional: false, useDefaults: true });
  const bodyLimit = opts.bodyLimit ?? 1024 * 1024;
  const metrics = createMetrics(opts.registry);
  // The hot path (POST /v1/check) is answered ahead of the router unless reads are private.
  const fast = opts.privateReads ? null : checkFastPath({ registry: opts.registry, metrics, validate: bodyAjv.compile(CheckBody), bodyLimit });
  const conn = { ...CONNECTION_DEFAULTS, ...opts.connections };
  // A client that trickles its request is cut off when requestTimeout passes (Node checks
  // every connectionsCheckingInterval); headersTimeout must not exceed requestTimeout.
  const headersTimeout = Math.min(conn.headersTimeoutMs, conn.requestTimeoutMs);
  const artifacts = opts.artifacts ?? new Artifacts(opts.registry, opts.db, opts.oci, { untrustedPerArtifact: opts.untrustedEvidencePerArtifact ?? 20 });
  const judge = new Judge(opts.registry, artifacts.deployChecks);
  // Tags are resolved through the OCI client unless the caller says otherwise (null: none, deny tags).
  const resolver = opts.imageResolver !== undefined ? opts.imageResolver : ociResolver(opts.oci.client);
  const admission = new Admission(opts.registry, judge, { publicUrl: typeof opts.publicUrl === 'function' ? opts.publicUrl : () => (opts.publicUrl as string | undefined) ?? '', resolver, deadlineMs: opts.admissionDeadlineMs ?? 2000 });
  const count = admissionCounter(metrics);
  let logError: (err: unknown) => void = () => {};
  const admissionFast = opts.privateReads ? null : admissionFastPath({ admission, artifacts, count, metrics, compile: (schema) => bodyAjv.compile(schema as object), bodyLimit, log: (err) => logError(err) });
  const app = Fastify({
    serverFactory: (handler) => {
      const options = {
        requestTimeout: conn.requestTimeoutMs,
        headersTimeout,
        keepAliveTimeout: conn.keepAliveTimeoutMs,
        connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersTimeout / 4))),
      };
      const serve = (req: IncomingMessage, res: ServerResponse) => {
        if (!fast?.(req, res) && !admissionFast?.(req, res)) handler(req, res);
      };
      const server = opts.tls ? (createHttpsServer({ ...opts.tls, ...options }, serve) as unknown as ReturnType<typeof createServer>) : createServer(options, serve);
      server.maxConnections = conn.maxConnections;
      return server;
    },
    logger: opts.logLevel && opts.logLevel !== 'silent' ? { level: opts.logLevel } : false,
    bodyLimit,
    // A client's X-Request-Id goes into audit events: only a short, plain one is kept.
    requestIdHeader: false,
    genReqId: (req) => requestIdFrom(req.headers['x-request-id']),
    // Path parameters up to 256 characters reach their schema (a 400 with a pointer); longer is 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    schemaController: { compilersFactory: { buildSerializer: lazySerializers } },
    // What Fastify answers on its own (bad percent-encoding, an over-long parameter, broken
    // HTTP, header overflow) is a problem with a code from the catalogue too.
    // Fastify's own 503 while closing is not a problem document; ours (below) is.
    return503OnClosing: false,
    frameworkErrors: (err, _req, reply) => sendProblem(reply, frameworkProblem(err) ?? problem('MALFORMED_REQUEST', err.message)),
    clientErrorHandler,
  });

  // A request that arrives on a kept-alive connection while the server shuts down is refused
  // with a problem (503 UNAVAILABLE, Connection: close): a client retries on another replica.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (_req, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    return sendProblem(reply, problem('UNAVAILABLE', 'this server is shutting down; retry the request (on another replica)'));
  });

  // Every answer says what it is and nothing may sniff it into something else.
  app.addHook('onSend', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  // A route with path parameters can answer 414 (a parameter longer than maxParamLength).
  app.addHook('onRoute', (route) => {
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (route.url.includes(':') && response && !route.schema?.hide) response[414] ??= problemResponse(414);
  });

  // A body schema marked `x-validated-by: core` is validated by core alone: evidence envelopes
  // (bytes core parses and verifies as sent; a parsed copy validated here could only disagree)
  // and change sets (core reports every problem at once, with pointers).
  // The others compile on a route's first request, not at start: most routes of a process never see one.
  // Parameters are guarded at the edge: numbers in plain decimal, integers within the safe range.
  app.setValidatorCompiler(({ schema, httpPart }) => {
    if ((schema as Record<string, unknown>)['x-validated-by'] === 'core') return () => true;
    return lazyValidator(() => (httpPart === 'body' ? bodyAjv.compile(schema) : compileParams(paramAjv, schema as Record<string, unknown>)));
  });
  installEdge(app);

  app.addSchema(ProblemSchema);
  await app.register(swagger, {
    // Shared schemas keep their $id as their component name (#/components/schemas/Problem).
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Charter',
        version: opts.version,
        description: 'The registry, artifact and trust service: stable IDs and lifecycle rules, fail-closed checks, governed change. Errors are RFC 9457 problems (application/problem+json) with a stable `code` (docs/errors.md).',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: '/', description: 'this server' }],
      tags: [
        { name: 'catalog', description: 'Browse the registry' },
        { name: 'check', description: 'The fail-closed question' },
        { name: 'feed', description: 'Snapshot and change feed' },
        { name: 'changesets', description: 'Contribute and review registry changes' },
        { name: 'tokens', description: 'Bearer tokens' },
        { name: 'audit', description: 'The tamper-evident audit log' },
        { name: 'artifacts', description: 'Artifacts, evidence, promotion, explain, deploy check, release proof' },
        { name: 'contracts', description: 'Run-time contract checks: app manifests, usage records, notifications' },
        { name: 'admission', description: 'Deploy-time enforcement: Kubernetes admission webhooks and the Gatekeeper external data provider' },
        { name: 'ops', description: 'Health and metrics' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a Charter token (charter_…)' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  app.decorateRequest('auth', null);
  const auth = new Auth(opts.registry, opts.db, { privateReads: opts.privateReads ?? false });
  opsRoutes(app, opts.registry, metrics, { engine: opts.engine, version: opts.version });
  catalogRoutes(app, opts.registry, auth);
  checkRoutes(app, opts.registry, auth);
  feedRoutes(app, opts.registry, auth);
  const changesets = new ChangeSets(opts.registry, opts.db);
  governanceRoutes(app, { auth, tokens: new TokenService(opts.registry, opts.db), changesets });
  auditRoutes(app, { auth, audit: opts.registry.audit });
  logError = (err) => app.log.error({ err }, 'admission failed');
  artifactRoutes(app, { auth, artifacts, proofs: new ReleaseProofs(opts.registry, opts.db, artifacts), evidenceLimit: opts.evidenceLimit ?? 1024 * 1024 });
  contractRoutes(app, { auth, registry: opts.registry });
  webRoutes(app, { auth, sessions: new Sessions(opts.registry, opts.db, auth), artifacts, registry: opts.registry, changesets });
  admissionRoutes(app, { auth, admission, gatekeeper: new GatekeeperProvider(opts.registry, judge, admission, resolver), count });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
