import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { ServerConfig } from '@charter/server';

// The server stack loads only for the commands that run it: every other command starts fast.
// It loads as one bundled module (scripts/bundle-server.mjs): the same code, a fraction of the
// start-up of its thousand separate modules — unless the bundle is older than the compiled
// code (a `tsc -b` without `npm run build`): then the modules themselves, and a warning.
let useBundle: boolean | undefined;
const server = (): Promise<typeof import('@charter/server')> => ((useBundle ??= bundleIsCurrent()) ? import('@charter/server/bundle') : import('@charter/server'));

function bundleIsCurrent(): boolean {
  const packages = new URL('../../../', import.meta.url);
  const mtime = (path: string) => statSync(new URL(path, packages)).mtimeMs;
  let bundle: number;
  try {
    bundle = mtime('server/dist/bundle.js');
  } catch {
    process.stderr.write('charter: no server bundle (run npm run build); loading the server modules\n');
    return false;
  }
  for (const pkg of ['server', 'core', 'api', 'sdk']) {
    let built: number;
    try {
      built = mtime(`${pkg}/tsconfig.tsbuildinfo`);
    } catch {
      continue; // an installed copy without build state: the bundle is what was shipped
    }
    if (built > bundle) {
      process.stderr.write(`charter: the server bundle is older than the compiled ${pkg} package (run npm run build); loading the server modules\n`);
      return false;
    }
  }
  return true;
}
import type { Command } from 'commander';
import { EXIT, globals, outputFor } from '../context.js';
import { printJson, progress } from '../output.js';
import type { PlannedChange } from '@charter/core';

interface DbFlags {
  dataDir?: string;
  databaseUrl?: string;
  seedDir?: string;
}

function dbOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data directory of the embedded database (env CHARTER_DATA_DIR)', undefined)
    .option('--database-url <url>', 'postgres:// URL to use PostgreSQL instead (env CHARTER_DATABASE_URL)')
    .option('--seed-dir <dir>', 'directory of seed YAML (default: the seed/ shipped with Charter)');
}

async function config(flags: DbFlags & Partial<ServerConfig>): Promise<ServerConfig> {
  const { resolveConfig } = await server();
  return resolveConfig({
    ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
    ...(flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : {}),
    ...(flags.seedDir ? { seedDir: flags.seedDir } : {}),
    ...(flags.port !== undefined ? { port: Number(flags.port) } : {}),
    ...(flags.host ? { host: flags.host } : {}),
    ...(flags.seed === false ? { seed: false } : {}),
    ...(flags.logLevel ? { logLevel: flags.logLevel } : {}),
    ...(flags.insecureRegistries?.length ? { insecureRegistries: flags.insecureRegistries } : {}),
    ...(flags.publicUrl ? { publicUrl: flags.publicUrl } : {}),
    ...(flags.requestTimeoutMs !== undefined ? { requestTimeoutMs: flags.requestTimeoutMs } : {}),
    ...(flags.headersTimeoutMs !== undefined ? { headersTimeoutMs: flags.headersTimeoutMs } : {}),
    ...(flags.keepAliveTimeoutMs !== undefined ? { keepAliveTimeoutMs: flags.keepAliveTimeoutMs } : {}),
    ...(flags.maxConnections !== undefined ? { maxConnections: flags.maxConnections } : {}),
    ...(flags.untrustedEvidencePerArtifact !== undefined ? { untrustedEvidencePerArtifact: flags.untrustedEvidencePerArtifact } : {}),
  });
}

function describeChange(c: PlannedChange): string {
  const fields = c.action === 'create' ? '' : `  ${c.diff.map((d) => d.path).join(', ')}`;
  return `${c.action.padEnd(10)} ${c.ref}${fields}`;
}

