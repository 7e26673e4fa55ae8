import { checkEntry, diffEntries, FAMILIES, tryParseRef, type Entry, type FamilyDefinition, type FamilyName, type FieldChange, type Issue, type JsonSchema } from '@charter/core';
import type { StoredEvent } from '../audit/audit-log.js';
import type { ChangeSetSummary, StoredChangeSet } from '../registry/changesets.js';
import type { HistoryItem } from '../registry/registry.js';
import { html, join, safeUrl, type Html, type Value } from './html.js';
import { badge, layout, when, type Chrome, type Tone } from './pages.js';

const DAY = 86_400_000;

export const entryHref = (family: string, id: string) => `/ui/entries/${encodeURIComponent(family)}/${encodeURIComponent(id)}`;
export const changesetHref = (id: string) => `/ui/changesets/${encodeURIComponent(id)}`;

const LIFECYCLE_TONE: Record<string, Tone> = { active: 'ok', deprecated: 'warn', proposed: 'none', disabled: 'bad', retired: 'none' };
const LIFECYCLE_SYMBOL: Record<string, string> = { active: '●', deprecated: '◐', proposed: '○', disabled: '✗', retired: '–' };

/** A date for people ("in 12 days", "3 days ago"), inside a <time> carrying the ISO value. */
export function relative(iso: string, now: number, future: string, past: string): Html {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return html`${iso}`;
  const days = Math.round((t - now) / DAY);
  const text = t >= now ? `${future} ${days === 0 ? 'today' : days === 1 ? 'in 1 day' : `in ${days} days`}` : `${past} ${days === 0 ? 'today' : days === -1 ? '1 day ago' : `${-days} days ago`}`;
  return html`<time datetime="${new Date(t).toISOString()}" title="${new Date(t).toISOString()}">${text}</time>`;
}

/** The lifecycle badge, with the sunset date in words when the entry is deprecated. */
export function lifecycleBadge(e: Pick<Entry, 'lifecycle' | 'sunset_at'>, now: number): Html {
  const tone = LIFECYCLE_TONE[e.lifecycle] ?? 'none';
  const b = badge(tone, LIFECYCLE_SYMBOL[e.lifecycle] ?? '?', e.lifecycle);
  if (e.lifecycle === 'deprecated' && e.sunset_at) return html`${b} <span class="sunset">deprecated, ${relative(e.sunset_at, now, 'sunset', 'sunset passed')}</span>`;
  return b;
}

function refLink(ref: string): Html {
  const p = tryParseRef(ref);
  if (!p) return html`<code>${ref}</code>`;
  return html`<a href="${entryHref(p.family, p.id)}"><code>${ref}</code></a>`;
}

function json(value: unknown): string {
  return value === undefined ? '' : (JSON.stringify(value, null, 2) ?? 'null');
}

function valueCell(value: unknown): Html {
  if (value === null || value === undefined) return html`<span class="muted">—</span>`;
  if (typeof value === 'string') {
    const p = tryParseRef(value);
    if (value.includes('\n')) return html`<pre>${value}</pre>`;
    return p && FAMILIES[p.family] ? refLink(value) : html`<code>${value}</code>`;
  }
  if (typeof value !== 'object') return html`<code>${JSON.stringify(value)}</code>`;
  if (Array.isArray(value) && value.length > 0 && value.every((x) => typeof x === 'string')) return html`<ul class="plain">${value.map((x) => html`<li>${valueCell(x)}</li>`)}</ul>`;
  return html`<pre>${json(value)}</pre>`;
}

// ---------------------------------------------------------------- home

export interface FamilySummary {
  name: FamilyName;
  title: string;
  description: string;
  count: number;
}

function searchForm(q = '', extra: Html | string = ''): Html {
  return html`<form method="get" action="/ui/entries" role="search" class="search">
<label for="q">Search entries by ID or title</label>
<div class="row"><input id="q" name="q" type="search" value="${q}" maxlength="200" placeholder="e.g. gpuaas.instances"> <button type="submit">Search</button></div>
${extra}
</form>`;
}

