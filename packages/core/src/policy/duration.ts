import { PolicyError } from './errors.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;

// Same grammar as artifact-type's max_age schema: no zero, no fractions, no compound forms.
const DURATION = /^([1-9][0-9]{0,5})([smhdw])$/;

/** `30d`, `12h`, `90m`, `1w`, `45s` → milliseconds; null when not of that form. */
export function tryParseDuration(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = DURATION.exec(text);
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2] as Unit];
}

/** Like tryParseDuration, but throws PolicyError('INVALID_DURATION') with a readable message. */
export function parseDuration(text: unknown): number {
  const ms = tryParseDuration(text);
  if (ms === null) {
    const shown = typeof text === 'string' ? `'${text}'` : typeof text;
    throw new PolicyError('INVALID_DURATION', `${shown} is not a duration: write a positive whole number and one unit of s, m, h, d or w (e.g. 7d, 12h, 90m)`);
  }
  return ms;
}

/**
 * An age for people: the two largest non-zero units, rounded down (`9d`, `7d 1h`, `3h 20m`, `45s`).
 * Rounding down never makes evidence look older than the policy allows when it is not.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'of unknown age';
  if (ms < 0) ms = 0;
  const parts: [number, string][] = [
    [Math.floor(ms / UNIT_MS.d), 'd'],
    [Math.floor((ms % UNIT_MS.d) / UNIT_MS.h), 'h'],
    [Math.floor((ms % UNIT_MS.h) / UNIT_MS.m), 'm'],
    [Math.floor((ms % UNIT_MS.m) / UNIT_MS.s), 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ');
}
