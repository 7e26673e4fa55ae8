import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolveConfig, type ServerConfig } from '../config.js';
import { startServer, type RunningServer } from '../server.js';
import { checkerFor, type ContractChecker, type OpenApiDocument } from './contract.js';
import type { TestDatabase } from './engines.js';

/**
 * A real listening server on an ephemeral port, on the given test database. Every response it
 * sends — to the test's own calls, the SDK, the CLI or the fast path — is checked against its
 * /openapi.json; `close()` throws with the drifts, so a test that provoked one fails.
 */
export async function startTestServer(db: TestDatabase, opts: { clock?: () => Date; seed?: boolean; seedDir?: string; privateReads?: boolean; syncIntervalMs?: number; insecureRegistries?: string[]; dockerConfigDir?: string; config?: Partial<ServerConfig> } = {}): Promise<RunningServer> {
  const config = resolveConfig(
    { port: 0, host: '127.0.0.1', dataDir: db.dataDir, databaseUrl: db.databaseUrl, seed: opts.seed ?? true, logLevel: 'silent', syncIntervalMs: opts.syncIntervalMs ?? 50, privateReads: opts.privateReads ?? false, ...(opts.seedDir ? { seedDir: opts.seedDir } : {}), insecureRegistries: opts.insecureRegistries ?? [], dockerConfigDir: opts.dockerConfigDir ?? '/nonexistent-docker-config', ...opts.config },
    {},
  );
  const server = await startServer(config, opts.clock ? { clock: opts.clock } : {});
  const drifts = watchResponses(server, checkerFor(server.app.swagger() as unknown as OpenApiDocument));
  const close = server.close.bind(server);
  server.close = async () => {
    await close();
    if (drifts.length) throw new Error(`the server answered ${drifts.length} response(s) its OpenAPI document does not describe:\n  ${drifts.slice(0, 20).join('\n  ')}`);
  };
  return server;
}

/** Records, for every response the server finishes, how it departs from the document. */
function watchResponses(server: RunningServer, checker: ContractChecker): string[] {
  const drifts: string[] = [];
  server.app.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
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
      drifts.push(...checker.check({ method: req.method ?? 'GET', url: req.url ?? '/', status: res.statusCode, contentType: typeof type === 'string' ? type : contentType, body: Buffer.concat(chunks).toString('utf8') }));
    });
  });
  return drifts;
}
