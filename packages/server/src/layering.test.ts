import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Registry } from './registry/registry.js';

// Runs from packages/server/dist; reads the TypeScript sources beside it.
const PACKAGES = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = join(PACKAGES, 'server/src');
const STORE = join(SERVER, 'store');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'e2e' ? [] : sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Every module a file imports: static (value or type) and dynamic. */
function imports(file: string): { spec: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  const out: { spec: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g)) out.push({ spec: m[2]!, typeOnly: !!m[1] });
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1]!, typeOnly: false });
  return out;
}

const intoStore = (file: string, spec: string) => spec.startsWith('.') && resolve(dirname(file), spec).startsWith(STORE + '/');

describe('layering: who may reach the database', () => {
  it('HTTP routes and web pages call use cases only: no store module, no SQL builder, no database handle', () => {
    const files = [...sources(join(SERVER, 'http')), ...sources(join(SERVER, 'web'))];
    assert.ok(files.length > 10, 'found the route sources');
    const bad: string[] = [];
    for (const file of files) {
      for (const { spec } of imports(file)) if (intoStore(file, spec) || spec === 'kysely' || spec === 'pg' || spec === 'better-sqlite3') bad.push(`${relative(PACKAGES, file)} imports ${spec}`);
      if (/\bregistry\.db\b|\.handle\.db\b/.test(readFileSync(file, 'utf8'))) bad.push(`${relative(PACKAGES, file)} reaches into the database handle`);
    }
    assert.deepEqual(bad, []);
  });

  it('the CLI never imports store modules, and imports the server at run time only for serve, migrate, seed, export and import', () => {
    const files = sources(join(PACKAGES, 'cli/src'));
    assert.ok(files.length > 5, 'found the CLI sources');
    const bad: string[] = [];
    for (const file of files) {
      const name = relative(join(PACKAGES, 'cli/src'), file);
      for (const { spec, typeOnly } of imports(file)) {
        if (spec === 'kysely' || spec === 'pg' || spec === 'better-sqlite3' || /@charter\/server\/.*store/.test(spec)) bad.push(`${name} imports ${spec}`);
        if (typeOnly || !spec.startsWith('@charter/server')) continue;
        // commands/server.ts holds serve, migrate, seed, export and import.
        const allowed = name === 'commands/server.ts';
        if (!allowed) bad.push(`${name} imports ${spec} at run time`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('SQL lives in store/: no other server module imports the query builder or a driver', () => {
    const bad: string[] = [];
    for (const file of sources(SERVER)) {
      if (file.startsWith(STORE + '/') || file.includes('/testing/')) continue;
      for (const { spec, typeOnly } of imports(file)) {
        if (!typeOnly && (spec === 'kysely' || spec === 'pg' || spec === 'better-sqlite3')) bad.push(`${relative(PACKAGES, file)} imports ${spec}`);
      }
      if (/\b(selectFrom|insertInto|updateTable|deleteFrom)\(/.test(readFileSync(file, 'utf8'))) bad.push(`${relative(PACKAGES, file)} builds SQL`);
    }
    assert.deepEqual(bad, []);
  });

  it('no module outside store/ and registry/registry.ts reaches the database through the Registry', () => {
    // Registry owns the catalog and the write path; every service is given the database explicitly.
    const bad: string[] = [];
    const files = sources(SERVER);
    assert.ok(files.length > 30, 'found the server sources');
    for (const file of files) {
      if (file.startsWith(STORE + '/') || file === join(SERVER, 'registry/registry.ts')) continue;
      if (/\bregistry\??\.db\b/.test(readFileSync(file, 'utf8'))) bad.push(`${relative(PACKAGES, file)} asks the Registry for the database`);
    }
    assert.deepEqual(bad, []);
    assert.equal('db' in Registry.prototype, false, 'Registry hands out no database handle');
  });
});
