import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig, startServer, openRegistry, planSeed, applySeed, type ServerConfig } from '@charter/server';
import type { Command } from 'commander';
import { EXIT, globals, outputFor } from '../context.js';
import { printJson, table } from '../output.js';
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

function config(flags: DbFlags & Partial<ServerConfig>): ServerConfig {
  return resolveConfig({
    ...(flags.dataDir ? { dataDir: flags.dataDir } : {}),
    ...(flags.databaseUrl ? { databaseUrl: flags.databaseUrl } : {}),
    ...(flags.seedDir ? { seedDir: flags.seedDir } : {}),
    ...(flags.port !== undefined ? { port: Number(flags.port) } : {}),
    ...(flags.host ? { host: flags.host } : {}),
    ...(flags.seed === false ? { seed: false } : {}),
    ...(flags.logLevel ? { logLevel: flags.logLevel } : {}),
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
      .option('--private-reads', 'catalog reads and checks need a token with platform.registry.read (env CHARTER_PRIVATE_READS=1)')
      .option('--log-level <level>', 'fatal, error, warn, info, debug (env CHARTER_LOG_LEVEL)'),
  ).action(async (flags: DbFlags & { port?: string; host?: string; seed?: boolean; logLevel?: string; privateReads?: boolean }) => {
    const cfg = config({ ...flags, port: flags.port === undefined ? undefined : Number(flags.port) } as DbFlags & Partial<ServerConfig>);
    if (flags.privateReads) cfg.privateReads = true;
    const log = (line: string) => process.stderr.write(`charter: ${line}\n`);
    const server = await startServer(cfg, { log });
    if (!server.adminTokenFile && existsSync(join(cfg.dataDir, 'admin-token'))) log(`admin token: ${join(cfg.dataDir, 'admin-token')} (the CLI reads it when talking to this server)`);
    log(`${server.handle.engine} database at ${server.handle.location}`);
    log(`registry at sequence ${server.registry.catalog.sequence} with ${server.registry.catalog.size} entries`);
    log(`listening on ${server.url} (API docs: ${server.url}/docs)`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        log('shutting down');
        server.close().then(resolve, resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    setExit(EXIT.yes);
  });

  dbOptions(program.command('migrate').description('bring the database schema to the latest migration')).action(async (flags: DbFlags, cmd: Command) => {
    const o = outputFor(globals(cmd));
    const { handle, migrations } = await openRegistry({ ...config(flags), seed: false });
    await handle.close();
    if (o.json) printJson(o, { engine: handle.engine, ...migrations });
    else o.out(migrations.applied.length ? `applied ${migrations.applied.join(', ')}; now at ${migrations.current}` : `up to date at ${migrations.current}`);
    setExit(EXIT.yes);
  });

  const seed = program.command('seed').description('compare or load the seed slice (seed/*.yaml)');
  dbOptions(seed.command('plan').description('show how the registry differs from the seed files (drift)')).action(async (flags: DbFlags, cmd: Command) => {
    const o = outputFor(globals(cmd));
    const cfg = config(flags);
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
    const cfg = config(flags);
    const { handle, registry } = await openRegistry({ ...cfg, seed: false });
    try {
      const applied = await applySeed(registry, cfg.seedDir ? { seedDir: cfg.seedDir } : {});
      if (o.json) printJson(o, applied ? { changeset: applied.changeset.id, sequence: applied.changeset.sequence, changes: applied.plan.changes.length } : { changes: 0 });
      else o.out(applied ? `applied ${applied.plan.changes.length} change(s) as ${applied.changeset.id} at sequence ${applied.changeset.sequence}` : 'no changes: the registry matches the seed');
      setExit(EXIT.yes);
    } finally {
      await handle.close();
    }
  });
}

export { table };
