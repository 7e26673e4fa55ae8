// Test support, not part of the runtime API: where the interop fixtures are (real envelopes,
// Sigstore bundles, Merkle and checkpoint vectors published by other projects).
//
// They live outside the repository, in `shared/fixtures/interop` beside it, and are never
// copied in. A clone without them still passes its tests: every test that needs them is
// skipped with `interop.skip` as its reason, and scripts/test.mjs says so in its summary
// (CHARTER_REQUIRE_FIXTURES=1, set by .ci/run, makes their absence a failure).
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface InteropFixtures {
  /** The folder looked at: `$CHARTER_FIXTURES_DIR`, else `<repo>/../shared/fixtures/interop`. */
  readonly dir: string;
  readonly present: boolean;
  /** `false` when present; else the reason, ready for node:test's `{ skip }` option. */
  readonly skip: string | false;
  path(...parts: string[]): string;
  text(...parts: string[]): string;
  json<T = Record<string, unknown>>(...parts: string[]): T;
}

/** The fixture folder for a repository root; exported for scripts that are not in dist/. */
export function findInteropFixtures(repoRoot: string, env: NodeJS.ProcessEnv = process.env): InteropFixtures {
  const override = env.CHARTER_FIXTURES_DIR;
  const dir = override ? resolve(override) : resolve(repoRoot, '..', 'shared', 'fixtures', 'interop');
  let present = false;
  try {
    present = statSync(dir).isDirectory();
  } catch {
    present = false;
  }
  const path = (...parts: string[]): string => join(dir, ...parts);
  const text = (...parts: string[]): string => readFileSync(path(...parts), 'utf8');
  return {
    dir,
    present,
    skip: present ? false : `interop fixtures absent (${dir}); set CHARTER_FIXTURES_DIR to run these`,
    path,
    text,
    json: <T>(...parts: string[]): T => JSON.parse(text(...parts)) as T,
  };
}

// packages/core/dist/testing/interop.js -> the repository root is four levels up.
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

export const interop: InteropFixtures = findInteropFixtures(repoRoot);
