import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call } from '../testing/http.js';
import { accessible, browserMissing, PORTAL_ENGINE, portalSuite, shot } from './portal-fixture.js';

describe(`portal review in a real browser on ${PORTAL_ENGINE.name}`, () => {
  const s = portalSuite();

  it('lets a reviewer approve and apply from the page, shows the new revision and its audit proof; refuses a product token and CSRF-less posts', async (t) => {
    if (browserMissing(t)) return;
    const browser = await s.browser();
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();

    await page.goto(`${s.server.url}/ui/login`);
    await accessible(page, 'sign in');
    await shot(page, 'login');
    await page.getByLabel('Token').fill(s.fixture.reviewer);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/ui\/$/);
    assert.match(await page.locator('header.site').innerText(), /Signed in as platform-reviewer/);
    assert.equal((await page.content()).includes(s.fixture.reviewer), false, 'the token is not on the page');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'charter_session')!;
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');

    await page.getByRole('link', { name: 'Change sets' }).first().click();
    await page.getByRole('link', { name: 'open', exact: true }).click();
    await page.getByRole('link', { name: 'Clearer title for instances.write' }).click();
    assert.ok(page.url().endsWith(`/ui/changesets/${s.fixture.changesetId}`));
    assert.match(await page.locator('section.plan').innerText(), /\/title/);
    await accessible(page, 'change set');
    await shot(page, 'changeset');
    await page.getByLabel('Comment (optional)').fill('Reads better');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(/done=approved/);
    assert.match(await page.locator('[role=status]').innerText(), /Approved/);
    await page.getByRole('button', { name: 'Apply to the registry' }).click();
    await page.waitForURL(/done=applied/);
    assert.match(await page.locator('dl.facts').first().innerText(), /applied/);

    // The entry's new revision, and its audit event's inclusion proof.
    await page.getByRole('link', { name: 'scope:gpuaas.instances.write' }).first().click();
    assert.match(await page.locator('h1').innerText(), /Create, resize and terminate GPU instances/);
    const newest = page.locator('table.history tbody tr').first();
    assert.match(await newest.locator('th').innerText(), /^2$/);
    const proofLink = newest.getByRole('link', { name: 'inclusion proof' });
    const href = (await proofLink.getAttribute('href'))!;
    assert.match(href, /^\/v1\/audit\/proofs\/inclusion\?index=\d+&size=\d+$/);
    const proof = await page.request.get(s.server.url + href);
    assert.equal(proof.status(), 200);
    const body = (await proof.json()) as { index: number; size: number; hashes: string[] };
    assert.equal(`/v1/audit/proofs/inclusion?index=${body.index}&size=${body.size}`, href);
    assert.ok(Array.isArray(body.hashes));
    await accessible(page, 'entry after apply');

    // The audit page shows the events to this auditor.
    await page.getByRole('link', { name: 'Audit log' }).click();
    assert.ok(await page.locator('tr', { hasText: 'platform.changeset.apply' }).first().isVisible());
    await accessible(page, 'audit');
    await shot(page, 'audit');

    // Sign out (a POST form with its CSRF token).
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/ui\/$/);
    assert.match(await page.locator('header.site').innerText(), /Sign in/);

    // A product token: no review buttons; posting the form anyway is 403; a post without CSRF is 403.
    const cs = await call(s.server, 'POST', '/v1/changesets', { token: s.fixture.productToken, body: { title: 'Product wants this', operations: [{ op: 'update', family: 'scope', id: 'gpuaas.instances.read', expected_revision: s.server.registry.catalog.get('scope', 'gpuaas.instances.read')!.revision, set: { title: 'List GPU instances' } }] } });
    assert.equal(cs.status, 201, cs.text);
    const other = await call(s.server, 'POST', '/v1/changesets', { token: s.fixture.author, body: { title: 'Author proposal', operations: [{ op: 'update', family: 'scope', id: 'gpuaas.instances.admin', expected_revision: s.server.registry.catalog.get('scope', 'gpuaas.instances.admin')!.revision, set: { title: 'Administer GPU instances' } }] } });
    assert.equal(other.status, 201, other.text);
    await page.goto(`${s.server.url}/ui/login`);
    await page.getByLabel('Token').fill(s.fixture.productToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(`${s.server.url}/ui/changesets/${other.json.id}`);
    assert.equal(await page.getByRole('button', { name: 'Approve' }).count(), 0, 'no approve button for a product token');
    assert.equal(await page.getByRole('button', { name: 'Reject' }).count(), 0);
    const csrf = (await page.locator('form.signout input[name=csrf]').getAttribute('value'))!;
    const forged = await page.request.post(`${s.server.url}/ui/changesets/${other.json.id}/approve`, { form: { csrf } });
    assert.equal(forged.status(), 403, 'posting the approve form anyway is refused');
    const noCsrf = await page.request.post(`${s.server.url}/ui/changesets/${other.json.id}/approve`, { form: { comment: 'x' } });
    assert.equal(noCsrf.status(), 403, 'a post without the CSRF token is refused');
    assert.equal((await call(s.server, 'GET', `/v1/changesets/${other.json.id}`)).json.status, 'open');
    await context.close();
  });
});
