import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventLeafHash, verifyInclusion } from '@charter/core';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';
import { govern } from '../testing/trust.js';

/** Markup that must only ever appear as text. */
const HOSTILE = `"><script>alert(1)</script><img src=x onerror=alert(2)>'\``;

interface Browserless {
  cookie: string;
  csrf: string;
}

function setCookies(res: Response): string[] {
  return res.headers.getSetCookie();
}

function csrfIn(page: string): string {
  const m = /name="csrf" value="([^"]+)"/.exec(page);
  assert.ok(m, 'the page carries a CSRF token in a form');
  return m[1]!;
}

/** Signs in as a browser would: fetch the form (and its cookie), post it back. */
async function signIn(server: RunningServer, secret: string): Promise<Browserless> {
  const form = await fetch(`${server.url}/ui/login`);
  const login = setCookies(form).find((c) => c.startsWith('charter_login='))!.split(';')[0]!;
  const csrf = csrfIn(await form.text());
  const res = await fetch(`${server.url}/ui/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: login },
    body: new URLSearchParams({ csrf, token: secret, next: '/ui/changesets' }).toString(),
  });
  assert.equal(res.status, 303, await res.text());
  assert.equal(res.headers.get('location'), '/ui/changesets');
  const session = setCookies(res).find((c) => c.startsWith('charter_session='))!;
  const cookie = session.split(';')[0]!;
  const page = await fetch(`${server.url}/ui/`, { headers: { cookie } });
  return { cookie, csrf: csrfIn(await page.text()) };
}

async function page(server: RunningServer, path: string, who?: Browserless): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(server.url + path, { redirect: 'manual', headers: who ? { cookie: who.cookie } : {} });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function post(server: RunningServer, path: string, fields: Record<string, string>, who?: Browserless): Promise<{ status: number; text: string; location: string | null }> {
  const res = await fetch(server.url + path, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(who ? { cookie: who.cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, text: await res.text(), location: res.headers.get('location') };
}

async function auditActions(server: RunningServer, admin: string): Promise<{ action: string; actor: string; subject: string[] }[]> {
  const r = await call(server, 'GET', '/v1/audit?limit=5000', { token: admin });
  assert.equal(r.status, 200, r.text);
  return r.json.items;
}

for (const engine of testEngines()) {
  describe(`portal sessions and pages on ${engine.name}`, () => {
    let db: TestDatabase;
    let server: RunningServer;
    let admin: string;
    let reviewer: string;
    let author: string;
    let product: string;

    before(async () => {
      db = await engine.create();
      server = await startTestServer(db);
      admin = adminToken(server, db.dataDir);
      reviewer = await token(server, admin, 'platform-reviewer', ['scope:platform.registry.approve', 'scope:platform.registry.propose', 'scope:platform.audit.read']);
      author = await token(server, admin, 'gpuaas-dev', ['scope:platform.registry.propose'], { product: 'gpuaas' });
      product = await token(server, admin, 'gpuaas-ci', ['scope:platform.registry.propose', 'scope:platform.registry.read'], { product: 'gpuaas' });
    });
    after(async () => {
      await server.close();
      await db.drop();
    });

    it('redirects / and /ui to the home page, which lists every family with its entry count', async () => {
      for (const path of ['/', '/ui']) {
        const r = await page(server, path);
        assert.equal(r.status, 302, path);
        assert.equal(r.headers.get('location'), '/ui/');
      }
      const home = await page(server, '/ui/');
      assert.equal(home.status, 200);
      assert.match(home.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      const scopes = [...server.registry.catalog.entries()].filter((e) => e.family === 'scope').length;
      assert.match(home.text, new RegExp(`<a href="/ui/entries\\?family=scope" aria-label="${scopes} Scope entries">${scopes}</a>`));
      assert.match(home.text, /<form method="get" action="\/ui\/entries" role="search"/);
      assert.match(home.text, /Seed slice/, 'the latest applied change set is listed');
    });

    it('signs in with a pasted token: an HttpOnly SameSite=Strict cookie naming a session, audited, and the token never on a page', async () => {
      const form = await fetch(`${server.url}/ui/login`);
      const loginCookie = setCookies(form).find((c) => c.startsWith('charter_login='))!;
      assert.match(loginCookie, /HttpOnly/);
      assert.match(loginCookie, /SameSite=Strict/);
      assert.doesNotMatch(loginCookie, /Secure/, 'plain HTTP: no Secure flag');
      const csrf = csrfIn(await form.text());

      // No CSRF token, or a wrong one: 403, no session.
      const noCsrf = await post(server, '/ui/login', { token: reviewer });
      assert.equal(noCsrf.status, 403);
      const wrong = await fetch(`${server.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie.split(';')[0]! }, body: `csrf=${'x'.repeat(csrf.length)}&token=${reviewer}` });
      assert.equal(wrong.status, 403);
      assert.equal(setCookies(wrong).some((c) => c.startsWith('charter_session=')), false);

      // A bad token: the page says so without echoing what was pasted.
      const bogus = `charter_${'A'.repeat(43)}${HOSTILE}`;
      const bad = await fetch(`${server.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie.split(';')[0]! }, body: new URLSearchParams({ csrf, token: bogus }).toString() });
      assert.equal(bad.status, 401);
      const badText = await bad.text();
      assert.match(badText, /Not signed in/);
      assert.ok(!badText.includes('AAAAAAAAAA'), 'the pasted text is not echoed');

      const before = (await auditActions(server, admin)).length;
      const who = await signIn(server, reviewer);
      const home = await page(server, '/ui/', who);
      assert.match(home.text, /Signed in as <strong>platform-reviewer<\/strong>/);
      assert.match(home.text, /<form method="post" action="\/ui\/logout" class="signout"><span>[^<]*<strong>[^<]*<\/strong><\/span> <input type="hidden" name="csrf" value="[^"]+"><button type="submit">Sign out<\/button><\/form>/);
      assert.ok(!home.text.includes(reviewer), 'the token is never rendered');
      const events = (await auditActions(server, admin)).slice(before);
      const created = events.find((e) => e.action === 'audit-action:platform.session.create');
      assert.ok(created, 'signing in is an audit event');
      assert.equal(created.actor, 'platform-reviewer');
      assert.match(created.subject[0]!, /^ses_[0-9a-f]{16}$/);
      assert.ok(!JSON.stringify(events).includes(who.cookie.split('=')[1]!), 'the cookie secret is not in the audit log');

      // Signing out: CSRF needed, then the session is gone and the event is logged.
      assert.equal((await post(server, '/ui/logout', {}, who)).status, 403, 'sign-out without its CSRF token is refused');
      assert.match((await page(server, '/ui/', who)).text, /Signed in as/);
      const out = await post(server, '/ui/logout', { csrf: who.csrf }, who);
      assert.equal(out.status, 303);
      const after = await page(server, '/ui/', who);
      assert.doesNotMatch(after.text, /Signed in as/);
      assert.match(after.headers.get('set-cookie') ?? '', /charter_session=; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=0/, 'the dead cookie is cleared');
      assert.ok((await auditActions(server, admin)).some((e) => e.action === 'audit-action:platform.session.revoke' && e.actor === 'platform-reviewer'));
    });

    it('ends every session of a token when the token is revoked', async () => {
      const secret = await call(server, 'POST', '/v1/tokens', { token: admin, body: { principal: 'short-lived', scopes: ['scope:platform.registry.approve'] } });
      const who = await signIn(server, secret.json.token);
      assert.match((await page(server, '/ui/', who)).text, /Signed in as <strong>short-lived/);
      assert.equal((await call(server, 'DELETE', `/v1/tokens/${secret.json.id}`, { token: admin })).status, 200);
      assert.doesNotMatch((await page(server, '/ui/', who)).text, /Signed in as/);
      assert.equal((await post(server, '/ui/logout', { csrf: who.csrf }, who)).status, 403, 'a dead session cannot post');
    });

    it('reviews a change set from the page: approve and apply run the API use cases with the same scopes and audit events, and CSRF-less posts are refused', async () => {
      const entry = server.registry.catalog.get('scope', 'gpuaas.instances.write')!;
      const submit = await call(server, 'POST', '/v1/changesets', {
        token: author,
        body: { title: `Retitle ${HOSTILE}`, description: `why: ${HOSTILE}`, operations: [{ op: 'update', family: 'scope', id: 'gpuaas.instances.write', expected_revision: entry.revision, set: { title: `Manage GPU instances ${HOSTILE}`, labels: { docs: 'javascript:alert(3)', note: HOSTILE } } }] },
      });
      assert.equal(submit.status, 201, submit.text);
      const id = submit.json.id as string;

      // Anonymous: no buttons. A product token: no buttons, and posting anyway is 403.
      assert.doesNotMatch((await page(server, `/ui/changesets/${id}`)).text, /action="\/ui\/changesets\/[^"]+\/approve"/);
      const ci = await signIn(server, product);
      const ciPage = await page(server, `/ui/changesets/${id}`, ci);
      assert.doesNotMatch(ciPage.text, /<button[^>]*>Approve<\/button>/, 'no approve button for a token without the approve scope');
      assert.match(ciPage.text, /does not grant scope:platform\.registry\.approve/);
      const forbidden = await post(server, `/ui/changesets/${id}/approve`, { csrf: ci.csrf }, ci);
      assert.equal(forbidden.status, 403);
      assert.match(forbidden.text, /this needs scope:platform\.registry\.approve/);

      const rev = await signIn(server, reviewer);
      const revPage = await page(server, `/ui/changesets/${id}`, rev);
      assert.match(revPage.text, /<button type="submit" class="primary">Approve<\/button>/);
      assert.doesNotMatch(revPage.text, /Apply to the registry/, 'no apply button before an approval');
      // The page shows the hostile title as text only.
      assert.ok(!revPage.text.includes('<script>alert(1)'), 'escaped');
      assert.ok(revPage.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));

      // Without the CSRF token (or with the CI session's token): 403, nothing changes.
      assert.equal((await post(server, `/ui/changesets/${id}/approve`, {}, rev)).status, 403);
      assert.equal((await post(server, `/ui/changesets/${id}/approve`, { csrf: ci.csrf }, rev)).status, 403);
      assert.equal((await post(server, `/ui/changesets/${id}/approve`, { csrf: rev.csrf })).status, 403, 'no session cookie: 403');
      assert.equal((await call(server, 'GET', `/v1/changesets/${id}`)).json.status, 'open');

      const before = (await auditActions(server, admin)).length;
      const approved = await post(server, `/ui/changesets/${id}/approve`, { csrf: rev.csrf, comment: `ok ${HOSTILE}` }, rev);
      assert.equal(approved.status, 303, approved.text);
      assert.equal(approved.location, `/ui/changesets/${id}?done=approved`);
      const afterApprove = await page(server, approved.location!, rev);
      assert.match(afterApprove.text, /Apply to the registry/);
      assert.ok(!afterApprove.text.includes('<img src=x'));
      const applied = await post(server, `/ui/changesets/${id}/apply`, { csrf: rev.csrf }, rev);
      assert.equal(applied.status, 303, applied.text);
      const events = (await auditActions(server, admin)).slice(before);
      assert.deepEqual(events.map((e) => [e.action, e.actor]), [
        ['audit-action:platform.changeset.approve', 'platform-reviewer'],
        // The event names whoever applied (the reviewer's session), not the author.
        ['audit-action:platform.changeset.apply', 'platform-reviewer'],
      ]);

      // The new revision's history item names its audit event, and the proof verifies against the checkpoint.
      const history = await call(server, 'GET', '/v1/entries/scope/gpuaas.instances.write/history');
      const top = history.json.items[0];
      assert.equal(top.revision, entry.revision + 1);
      assert.equal(top.changeset, id);
      assert.equal(typeof top.audit_index, 'number');
      const event = (await call(server, 'GET', `/v1/audit/${top.audit_index}`, { token: admin })).json;
      assert.equal(event.action, 'audit-action:platform.changeset.apply');
      assert.equal(top.leaf_hash, event.leaf_hash);
      assert.equal(Buffer.from(eventLeafHash(event)).toString('base64'), top.leaf_hash, 'the leaf hash is the hash of that event');
      const entryPage = await page(server, '/ui/entries/scope/gpuaas.instances.write');
      const link = new RegExp(`<a href="/v1/audit/proofs/inclusion\\?index=${top.audit_index}&amp;size=(\\d+)">inclusion proof</a>`).exec(entryPage.text);
      assert.ok(link, 'the history row links to its inclusion proof');
      const proof = await call(server, 'GET', `/v1/audit/proofs/inclusion?index=${top.audit_index}&size=${link[1]}`);
      assert.equal(proof.status, 200);
      const root = (await call(server, 'GET', '/v1/audit/checkpoint')).text.split('\n')[2]!;
      assert.ok(verifyInclusion(Buffer.from(top.leaf_hash, 'base64'), top.audit_index, Number(link[1]), proof.json.hashes.map((h: string) => Buffer.from(h, 'base64')), Buffer.from(root, 'base64')));
      assert.match(entryPage.text, /<del aria-label="before">Manage GPU instances<\/del>/, 'the diff shows the old title');
      assert.ok(!entryPage.text.includes('<script>alert(1)'));
      assert.ok(!entryPage.text.includes('href="javascript:'), 'a javascript: label is not a link');
      assert.match(entryPage.text, /Last changed<\/dt><dd>by <strong>gpuaas-dev<\/strong>, approved by platform-reviewer/);
    });

    it('renders hostile search and path input as text on every page, and rejects bad filters with a 400 page', async () => {
      const q = encodeURIComponent(HOSTILE);
      const paths = [
        `/ui/entries?q=${q}`,
        `/ui/entries?owner=${q}`,
        `/ui/entries?family=${q}`,
        `/ui/entries?lifecycle=${q}`,
        `/ui/entries?page=${q}`,
        `/ui/entries/scope/${q}`,
        `/ui/entries/${q}/x`,
        `/ui/entries/scope/gpuaas.instances.write?revision=${q}`,
        `/ui/families/${q}`,
        `/ui/changesets?status=${q}`,
        `/ui/changesets?cursor=${q}`,
        `/ui/changesets/${q}`,
        `/ui/artifacts?product=${q}`,
        `/ui/artifacts/${q}`,
        `/ui/audit?after=${q}`,
        `/ui/login?next=${q}`,
        `/ui/${q}`,
      ];
      for (const p of paths) {
        const r = await page(server, p);
        assert.ok(r.status < 500, `${p}: ${r.status}`);
        assert.match(r.headers.get('content-type') ?? '', /^text\/html/, p);
        assert.ok(!r.text.includes('<script>alert'), `${p} escapes its input`);
        assert.ok(!r.text.includes('<img src=x'), `${p} escapes its input`);
      }
      assert.equal((await page(server, `/ui/entries?family=${q}`)).status, 400);
      assert.equal((await page(server, '/ui/entries?page=0')).status, 400);
      assert.equal((await page(server, '/ui/entries/scope/nope.nope')).status, 404);
      assert.equal((await page(server, '/ui/entries/scope/gpuaas.instances.write?revision=999')).status, 404);
      const search = await page(server, `/ui/entries?q=${q}`);
      assert.match(search.text, /<strong>\d+<\/strong> entr(y|ies) matched/);
      assert.match(search.text, /value="&quot;&gt;&lt;script&gt;/, 'the search box keeps the text, escaped');
    });

    it('searches by ID or title with filters and says how many matched', async () => {
      const r = await page(server, '/ui/entries?q=gpuaas.instances&family=scope');
      const expected = [...server.registry.catalog.entries()].filter((e) => e.family === 'scope' && (`scope:${e.id}`.includes('gpuaas.instances') || e.title.toLowerCase().includes('gpuaas.instances'))).length;
      assert.ok(expected >= 2);
      assert.match(r.text, new RegExp(`<strong>${expected}</strong> entries matched`));
      const owned = await page(server, '/ui/entries?owner=gpuaas&family=scope');
      for (const m of owned.text.matchAll(/<a href="\/ui\/entries\/scope\/([^"]+)"><code>/g)) assert.equal(server.registry.catalog.get('scope', m[1]!)?.owner, 'gpuaas');
    });

    it('shows the audit events only to a principal holding platform.audit.read', async () => {
      const anon = await page(server, '/ui/audit');
      assert.match(anon.text, /Events are shown to a signed-in principal holding/);
      assert.match(anon.text, /-----BEGIN PUBLIC KEY-----/);
      const cp = (await call(server, 'GET', '/v1/audit/checkpoint')).text;
      assert.ok(anon.text.includes(cp.split('\n')[0]!), 'the checkpoint text is on the page');
      const rev = await signIn(server, reviewer);
      const mine = await page(server, '/ui/audit', rev);
      assert.match(mine.text, /<tr id="event-0">/);
      assert.match(mine.text, /platform\.session\.create/);
    });

    it('refuses sign-in when the session audit action is disabled (fail closed)', async () => {
      const action = server.registry.catalog.get('audit-action', 'platform.session.create')!;
      await govern(server, admin, reviewer, 'disable sign-in', [{ op: 'transition', family: 'audit-action', id: 'platform.session.create', expected_revision: action.revision, to: 'disabled', reason: 'test' }]);
      const form = await fetch(`${server.url}/ui/login`);
      const login = setCookies(form).find((c) => c.startsWith('charter_login='))!.split(';')[0]!;
      const r = await fetch(`${server.url}/ui/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: login }, body: new URLSearchParams({ csrf: csrfIn(await form.text()), token: reviewer }).toString() });
      assert.equal(r.status, 403, await r.text());
      assert.equal(setCookies(r).some((c) => c.startsWith('charter_session=')), false, 'no session without its audit event');
    });
  });
}

