import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { admissionCommands } from './commands/admission.js';
import { artifactCommands } from './commands/artifact.js';
import { auditCommands } from './commands/audit.js';
import { catalogCommands } from './commands/catalog.js';
import { governanceCommands } from './commands/governance.js';
import { keysCommands } from './commands/keys.js';
import { registryAsCodeCommands } from './commands/registry-as-code.js';
import { serverCommands, transferCommands } from './commands/server.js';
import { EXIT, outputFor, reportError } from './context.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('charter')
    .description(`Charter ${VERSION}: the registry, artifact and trust service (charter --version prints the version)`)
    .option('--url <url>', 'Charter server URL (env CHARTER_URL, default http://127.0.0.1:8080)')
    .option('--token <token>', 'bearer token (env CHARTER_TOKEN)')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();
  serverCommands(program, setExit);
  transferCommands(program, setExit);
  catalogCommands(program, setExit);
  registryAsCodeCommands(program, setExit);
  governanceCommands(program, setExit);
  auditCommands(program, setExit);
  keysCommands(program, setExit);
  artifactCommands(program, setExit);
  admissionCommands(program, setExit);
  return program;
}

/** Runs the CLI and returns its exit code: 0 yes, 1 no, 2 error. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.yes;
  const program = buildProgram((c) => {
    code = c;
  });
  // --version is the CLI's own only when it stands alone: `artifact register --version 1.2.3` is an artifact's.
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(VERSION + '\n');
    return EXIT.yes;
  }
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.yes : EXIT.error;
    return reportError(outputFor({ json: argv.includes('--json') }), err);
  }
}
