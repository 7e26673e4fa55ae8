import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { clientFor, EXIT, globals, outputFor } from '../context.js';
import { printJson, progress } from '../output.js';

export function auditCommands(program: Command, setExit: (code: number) => void): void {
  const audit = program.command('audit').description('verify the tamper-evident audit log');
  audit
    .command('verify')
    .description('download every event, recompute the Merkle tree and check it against a fresh signed checkpoint')
    .option('--log-key <file>', 'the log key to trust (vkey or PEM); default: the key the server presents')
    .option('--since <checkpoint>', 'a checkpoint saved earlier: also prove the log only grew since')
    .option('--save <file>', 'write the verified checkpoint here, for the next --since')
    .action(async (flags: { logKey?: string; since?: string; save?: string }, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const client = clientFor(g);
      const { checkConsistency, parseVkey, readCheckpoint, LogVerifier } = await import('@charter/core');
      const { readLogKey } = await import('../log-key.js');
      const fetchKey = () => client.getAuditKey();
      const pinned = flags.logKey !== undefined;
      // Without --log-key: trust on first use of the key the server presents (and say so).
      const verifier = flags.logKey ? await readLogKey(flags.logKey, async () => (await fetchKey()).name) : parseVkey((await fetchKey()).vkey);
      const note = await client.getAuditCheckpoint();
      const read = readCheckpoint(String(note), verifier);
      const fail = (detail: string, index: number | null) => {
        if (o.json) printJson(o, { ok: false, index, detail });
        else o.err(`FAILED${index === null ? '' : ` at index ${index}`}: ${detail}`);
        setExit(EXIT.no);
      };
      if ('error' in read) return fail(read.error, null);
      const cp = read.checkpoint;

      let consistency: string | null = null;
      if (flags.since) {
        const old = readCheckpoint(readFileSync(flags.since, 'utf8'), verifier);
        if ('error' in old) return fail(`the saved checkpoint: ${old.error}`, null);
        const proof = old.checkpoint.size > 0 && old.checkpoint.size < cp.size
          ? (await client.getConsistencyProof(old.checkpoint.size, cp.size)).hashes.map((h) => Buffer.from(h, 'base64'))
          : [];
        const problem = checkConsistency(old.checkpoint, cp, proof);
        if (problem) return fail(problem, null);
        consistency = `the log at ${cp.size} extends the saved checkpoint at ${old.checkpoint.size}`;
      }

      const log = new LogVerifier();
      const bar = progress(o, 'verifying audit events');
      let after = -1;
      while (log.size < cp.size && !log.problem) {
        const page = await client.listAuditEvents({ after, limit: 5000 });
        if (page.items.length === 0) break;
        for (const e of page.items) {
          if (log.size >= cp.size) break;
          log.add(e);
        }
        after = page.items[page.items.length - 1]!.index;
        bar.update(log.size, cp.size);
      }
      bar.done();
      const result = log.finish(cp);
      if (!result.ok) return fail(result.problem!.detail, result.problem!.index);
      if (flags.save) writeFileSync(flags.save, String(note));
      const summary = {
        ok: true,
        size: cp.size,
        origin: cp.origin,
        root: Buffer.from(cp.rootHash).toString('base64'),
        key: pinned ? 'pinned' : 'presented by the server (pass --log-key to pin it)',
        consistency,
      };
      if (o.json) printJson(o, summary);
      else {
        o.out(`ok: ${cp.size} events reproduce the signed root ${summary.root} of ${cp.origin}`);
        if (consistency) o.out(`ok: ${consistency}`);
        if (!pinned) o.out('note: the log key was taken from the server; pin it with --log-key for an independent check');
      }
      setExit(EXIT.yes);
    });
}
