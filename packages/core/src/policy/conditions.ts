import { isRecord } from './model.js';
import { jsonEqual, pointerTokens, resolvePointer } from './pointer.js';

/** The outcome of one `where` entry on one statement. */
export interface ConditionResult {
  pointer: string;
  ok: boolean;
  /** `critical = 0` when it holds; `critical = 2, policy allows at most 0` when not. */
  detail: string;
}

const OPERATORS = ['exists', 'eq', 'in', 'min', 'max'] as const;
type Operator = (typeof OPERATORS)[number];

/**
 * Evaluates every `where` condition on a statement. Never throws: a condition the policy wrote
 * in a way this code cannot read fails (fail closed), as does a missing field or a non-number
 * under min/max.
 */
export function evaluateWhere(where: unknown, statement: unknown): ConditionResult[] {
  if (where === undefined) return [];
  if (!isRecord(where)) return [{ pointer: '', ok: false, detail: 'the policy\'s where clause is not an object of JSON pointers, so it cannot hold' }];
  return Object.entries(where).map(([pointer, condition]) => evaluateCondition(pointer, condition, statement));
}

/** True iff every `where` condition holds: evaluateWhere without the sentences. */
export function whereHolds(where: unknown, statement: unknown): boolean {
  if (where === undefined) return true;
  if (!isRecord(where)) return false;
  for (const pointer of Object.keys(where)) {
    if (pointerTokens(pointer) === null) return false;
    const ops = operatorsOf(where[pointer]);
    if (ops === null) return false;
    const resolved = resolvePointer(statement, pointer);
    const value = resolved.found ? resolved.value : undefined;
    if (ops.some(([op, bound]) => check(op, bound, resolved.found, value) !== null)) return false;
  }
  return true;
}

export function evaluateCondition(pointer: string, condition: unknown, statement: unknown): ConditionResult {
  const label = labelOf(pointer);
  const fail = (detail: string): ConditionResult => ({ pointer, ok: false, detail });
  if (pointerTokens(pointer) === null) return fail(`the policy names '${pointer}', which is not a JSON pointer, so it cannot hold`);
  const ops = operatorsOf(condition);
  if (ops === null) return fail(`the policy's condition on ${pointer} is not understood, so it cannot hold`);

  const resolved = resolvePointer(statement, pointer);
  const shown = resolved.found ? `${label} = ${show(resolved.value)}` : `${label} is absent`;
  const problems: string[] = [];
  for (const [op, bound] of ops) {
    const problem = check(op, bound, resolved.found, resolved.found ? resolved.value : undefined);
    if (problem !== null) problems.push(problem);
  }
  if (problems.length === 0) return { pointer, ok: true, detail: resolved.found ? shown : `${label} is absent, as required` };
  return fail(`${shown}, ${problems.join(' and ')}`);
}

/** Why the operator does not hold, phrased after "<label> = <value>, ", or null when it holds. */
function check(op: Operator, bound: unknown, found: boolean, value: unknown): string | null {
  switch (op) {
    case 'exists':
      if (bound === true) return found ? null : 'policy requires it to be present';
      return found ? 'policy requires it to be absent' : null;
    case 'eq':
      return found && jsonEqual(value, bound) ? null : `policy requires ${show(bound)}`;
    case 'in': {
      const options = bound as unknown[];
      return found && options.some((o) => jsonEqual(value, o)) ? null : `policy requires one of ${options.map(show).join(', ')}`;
    }
    case 'min':
    case 'max': {
      const b = bound as number;
      const phrase = op === 'min' ? `policy requires at least ${b}` : `policy allows at most ${b}`;
      if (!found) return phrase;
      if (typeof value !== 'number' || !Number.isFinite(value)) return `which is not a number; ${phrase}`;
      return (op === 'min' ? value >= b : value <= b) ? null : phrase;
    }
  }
}

/** The operators of a condition with well-typed bounds, or null when any part is unreadable. */
function operatorsOf(condition: unknown): [Operator, unknown][] | null {
  if (!isRecord(condition)) return null;
  const keys = Object.keys(condition);
  if (keys.length === 0 || keys.some((k) => !(OPERATORS as readonly string[]).includes(k))) return null;
  const ops = OPERATORS.filter((op) => Object.hasOwn(condition, op)).map((op): [Operator, unknown] => [op, condition[op]]);
  for (const [op, bound] of ops) {
    if (op === 'exists' && typeof bound !== 'boolean') return null;
    if (op === 'in' && (!Array.isArray(bound) || bound.length === 0)) return null;
    if ((op === 'min' || op === 'max') && (typeof bound !== 'number' || !Number.isFinite(bound))) return null;
  }
  return ops;
}

/** `/predicate/summary/critical ≤ 0`; several operators are joined with "and". */
export function describeCondition(pointer: string, condition: unknown): string {
  const ops = operatorsOf(condition);
  if (ops === null) return `${pointer} (condition not understood)`;
  return ops
    .map(([op, bound]) => {
      switch (op) {
        case 'exists':
          return bound ? `${pointer} present` : `${pointer} absent`;
        case 'eq':
          return `${pointer} = ${show(bound)}`;
        case 'in':
          return `${pointer} in [${(bound as unknown[]).map(show).join(', ')}]`;
        case 'min':
          return `${pointer} ≥ ${String(bound)}`;
        case 'max':
          return `${pointer} ≤ ${String(bound)}`;
      }
    })
    .join(' and ');
}

/** The last reference token, which is what people call the field (`critical`); the pointer if that is empty. */
function labelOf(pointer: string): string {
  const tokens = pointerTokens(pointer);
  const last = tokens?.[tokens.length - 1];
  return last ? last : pointer || '(the statement)';
}

/** A short JSON rendering of a value for a sentence. */
export function show(v: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    // not JSON (cyclic, BigInt): the statement was not parsed from JSON
  }
  text ??= String(typeof v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
