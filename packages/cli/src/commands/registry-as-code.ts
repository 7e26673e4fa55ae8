import type { Command } from 'commander';
import type { FileFlags } from '../desired.js';

// Reading, validating and planning entry files needs core and YAML: loaded only when one runs.
const desired = () => import('../desired.js');

export function registryAsCodeCommands(program: Command, setExit: (code: number) => void): void {
  program
    .command('validate')
    .description('check entry files offline (schemas, IDs, namespaces, lifecycle; references with --snapshot); for CI')
    .requiredOption('-f, --file <paths...>', 'entry files or directories (YAML or JSON, one entry per document)')
    .option('--snapshot <file>', 'a saved GET /v1/snapshot answer: also check references, owners and changes to existing entries')
    .option('--product <product>', "check as a token bound to this product (its namespace only); default: as a registry admin")
    .action(async (flags: FileFlags & { snapshot?: string; product?: string }, cmd: Command) => (await desired()).validateFiles(flags, cmd, setExit));

  program
    .command('plan')
    .description('show what submitting these entry files would change on the server (a dry run)')
    .requiredOption('-f, --file <paths...>', 'entry files or directories (YAML or JSON, one entry per document)')
    .action(async (flags: FileFlags, cmd: Command) => (await desired()).planOrSubmit(cmd, flags, 'plan', setExit));

  program
    .command('submit')
    .description('open a change set that brings the server to these entry files')
    .requiredOption('-f, --file <paths...>', 'entry files or directories (YAML or JSON, one entry per document)')
    .requiredOption('--title <title>', 'what the change set does, for its reviewers')
    .option('--description <text>', 'why, links, context')
    .action(async (flags: FileFlags & { title: string; description?: string }, cmd: Command) => (await desired()).planOrSubmit(cmd, flags, 'submit', setExit));
}

