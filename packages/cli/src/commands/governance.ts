import type { Issue, PlannedChange } from '@charter/core';
import type { ChangeSet, ChangeSetListQuery, Page, Token } from '@charter/sdk/client';
import type { Command } from 'commander';
import { clientFor, EXIT, globals, outputFor } from '../context.js';
import { printJson, table } from '../output.js';


/** GET /v1/changesets/{id}: while open or approved, `errors` are its problems against the registry now. */

function tokenState(t: Token, now: number): string {
  if (t.revoked_at) return 'revoked';
  if (t.expires_at && Date.parse(t.expires_at) <= now) return 'expired';
  return 'active';
}

async function describeChangeSet(cs: ChangeSet): Promise<string[]> {
  // Plans and problems are described by the registry-as-code helpers, which load core and YAML.
  const { changeSetProblems, describePlan, describeProblem } = await import('../desired.js');
  const author = `${cs.author}${cs.author_product ? ` (product ${cs.author_product})` : cs.author_admin ? ' (registry admin)' : ''}`;
  const lines = [
    `${cs.id}  ${cs.title}`,
    `  status:      ${cs.status}${cs.sequence !== null ? ` at sequence ${cs.sequence}` : ''}`,
    `  author:      ${author}`,
    `  created:     ${cs.created_at}`,
    `  updated:     ${cs.updated_at}`,
  ];
  if (cs.description) lines.push(`  description: ${cs.description}`);
  if (cs.approvals.length === 0) lines.push('  approvals:   none');
  cs.approvals.forEach((a, i) => lines.push(`  ${i === 0 ? 'approvals:  ' : '            '} ${a.principal} at ${a.at}${a.comment ? `: ${a.comment}` : ''}`));
  if (cs.rejection) lines.push(`  rejected:    by ${cs.rejection.principal} at ${cs.rejection.at}: ${cs.rejection.reason}`);
  const changes = (cs.plan ?? []) as unknown as PlannedChange[];
  // The wire types codes and plans as plain strings and objects; they are core's.
  const problems = changeSetProblems((cs.errors ?? []) as Issue[], cs.operations);
  // An operation with a problem has no planned change: "no changes" would mislead then.
  if (changes.length > 0 || problems.length === 0) lines.push('', ...describePlan(changes));
  if (problems.length) {
    lines.push('', `problems against the registry now (${problems.length}); applying would be refused:`);
    for (const p of problems) lines.push(`  ${describeProblem(p)}`);
  }
  if (problems.length) lines.push('', 'next: fix the files and submit a new change set (this one can be rejected)');
  else if (cs.status === 'open') lines.push('', `next: a reviewer (not ${cs.author}) runs: charter changeset approve ${cs.id}`);
  else if (cs.status === 'approved') lines.push('', `next: charter changeset apply ${cs.id}`);
  return lines;
}


