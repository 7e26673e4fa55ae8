import { describeRequirement, type Check, type CheckStatus, type Explanation, type StageExplanation } from '@charter/core';
import type { Artifact, Decision, DeployCheck, StoredApproval, StoredEvidence } from '../artifacts/artifacts.js';
import { html, join, safeUrl, type Html, type Value } from './html.js';
import { STYLE } from './style.js';

export type Tone = 'ok' | 'bad' | 'warn' | 'none';

/** Who is looking: the signed-in principal (and the CSRF token of their forms), or nobody. */
export interface Chrome {
  signedIn: { name: string; csrf: string } | null;
  /** The slot for links a page adds to the site header's navigation (none yet). */
  section?: 'home' | 'entries' | 'changesets' | 'artifacts' | 'audit';
}

export const ANONYMOUS: Chrome = { signedIn: null };

/** An artifact's trust right now, in words: what the banner and the list say. */
export interface TrustSummary {
  tone: Tone;
  headline: string;
  more: string;
  /** A few words for a table cell. */
  short: string;
}

export interface ExplainView {
  artifact: Artifact;
  explanation: Explanation<Decision>;
  evidence: StoredEvidence[];
  approvals: StoredApproval[];
  decisions: Decision[];
  /** How a signer's signature on this evidence type would be judged now: 'verified' or why not ('signer_disabled', …). */
  signerNow: (signer: string, evidenceType: string) => string;
  /** The deploy check (POST /v1/artifacts/check) of each stage, as an admission hook would get it now. */
  deploy?: readonly DeployCheck[];
  /** Where a stage's signed verification summary (SLSA VSA) is, if it has one. */
  vsaHref?: (stage: string) => string | null;
}

export interface ListRow {
  artifact: Artifact;
  /** null when the artifact cannot be evaluated (its type is gone); `error` says why. */
  trust: TrustSummary | null;
  error?: string;
}

const id = (s: string) => s.replace(/^[a-z-]+:/, '');

/** `2026-06-01 12:00:03 UTC` inside a machine-readable <time>. */
export function when(iso: string | null | undefined): Html {
  if (!iso) return html`<span class="muted">—</span>`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return html`${iso}`;
  const text = new Date(t).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
  return html`<time datetime="${new Date(t).toISOString()}">${text}</time>`;
}

export function badge(tone: Tone, symbol: string, text: string): Html {
  return html`<span class="badge tone-${tone}"><span aria-hidden="true">${symbol}</span> ${text}</span>`;
}

const STATUS: Record<CheckStatus, { tone: Tone; symbol: string }> = {
  satisfied: { tone: 'ok', symbol: '✓' },
  missing: { tone: 'warn', symbol: '○' },
  untrusted: { tone: 'bad', symbol: '✗' },
  failed: { tone: 'bad', symbol: '✗' },
  expired: { tone: 'warn', symbol: '⌛' },
};

function statusBadge(status: CheckStatus): Html {
  const s = STATUS[status] ?? { tone: 'bad' as const, symbol: '?' };
  return badge(s.tone, s.symbol, status);
}

function link(href: string | null, text: Value): Html {
  return href ? html`<a href="${href}">${text}</a>` : html`${text}`;
}

const NAV: [NonNullable<Chrome['section']>, string, string][] = [
  ['home', '/ui/', 'Families'],
  ['entries', '/ui/entries', 'Entries'],
  ['changesets', '/ui/changesets', 'Change sets'],
  ['artifacts', '/ui/artifacts', 'Artifacts'],
  ['audit', '/ui/audit', 'Audit log'],
];

function account(chrome: Chrome): Html {
  if (!chrome.signedIn) return html`<a href="/ui/login">Sign in</a>`;
  return html`<form method="post" action="/ui/logout" class="signout"><span>Signed in as <strong>${chrome.signedIn.name}</strong></span> <input type="hidden" name="csrf" value="${chrome.signedIn.csrf}"><button type="submit">Sign out</button></form>`;
}

