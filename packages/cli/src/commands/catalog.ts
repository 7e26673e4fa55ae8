import type { CheckResultBody, EntryBody, EntryListQuery } from '@charter/sdk/client';
// Only the ID grammar, not the whole core: read commands start fast.
import { parseRef } from '@charter/core/ids';
import type { Command } from 'commander';
import { clientFor, EXIT, globals, outputFor } from '../context.js';
import { printJson, table } from '../output.js';

function describeEntry(e: EntryBody): string {
  const lines = [
    `${e.family}:${e.id}  (revision ${e.revision})`,
    `  title:       ${e.title}`,
    `  owner:       ${e.owner}`,
    `  lifecycle:   ${e.lifecycle}${e.replaced_by ? `  → replaced by ${e.replaced_by}` : ''}${e.sunset_at ? `  sunset ${e.sunset_at}` : ''}`,
  ];
  if (e.description) lines.push(`  description: ${e.description}`);
  lines.push(`  updated:     ${e.updated_at}`);
  lines.push('  spec:');
  for (const line of JSON.stringify(e.spec, null, 2).split('\n')) lines.push(`    ${line}`);
  return lines.join('\n');
}

export function describeCheck(r: CheckResultBody): string {
  const mark = r.allowed ? 'allowed' : 'DENIED ';
  const extra = [r.lifecycle ? `lifecycle ${r.lifecycle}` : null, r.revision ? `rev ${r.revision}` : null, r.warning].filter(Boolean).join('; ');
  return `${mark}  ${r.ref}  ${r.reason}${extra ? `  (${extra})` : ''}`;
}

export function catalogCommands(program: Command, setExit: (code: number) => void): void {
  program
    .command('list')
    .description('list registry entries')
    .option('--family <family>', 'only this family')
    .option('--lifecycle <state>', 'only entries in this state')
    .option('--owner <product>', 'only entries owned by this product')
    .option('-q, --query <text>', 'substring of id, title or description')
    .option('--limit <n>', 'at most this many entries')
    .action(async (flags: { family?: string; lifecycle?: string; owner?: string; query?: string; limit?: string }, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const client = clientFor(g);
      const max = flags.limit ? Number(flags.limit) : Infinity;
      const items: EntryBody[] = [];
      // The server validates the family and lifecycle names (400 with the allowed values).
      const query = { family: flags.family, lifecycle: flags.lifecycle, owner: flags.owner, q: flags.query } as EntryListQuery;
      for await (const e of client.listAllEntries(query)) {
        items.push(e);
        if (items.length >= max) break;
      }
      if (o.json) printJson(o, { items });
      else o.out(items.length ? table(items.map((e) => [`${e.family}:${e.id}`, e.lifecycle, String(e.revision), e.owner, e.title]), ['REF', 'LIFECYCLE', 'REV', 'OWNER', 'TITLE']) : 'no entries');
      setExit(EXIT.yes);
    });

  program
    .command('get <ref>')
    .description('show one entry (family:id, or family:id@revision)')
    .action(async (ref: string, _flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const r = parseRef(ref);
      const e = await clientFor(g).getEntry(r.family, r.id, r.revision ?? undefined);
      if (o.json) printJson(o, e);
      else o.out(describeEntry(e));
      setExit(EXIT.yes);
    });

  program
    .command('history <ref>')
    .description('every revision of an entry, newest first')
    .action(async (ref: string, _flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const r = parseRef(ref);
      const page = await clientFor(g).getEntryHistory(r.family, r.id);
      if (o.json) printJson(o, page);
      else o.out(table(page.items.map((h) => [String(h.revision), String(h.sequence), h.operation, h.entry.lifecycle, h.author, h.approvers.join(',') || '-', h.at, h.changeset]), ['REV', 'SEQ', 'OPERATION', 'LIFECYCLE', 'AUTHOR', 'APPROVERS', 'AT', 'CHANGESET']));
      setExit(EXIT.yes);
    });

  program
    .command('check <refs...>')
    .description('ask the fail-closed question; exits 0 only if every ref is allowed')
    .action(async (refs: string[], _flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const answer = await clientFor(g).check(refs);
      if (o.json) printJson(o, answer);
      else {
        for (const r of answer.results) o.out(describeCheck(r));
      }
      setExit(answer.allowed ? EXIT.yes : EXIT.no);
    });
}
