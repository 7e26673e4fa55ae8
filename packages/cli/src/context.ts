import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// The HTTP client alone: '@charter/sdk' would also load LocalCatalog and with it all of core.
import { CharterClient, CharterProblem } from '@charter/sdk/client';
import { nodeTransport } from '@charter/sdk/node';
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
  const url = opts.url || process.env.CHARTER_URL || 'http://127.0.0.1:8080';
  // node:http, not fetch: a command is one short process, and fetch's first use costs ~0.1 s.
  return new CharterClient({ url, token: tokenFor(url, opts), transport: nodeTransport() });
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * `--token`, else CHARTER_TOKEN (an empty value counts as unset), else — only for a server on
 * this machine — the admin token its first start wrote to `<data dir>/admin-token`
 * (CHARTER_DATA_DIR, default ./.charter). The file is never read for a remote URL, so the
 * local admin secret cannot leak to another host.
 */
function tokenFor(url: string, opts: GlobalOptions): string | undefined {
  const explicit = opts.token || process.env.CHARTER_TOKEN;
  if (explicit) return explicit;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  if (!LOCAL_HOSTS.has(host)) return undefined;
  try {
    return readFileSync(join(process.env.CHARTER_DATA_DIR || '.charter', 'admin-token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export function outputFor(opts: GlobalOptions): Output {
  return defaultOutput(opts.json === true);
}

/** Exit codes: 0 yes, 1 the answer is no (denied, invalid), 2 the question could not be asked. */
export const EXIT = { yes: 0, no: 1, error: 2 } as const;

export function reportError(o: Output, err: unknown): number {
  if (err instanceof CharterProblem) {
    if (o.json) o.out(JSON.stringify(err.problem ?? { code: err.code, detail: err.detail }, null, 2));
    else {
      o.err(`error: ${err.detail}${err.code && err.status ? ` (${err.code}, HTTP ${err.status})` : ''}`);
      for (const e of err.errors) o.err(`  ${e.pointer || '/'}  ${e.code}  ${e.detail}`);
    }
    return err.status >= 400 && err.status < 500 && err.status !== 401 && err.status !== 404 ? EXIT.no : EXIT.error;
  }
  o.err(`error: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT.error;
}
