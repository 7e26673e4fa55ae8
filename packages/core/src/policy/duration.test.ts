import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatDuration, parseDuration, tryParseDuration } from './duration.js';
import { PolicyError } from './errors.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  it('reads the max_age forms policies use', () => {
    assert.equal(parseDuration('30d'), 30 * D);
    assert.equal(parseDuration('12h'), 12 * H);
    assert.equal(parseDuration('90m'), 90 * M);
    assert.equal(parseDuration('7d'), 7 * D);
    assert.equal(parseDuration('1w'), 7 * D);
    assert.equal(parseDuration('45s'), 45 * S);
    assert.equal(parseDuration('999999d'), 999_999 * D);
  });

  it('refuses anything else with a readable INVALID_DURATION', () => {
    for (const bad of ['', '0d', '07d', '7', 'd', '7 d', '7D', '1.5h', '-1d', '1d2h', '1y', '1000000d', ' 7d', '7d\n', 7, null, undefined]) {
      assert.equal(tryParseDuration(bad), null, JSON.stringify(bad));
      assert.throws(() => parseDuration(bad), (e: unknown) => e instanceof PolicyError && e.code === 'INVALID_DURATION' && /is not a duration/.test(e.message));
    }
  });

  it('round-trips every n<unit> the artifact-type schema allows (property)', () => {
    const unitMs = { s: S, m: M, h: H, d: D, w: 7 * D } as const;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999_999 }), fc.constantFrom('s', 'm', 'h', 'd', 'w'), (n, unit) => {
        assert.equal(parseDuration(`${n}${unit}`), n * unitMs[unit]);
      }),
    );
  });
});

describe('formatDuration', () => {
  it('shows the two largest units, rounded down', () => {
    assert.equal(formatDuration(9 * D), '9d');
    assert.equal(formatDuration(7 * D + H + 59 * M), '7d 1h');
    assert.equal(formatDuration(7 * D + 30 * M), '7d');
    assert.equal(formatDuration(3 * H + 20 * M + 5 * S), '3h 20m');
    assert.equal(formatDuration(45 * S + 999), '45s');
    assert.equal(formatDuration(999), '0s');
    assert.equal(formatDuration(-5 * M), '0s');
    assert.equal(formatDuration(Infinity), 'of unknown age');
  });

  it('never shows more than the real age (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 400 * D }), (ms) => {
        const text = formatDuration(ms);
        const shown = text.split(' ').reduce((sum, part) => sum + (tryParseDuration(part) ?? 0), 0);
        assert.ok(shown <= ms, `${text} > ${ms}ms`);
        assert.ok(ms - shown < D, 'within a day of the truth');
      }),
    );
  });
});
