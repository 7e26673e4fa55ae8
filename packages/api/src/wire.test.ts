import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as wire from '@charter/api';
import * as source from '@charter/api/source';

// What the server loads (`@charter/api`: dist/wire.js, plain JSON emitted at build) must be what
// the TypeBox sources define (`@charter/api/source`), export for export.
describe('the emitted wire schemas', () => {
  it('are the TypeBox schemas, as JSON, for every export', () => {
    const builders = new Set(['Nullable', 'listOf']);
    const fromSource = Object.keys(source).filter((k) => !builders.has(k)).sort();
    assert.deepEqual(Object.keys(wire).sort(), fromSource);
    for (const name of fromSource) {
      const s = (source as Record<string, unknown>)[name];
      const w = (wire as Record<string, unknown>)[name];
      if (typeof s === 'function') assert.equal(w, s, `${name}: the same plain helper`);
      else assert.deepEqual(w, JSON.parse(JSON.stringify(s)), name);
    }
  });

  it('imports nothing but the plain helpers: no TypeBox, no core', () => {
    const imports = (file: string) => [...readFileSync(new URL(file, import.meta.url), 'utf8').matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gm)].map((m) => m[1]);
    assert.deepEqual(imports('./wire.js'), ['./responses.js']);
    assert.deepEqual(imports('./responses.js'), []);
  });
});