export function homePage(v: { families: FamilySummary[]; products: Entry[]; recent: ChangeSetSummary[]; chrome: Chrome }): string {
  const body = html`<h1>Charter registry</h1>
<p class="subtitle">The contract families Charter stabilizes, every entry's history, and every artifact's trust. Each page has a JSON twin under <a href="/docs">/v1</a>.</p>
${searchForm()}
<h2 id="families">Contract families</h2>
<div class="table-wrap"><table>
<caption>What already exists: start here before inventing a new ID.</caption>
<thead><tr><th scope="col">Family</th><th scope="col">Entries</th><th scope="col">What it stabilizes</th></tr></thead>
<tbody>
${v.families.map((f) => html`<tr><th scope="row"><a href="/ui/families/${f.name}">${f.title}</a><br><code class="muted">${f.name}</code></th><td class="nowrap"><a href="/ui/entries?family=${f.name}" aria-label="${f.count} ${f.title} entries">${f.count}</a></td><td>${f.description}</td></tr>\n`)}
</tbody>
</table></div>
<h2 id="products">Products</h2>
<p>Every entry belongs to a product, its owner. ${v.products.length ? join(v.products.map((p) => html`<a href="/ui/entries?owner=${encodeURIComponent(p.id)}">everything ${p.id} owns</a>`), ' · ') : html`<span class="muted">No products yet.</span>`}</p>
<h2 id="recent">Latest applied change sets</h2>
${changesetTable(v.recent, 'The newest applied change sets; each links to its operations, plan and approvals.')}
<p><a href="/ui/changesets">All change sets</a> · <a href="/ui/changesets?status=open">Open for review</a></p>`;
  return layout({ title: 'Registry', body, chrome: v.chrome });
}

function changesetTable(items: readonly ChangeSetSummary[], caption: string): Html {
  if (items.length === 0) return html`<p class="muted">None.</p>`;
  return html`<div class="table-wrap"><table>
<caption>${caption}</caption>
<thead><tr><th scope="col">Change set</th><th scope="col">Status</th><th scope="col">Author</th><th scope="col">Approved by</th><th scope="col">Registry sequence</th><th scope="col">Updated</th></tr></thead>
<tbody>
${items.map((cs) => html`<tr><th scope="row"><a href="${changesetHref(cs.id)}">${cs.title}</a><br><span class="mono muted">${cs.id}</span></th><td>${statusBadge(cs.status)}</td><td>${cs.author}</td><td>${cs.approvals.map((a) => a.principal).join(', ') || html`<span class="muted">—</span>`}</td><td>${cs.sequence ?? html`<span class="muted">—</span>`}</td><td class="nowrap">${when(cs.updated_at)}</td></tr>\n`)}
</tbody>
</table></div>`;
}

const CS_TONE: Record<string, Tone> = { open: 'warn', approved: 'ok', applied: 'ok', rejected: 'bad' };
function statusBadge(status: string): Html {
  return badge(CS_TONE[status] ?? 'none', status === 'applied' ? '✓' : status === 'rejected' ? '✗' : '○', status);
}

// ---------------------------------------------------------------- family

interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  description: string;
  allowed: string;
}

function typeOf(s: JsonSchema): string {
  const x = s as Record<string, unknown>;
  if (Array.isArray(x.enum)) return 'one of';
  if (x.const !== undefined) return 'constant';
  if (x.type === 'array') {
    const items = (x.items ?? {}) as Record<string, unknown>;
    return `array of ${typeof items.type === 'string' ? items.type : Array.isArray(items.enum) ? 'values' : 'items'}`;
  }
  if (typeof x.type === 'string') return x.type;
  if (Array.isArray(x.type)) return x.type.join(' or ');
  if (Array.isArray(x.oneOf) || Array.isArray(x.anyOf)) return 'one of several shapes';
  return 'any';
}

