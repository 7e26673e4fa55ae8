import { PACKAGE_ROOT } from './package-root.js';
import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOrCreateLogKey } from './audit/log-key.js';
import { TokenService } from './auth/token-service.js';
import { buildApp } from './http/app.js';
import type { SecureContextOptions } from 'node:tls';
import { Artifacts } from './artifacts/artifacts.js';
import type { ImageResolver } from './admission/resolver.js';
import { Registry } from './registry/registry.js';
import { applySeed } from './registry/seed.js';
import type { ServerConfig } from './config.js';
import { openDatabase, type DatabaseHandle } from './store/db.js';
import { loadOrCreateAttestationKey } from './artifacts/vsa.js';
import { RegistryClient } from './oci/client.js';
import { migrateToLatest } from './store/migrations.js';
import { REGISTRY_CHANNEL } from './store/registry-store.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('package.json', PACKAGE_ROOT), 'utf8')) as { version: string }).version;

export interface RunningServer {
  app: FastifyInstance;
  registry: Registry;
  /** The artifact use cases and their deploy-check core. */
  artifacts: Artifacts;
  handle: DatabaseHandle;
  url: string;
  /** The OCI registry client the service speaks through (its stats count round trips and bytes). */
  registryClient: RegistryClient;
  /** Re-reads --tls-cert/--tls-key/--tls-client-ca (SIGHUP); false when not serving TLS. Throws, keeping the old ones, on a bad file. */
  reloadTls(): boolean;
  /** Path of the admin token file written on first start, or null. */
  adminTokenFile: string | null;
  close(): Promise<void>;
}

/** Opens the database, migrates, loads the catalog and (optionally) the seed. Shared by serve, seed and tests. */
export async function openRegistry(config: Pick<ServerConfig, 'dataDir' | 'databaseUrl' | 'seed' | 'seedDir'> & { logKeyFile?: string | undefined }, clock?: () => Date) {
  const handle = openDatabase(config);
  try {
    const migrations = await migrateToLatest(handle.db);
    const logKey = loadOrCreateLogKey(config.logKeyFile ?? join(config.dataDir, 'log-key.pem'));
    const registry = new Registry(handle, logKey, clock);
    await registry.load();
    const seeded = config.seed ? await applySeed(registry, handle.db, { seedDir: config.seedDir, only: 'create' }) : null;
    return { handle, registry, migrations, seeded };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** The HTTPS options from the configured files; with a client CA, every client must present a certificate it issued. */
function readTls(config: ServerConfig): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
  const ca = config.tlsClientCa ? readFileSync(config.tlsClientCa) : undefined;
  return { cert: readFileSync(config.tlsCert!), key: readFileSync(config.tlsKey!), ...(ca ? { ca } : {}), requestCert: ca !== undefined, rejectUnauthorized: ca !== undefined };
}

export async function startServer(config: ServerConfig, opts: { clock?: () => Date; log?: (line: string) => void; imageResolver?: ImageResolver | null } = {}): Promise<RunningServer> {
  const log = opts.log ?? (() => {});
  const { handle, registry, migrations, seeded } = await openRegistry(config, opts.clock);
  if (migrations.applied.length) log(`migrated ${handle.engine} database: ${migrations.applied.join(', ')}`);
  if (seeded) log(`seed loaded: ${seeded.plan.changes.length} entries (change set ${seeded.changeset.id}, sequence ${seeded.changeset.sequence})`);
  const adminToken = await new TokenService(registry, handle.db).bootstrapAdmin(config.dataDir).catch((err: unknown) => {
    log(`no admin token created: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  });
  if (adminToken) log(`first start: an admin token was written to ${adminToken} (mode 0600); it is not printed`);
  const tls = config.tlsCert && config.tlsKey ? readTls(config) : undefined;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let serviceUrl = config.publicUrl ?? '';
  const oci = {
    client: new RegistryClient({ insecure: config.insecureRegistries, dockerConfigDir: config.dockerConfigDir }),
    attestationKey: loadOrCreateAttestationKey(config.attestationKeyFile ?? join(config.dataDir, 'attestation-key.pem')),
    serviceUrl: () => serviceUrl,
    evidenceLimit: config.evidenceLimit,
  };
  const artifacts = new Artifacts(registry, handle.db, oci, { untrustedPerArtifact: config.untrustedEvidencePerArtifact });
  const app = await buildApp({
    registry,
    db: handle.db,
    engine: handle.engine,
    version: VERSION,
    privateReads: config.privateReads,
    evidenceLimit: config.evidenceLimit,
    untrustedEvidencePerArtifact: config.untrustedEvidencePerArtifact,
    connections: config,
    logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel,
    oci,
    artifacts,
    // The listening URL is known only after listen (port 0): links use it unless --public-url says otherwise.
    publicUrl: () => serviceUrl,
    ...(opts.imageResolver !== undefined ? { imageResolver: opts.imageResolver } : {}),
    admissionDeadlineMs: config.admissionDeadlineMs,
    ...(tls ? { tls } : {}),
  });

  // The artifact feed starts where the log stands now, before any answer is cached: a write by
  // another replica after this point invalidates what this one loads.
  if (handle.engine === 'postgres') await artifacts.deployChecks.follow();

  // Replicas on one PostgreSQL follow each other's writes: a NOTIFY from the writer's commit
  // wakes the others at once; the poll of the sequence stays as the fallback.
  let timer: NodeJS.Timeout | undefined;
  let listener: { close(): Promise<void> } | undefined;
  if (handle.engine === 'postgres') {
    const sync = () => void registry.sync().catch((err: unknown) => app.log.warn({ err }, 'registry sync failed'));
    listener = await handle.listen?.(REGISTRY_CHANNEL, sync, (err) => app.log.warn({ err }, 'registry notifications lost; reconnecting (polling meanwhile)')).catch((err: unknown) => {
      app.log.warn({ err }, 'cannot LISTEN for registry changes; following by polling only');
      return undefined;
    });
    const tick = () => {
      Promise.all([registry.sync(), artifacts.deployChecks.follow()]).catch((err: unknown) => app.log.warn({ err }, 'registry sync failed')).finally(() => {
        timer = setTimeout(tick, config.syncIntervalMs);
        timer.unref();
      });
    };
    timer = setTimeout(tick, config.syncIntervalMs);
    timer.unref();
  }

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    clearTimeout(timer);
    await listener?.close();
    await app.close();
    await handle.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
  if (!config.publicUrl) serviceUrl = url;
  let closed = false;
  return {
    app,
    registry,
    artifacts,
    handle,
    adminTokenFile: adminToken,
    registryClient: oci.client,
    url,
    reloadTls() {
      if (!tls) return false;
      // A bad file keeps the running certificate: the error is the caller's to report.
      (app.server as unknown as { setSecureContext(o: SecureContextOptions): void }).setSecureContext(readTls(config));
      return true;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      await listener?.close();
      registry.releaseWaiters();
      await app.close();
      await registry.settled();
      await handle.close();
    },
  };
}
