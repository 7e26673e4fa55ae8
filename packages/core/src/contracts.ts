import { checkEntry, type RegistryView } from './catalog.js';
import type { Entry } from './entry.js';
import type { Issue } from './errors.js';
import { formatRef, tryParseRef, unpinned, type FamilyName } from './ids.js';
import { validateEmbedded } from './schema.js';

/**
 * What shared services ask of registry contracts at run time: is this app manifest valid for
 * its SDK contract, is this usage record valid for its unit, and the rendered text of a
 * notification. Pure: the registry view and the clock come in as arguments; all fail closed.
 */

export interface ContractAnswer {
  valid: boolean;
  /** The entry judged by, at its revision. */
  contract: { ref: string; revision: number } | null;
  errors: Issue[];
}

function usableEntry(view: RegistryView, ref: string, family: FamilyName, pointer: string, now: number, errors: Issue[]): Entry | null {
  const p = tryParseRef(ref);
  if (!p || p.family !== family) {
    errors.push({ pointer, code: 'MALFORMED_REF', detail: `'${ref}' is not a ${family} reference (${family}:id)` });
    return null;
  }
  const entry = view.get(family, p.id);
  const answer = checkEntry(ref, entry, now, p.revision);
  if (!answer.allowed) {
    errors.push({ pointer, code: 'UNUSABLE_ENTRY', detail: `${formatRef(family, p.id)} is ${answer.reason}${answer.warning ? ` (${answer.warning})` : ''}` });
    return null;
  }
  return entry!;
}

const CONTRACT_LISTS: Partial<Record<FamilyName, string>> = {
  'artifact-type': 'artifact_types',
  scope: 'scopes',
  'usage-unit': 'usage_units',
  'notification-template': 'notification_templates',
};

/**
 * An app manifest against its SDK contract: the contract's manifest schema, and every registry
 * ref the manifest carries (any string of the form family:id of a family the contract speaks
 * of) must be usable now and, where the contract lists allowed refs of that family, be one of them.
 */
export function validateManifest(view: RegistryView, contractRef: string, manifest: unknown, now: number): ContractAnswer {
  const errors: Issue[] = [];
  const contract = usableEntry(view, contractRef, 'sdk-contract', '/contract', now, errors);
  if (!contract) return { valid: false, contract: null, errors };
  errors.push(...validateEmbedded(contract.spec.manifest_schema, manifest, '/manifest', 'INVALID_MANIFEST'));
  const walk = (v: unknown, at: string): void => {
    if (typeof v === 'string') {
      const p = tryParseRef(v);
      const list = p ? CONTRACT_LISTS[p.family] : undefined;
      if (!p || !list) return;
      if (!usableEntry(view, v, p.family, at, now, errors)) return;
      const allowed = contract.spec[list];
      if (Array.isArray(allowed) && !allowed.some((a) => typeof a === 'string' && unpinned(a) === formatRef(p.family, p.id))) {
        errors.push({ pointer: at, code: 'NOT_IN_CONTRACT', detail: `${formatRef(p.family, p.id)} is not among the ${list.replace(/_/g, ' ')} ${contract.id} allows` });
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}/${i}`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  };
  walk(manifest, '/manifest');
  return { valid: errors.length === 0, contract: { ref: formatRef('sdk-contract', contract.id), revision: contract.revision }, errors };
}

export interface UsageRecord {
  unit: string;
  quantity: number;
  dimensions?: Record<string, string>;
}

/** A usage record against its usage unit: a usable unit, a quantity its kind and precision allow, declared dimensions only. */
export function validateUsage(view: RegistryView, record: UsageRecord, base: string, now: number): ContractAnswer {
  const errors: Issue[] = [];
  const unit = usableEntry(view, record.unit, 'usage-unit', `${base}/unit`, now, errors);
  if (!unit) return { valid: false, contract: null, errors };
  const q = record.quantity;
  const kind = unit.spec.quantity;
  if (typeof q !== 'number' || !Number.isFinite(q) || q < 0) errors.push({ pointer: `${base}/quantity`, code: 'INVALID_USAGE', detail: 'quantity must be a finite number ≥ 0' });
  else {
    if ((kind === 'count' || kind === 'bytes') && !Number.isInteger(q)) errors.push({ pointer: `${base}/quantity`, code: 'INVALID_USAGE', detail: `${unit.id} counts ${kind}: the quantity must be a whole number` });
    if (kind === 'ratio' && q > 1) errors.push({ pointer: `${base}/quantity`, code: 'INVALID_USAGE', detail: `${unit.id} is a ratio: at most 1` });
    const precision = Number(unit.spec.precision);
    const decimals = (String(q).split('.')[1] ?? '').replace(/e.*$/, '').length;
    if (Number.isInteger(precision) && decimals > precision) errors.push({ pointer: `${base}/quantity`, code: 'INVALID_USAGE', detail: `${unit.id} keeps ${precision} decimal places; ${q} has ${decimals}` });
  }
  const declared = Array.isArray(unit.spec.dimensions) ? (unit.spec.dimensions as string[]) : [];
  for (const [k, v] of Object.entries(record.dimensions ?? {})) {
    if (!declared.includes(k)) errors.push({ pointer: `${base}/dimensions/${k}`, code: 'INVALID_USAGE', detail: `${unit.id} has no dimension '${k}' (declared: ${declared.join(', ') || 'none'})` });
    else if (typeof v !== 'string' || v.length === 0) errors.push({ pointer: `${base}/dimensions/${k}`, code: 'INVALID_USAGE', detail: 'a dimension value is a non-empty string' });
  }
  return { valid: errors.length === 0, contract: { ref: formatRef('usage-unit', unit.id), revision: unit.revision }, errors };
}

export interface Rendered extends ContractAnswer {
  channel: string | null;
  subject: string | null;
  body: string | null;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Renders a notification template for a channel; the variables must satisfy the template's schema. */
export function renderNotification(view: RegistryView, templateRef: string, channel: string, variables: unknown, now: number): Rendered {
  const errors: Issue[] = [];
  const none = { channel: null, subject: null, body: null };
  const template = usableEntry(view, templateRef, 'notification-template', '/template', now, errors);
  if (!template) return { valid: false, contract: null, errors, ...none };
  const contract = { ref: formatRef('notification-template', template.id), revision: template.revision };
  const channels = Array.isArray(template.spec.channels) ? (template.spec.channels as string[]) : [];
  if (!channels.includes(channel)) errors.push({ pointer: '/channel', code: 'INVALID_NOTIFICATION', detail: `${template.id} is sent by ${channels.join(', ')}, not ${channel}` });
  errors.push(...validateEmbedded(template.spec.variables, variables, '/variables', 'INVALID_NOTIFICATION'));
  const vars = (variables && typeof variables === 'object' ? variables : {}) as Record<string, unknown>;
  const fill = (text: unknown, field: string): string | null => {
    if (typeof text !== 'string') return null;
    return text.replace(PLACEHOLDER, (_m, name: string) => {
      const v = vars[name];
      if (v === undefined || v === null) {
        errors.push({ pointer: `/variables/${name}`, code: 'INVALID_NOTIFICATION', detail: `the template's ${field} uses {{${name}}}, which was not given` });
        return '';
      }
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  };
  const subject = fill(template.spec.subject, 'subject');
  const body = fill(template.spec.body, 'body');
  if (errors.length > 0) return { valid: false, contract, errors, ...none };
  return { valid: true, contract, errors, channel, subject, body };
}
