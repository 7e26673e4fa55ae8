import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMBEDDED_CACHE_BYTES, SCHEMA_LIMITS, embeddedCacheStats, schemaLimitProblem, setEmbeddedCacheBudget, schemaProblem, validateEmbedded } from './schema.js';

describe('contributor JSON Schemas', () => {
  it('are measured before compilation: bytes, members, depth, patterns and $refs, each refused with a pointer inside the schema', () => {
    const many: Record<string, unknown> = {};
    for (let i = 0; i < 3000; i++) many[`p${i}`] = { type: 'string', pattern: `^x${i}[a-z]+$` };
    const t = performance.now();
    const wide = schemaProblem({ type: 'object', properties: many });
    assert.ok(performance.now() - t < 2000, 'refused without compiling (generous guard)');
    assert.match(wide!.detail, new RegExp(`more than ${SCHEMA_LIMITS.members} keywords`));
    assert.match(wide!.pointer, /^\/properties\/p\d+/);

    const patterns: Record<string, unknown> = {};
    for (let i = 0; i <= SCHEMA_LIMITS.patterns; i++) patterns[`p${i}`] = { pattern: `^a${i}$` };
    assert.deepEqual(schemaLimitProblem({ properties: patterns }), { pointer: `/properties/p${SCHEMA_LIMITS.patterns}/pattern`, detail: `the schema has more than ${SCHEMA_LIMITS.patterns} patterns` });

    let deep: unknown = { type: 'string' };
    for (let i = 0; i < 5000; i++) deep = { items: deep };
    assert.match(schemaProblem(deep)!.detail, /deeper than 32/);

    const refs: Record<string, unknown> = {};
    for (let i = 0; i <= SCHEMA_LIMITS.refs; i++) refs[`r${i}`] = { $ref: '#/$defs/x' };
    assert.match(schemaProblem({ $defs: { x: {} }, properties: refs })!.detail, /\$ref/);

    assert.match(schemaProblem({ enum: ['x'.repeat(SCHEMA_LIMITS.bytes)] })!.detail, /bytes/);
  });

  it('refuse patterns RE2 cannot run in linear time (lookaround, backreferences) and oversized programs, with a pointer', () => {
    assert.deepEqual(schemaProblem({ properties: { a: { pattern: '^(?=x)' } } })?.pointer, '/properties/a/pattern');
    assert.deepEqual(schemaProblem({ patternProperties: { '(a)\\1': {} } })?.pointer, '/patternProperties/(a)\\1');
    assert.match(schemaProblem({ properties: { a: { pattern: '^[a-z]{1,1000}$' } } })!.detail, /RE2 instructions/);
    assert.equal(schemaProblem({ properties: { a: { pattern: '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$' } } }), null);
  });

  it('run patterns in linear time: a catastrophic pattern answers correctly for a 10 kB value', () => {
    const schema = { type: 'object', properties: { v: { type: 'string', pattern: '^([a-z]+)+$' } } };
    assert.equal(schemaProblem(schema), null, 'the pattern is valid RE2 and accepted');
    const bad = validateEmbedded(schema, { v: 'a'.repeat(10_000) + '!' }, '/variables', 'INVALID_NOTIFICATION');
    assert.deepEqual(bad.map((i) => i.pointer), ['/variables/v']);
    assert.deepEqual(validateEmbedded(schema, { v: 'a'.repeat(10_000) }, '/variables', 'INVALID_NOTIFICATION'), []);
    // Two patterns in one schema are two patterns (compiled patterns are keyed by their text).
    const two = { properties: { a: { pattern: '^a+$' }, b: { pattern: '^b+$' } } };
    assert.deepEqual(validateEmbedded(two, { a: 'aa', b: 'aa' }, '', 'INVALID_MANIFEST').map((i) => i.pointer), ['/b']);
  });

  it('keep the compiled-schema cache within its byte budget however many distinct schemas arrive', () => {
    setEmbeddedCacheBudget(2 * 1024 * 1024);
    try {
      const props: Record<string, unknown> = {};
      for (let i = 0; i < 40; i++) props[`p${i}`] = { type: 'string', maxLength: i + 1 };
      for (let i = 0; i < 40; i++) assert.equal(schemaProblem({ title: `s${i}`, type: 'object', properties: props }), null);
      const stats = embeddedCacheStats();
      assert.ok(stats.bytes <= 2 * 1024 * 1024, `${stats.bytes} ≤ 2 MiB`);
      assert.ok(stats.entries < 40, `older schemas were evicted (${stats.entries} kept)`);
    } finally {
      setEmbeddedCacheBudget(EMBEDDED_CACHE_BYTES);
    }
  });
});
