import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CharterError } from './errors.js';
import {
  FAMILY_NAMES,
  formatRef,
  ID_MAX_LENGTH,
  ID_MAX_SEGMENTS,
  idProblem,
  isValidId,
  namespaceOf,
  parseRef,
  refProblem,
  tryParseRef,
  unpinned,
  type FamilyName,
} from './ids.js';

// Segments of [a-z][a-z0-9_]{0,14}: eight of them plus seven dots stay within 128 characters.
const segment = fc
  .tuple(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_'), maxLength: 14 }))
  .map(([h, t]) => h + t);
const grammarId = fc.array(segment, { minLength: 1, maxLength: ID_MAX_SEGMENTS }).map((s) => s.join('.'));
const family = fc.constantFrom<FamilyName>(...FAMILY_NAMES);
const revision = fc.option(fc.integer({ min: 1, max: 999_999_999 }), { nil: null });

/** An independent statement of DESIGN §2's grammar, to compare the implementation against. */
function oracle(s: string): boolean {
  return s.length >= 1 && s.length <= 128 && s.split('.').length <= 8 && s.split('.').every((seg) => /^[a-z][a-z0-9_]*$/.test(seg));
}

describe('ID grammar (DESIGN §2)', () => {
  it('accepts lowercase dotted IDs of letters, digits and underscores', () => {
    for (const id of ['gpuaas', 'gpu_hour', 'slsa_provenance_v1', 'app_sdk.v1', 'gpuaas.instances.write', 'a', 'a1.b2_c', 'x'.repeat(128), 'a.b.c.d.e.f.g.h']) {
      assert.equal(idProblem(id), null, id);
      assert.equal(isValidId(id), true, id);
    }
  });

  const invalid: [string, unknown][] = [
    ['empty', ''],
    ['uppercase (no case folding)', 'GPUaaS'],
    ['uppercase segment', 'gpuaas.Instances'],
    ['leading digit', '1gpu'],
    ['segment with a leading digit', 'gpuaas.1x'],
    ['leading underscore', '_gpu'],
    ['hyphen', 'gpu-aas'],
    ['double dot', 'gpuaas..write'],
    ['trailing dot', 'gpuaas.'],
    ['leading dot', '.gpuaas'],
    ['space', 'gpu aas'],
    ['trailing newline', 'gpuaas\n'],
    ['129 characters', 'x'.repeat(129)],
    ['9 segments', 'a.b.c.d.e.f.g.h.i'],
    ['unicode letter', 'gpüaas'],
    ['look-alike script g (U+0261)', '\u0261puaas'],
    ['fullwidth letters', 'ｇｐｕ'],
    ['a colon (that is a ref, not an ID)', 'scope:gpuaas'],
    ['not a string', 42],
    ['null', null],
  ];
  for (const [name, id] of invalid) {
    it(`refuses an ID with ${name}, saying why`, () => {
      const problem = idProblem(id);
      assert.equal(typeof problem, 'string');
      assert.ok(problem!.length > 0);
      assert.equal(isValidId(id), false);
    });
  }

  it('names the length limit for a 129-character ID and the segment limit for 9 segments', () => {
    assert.match(idProblem('x'.repeat(ID_MAX_LENGTH + 1))!, /128/);
    assert.match(idProblem('a.b.c.d.e.f.g.h.i')!, /8 segments/);
  });

  it('property: every ID generated from the grammar is valid', () => {
    fc.assert(fc.property(grammarId, (id) => idProblem(id) === null));
  });

  it('property: a string is valid exactly when the grammar says so, and checking never throws', () => {
    const near = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 140 }),
      fc.string({ unit: fc.constantFrom(...'abcxyzAZ019_.-:@ é'), maxLength: 140 }),
      fc.stringMatching(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/),
      grammarId,
    );
    fc.assert(
      fc.property(near, (s) => {
        const problem = idProblem(s);
        assert.equal(problem === null, oracle(s), JSON.stringify(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('namespaceOf is the first segment', () => {
    assert.equal(namespaceOf('gpuaas.instances.write'), 'gpuaas');
    assert.equal(namespaceOf('gpu_hour'), 'gpu_hour');
  });
});

describe('references family:id[@revision]', () => {
  it('parses a full ref and a pinned ref', () => {
    assert.deepEqual(parseRef('scope:gpuaas.instances.write'), { family: 'scope', id: 'gpuaas.instances.write', revision: null });
    assert.deepEqual(parseRef('scope:gpuaas.instances.write@3'), { family: 'scope', id: 'gpuaas.instances.write', revision: 3 });
    assert.deepEqual(parseRef('usage-unit:gpu_hour'), { family: 'usage-unit', id: 'gpu_hour', revision: null });
  });

  for (const ref of ['scope:x@0', 'scope:x@01', 'scope:x@x', 'scope:x@', 'scope:x@-1', 'scope:x@1.5', 'scope:x@1e3', 'scope:x@ 3', 'scope:x@3@4']) {
    it(`'${ref}' is malformed: a pinned revision is a positive integer without leading zeros`, () => {
      assert.equal(tryParseRef(ref), null);
      assert.match(refProblem(ref)!, /revision/);
    });
  }

  const malformed: [string, unknown][] = [
    ['no family', 'gpuaas.instances.write'],
    ['an unknown family', 'role:gpuaas.admin'],
    ['a family in the wrong case', 'Scope:gpuaas'],
    ['an empty family', ':gpuaas'],
    ['an empty ID', 'scope:'],
    ['an invalid ID', 'scope:GPUaaS.write'],
    ['an ID of 9 segments', 'scope:a.b.c.d.e.f.g.h.i'],
    ['a second colon', 'scope:scope:x'],
    ['surrounding spaces', ' scope:x'],
    ['not a string', { family: 'scope', id: 'x' }],
  ];
  for (const [name, ref] of malformed) {
    it(`a ref with ${name} is malformed, with a reason, and parseRef throws MALFORMED_REF`, () => {
      assert.equal(tryParseRef(ref), null);
      const why = refProblem(ref);
      assert.equal(typeof why, 'string');
      assert.ok(why!.length > 0);
      assert.throws(() => parseRef(ref), (e: unknown) => e instanceof CharterError && e.code === 'MALFORMED_REF' && e.message === why);
    });
  }

  it('property: every ref built from the grammar round-trips through formatRef/parseRef', () => {
    fc.assert(
      fc.property(family, grammarId, revision, (f, id, rev) => {
        const s = formatRef(f, id, rev);
        const parsed = parseRef(s);
        assert.deepEqual(parsed, { family: f, id, revision: rev });
        assert.equal(formatRef(parsed.family, parsed.id, parsed.revision), s);
        assert.equal(refProblem(s), null);
      }),
    );
  });

  it('property: arbitrary strings never make tryParseRef/refProblem/idProblem throw, and every malformed ref gets a reason', () => {
    const junk = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.tuple(fc.constantFrom('scope', 'signer', 'usage-unit', 'Scope', 'nope', ''), fc.string({ unit: 'binary', maxLength: 150 })).map(([f, r]) => `${f}:${r}`),
      fc.tuple(family, grammarId, fc.string({ unit: fc.constantFrom(...'0123456789x@-+. '), maxLength: 12 })).map(([f, id, r]) => `${f}:${id}@${r}`),
      fc.anything(),
    );
    fc.assert(
      fc.property(junk, (s) => {
        const parsed = tryParseRef(s);
        const why = refProblem(s);
        idProblem(s);
        if (parsed === null) {
          assert.equal(typeof why, 'string');
          assert.ok((why as string).length > 0);
          assert.throws(() => parseRef(s), CharterError);
        } else {
          assert.equal(why, null);
          assert.equal(formatRef(parsed.family, parsed.id, parsed.revision), s);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('unpinned: a ref without its pinned revision', () => {
  it('strips a trailing @<digits> and nothing else', () => {
    assert.equal(unpinned('scope:platform.registry.read@3'), 'scope:platform.registry.read');
    assert.equal(unpinned('scope:platform.registry.read'), 'scope:platform.registry.read');
    assert.equal(unpinned('signer:a.b@'), 'signer:a.b@');
    assert.equal(unpinned('signer:a.b@x1'), 'signer:a.b@x1');
    assert.equal(unpinned('evidence-type:x@12@3'), 'evidence-type:x@12');
  });

  it('agrees with the ref parser on every valid ref', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FAMILY_NAMES), fc.stringMatching(/^[a-z][a-z0-9_]{0,10}(\.[a-z][a-z0-9_]{0,10}){0,3}$/), fc.option(fc.integer({ min: 1, max: 999_999_999 })), (family, id, revision) => {
        const ref = formatRef(family, id, revision);
        const p = tryParseRef(ref)!;
        assert.equal(unpinned(ref), formatRef(p.family, p.id));
      }),
    );
  });
});