export function layout(opts: { title: string; body: Html; chrome?: Chrome }): string {
  const chrome = opts.chrome ?? ANONYMOUS;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<link rel="icon" href="data:,">
<title>${opts.title} · Charter</title>
<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site"><div><a class="brand" href="/ui/">Charter</a><nav aria-label="Site"><ul>${NAV.map(([key, href, text]) => html`<li><a href="${href}"${chrome.section === key ? html` aria-current="page"` : ''}>${text}</a></li>`)}<li><a href="/docs">API docs</a></li></ul></nav><div class="account">${account(chrome)}</div></div></header>
<main id="main" tabindex="-1">
${opts.body}
</main>
<footer class="site"><div>Charter · every page here has a JSON twin in the <a href="/docs">HTTP API</a></div></footer>
</body>
</html>
`.toString();
}

/** What the banner says, from the explanation alone. */
export function trustOf(explanation: Explanation<Decision>): TrustSummary {
  const stages = explanation.stages;
  const revoked = stages.filter((s) => s.revoked);
  const current = explanation.current_stage;
  const next = stages.find((s) => !s.promoted);
  const nextText = !next
    ? ''
    : next.would_pass
      ? ` Promotion to ${next.stage} would pass now.`
      : ` Promotion to ${next.stage} would not pass yet: ${firstFailing(next)}.`;
  if (revoked.length > 0) {
    const first = revoked[0]!;
    return {
      tone: 'bad',
      headline: `Revoked: ${first.revoked_reason ?? 'its evidence no longer satisfies the policy'}`,
      more: `Promoted to ${revoked.map((s) => s.stage).join(', ')}, but no longer trusted there (${first.revoked_status ?? 'failed'}). ${current ? `Still trusted for ${current}.` : 'Not trusted for any stage now.'}`,
      short: `revoked (${revoked.map((s) => s.stage).join(', ')})${current ? `; trusted for ${current}` : ''}`,
    };
  }
  if (current) {
    return { tone: 'ok', headline: `Trusted for ${current}`, more: `Promoted and still passing: ${stages.filter((s) => s.promoted).map((s) => s.stage).join(', ')}.${nextText}`, short: `trusted for ${current}` };
  }
  return { tone: 'none', headline: 'Not promoted yet', more: `No stage has been promoted.${nextText}`, short: 'not promoted' };
}

function firstFailing(s: StageExplanation<Decision>): string {
  const c = s.checks.find((x) => x.status !== 'satisfied');
  return c ? c.detail.replace(/\.$/, '') : 'a requirement is not met';
}

function banner(t: TrustSummary): Html {
  const symbol = t.tone === 'ok' ? '✓' : t.tone === 'bad' ? '✗' : '○';
  return html`<section class="banner tone-${t.tone}" aria-labelledby="trust-headline">
<h2 class="headline" id="trust-headline"><span aria-hidden="true">${symbol}</span> ${t.headline}</h2>
<p class="more">${t.more}</p>
</section>`;
}

function artifactFacts(a: Artifact): Html {
  const repo = a.source.repo;
  const labels = Object.entries(a.labels);
  return html`<dl class="facts">
<dt>Name</dt><dd>${a.name}</dd>
<dt>Version</dt><dd>${a.version}</dd>
<dt>Product</dt><dd>${a.product}</dd>
<dt>Artifact type</dt><dd><code>${a.artifact_type}</code></dd>
<dt>Digest</dt><dd><code>${a.digest}</code></dd>
<dt>Source repository</dt><dd>${repo ? link(safeUrl(repo), repo) : html`<span class="muted">not given</span>`}</dd>
<dt>Commit</dt><dd>${a.source.commit ? html`<code>${a.source.commit}</code>` : html`<span class="muted">not given</span>`}</dd>
<dt>Build</dt><dd>${a.source.build_url ? link(safeUrl(a.source.build_url), a.source.build_url) : html`<span class="muted">not given</span>`}</dd>
<dt>Registered</dt><dd>by ${a.registered_by} at ${when(a.registered_at)}</dd>
${labels.length ? html`<dt>Labels</dt><dd>${join(labels.map(([k, v]) => html`<code>${k}=${v}</code>`), ', ')}</dd>` : ''}
</dl>`;
}

function evidenceRefs(ids: readonly string[]): Html {
  if (ids.length === 0) return html`<span class="muted">none</span>`;
  return join(ids.map((e) => html`<a class="mono id" href="#${e}">${e}</a>`), html`<br>`);
}

function checksTable(stage: string, checks: readonly Check[]): Html {
  const firstBad = checks.findIndex((c) => c.status !== 'satisfied');
  return html`<div class="table-wrap"><table class="checks">
<caption>Requirements for ${stage}: all must be satisfied (any one listed signer satisfies a requirement).</caption>
<colgroup><col class="c-req"><col class="c-status"><col><col class="c-ev"></colgroup>
<thead><tr><th scope="col">Requirement</th><th scope="col">Status</th><th scope="col">What Charter found</th><th scope="col">Evidence used</th></tr></thead>
<tbody>
${checks.map((c, i) => html`<tr data-status="${c.status}"${i === firstBad ? html` class="first-failing"` : ''}><th scope="row">${describeRequirement(c.requirement)}${i === firstBad ? html`<br><strong class="flag">First failing requirement</strong>` : ''}</th><td class="status">${statusBadge(c.status)}</td><td>${c.detail}</td><td>${evidenceRefs(c.evidence)}</td></tr>\n`)}
</tbody>
</table></div>`;
}

/** A promotion whose copy into the stage repository failed counts nowhere, and the page says so. */
function outcomeBadge(d: Decision): Html {
  if (d.outcome !== 'promoted') return badge('bad', '✗', 'denied');
  if (d.copy?.status === 'failed') return html`${badge('bad', '✗', 'copy failed')} <span class="muted">the policy passed, but the copy to ${d.copy.repository} failed (${d.copy.detail}); it does not count: promote again to retry</span>`;
  return badge('ok', '✓', 'promoted');
}

function decisionText(d: Decision | null): Html {
  if (!d) return html`<span class="muted">none yet</span>`;
  return html`${outcomeBadge(d)} at ${when(d.decided_at)} by ${d.actor}, judged by policy <code>${d.policy.artifact_type}</code> revision ${d.policy.revision} <span class="muted">(<span class="mono">${d.id}</span>)</span>`;
}

function deployText(d: DeployCheck | undefined): Html {
  if (!d) return html`<span class="muted">not evaluated</span>`;
  return d.allowed ? html`${badge('ok', '✓', 'allowed')} <span class="muted">a deploy to this stage is admitted now</span>` : html`${badge('bad', '✗', `denied: ${d.reason.replace(/_/g, ' ')}`)} ${d.detail}`;
}

function stageSection(digest: string, s: StageExplanation<Decision>, decisions: readonly Decision[], deploy?: DeployCheck, vsa?: string | null): Html {
  const state = s.revoked ? badge('bad', '✗', 'revoked') : s.promoted ? badge('ok', '✓', 'promoted') : badge('none', '○', 'not promoted');
  const failing = s.checks.filter((c) => c.status !== 'satisfied').length;
  const promotedDecision = [...decisions].reverse().find((d) => d.stage === s.stage && d.outcome === 'promoted' && d.copy?.status !== 'failed');
  const cls = s.revoked ? 'stage revoked' : s.promoted ? 'stage trusted' : 'stage';
  return html`<section class="${cls}" id="stage-${s.stage}" aria-labelledby="stage-${s.stage}-title" data-stage="${s.stage}">
<h3 id="stage-${s.stage}-title">Stage ${s.stage} ${state}</h3>
<dl class="facts">
<dt>Promoted</dt><dd>${s.promoted ? 'yes' : 'no'}</dd>
<dt>Would pass now</dt><dd>${s.would_pass ? 'yes, every requirement is satisfied' : `no: ${failing} of ${s.checks.length} requirements not satisfied`}</dd>
<dt>Revoked</dt><dd>${s.revoked ? html`<strong>yes</strong> (${s.revoked_status ?? 'failed'}): ${s.revoked_reason}` : s.promoted ? 'no, still trusted' : html`<span class="muted">not applicable (not promoted)</span>`}</dd>
<dt>Last decision</dt><dd>${decisionText(s.last_decision)}</dd>
<dt>Deploy check</dt><dd>${deployText(deploy)}</dd>
${vsa ? html`<dt>Verification summary</dt><dd><a href="${vsa}">VSA for ${s.stage}</a> (SLSA verification summary, a signed DSSE envelope)</dd>` : ''}
${promotedDecision ? html`<dt>Release proof</dt><dd><a href="/v1/artifacts/${digest}/proof?stage=${encodeURIComponent(s.stage)}">proof of the promotion to ${s.stage}</a> (JSON, verifiable offline with <code>charter proof verify</code>)</dd>` : ''}
</dl>
${checksTable(s.stage, s.checks)}
</section>`;
}

/** A JSON pointer token (RFC 6901). */
const token = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

/** The first few scalar fields of a predicate, so a reader sees what the evidence says without opening it. */
function leaves(value: unknown, pointer: string, out: [string, string][], max: number): void {
  if (out.length >= max) return;
  if (value === null || typeof value !== 'object') {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    out.push([pointer || '/', text.length > 160 ? `${text.slice(0, 160)}…` : text]);
    return;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  for (const [k, v] of entries) leaves(v, `${pointer}/${token(k)}`, out, max);
}

function predicateFields(e: StoredEvidence): Html {
  // Untrusted evidence never counts; its statement is not loaded for the page (the envelope has it).
  if (!e.trusted) return html`<span class="muted">not shown for untrusted evidence; open the envelope to read it</span>`;
  const out: [string, string][] = [];
  leaves(e.statement.predicate, '', out, 8);
  const json = JSON.stringify(e.statement, null, 2) ?? '';
  const shown = json.length > 20_000 ? `${json.slice(0, 20_000)}\n… (${json.length - 20_000} more characters; see the envelope)` : json;
  return html`${out.length ? html`<dl class="fields">${out.map(([p, v]) => html`<dt>${p}</dt><dd>${v}</dd>`)}</dl>` : html`<span class="muted">empty predicate</span>`}
<details><summary>Full statement</summary><pre>${shown}</pre></details>`;
}

const words = (reason: string) => reason.replace(/^signer_/, 'signer ').replace(/_/g, ' ');

/** Trusted when attached is a fact of the past; whether its signer still counts is decided now. */
function trustedNow(e: StoredEvidence, signerNow: ExplainView['signerNow']): boolean {
  return e.trusted && e.signers.some((s) => s.verified && s.reason === 'verified' && s.signer !== null && signerNow(s.signer, e.evidence_type) === 'verified');
}

function signerList(e: StoredEvidence, signerNow: ExplainView['signerNow']): Html {
  if (e.signers.length === 0) return html`<span class="muted">no signatures</span>`;
  return html`<ul class="plain">${e.signers.map((s) => {
    const who = s.signer ? html`<code>${id(s.signer)}</code>` : html`unknown key${s.keyid ? html` <span class="mono">(keyid ${s.keyid.slice(0, 16)})</span>` : ''}`;
    if (!(s.verified && s.reason === 'verified')) return html`<li>${who}: ${badge('bad', '✗', words(s.reason))}</li>`;
    const now = s.signer ? signerNow(s.signer, e.evidence_type) : 'verified';
    return now === 'verified'
      ? html`<li>${who}: ${badge('ok', '✓', 'verified')}</li>`
      : html`<li>${who}: verified when attached; ${badge('bad', '✗', `now ${words(now)}`)}</li>`;
  })}</ul>`;
}

function trustCell(e: StoredEvidence, signerNow: ExplainView['signerNow']): Html {
  if (!e.trusted) return html`${badge('bad', '✗', 'untrusted')}${e.reasons.length ? html`<ul class="plain reasons">${e.reasons.map((r) => html`<li>${r}</li>`)}</ul>` : ''}`;
  if (trustedNow(e, signerNow)) return badge('ok', '✓', 'trusted');
  return html`${badge('bad', '✗', 'no longer trusted')}<div class="muted">trusted when attached; its signer no longer counts</div>`;
}

function evidenceTable(digest: string, evidence: readonly StoredEvidence[], signerNow: ExplainView['signerNow']): Html {
  if (evidence.length === 0) return html`<p class="muted">No evidence has been attached.</p>`;
  return html`<div class="table-wrap"><table class="evidence">
<caption>Every envelope attached to this artifact, trusted or not. Untrusted evidence is kept with the reason and never counts.</caption>
<colgroup><col class="c-id"><col class="c-trust"><col><col class="c-when"></colgroup>
<thead><tr><th scope="col">Evidence</th><th scope="col">Trusted now</th><th scope="col">Signers</th><th scope="col">Attached</th></tr></thead>
${evidence.map((e) => html`<tbody id="${e.id}" data-evidence-type="${id(e.evidence_type)}">
<tr><th scope="row"><strong>${id(e.evidence_type)}</strong><br><a class="mono id" href="/v1/artifacts/${digest}/evidence/${e.id}/envelope" title="the envelope exactly as attached">${e.id}</a></th>
<td>${trustCell(e, signerNow)}</td>
<td>${signerList(e, signerNow)}</td>
<td>${when(e.attached_at)}<br><span class="muted">by ${e.attached_by}</span></td></tr>
<tr class="predicate"><td colspan="4"><p class="muted">Predicate <span class="mono">${e.predicate_type}</span></p>${predicateFields(e)}</td></tr>
</tbody>
`)}
</table></div>`;
}

function approvalsTable(approvals: readonly StoredApproval[]): Html {
  if (approvals.length === 0) return html`<p class="muted">No approvals have been recorded.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">ID</th><th scope="col">Stage</th><th scope="col">Approved by</th><th scope="col">Comment</th><th scope="col">At</th></tr></thead>
<tbody>
${approvals.map((a) => html`<tr id="${a.id}"><th scope="row"><span class="mono id">${a.id}</span></th><td>${a.stage}</td><td>${a.principal}</td><td>${a.comment ?? html`<span class="muted">—</span>`}</td><td class="nowrap">${when(a.at)}</td></tr>\n`)}
</tbody>
</table></div>`;
}

function decisionsTable(decisions: readonly Decision[]): Html {
  if (decisions.length === 0) return html`<p class="muted">No promotion has been requested yet.</p>`;
  return html`<div class="table-wrap"><table>
<caption>Every promotion request, oldest first, as it was decided at the time.</caption>
<thead><tr><th scope="col">Decided at</th><th scope="col">Stage</th><th scope="col">Outcome</th><th scope="col">By</th><th scope="col">Policy</th><th scope="col">Not satisfied then</th></tr></thead>
<tbody>
${decisions.map((d) => {
  const failing = d.checks.filter((c) => c.status !== 'satisfied');
  return html`<tr><th scope="row" class="nowrap">${when(d.decided_at)}</th><td>${d.stage}</td><td class="status">${outcomeBadge(d)}</td><td>${d.actor}</td><td><code>${d.policy.artifact_type}</code> rev ${d.policy.revision}</td><td>${failing.length ? html`<ul class="plain">${failing.map((c) => html`<li>${c.status}: ${c.detail}</li>`)}</ul>` : html`<span class="muted">—</span>`}</td></tr>\n`;
})}
</tbody>
</table></div>`;
}

export function explainPage(v: ExplainView, chrome: Chrome = ANONYMOUS): string {
  const a = v.artifact;
  const x = v.explanation;
  const base = `/v1/artifacts/${a.digest}`;
  const body = html`<p class="subtitle">Artifact · ${a.product} · <code>${a.artifact_type}</code></p>
<h1>${a.name} <span class="version">${a.version}</span></h1>
${banner(trustOf(x))}
<ul class="links" aria-label="Machine-readable forms">
<li><a href="${base}/explain">This explanation as JSON</a></li>
<li><a href="${base}/promotions">Decisions (JSON)</a></li>
<li><a href="${base}/evidence">Evidence (JSON)</a></li>
<li><a href="/ui/artifacts">All artifacts</a></li>
</ul>
${artifactFacts(a)}
<h2 id="stages">Stages</h2>
<p class="muted">Judged now by <code>${x.artifact_type}</code> revision ${x.revision}, at ${when(x.evaluated_at)}. Each stage needs the previous one.</p>
${x.stages.map((s) => stageSection(a.digest, s, v.decisions, v.deploy?.find((d) => d.stage === s.stage), v.vsaHref?.(s.stage) ?? null))}
<h2 id="evidence">Evidence</h2>
${evidenceTable(a.digest, v.evidence, v.signerNow)}
<h2 id="approvals">Approvals</h2>
${approvalsTable(v.approvals)}
<h2 id="decisions">Decision history</h2>
${decisionsTable(v.decisions)}
<footer class="page">Trust is re-evaluated on every view against the live registry: a disabled signer or type shows here as revoked at once, while past decisions stay as they were recorded.</footer>`;
  return layout({ title: `${a.name} ${a.version} (${a.product})`, body, chrome: { ...chrome, section: 'artifacts' } });
}

export function listPage(rows: readonly ListRow[], opts: { product: string | null; next: string | null; chrome?: Chrome }): string {
  const nextHref = opts.next ? `/ui/artifacts?${new URLSearchParams({ ...(opts.product ? { product: opts.product } : {}), cursor: opts.next }).toString()}` : null;
  const body = html`<h1>Artifacts${opts.product ? html` of ${opts.product}` : ''}</h1>
<p class="subtitle">Every registered build artifact, by digest, with its current trust. <a href="/v1/artifacts">As JSON</a>.</p>
<form method="get" action="/ui/artifacts" class="links"><label>Product <input name="product" value="${opts.product ?? ''}" size="16" pattern="[a-z][a-z0-9_.]*"></label> <button type="submit">Filter</button>${opts.product ? html` <a href="/ui/artifacts">show all</a>` : ''}</form>
${rows.length === 0
    ? html`<p class="muted">No artifacts${opts.product ? ` for product ${opts.product}` : ''} yet.</p>`
    : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Artifact</th><th scope="col">Version</th><th scope="col">Product</th><th scope="col">Type</th><th scope="col">Current trust</th><th scope="col">Registered</th><th scope="col">Digest</th></tr></thead>
<tbody>
${rows.map((r) => {
  const trust = r.trust ? badge(r.trust.tone, r.trust.tone === 'ok' ? '✓' : r.trust.tone === 'bad' ? '✗' : '○', r.trust.short) : html`${badge('bad', '?', 'cannot evaluate')} <span class="muted">${r.error ?? ''}</span>`;
  return html`<tr><th scope="row"><a href="/ui/artifacts/${r.artifact.digest}">${r.artifact.name}</a></th><td>${r.artifact.version}</td><td>${r.artifact.product}</td><td><code>${r.artifact.artifact_type}</code></td><td>${trust}</td><td class="nowrap">${when(r.artifact.registered_at)}</td><td class="mono" title="${r.artifact.digest}">${r.artifact.digest.slice(0, 19)}…</td></tr>\n`;
})}
</tbody>
</table></div>`}
${nextHref ? html`<nav class="pager" aria-label="Pages"><a href="${nextHref}" rel="next">Next page</a></nav>` : ''}`;
  return layout({ title: opts.product ? `Artifacts of ${opts.product}` : 'Artifacts', body, chrome: { ...(opts.chrome ?? ANONYMOUS), section: 'artifacts' } });
}

export function errorPage(status: number, title: string, detail: string, hint?: string, chrome: Chrome = ANONYMOUS): string {
  const body = html`<h1>${status} ${title}</h1>
<section class="banner tone-${status >= 500 ? 'bad' : 'warn'}"><p class="headline">${detail}</p>${hint ? html`<p class="more">${hint}</p>` : ''}</section>
<p><a href="/ui/">Home</a> · <a href="/ui/artifacts">All artifacts</a></p>`;
  return layout({ title: `${status} ${title}`, body, chrome });
}