export function governanceCommands(program: Command, setExit: (code: number) => void): void {
  // ------------------------------------------------------------------------------------------
  // Tokens
  const token = program.command('token').description('bearer tokens: create (shown once), list, revoke');

  token
    .command('create')
    .description('create a token; the secret is printed once and never again')
    .requiredOption('--principal <name>', 'who the token acts as (change sets name it as author or approver)')
    .option('--product <product>', 'bind the token to one product: it may only touch that namespace')
    .requiredOption('--scope <refs...>', 'scope refs of product platform, e.g. scope:platform.registry.propose')
    .option('--expires <duration>', 'lifetime such as 30d, 12h or 90m (default: no expiry)')
    .option('--description <text>', 'what the token is for')
    .action(async (flags: { principal: string; product?: string; scope: string[]; expires?: string; description?: string }, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const created = await clientFor(g).createToken({
        principal: flags.principal,
        ...(flags.product ? { product: flags.product } : {}),
        scopes: flags.scope,
        ...(flags.description ? { description: flags.description } : {}),
        ...(flags.expires ? { expires_in: flags.expires } : {}),
      });
      if (o.json) printJson(o, created);
      else {
        // The secret alone on stdout (so `$(charter token create …)` captures it), the rest on stderr.
        o.err(`created token ${created.id} for ${created.principal}${created.product ? ` (product ${created.product})` : ''}`);
        o.err(`  scopes:  ${created.scopes.join(', ')}`);
        o.err(`  expires: ${created.expires_at ?? 'never'}`);
        o.out(created.token);
        o.err('warning: this is the only time the token is shown; Charter keeps only its hash. Store it now.');
      }
      setExit(EXIT.yes);
    });

  token
    .command('list')
    .description('token metadata (never the secrets)')
    .action(async (_flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const page = await clientFor(g).listTokens();
      const now = Date.now();
      if (o.json) printJson(o, page);
      else if (page.items.length === 0) o.out('no tokens');
      else o.out(table(page.items.map((t) => [t.id, t.principal, t.product ?? '-', tokenState(t, now), t.expires_at ?? 'never', t.scopes.join(',')]), ['ID', 'PRINCIPAL', 'PRODUCT', 'STATE', 'EXPIRES', 'SCOPES']));
      setExit(EXIT.yes);
    });

  token
    .command('revoke <id>')
    .description('revoke a token; it stops working on the next request')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const t = await clientFor(g).revokeToken(id);
      if (o.json) printJson(o, t);
      else o.out(`revoked ${t.id} (${t.principal}) at ${t.revoked_at ?? '?'}`);
      setExit(EXIT.yes);
    });

  // ------------------------------------------------------------------------------------------
  // Change sets
  const changeset = program.command('changeset').description('review change sets: show, list, approve, reject, apply');

  changeset
    .command('show <id>')
    .description('a change set: author, status, approvals, its plan and its problems now')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const cs = await clientFor(g).getChangeSet(id);
      if (o.json) printJson(o, cs);
      else o.out((await describeChangeSet(cs)).join('\n'));
      setExit(EXIT.yes);
    });

  changeset
    .command('list')
    .description('change sets, newest first')
    .option('--status <status>', 'open, approved, applied or rejected')
    .option('--limit <n>', 'at most this many (default 50)')
    .action(async (flags: { status?: string; limit?: string }, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const client = clientFor(g);
      const max = flags.limit ? Number(flags.limit) : 50;
      const items: ChangeSet[] = [];
      let cursor: string | null = null;
      do {
        // The server validates the status name (400 with the allowed values).
        const status = flags.status as ChangeSetListQuery['status'];
        const page: Page<ChangeSet> = await client.listChangeSets({ status, limit: Math.min(200, Math.max(1, max - items.length)), ...(cursor ? { cursor } : {}) });
        items.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor && items.length < max);
      if (o.json) printJson(o, { items, next_cursor: cursor });
      else if (items.length === 0) o.out('no change sets');
      else o.out(table(items.map((cs) => [cs.id, cs.status, cs.author, String(Array.isArray(cs.plan) ? cs.plan.length : 0), cs.updated_at, cs.title]), ['ID', 'STATUS', 'AUTHOR', 'CHANGES', 'UPDATED', 'TITLE']));
      setExit(EXIT.yes);
    });

  changeset
    .command('approve <id>')
    .description('approve (needs platform.registry.approve; never by the author)')
    .option('--comment <text>', 'a note for the record')
    .action(async (id: string, flags: { comment?: string }, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const cs = await clientFor(g).approveChangeSet(id, flags.comment);
      if (o.json) printJson(o, cs);
      else {
        o.out(`approved ${cs.id} (${cs.approvals.length} approval(s): ${cs.approvals.map((a) => a.principal).join(', ')})`);
        o.out(`next: charter changeset apply ${cs.id}`);
      }
      setExit(EXIT.yes);
    });

  changeset
    .command('reject <id>')
    .description('reject with a reason (needs platform.registry.approve)')
    .requiredOption('--reason <text>', 'why, for the author')
    .action(async (id: string, flags: { reason: string }, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const cs = await clientFor(g).rejectChangeSet(id, flags.reason);
      if (o.json) printJson(o, cs);
      else o.out(`rejected ${cs.id}: ${flags.reason}`);
      setExit(EXIT.yes);
    });

  changeset
    .command('apply <id>')
    .description('apply an approved change set: re-validated now, every operation or none')
    .action(async (id: string, _flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      const o = outputFor(g);
      const cs = await clientFor(g).applyChangeSet(id);
      if (o.json) printJson(o, cs);
      else o.out(`applied ${cs.id} at sequence ${cs.sequence ?? '?'}: ${Array.isArray(cs.plan) ? cs.plan.length : 0} change(s)`);
      setExit(EXIT.yes);
    });
}
