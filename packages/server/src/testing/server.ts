import { resolveConfig } from '../config.js';
import { startServer, type RunningServer } from '../server.js';
import type { TestDatabase } from './engines.js';

/** A real listening server on an ephemeral port, on the given test database. */
export async function startTestServer(db: TestDatabase, opts: { clock?: () => Date; seed?: boolean; seedDir?: string; privateReads?: boolean; syncIntervalMs?: number } = {}): Promise<RunningServer> {
  const config = resolveConfig(
    { port: 0, host: '127.0.0.1', dataDir: db.dataDir, databaseUrl: db.databaseUrl, seed: opts.seed ?? true, logLevel: 'silent', syncIntervalMs: opts.syncIntervalMs ?? 50, privateReads: opts.privateReads ?? false, ...(opts.seedDir ? { seedDir: opts.seedDir } : {}) },
    {},
  );
  return startServer(config, opts.clock ? { clock: opts.clock } : {});
}
