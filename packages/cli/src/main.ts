import { Command, CommanderError } from 'commander';
import { VERSION } from '@charter/server';
import { catalogCommands } from './commands/catalog.js';
import { serverCommands } from './commands/server.js';
import { EXIT, outputFor, reportError } from './context.js';

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('charter')
    .description('Charter: the registry, artifact and trust service')
    .version(VERSION)
    .option('--url <url>', 'Charter server URL (env CHARTER_URL, default http://127.0.0.1:8080)')
    .option('--token <token>', 'bearer token (env CHARTER_TOKEN)')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();
  serverCommands(program, setExit);
  catalogCommands(program, setExit);
  return program;
}

/** Runs the CLI and returns its exit code: 0 yes, 1 no, 2 error. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.yes;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.yes : EXIT.error;
    return reportError(outputFor({ json: argv.includes('--json') }), err);
  }
}
