import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pointer } from '../errors.js';
import { jsonEqual, pointerTokens, resolvePointer } from './pointer.js';

describe('resolvePointer (RFC 6901)', () => {
  const doc = { foo: ['bar', 'baz'], '': 0, 'a/b': 1, 'c%d': 2, 'e^f': 3, 'g|h': 4, 'i\\j': 5, 'k"l': 6, ' ': 7, 'm~n': 8 };

  it('resolves the examples of RFC 6901 §5', () => {
    const cases: [string, unknown][] = [
      ['', doc],
      ['/foo', ['bar', 'baz']],
      ['/foo/0', 'bar'],
      ['/', 0],
      ['/a~1b', 1],
      ['/c%d', 2],
      ['/e^f', 3],
      ['/g|h', 4],
      ['/i\\j', 5],
      ['/k"l', 6],
      ['/ ', 7],
      ['/m~0n', 8],
    ];
    for (const [p, v] of cases) assert.deepEqual(resolvePointer(doc, p), { found: true, value: v }, p);
  });

  it('does not find what is not there, and refuses what is not a pointer', () => {
    for (const p of ['/nope', '/foo/2', '/foo/-', '/foo/01', '/foo/0/x', 'foo', '/m~2n', '/~', '/foo/1e0', '/foo/ 1']) {
      assert.deepEqual(resolvePointer(doc, p), { found: false }, p);
    }
    assert.equal(pointerTokens('x'), null);
    assert.deepEqual(pointerTokens('/~01'), ['~1']);
  });

  it('only reaches own properties', () => {
    for (const p of ['/__proto__', '/constructor', '/toString', '/foo/length', '/foo/map']) {
      assert.deepEqual(resolvePointer(doc, p), { found: false }, p);
    }
    const withProto = JSON.parse('{"__proto__": {"x": 1}}') as unknown;
    assert.deepEqual(resolvePointer(withProto, '/__proto__/x'), { found: true, value: 1 });
  });

  it('finds any value at a pointer built with escaping (property)', () => {
    const key = fc.string({ unit: fc.constantFrom('a', '/', '~', '0', '1', 'é', '') , maxLength: 6 });
    fc.assert(
      fc.property(fc.array(key, { maxLength: 5 }), fc.jsonValue(), (keys, leaf) => {
        let built: unknown = leaf;
        for (const k of [...keys].reverse()) built = { [k]: built };
        const resolved = resolvePointer(built, pointer(...keys));
        assert.equal(resolved.found, true);
        if (resolved.found) assert.ok(jsonEqual(resolved.value, leaf));
      }),
    );
  });

  it('never throws on arbitrary documents and strings (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (d, p) => {
        resolvePointer(d, p);
      }),
    );
  });
});

describe('jsonEqual', () => {
  it('compares JSON values deeply, objects by key set regardless of order', () => {
    assert.equal(jsonEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 }), true);
    assert.equal(jsonEqual([1, 2], [2, 1]), false);
    assert.equal(jsonEqual({ a: undefined }, {}), false);
    assert.equal(jsonEqual([], {}), false);
    assert.equal(jsonEqual(null, {}), false);
    assert.equal(jsonEqual(1, '1'), false);
  });

  it('agrees with canonical JSON text equality (property)', () => {
    const canon = (v: unknown): string =>
      JSON.stringify(v, (_k, x: unknown) =>
        x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
      );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.jsonValue({ maxDepth: 3 }), (a, b) => {
        // -0 and 0 are the same JSON number text.
        assert.equal(jsonEqual(a, b), canon(a) === canon(b));
        assert.equal(jsonEqual(a, structuredClone(a)), true);
      }),
    );
  });
});
