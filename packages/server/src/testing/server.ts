import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolveConfig, type ServerConfig } from '../config.js';
import type { ImageResolver } from '../admission/resolver.js';
import { startServer, type RunningServer } from '../server.js';
import { checkerFor, observe, type ContractChecker, type OpenApiDocument } from './contract.js';
import type { TestDatabase } from './engines.js';

/**
 * A real listening server on an ephemeral port, on the given test database. Every response it
 * sends — to the test's own calls, the SDK, the CLI or the fast path — is checked against its
 * /openapi.json; `close()` throws with the drifts, so a test that provoked one fails.
 */
export async function startTestServer(db: TestDatabase, opts: { clock?: () => Date; seed?: boolean; seedDir?: string; privateReads?: boolean; syncIntervalMs?: number; insecureRegistries?: string[]; dockerConfigDir?: string; config?: Partial<ServerConfig>; imageResolver?: ImageResolver | null } = {}): Promise<RunningServer> {
  const config = resolveConfig(
    { port: 0, host: '127.0.0.1', dataDir: db.dataDir, databaseUrl: db.databaseUrl, seed: opts.seed ?? true, logLevel: 'silent', syncIntervalMs: opts.syncIntervalMs ?? 50, privateReads: opts.privateReads ?? false, ...(opts.seedDir ? { seedDir: opts.seedDir } : {}), insecureRegistries: opts.insecureRegistries ?? [], dockerConfigDir: opts.dockerConfigDir ?? '/nonexistent-docker-config', ...opts.config },
    {},
  );
  const server = await startServer(config, { ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.imageResolver !== undefined ? { imageResolver: opts.imageResolver } : {}) });
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
  server.app.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => observe(req, res, (seen) => drifts.push(...checker.check(seen))));
  return drifts;
}