function allowedOf(s: JsonSchema): string {
  const x = s as Record<string, unknown>;
  const parts: string[] = [];
  const items = (x.items ?? {}) as Record<string, unknown>;
  const en = Array.isArray(x.enum) ? x.enum : Array.isArray(items.enum) ? items.enum : null;
  if (en) parts.push(en.map((v) => JSON.stringify(v)).join(', '));
  if (x.const !== undefined) parts.push(JSON.stringify(x.const));
  for (const k of ['pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'format'] as const) {
    if (x[k] !== undefined) parts.push(`${k} ${String(x[k])}`);
    else if (items[k] !== undefined) parts.push(`each: ${k} ${String(items[k])}`);
  }
  return parts.join('; ');
}

/** Flattens a JSON Schema into readable rows: one per field, nested objects and array items as paths. */
export function schemaRows(schema: JsonSchema, prefix = '', depth = 0, out: FieldRow[] = []): FieldRow[] {
  const x = schema as Record<string, unknown>;
  const props = (x.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(x.required) ? (x.required as string[]) : []);
  for (const [name, sub] of Object.entries(props)) {
    const s = sub as Record<string, unknown>;
    const path = prefix ? `${prefix}.${name}` : name;
    out.push({ path, type: typeOf(sub), required: required.has(name), description: typeof s.description === 'string' ? s.description : '', allowed: allowedOf(sub) });
    if (depth >= 4) continue;
    if (s.type === 'object' && s.properties) schemaRows(sub, path, depth + 1, out);
    const items = s.items as Record<string, unknown> | undefined;
    if (s.type === 'array' && items && items.type === 'object' && items.properties) schemaRows(items as JsonSchema, `${path}[]`, depth + 1, out);
  }
  return out;
}

function schemaTable(def: FamilyDefinition): Html {
  const rows = schemaRows(def.specSchema);
  const contract = new Set(def.contractFields);
  if (rows.length === 0) return html`<p class="muted">This family's spec has no declared fields.</p>`;
  return html`<div class="table-wrap"><table class="schema">
<caption>Fields of <code>spec</code> for ${def.title} entries. <strong>Required</strong> fields must be present; <strong>contract</strong> fields are frozen once the entry has been active.</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Required</th><th scope="col">Description</th><th scope="col">Allowed values</th></tr></thead>
<tbody>
${rows.map((r) => html`<tr><th scope="row"><code>${r.path}</code>${contract.has(r.path) ? html` ${badge('warn', '◆', 'contract')}` : ''}</th><td>${r.type}</td><td>${r.required ? html`<strong>required</strong>` : html`<span class="muted">optional</span>`}</td><td>${r.description || html`<span class="muted">—</span>`}</td><td>${r.allowed ? html`<code>${r.allowed}</code>` : html`<span class="muted">—</span>`}</td></tr>\n`)}
</tbody>
</table></div>`;
}

export function entryTable(items: readonly Entry[], now: number, caption: string): Html {
  if (items.length === 0) return html`<p class="muted">No entries.</p>`;
  return html`<div class="table-wrap"><table>
<caption>${caption}</caption>
<thead><tr><th scope="col">ID</th><th scope="col">Title</th><th scope="col">Owner</th><th scope="col">Lifecycle</th><th scope="col">Revision</th></tr></thead>
<tbody>
${items.map((e) => html`<tr><th scope="row"><a href="${entryHref(e.family, e.id)}"><code>${e.family}:${e.id}</code></a></th><td>${e.title}</td><td><a href="/ui/entries?owner=${encodeURIComponent(e.owner)}">${e.owner}</a></td><td>${lifecycleBadge(e, now)}</td><td>${e.revision}</td></tr>\n`)}
</tbody>
</table></div>`;
}

export function familyPage(v: { def: FamilyDefinition; entries: Entry[]; total: number; now: number; chrome: Chrome }): string {
  const d = v.def;
  const body = html`<p class="subtitle">Contract family · <code>${d.name}</code></p>
<h1>${d.title}</h1>
<p class="lead">${d.description}</p>
<ul class="links" aria-label="Machine-readable forms"><li><a href="/v1/families">Families as JSON</a></li><li><a href="/v1/entries?family=${d.name}">Entries as JSON</a></li></ul>
<h2 id="contract">Contract fields</h2>
${d.contractFields.length ? html`<p>Frozen once an entry has been active (a change needs a new ID): ${join(d.contractFields.map((f) => html`<code>${f}</code>`), ', ')}.</p>` : html`<p class="muted">None: every spec field may change through a reviewed change set.</p>`}
<h2 id="labels">Label fields</h2>
<p>Every entry may carry free-form <code>labels</code> (string keys and values: docs links, team, tier). Labels are for people and are never part of the contract.</p>
<h2 id="references">Reference fields</h2>
${d.referenceFields.length ? html`<ul>${d.referenceFields.map((r) => html`<li><code>${r.path}</code> → ${join(r.families.map((f) => html`<a href="/ui/families/${f}">${f}</a>`), ', ')}</li>`)}</ul>` : html`<p class="muted">This family references no other entries.</p>`}
<h2 id="spec">Spec schema</h2>
${schemaTable(d)}
<details><summary>The JSON Schema itself</summary><pre>${json(d.specSchema)}</pre></details>
<h2 id="entries">Entries</h2>
${entryTable(v.entries, v.now, `${v.total} ${d.title} entries${v.total > v.entries.length ? `, the first ${v.entries.length} shown` : ''}.`)}
${v.total > v.entries.length ? html`<p><a href="/ui/entries?family=${d.name}">All ${v.total} ${d.title} entries, paged</a></p>` : ''}`;
  return layout({ title: `${d.title} family`, body, chrome: v.chrome });
}

// ---------------------------------------------------------------- search

export interface EntryQuery {
  q: string;
  family: string;
  owner: string;
  lifecycle: string;
  page: number;
}

export function entriesPage(v: { query: EntryQuery; items: Entry[]; total: number; pageSize: number; now: number; families: readonly string[]; lifecycles: readonly string[]; chrome: Chrome }): string {
  const { query } = v;
  const pages = Math.max(1, Math.ceil(v.total / v.pageSize));
  const hrefFor = (page: number) => {
    const p = new URLSearchParams();
    for (const k of ['q', 'family', 'owner', 'lifecycle'] as const) if (query[k]) p.set(k, query[k]);
    if (page > 1) p.set('page', String(page));
    return `/ui/entries?${p.toString()}`;
  };
  const select = (name: string, label: string, options: readonly string[], chosen: string) =>
    html`<div><label for="f-${name}">${label}</label> <select id="f-${name}" name="${name}"><option value="">any</option>${options.map((o) => html`<option value="${o}"${o === chosen ? html` selected` : ''}>${o}</option>`)}</select></div>`;
  const filters = html`<div class="filters">
${select('family', 'Family', v.families, query.family)}
${select('lifecycle', 'Lifecycle', v.lifecycles, query.lifecycle)}
<div><label for="f-owner">Owner</label> <input id="f-owner" name="owner" value="${query.owner}" maxlength="128" size="14"></div>
</div>`;
  const body = html`<h1>Entries</h1>
${searchForm(query.q, filters)}
<p role="status" class="count"><strong>${v.total}</strong> ${v.total === 1 ? 'entry' : 'entries'} matched${v.total > 0 ? ` · page ${query.page} of ${pages}` : ''}. <a href="/v1/entries?${new URLSearchParams(Object.entries({ q: query.q, family: query.family, owner: query.owner, lifecycle: query.lifecycle }).filter(([, x]) => x)).toString()}">As JSON</a></p>
${entryTable(v.items, v.now, 'Entries matching the search, by family and ID.')}
${pages > 1 ? html`<nav class="pager" aria-label="Pages">${query.page > 1 ? html`<a href="${hrefFor(query.page - 1)}" rel="prev">Previous page</a>` : ''} ${query.page < pages ? html`<a href="${hrefFor(query.page + 1)}" rel="next">Next page</a>` : ''}</nav>` : ''}`;
  return layout({ title: query.q ? `Entries matching ${query.q}` : 'Entries', body, chrome: v.chrome });
}

// ---------------------------------------------------------------- entry

export interface EntryView {
  current: Entry;
  shown: Entry;
  history: HistoryItem[];
  /** The revision just older than the last history row, for its diff. */
  older: HistoryItem | null;
  nextCursor: number | null;
  dependents: Entry[];
  dependentsTotal: number;
  checkpointSize: number;
  now: number;
  chrome: Chrome;
}

const WHY: Record<string, string> = {
  active: 'yes: it is active',
  deprecated: 'yes, for now: it is deprecated',
  not_active: 'no: it is only proposed, not active yet; a check on it fails closed until a reviewed change set activates it',
  disabled: 'no: it is disabled (the kill switch); every check on it fails',
  retired: 'no: it is retired; its ID stays reserved forever',
  sunset_passed: 'no: its sunset has passed',
  untrusted: 'no: the signer is outside its validity window (not_before/not_after)',
};

/** What POST /v1/check would answer for this entry now, in words. */
function usableNow(e: Entry, now: number): Html {
  const r = checkEntry(`${e.family}:${e.id}`, e, now);
  const text = WHY[r.reason] ?? r.reason;
  return html`${badge(r.allowed ? (r.reason === 'deprecated' ? 'warn' : 'ok') : 'bad', r.allowed ? '✓' : '✗', r.allowed ? 'usable' : 'not usable')} ${text}${r.warning && r.reason !== 'untrusted' ? html` (${r.warning})` : ''}`;
}

function specTable(e: Entry): Html {
  const def = FAMILIES[e.family];
  const contract = new Set(def.contractFields);
  const fields = Object.entries(e.spec);
  if (fields.length === 0) return html`<p class="muted">Empty spec.</p>`;
  return html`<div class="table-wrap"><table class="spec">
<caption>The spec. Fields marked contract are frozen once the entry has been active.</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Value</th></tr></thead>
<tbody>
${fields.map(([k, value]) => html`<tr${contract.has(k) ? html` class="contract"` : ''}><th scope="row"><code>${k}</code>${contract.has(k) ? html`<br>${badge('warn', '◆', 'contract')}` : ''}</th><td>${valueCell(value)}</td></tr>\n`)}
</tbody>
</table></div>`;
}

function diffList(changes: readonly FieldChange[], created: boolean): Html {
  if (created) return html`<span class="muted">created</span>`;
  if (changes.length === 0) return html`<span class="muted">no field changed</span>`;
  return html`<dl class="diff">${changes.map(
    (c) => html`<dt><code>${c.path}</code></dt><dd><del aria-label="before">${short(c.before)}</del> <span aria-hidden="true">→</span> <ins aria-label="after">${short(c.after)}</ins></dd>`,
  )}</dl>`;
}

function short(v: unknown): string {
  if (v === null || v === undefined) return '∅';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

function historyTable(v: EntryView): Html {
  const e = v.current;
  const rows = v.history.map((h, i) => {
    const prev = v.history[i + 1] ?? (i === v.history.length - 1 ? v.older : null);
    const created = h.operation === 'create' || h.revision === 1;
    const diff = created ? [] : prev ? diffEntries(prev.entry, h.entry) : null;
    const audit =
      h.audit_index === null
        ? html`<span class="muted">not linked</span>`
        : html`event <strong>#${h.audit_index}</strong><br><span class="mono leaf" title="leaf hash (base64)">${h.leaf_hash ?? '?'}</span><br><a href="/v1/audit/proofs/inclusion?index=${h.audit_index}&amp;size=${v.checkpointSize}">inclusion proof</a> <span class="muted">in the tree of ${v.checkpointSize}</span>`;
    return html`<tr id="rev-${h.revision}"><th scope="row" data-label="Revision"><a href="${entryHref(e.family, e.id)}?revision=${h.revision}">${h.revision}</a></th>
<td data-label="Operation">${h.operation}${h.reason ? html`<br><span class="muted">${h.reason}</span>` : ''}</td>
<td class="nowrap" data-label="Change set"><a href="${changesetHref(h.changeset)}" class="mono" aria-label="change set ${h.changeset}">${h.changeset.slice(0, 11)}…</a></td>
<td data-label="Author">${h.author}</td><td data-label="Approved by">${h.approvers.join(', ') || html`<span class="muted">—</span>`}</td>
<td class="nowrap" data-label="At">${when(h.at)}</td>
<td data-label="Changes">${diff === null ? html`<span class="muted">previous revision on the next page</span>` : diffList(diff, created)}</td>
<td data-label="Audit event">${audit}</td></tr>\n`;
  });
  return html`<div class="table-wrap"><table class="history">
<caption>Every revision, newest first: who changed what, who approved it, and the signed audit event that recorded it (its inclusion proof is against the latest checkpoint, <a href="/v1/audit/checkpoint">/v1/audit/checkpoint</a>).</caption>
<thead><tr><th scope="col">Rev</th><th scope="col">Operation</th><th scope="col">Change set</th><th scope="col">Author</th><th scope="col">Approved by</th><th scope="col">At</th><th scope="col">Changes vs previous</th><th scope="col">Audit event</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>
${v.nextCursor !== null ? html`<nav class="pager" aria-label="History pages"><a href="${entryHref(e.family, e.id)}?before=${v.nextCursor}#history" rel="next">Older revisions</a></nav>` : ''}`;
}

export function entryPage(v: EntryView): string {
  const e = v.shown;
  const cur = v.current;
  const def = FAMILIES[e.family];
  const past = e.revision !== cur.revision;
  const refs = def.references(e.spec);
  const last = !past && v.history[0]?.revision === cur.revision ? v.history[0] : null;
  const facts = html`<dl class="facts">
<dt>Usable now</dt><dd class="usable">${past ? html`<span class="muted">see the current revision</span>` : usableNow(e, v.now)}</dd>
<dt>Lifecycle</dt><dd>${lifecycleBadge(e, v.now)}</dd>
${e.replaced_by ? html`<dt>Replaced by</dt><dd>${refLink(e.replaced_by)}</dd>` : ''}
${e.sunset_at ? html`<dt>Sunset</dt><dd>${when(e.sunset_at)} (${relative(e.sunset_at, v.now, '', 'passed')})</dd>` : ''}
<dt>Owner</dt><dd><a href="/ui/entries?owner=${encodeURIComponent(e.owner)}">${e.owner}</a></dd>
${last ? html`<dt>Last changed</dt><dd>by <strong>${last.author}</strong>${last.approvers.length ? html`, approved by ${last.approvers.join(', ')}` : ''}, ${when(last.at)}, in <a href="${changesetHref(last.changeset)}">change set ${last.changeset.slice(0, 11)}…</a> (${last.operation})</dd>` : ''}
<dt>Revision</dt><dd>${e.revision}${past ? html` <span class="muted">(current is <a href="${entryHref(cur.family, cur.id)}">${cur.revision}</a>)</span>` : ''}</dd>
<dt>Family</dt><dd><a href="/ui/families/${e.family}">${def.title}</a></dd>
<dt>Activated</dt><dd>${when(e.activated_at)}</dd>
<dt>Updated</dt><dd>${when(e.updated_at)}</dd>
${Object.keys(e.labels).length ? html`<dt>Labels</dt><dd><ul class="plain">${Object.entries(e.labels).map(([k, val]) => html`<li><code>${k}</code>: ${safeUrl(val) ? html`<a href="${safeUrl(val)}" rel="nofollow noopener">${val}</a>` : val}</li>`)}</ul></dd>` : ''}
</dl>`;
  const body = html`<p class="subtitle">${def.title} · <code>${e.family}:${e.id}</code></p>
<h1>${e.title}</h1>
${past ? html`<section class="banner tone-warn" aria-label="Past revision"><p class="headline">You are looking at revision ${e.revision}; the current revision is ${cur.revision}.</p></section>` : ''}
<p class="lead">${e.description}</p>
<ul class="links" aria-label="Machine-readable forms">
<li><a href="/v1/entries/${e.family}/${encodeURIComponent(e.id)}${past ? `?revision=${e.revision}` : ''}">This entry as JSON</a></li>
<li><a href="/v1/entries/${e.family}/${encodeURIComponent(e.id)}/history">History as JSON</a></li>
<li><a href="/v1/entries/${e.family}/${encodeURIComponent(e.id)}/dependents">Dependents as JSON</a></li>
</ul>
${facts}
<h2 id="spec">Spec</h2>
${specTable(e)}
<h2 id="references">References out</h2>
${refs.length ? html`<ul>${refs.map((r) => html`<li><code>${r.pointer}</code> → ${refLink(r.ref)}</li>`)}</ul>` : html`<p class="muted">This entry references no other entry.</p>`}
<section aria-labelledby="dependents" class="dependents">
<h2 id="dependents">Dependents in</h2>
${v.dependents.length
    ? html`<p>${v.dependentsTotal} ${v.dependentsTotal === 1 ? 'entry references' : 'entries reference'} this one${v.dependentsTotal > v.dependents.length ? `; the first ${v.dependents.length} are listed` : ''}.</p><ul>${v.dependents.map((d) => html`<li><a href="${entryHref(d.family, d.id)}"><code>${d.family}:${d.id}</code></a> ${d.title} ${lifecycleBadge(d, v.now)}</li>`)}</ul>`
    : html`<p class="muted">No entry references this one.</p>`}
</section>
<h2 id="history">History</h2>
${historyTable(v)}`;
  return layout({ title: `${e.family}:${e.id}`, body, chrome: v.chrome });
}

// ---------------------------------------------------------------- change sets

export function changesetsPage(v: { status: string; items: ChangeSetSummary[]; next: string | null; chrome: Chrome }): string {
  const statuses = ['', 'open', 'approved', 'applied', 'rejected'];
  const body = html`<h1>Change sets${v.status ? html` · ${v.status}` : ''}</h1>
<p class="subtitle">Every change to the registry is a reviewed change set, applied atomically. <a href="/v1/changesets${v.status ? `?status=${v.status}` : ''}">As JSON</a>.</p>
<nav aria-label="By status"><ul class="links">${statuses.map((s) => html`<li>${s === v.status ? html`<strong aria-current="page">${s || 'all'}</strong>` : html`<a href="/ui/changesets${s ? `?status=${s}` : ''}">${s || 'all'}</a>`}</li>`)}</ul></nav>
${changesetTable(v.items, v.status ? `Change sets that are ${v.status}, newest first.` : 'All change sets, newest first.')}
${v.next ? html`<nav class="pager" aria-label="Pages"><a href="/ui/changesets?${new URLSearchParams({ ...(v.status ? { status: v.status } : {}), cursor: v.next }).toString()}" rel="next">Next page</a></nav>` : ''}`;
  return layout({ title: 'Change sets', body, chrome: v.chrome });
}

export interface ChangesetView {
  cs: StoredChangeSet;
  errors: Issue[];
  may: { approve: boolean; reject: boolean; apply: boolean; why: string | null };
  now: number;
  chrome: Chrome;
  notice?: string;
}

interface PlanChange {
  ref: string;
  family: string;
  id: string;
  action: string;
  before: Entry | null;
  after: Entry;
  diff?: FieldChange[];
  affects?: string[];
}

function operationSummary(op: Record<string, unknown>): Html {
  const entry = (op.entry ?? {}) as Record<string, unknown>;
  const family = String(op.family ?? entry.family ?? '?');
  const id = String(op.id ?? entry.id ?? '?');
  const target = html`<code>${family}:${id}</code>`;
  switch (op.op) {
    case 'create':
      return html`create ${target}`;
    case 'update':
      return html`update ${target} at revision ${String(op.expected_revision ?? '?')}`;
    case 'transition':
      return html`transition ${target} to <strong>${String(op.to ?? '?')}</strong>${op.reason ? html` — ${String(op.reason)}` : ''}`;
    default:
      return html`${String(op.op ?? 'unknown operation')} ${target}`;
  }
}

export function changesetPage(v: ChangesetView): string {
  const cs = v.cs;
  const csrf = v.chrome.signedIn?.csrf ?? '';
  const plan = (Array.isArray(cs.plan) ? cs.plan : []) as PlanChange[];
  const actions: Value[] = [];
  if (v.may.approve) {
    actions.push(html`<form method="post" action="${changesetHref(cs.id)}/approve" class="action"><input type="hidden" name="csrf" value="${csrf}"><label for="approve-comment">Comment (optional)</label> <input id="approve-comment" name="comment" maxlength="2000"> <button type="submit" class="primary">Approve</button></form>`);
  }
  if (v.may.apply) {
    actions.push(html`<form method="post" action="${changesetHref(cs.id)}/apply" class="action"><input type="hidden" name="csrf" value="${csrf}"><button type="submit" class="primary">Apply to the registry</button></form>`);
  }
  if (v.may.reject) {
    actions.push(html`<form method="post" action="${changesetHref(cs.id)}/reject" class="action"><input type="hidden" name="csrf" value="${csrf}"><label for="reject-reason">Reason for rejecting</label> <input id="reject-reason" name="reason" required maxlength="2000"> <button type="submit">Reject</button></form>`);
  }
  const body = html`<p class="subtitle">Change set · <span class="mono">${cs.id}</span></p>
<h1>${cs.title}</h1>
${v.notice ? html`<section class="banner tone-ok" role="status"><p class="headline">${v.notice}</p></section>` : ''}
${cs.description ? html`<p class="lead">${cs.description}</p>` : ''}
<ul class="links" aria-label="Machine-readable forms"><li><a href="/v1/changesets/${cs.id}">This change set as JSON</a></li><li><a href="/ui/changesets">All change sets</a></li></ul>
<dl class="facts">
<dt>Status</dt><dd>${statusBadge(cs.status)}${cs.sequence !== null ? html` at registry sequence ${cs.sequence}` : ''}</dd>
<dt>Author</dt><dd>${cs.author}${cs.author_product ? html` <span class="muted">(product ${cs.author_product})</span>` : ''}</dd>
<dt>Submitted</dt><dd>${when(cs.created_at)}</dd>
<dt>Updated</dt><dd>${when(cs.updated_at)}</dd>
${cs.rejection ? html`<dt>Rejected</dt><dd>by ${cs.rejection.principal} at ${when(cs.rejection.at)}: ${cs.rejection.reason}</dd>` : ''}
</dl>
<section aria-labelledby="review-title" class="review">
<h2 id="review-title">Review</h2>
${actions.length ? html`<div class="actions">${actions}</div>` : html`<p class="muted">${v.may.why ?? 'No action is available.'}</p>`}
</section>
<h2 id="approvals">Approvals</h2>
${cs.approvals.length ? html`<ul>${cs.approvals.map((a) => html`<li><strong>${a.principal}</strong> at ${when(a.at)}${a.comment ? html`: “${a.comment}”` : ''}</li>`)}</ul>` : html`<p class="muted">No approvals yet. An approval by someone other than the author is needed before it can be applied.</p>`}
<h2 id="problems">Problems</h2>
${v.errors.length
    ? html`<div class="table-wrap"><table><caption>Problems against the registry as it is now; the change set cannot be applied until they are fixed.</caption><thead><tr><th scope="col">Where (JSON pointer)</th><th scope="col">Code</th><th scope="col">Detail</th></tr></thead><tbody>${v.errors.map((e) => html`<tr><th scope="row"><code>${e.pointer || '/'}</code></th><td><code>${e.code}</code></td><td>${e.detail}</td></tr>`)}</tbody></table></div>`
    : html`<p>${cs.status === 'open' || cs.status === 'approved' ? 'None: it validates against the registry as it is now.' : html`<span class="muted">Not re-validated (${cs.status}).</span>`}</p>`}
<h2 id="operations">Operations</h2>
<ol class="ops">${cs.operations.map((op) => html`<li>${operationSummary(op as Record<string, unknown>)}</li>`)}</ol>
<details><summary>Operations as submitted (JSON)</summary><pre>${json(cs.operations)}</pre></details>
<h2 id="plan">Plan</h2>
${plan.length
    ? plan.map(
        (c) => html`<section class="plan" aria-label="${c.action} ${c.ref}"><h3>${c.action} ${c.after ? html`<a href="${entryHref(c.after.family, c.after.id)}"><code>${c.ref}</code></a>` : html`<code>${c.ref}</code>`}${c.after ? html` → revision ${c.after.revision} ${lifecycleBadge(c.after, v.now)}` : ''}</h3>
${diffList(c.diff ?? (c.after ? diffEntries(c.before, c.after) : []), c.before === null)}
${c.affects?.length ? html`<p>Affects: ${join(c.affects.map((r) => refLink(r)), ', ')}</p>` : ''}</section>`,
      )
    : html`<p class="muted">No planned changes.</p>`}`;
  return layout({ title: `Change set ${cs.title}`, body, chrome: v.chrome });
}

// ---------------------------------------------------------------- audit

export function auditPage(v: { checkpoint: { size: number; root: string; note: string }; key: { name: string; public_key: string; vkey: string }; events: StoredEvent[] | null; after: number | null; next: number | null; origin: string; chrome: Chrome }): string {
  const events = v.events;
  const body = html`<h1>Audit log</h1>
<p class="subtitle">Every privileged mutation is an event in an RFC 6962 Merkle tree. The log key signs checkpoints; anyone can check that an event is in the log and that the log only grows.</p>
<h2 id="checkpoint">Latest signed checkpoint</h2>
<p>Tree size <strong>${v.checkpoint.size}</strong>, root hash <span class="mono">${v.checkpoint.root}</span>. <a href="/v1/audit/checkpoint">As text</a>.</p>
<pre aria-label="Signed checkpoint">${v.checkpoint.note}</pre>
<h2 id="key">Log key</h2>
<dl class="facts"><dt>Name</dt><dd><code>${v.key.name}</code></dd><dt>Verifier key</dt><dd><code>${v.key.vkey}</code></dd></dl>
<pre aria-label="Log public key (PEM)">${v.key.public_key}</pre>
<p><a href="/v1/audit/key">The key as JSON</a></p>
<h2 id="verify">How to verify</h2>
<p>Save the verifier key above to a file (say <code>charter-log.vkey</code>), then, with a token holding <code>scope:platform.audit.read</code>:</p>
<pre aria-label="Verify commands">CHARTER_TOKEN=charter_… charter --url ${v.origin} audit verify --log-key charter-log.vkey --save checkpoint.txt
# later: prove the log only grew since then
CHARTER_TOKEN=charter_… charter --url ${v.origin} audit verify --log-key charter-log.vkey --since checkpoint.txt
# the public, hash-only parts need no token
curl -s ${v.origin}/v1/audit/checkpoint
curl -s '${v.origin}/v1/audit/proofs/inclusion?index=0&amp;size=${v.checkpoint.size}'
curl -s '${v.origin}/v1/audit/proofs/consistency?from=1&amp;to=${v.checkpoint.size}'</pre>
<h2 id="events">Events</h2>
${events === null
    ? html`<p class="muted">Events are shown to a signed-in principal holding <code>scope:platform.audit.read</code>. <a href="/ui/login?next=/ui/audit">Sign in</a>.</p>`
    : events.length === 0
      ? html`<p class="muted">No events.</p>`
      : html`<div class="table-wrap"><table>
<caption>Events in log order.</caption>
<thead><tr><th scope="col">Index</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Subject</th><th scope="col">At</th><th scope="col">Leaf hash</th></tr></thead>
<tbody>${events.map((e) => html`<tr id="event-${e.index}"><th scope="row">${e.index}</th><td>${refLink(e.action)}</td><td>${e.actor}</td><td>${join(e.subject.slice(0, 4).map((s) => html`<code>${s}</code>`), ' ')}${e.subject.length > 4 ? html` <span class="muted">and ${e.subject.length - 4} more</span>` : ''}</td><td class="nowrap">${when(e.at)}</td><td class="mono">${e.leaf_hash}</td></tr>\n`)}</tbody>
</table></div>
${v.next !== null ? html`<nav class="pager" aria-label="Pages"><a href="/ui/audit?after=${v.next}#events" rel="next">Next events</a></nav>` : ''}`}`;
  return layout({ title: 'Audit log', body, chrome: v.chrome });
}

// ---------------------------------------------------------------- sign in

export function loginPage(v: { csrf: string; next: string; error?: string; chrome: Chrome }): string {
  const body = html`<h1>Sign in</h1>
<p class="lead">Paste a Charter token (<code>charter_…</code>). It is exchanged for a session that acts with the token's scopes; the token itself is not kept in your browser and never shown again.</p>
${v.error ? html`<section class="banner tone-bad" role="alert"><p class="headline">${v.error}</p></section>` : ''}
<form method="post" action="/ui/login" class="login">
<input type="hidden" name="csrf" value="${v.csrf}">
<input type="hidden" name="next" value="${v.next}">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="off" required maxlength="200" spellcheck="false">
<button type="submit" class="primary">Sign in</button>
</form>
<p class="muted">Reading needs no sign-in. Signing in lets a reviewer approve, reject and apply change sets here.</p>`;
  return layout({ title: 'Sign in', body, chrome: v.chrome });
}

export function signOutPage(chrome: Chrome): string {
  const body = html`<h1>Sign out</h1>
<p>Signed in as <strong>${chrome.signedIn?.name ?? ''}</strong>. Signing out ends this session at once; the token itself stays valid.</p>
<form method="post" action="/ui/logout"><input type="hidden" name="csrf" value="${chrome.signedIn?.csrf ?? ''}"><button type="submit" class="primary">Sign out</button></form>`;
  return layout({ title: 'Sign out', body, chrome });
}
