import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessible, browserMissing, HOSTILE, PORTAL_ENGINE, portalSuite, shot } from './portal-fixture.js';

describe(`portal browsing in a real browser on ${PORTAL_ENGINE.name}`, () => {
  const s = portalSuite();

  it('browses home → family → entry → history diff → dependents, searches, and passes axe-core on every page', async (t) => {
    if (browserMissing(t)) return;
    const browser = await s.browser();
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${s.server.url}/`);
    assert.ok(page.url().endsWith('/ui/'));
    assert.equal(await page.locator('main h1').innerText(), 'Charter registry');
    assert.equal(await page.getByRole('main').count(), 1);
    assert.equal(await page.getByRole('navigation', { name: 'Site' }).count(), 1);
    await accessible(page, 'home');
    await shot(page, 'home');

    // What an sdk-contract must contain.
    await page.getByRole('link', { name: 'SDK contract', exact: true }).click();
    assert.ok(page.url().endsWith('/ui/families/sdk-contract'));
    const manifest = page.locator('table.schema tbody tr', { hasText: 'manifest_schema' }).first();
    assert.match(await manifest.innerText(), /object\s+required/);
    assert.match(await manifest.innerText(), /contract/);
    await accessible(page, 'family');
    await shot(page, 'family');

    // Scope family → an entry whose history has a diff → a dependent.
    await page.goto(`${s.server.url}/ui/families/scope`);
    await page.getByRole('link', { name: 'scope:gpuaas.instances.read', exact: true }).click();
    assert.ok(page.url().endsWith('/ui/entries/scope/gpuaas.instances.read'));
    const newest = page.locator('table.history tbody tr').first();
    assert.match(await newest.locator('td').nth(2).innerText(), /gpuaas-dev/);
    assert.match(await newest.locator('dl.diff').innerText(), /\/description/);
    assert.ok((await newest.locator('ins').innerText()).includes(HOSTILE), 'the hostile text is shown as text in the diff');
    assert.equal(await page.locator('main script, main img').count(), 0);
    await page.locator('section.dependents').getByRole('link', { name: 'scope:gpuaas.instances.write' }).click();
    assert.ok(page.url().endsWith('/ui/entries/scope/gpuaas.instances.write'), page.url());
    await page.goBack();
    await accessible(page, 'entry');

    // A deprecated entry says when its sunset is, for people and machines.
    await page.goto(`${s.server.url}/ui/entries/scope/gpuaas.volumes.read`);
    const sunset = page.locator('.sunset').first();
    assert.equal(await sunset.innerText(), 'deprecated, sunset in 12 days');
    assert.match((await sunset.locator('time').getAttribute('datetime')) ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.equal(await page.getByRole('link', { name: 'scope:gpuaas.instances.read' }).first().getAttribute('href'), '/ui/entries/scope/gpuaas.instances.read');
    await accessible(page, 'deprecated entry');
    await shot(page, 'entry');

    // Search with the keyboard alone: skip link, then tab to the search box.
    await page.goto(`${s.server.url}/ui/`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to content');
    let guard = 0;
    while ((await page.evaluate('document.activeElement.id')) !== 'q' && guard++ < 30) await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement.id'), 'q', 'the search box is reachable by keyboard');
    const outline = await page.evaluate('getComputedStyle(document.activeElement).outlineStyle');
    assert.notEqual(outline, 'none', 'focus is visible');
    await page.keyboard.type('gpuaas.instances');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/ui\/entries\?q=gpuaas\.instances/);
    assert.match(await page.locator('p.count').innerText(), /^\d+ entries matched/);
    assert.ok((await page.locator('tbody tr').count()) >= 3);
    await page.selectOption('#f-family', 'scope');
    await page.getByRole('button', { name: 'Search' }).click();
    assert.match(page.url(), /family=scope/);
    await accessible(page, 'search');
    await shot(page, 'search');

    // Phone width: nothing scrolls sideways on the page itself.
    await page.setViewportSize({ width: 390, height: 800 });
    await page.goto(`${s.server.url}/ui/entries/scope/gpuaas.instances.read`);
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    assert.ok(Number(overflow) <= 0, `no horizontal scroll at phone width (${String(overflow)}px)`);
    await shot(page, 'entry-phone');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('header.site').isVisible(), false, 'print drops the site header');
    assert.ok(await page.locator('table.history').isVisible(), 'print keeps the history');
    await page.emulateMedia({ media: 'screen' });
    assert.deepEqual(dialogs, []);
    await page.close();
  });
});