export function serverCommands(program: Command, setExit: (code: number) => void): void {
  dbOptions(
    program
      .command('serve')
      .description('start the Charter server (migrates, loads the seed, serves HTTP)')
      .option('--port <port>', 'port to listen on (env CHARTER_PORT, default 8080)')
      .option('--host <host>', 'address to bind (env CHARTER_HOST, default 127.0.0.1)')
      .option('--no-seed', 'do not load the seed slice on start')
      .option('--evidence-limit <bytes>', 'largest evidence envelope accepted (env CHARTER_EVIDENCE_LIMIT, default 1048576)')
      .option('--request-timeout <ms>', 'time to receive a whole request before the connection is cut (env CHARTER_REQUEST_TIMEOUT_MS, default 30000)')
      .option('--headers-timeout <ms>', 'time to receive the request headers (env CHARTER_HEADERS_TIMEOUT_MS, default 10000)')
      .option('--keep-alive-timeout <ms>', 'how long an idle keep-alive connection stays open (env CHARTER_KEEP_ALIVE_TIMEOUT_MS, default 5000)')
      .option('--max-connections <n>', 'open connections at most (env CHARTER_MAX_CONNECTIONS, default 1024)')
      .option('--untrusted-evidence-per-artifact <n>', 'untrusted evidence items kept per artifact (env CHARTER_UNTRUSTED_EVIDENCE_PER_ARTIFACT, default 20)')
      .option('--private-reads', 'catalog reads and checks need a token with platform.registry.read (env CHARTER_PRIVATE_READS=1)')
      .option('--log-level <level>', 'fatal, error, warn, info, debug (env CHARTER_LOG_LEVEL)')
      .option('--insecure-registry <host[:port]>', 'speak plain HTTP to this OCI registry (repeatable; joined with CHARTER_INSECURE_REGISTRIES)', (v: string, all: string[]) => [...all, v], [] as string[])
      .option('--public-url <url>', "the service's public URL: the base of every link it hands out (explain pages in admission denials) and the verifier.id of its verification summaries (env CHARTER_PUBLIC_URL; default: the listening URL)")
      .option('--tls-cert <file>', 'PEM certificate chain: serve HTTPS (with --tls-key; re-read on SIGHUP) (env CHARTER_TLS_CERT)')
      .option('--tls-key <file>', 'PEM private key of --tls-cert (env CHARTER_TLS_KEY)')
      .option('--tls-client-ca <file>', 'PEM CA bundle: require client certificates it issued, e.g. the Kubernetes API server\'s (env CHARTER_TLS_CLIENT_CA)'),
  ).action(async (flags: DbFlags & { port?: string; host?: string; seed?: boolean; logLevel?: string; privateReads?: boolean; evidenceLimit?: string; insecureRegistry: string[]; publicUrl?: string; requestTimeout?: string; headersTimeout?: string; keepAliveTimeout?: string; maxConnections?: string; untrustedEvidencePerArtifact?: string; tlsCert?: string; tlsKey?: string; tlsClientCa?: string }) => {
    const { insecureRegistry, ...rest } = flags;
    const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    const cfg = await config({
      ...rest,
      insecureRegistries: insecureRegistry,
      port: num(flags.port),
      requestTimeoutMs: num(flags.requestTimeout),
      headersTimeoutMs: num(flags.headersTimeout),
      keepAliveTimeoutMs: num(flags.keepAliveTimeout),
      maxConnections: num(flags.maxConnections),
      untrustedEvidencePerArtifact: num(flags.untrustedEvidencePerArtifact),
    } as DbFlags & Partial<ServerConfig>);
    if (flags.tlsCert !== undefined || flags.tlsKey !== undefined || flags.tlsClientCa !== undefined) {
      const { resolveConfig } = await server();
      Object.assign(cfg, resolveConfig({ ...cfg, ...(flags.tlsCert !== undefined ? { tlsCert: flags.tlsCert } : {}), ...(flags.tlsKey !== undefined ? { tlsKey: flags.tlsKey } : {}), ...(flags.tlsClientCa !== undefined ? { tlsClientCa: flags.tlsClientCa } : {}) }));
    }
    if (flags.privateReads) cfg.privateReads = true;
    if (flags.evidenceLimit !== undefined) cfg.evidenceLimit = Number(flags.evidenceLimit);
    const log = (line: string) => process.stderr.write(`charter: ${line}\n`);
    const { startServer } = await server();
    const running = await startServer(cfg, { log });
    if (!running.adminTokenFile && existsSync(join(cfg.dataDir, 'admin-token'))) log(`admin token: ${join(cfg.dataDir, 'admin-token')} (the CLI reads it when talking to this server)`);
    log(`${running.handle.engine} database at ${running.handle.location}`);
    log(`registry at sequence ${running.registry.catalog.sequence} with ${running.registry.catalog.size} entries`);
    log(`listening on ${running.url} (API docs: ${running.url}/docs)`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        log('shutting down');
        running.close().then(resolve, resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // Certificate rotation: SIGHUP re-reads --tls-cert/--tls-key/--tls-client-ca; a bad file keeps the old ones.
      const reload = () => {
        try {
          if (running.reloadTls()) log('TLS certificate and key reloaded');
        } catch (err) {
          log(`TLS reload failed, still serving the previous certificate: ${err instanceof Error ? err.message : String(err)}`);
        }
      };
      process.on('SIGHUP', reload);
    });
    setExit(EXIT.yes);
  });

  dbOptions(program.command('migrate').description('bring the database schema to the latest migration')).action(async (flags: DbFlags, cmd: Command) => {
    const o = outputFor(globals(cmd));
    const { openRegistry } = await server();
    const { handle, migrations } = await openRegistry({ ...(await config(flags)), seed: false });
    await handle.close();
    if (o.json) printJson(o, { engine: handle.engine, ...migrations });
    else o.out(migrations.applied.length ? `applied ${migrations.applied.join(', ')}; now at ${migrations.current}` : `up to date at ${migrations.current}`);
    setExit(EXIT.yes);
  });

  const seed = program.command('seed').description('compare or load the seed slice (seed/*.yaml)');
  dbOptions(seed.command('plan').description('show how the registry differs from the seed files (drift)')).action(async (flags: DbFlags, cmd: Command) => {
    const o = outputFor(globals(cmd));
    const cfg = await config(flags);
    const { openRegistry, planSeed } = await server();
    const { handle, registry } = await openRegistry({ ...cfg, seed: false });
    try {
      const { plan, problems, operations } = planSeed(registry, cfg.seedDir);
      if (o.json) printJson(o, { operations, changes: plan.changes, errors: plan.errors, problems });
      else if (operations.length === 0) o.out('no changes: the registry matches the seed');
      else {
        o.out(plan.changes.map(describeChange).join('\n'));
        for (const e of plan.errors) o.err(`  ${e.pointer}  ${e.code}  ${e.detail}`);
      }
      setExit(problems.length || plan.errors.length ? EXIT.no : EXIT.yes);
    } finally {
      await handle.close();
    }
  });
  dbOptions(seed.command('apply').description('apply the seed files as a change set authored by seed')).action(async (flags: DbFlags, cmd: Command) => {
    const o = outputFor(globals(cmd));
    const cfg = await config(flags);
    const { openRegistry, applySeed } = await server();
    const { handle, registry } = await openRegistry({ ...cfg, seed: false });
    try {
      const applied = await applySeed(registry, handle.db, cfg.seedDir ? { seedDir: cfg.seedDir } : {});
      if (o.json) printJson(o, applied ? { changeset: applied.changeset.id, sequence: applied.changeset.sequence, changes: applied.plan.changes.length } : { changes: 0 });
      else o.out(applied ? `applied ${applied.plan.changes.length} change(s) as ${applied.changeset.id} at sequence ${applied.changeset.sequence}` : 'no changes: the registry matches the seed');
      setExit(EXIT.yes);
    } finally {
      await handle.close();
    }
  });
}