describe(`portal sessions over time, and with --private-reads, on ${testEngines()[0]!.name}`, () => {
  const engine = testEngines()[0]!;
  let db: TestDatabase;
  let server: RunningServer;
  let now = Date.now();

  before(async () => {
    db = await engine.create();
    server = await startTestServer(db, { privateReads: true, clock: () => new Date(now) });
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  it('keeps pages private to a session holding platform.registry.read, and ends a session when it expires or its token does', async () => {
    const admin = adminToken(server, db.dataDir);
    const denied = await page(server, '/ui/');
    assert.equal(denied.status, 401);
    assert.match(denied.text, /sign in with a token holding platform\.registry\.read/);
    assert.equal((await page(server, '/ui/login')).status, 200, 'the sign-in page stays reachable');

    const reader = await signIn(server, await token(server, admin, 'reader', ['scope:platform.registry.read']));
    assert.equal((await page(server, '/ui/', reader)).status, 200);
    assert.equal((await page(server, '/ui/entries/scope/gpuaas.instances.write', reader)).status, 200);
    const families = await call(server, 'GET', '/v1/families', { token: admin });
    const scopes = [...server.registry.catalog.entries()].filter((e) => e.family === 'scope').length;
    assert.equal(families.json.items.find((f: { name: string }) => f.name === 'scope').entry_count, scopes, 'the home page counts have a JSON twin');

    const nobody = await signIn(server, await token(server, admin, 'no-read', ['scope:platform.evidence.attach'], { product: 'gpuaas' }));
    assert.equal((await page(server, '/ui/', nobody)).status, 403, 'signed in without the read scope: 403');

    // Sessions live 8 hours at most.
    now += 8 * 3_600_000 + 1000;
    const expired = await page(server, '/ui/', reader);
    assert.equal(expired.status, 401, 'the expired session no longer opens pages');
    assert.match(expired.headers.get('set-cookie') ?? '', /charter_session=;.*Max-Age=0/);

    // A token that expires first takes its session with it.
    const short = await call(server, 'POST', '/v1/tokens', { token: admin, body: { principal: 'short', scopes: ['scope:platform.registry.read'], expires_in: '1h' } });
    assert.equal(short.status, 201, short.text);
    const who = await signIn(server, short.json.token);
    assert.equal((await page(server, '/ui/', who)).status, 200);
    now += 3_600_000 + 1000;
    assert.equal((await page(server, '/ui/', who)).status, 401, 'the session ends with its token');
  });
});
