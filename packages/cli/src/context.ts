import { CharterApiError, CharterClient } from '@charter/sdk';
import type { Command } from 'commander';
import { defaultOutput, type Output } from './output.js';

export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

/** Options every command inherits: the server URL, the token, and --json. */
export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

export function clientFor(opts: GlobalOptions): CharterClient {
  const url = opts.url ?? process.env.CHARTER_URL ?? 'http://127.0.0.1:8080';
  return new CharterClient({ url, token: opts.token ?? process.env.CHARTER_TOKEN });
}

export function outputFor(opts: GlobalOptions): Output {
  return defaultOutput(opts.json === true);
}

/** Exit codes: 0 yes, 1 the answer is no (denied, invalid), 2 the question could not be asked. */
export const EXIT = { yes: 0, no: 1, error: 2 } as const;

export function reportError(o: Output, err: unknown): number {
  if (err instanceof CharterApiError) {
    if (o.json) o.out(JSON.stringify(err.problem ?? { code: err.code, detail: err.message }, null, 2));
    else {
      o.err(`error: ${err.message}${err.code && err.status ? ` (${err.code}, HTTP ${err.status})` : ''}`);
      const errors = (err.problem?.errors ?? []) as { pointer: string; code: string; detail: string }[];
      for (const e of errors) o.err(`  ${e.pointer || '/'}  ${e.code}  ${e.detail}`);
    }
    return err.status >= 400 && err.status < 500 && err.status !== 401 && err.status !== 404 ? EXIT.no : EXIT.error;
  }
  o.err(`error: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT.error;
}