export function transferCommands(program: Command, setExit: (code: number) => void): void {
  dbOptions(program.command('export').description('write the whole database (registry, change sets, tokens as hashes, audit log, artifacts) as JSON lines').option('--out <file>', 'write here instead of stdout'))
    .action(async (flags: DbFlags & { out?: string }, cmd: Command) => {
      const o = outputFor(globals(cmd));
      const { openDatabase, migrateToLatest, exportRows, exportCounts } = await server();
      const cfg = await config(flags);
      const handle = openDatabase(cfg);
      try {
        const migration = (await migrateToLatest(handle.db)).current;
        const counts = await exportCounts(handle.db);
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        const out = flags.out ? createWriteStream(flags.out, { mode: 0o600 }) : process.stdout;
        const write = (line: string) => new Promise<void>((resolve, reject) => (out.write(line + '\n', (err) => (err ? reject(err) : resolve()))));
        await write(JSON.stringify({ format: 'charter.export/v1', exported_at: new Date().toISOString(), engine: handle.engine, migration, counts }));
        const bar = progress({ ...o, json: o.json || !flags.out }, 'exporting rows');
        let n = 0;
        await exportRows(handle.db, handle.engine, async (line) => {
          await write(JSON.stringify(line));
          bar.update(++n, total);
        });
        bar.done();
        if (flags.out) await new Promise<void>((resolve) => (out as ReturnType<typeof createWriteStream>).end(resolve));
        if (flags.out) {
          if (o.json) printJson(o, { rows: n, counts, out: flags.out });
          else o.out(`exported ${n} rows from ${handle.engine} to ${flags.out}`);
        }
        setExit(EXIT.yes);
      } finally {
        await handle.close();
      }
    });

  dbOptions(program.command('import <file>').description('load an export into a fresh, empty database (same IDs, revisions and audit log)'))
    .action(async (file: string, flags: DbFlags, cmd: Command) => {
      const o = outputFor(globals(cmd));
      const { openDatabase, migrateToLatest, importRows } = await server();
      const cfg = await config(flags);
      const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
      const iterator = lines[Symbol.asyncIterator]();
      const first = await iterator.next();
      const header = first.done ? null : (JSON.parse(first.value) as { format?: string; counts?: Record<string, number> });
      if (header?.format !== 'charter.export/v1') throw new Error(`${file} is not a Charter export (charter.export/v1)`);
      const total = Object.values(header.counts ?? {}).reduce((a, b) => a + b, 0);
      const handle = openDatabase(cfg);
      try {
        await migrateToLatest(handle.db);
        const bar = progress(o, 'importing rows');
        const rows = (async function* () {
          for (let r = await iterator.next(); !r.done; r = await iterator.next()) if (r.value.trim()) yield JSON.parse(r.value);
        })();
        const counts = await importRows(handle.db, rows, (n) => bar.update(n, total));
        bar.done();
        for (const [t, n] of Object.entries(header.counts ?? {})) {
          if ((counts[t] ?? 0) !== n) throw new Error(`table ${t}: the export says ${n} rows, ${counts[t] ?? 0} were read`);
        }
        if (o.json) printJson(o, { engine: handle.engine, counts });
        else o.out(`imported ${Object.values(counts).reduce((a, b) => a + b, 0)} rows into ${handle.engine}; run \`charter audit verify\` against the new server to check the log`);
        setExit(EXIT.yes);
      } finally {
        await handle.close();
      }
    });
}

