import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessible, browserMissing, DIGEST, PORTAL_ENGINE, portalSuite, shot } from './portal-fixture.js';

describe(`portal artifact trust in a real browser on ${PORTAL_ENGINE.name}`, () => {
  const s = portalSuite();

  it('shows why an artifact is not in prod: the first failing requirement, its evidence and the deploy check', async (t) => {
    if (browserMissing(t)) return;
    const browser = await s.browser();
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(`${s.server.url}/ui/artifacts`);
    await accessible(page, 'artifact list');
    await page.getByRole('link', { name: 'runtime' }).click();
    assert.ok(page.url().endsWith(`/ui/artifacts/${DIGEST}`));
    const prod = page.locator('section#stage-prod');
    assert.match(await prod.locator('h3').innerText(), /not promoted/);
    const first = prod.locator('tr.first-failing');
    assert.equal(await first.count(), 1, 'exactly one requirement is marked first failing');
    assert.match(await first.innerText(), /First failing requirement/);
    assert.match(await prod.locator('dl.facts').innerText(), /Deploy check\s+✗ denied: not promoted/);
    assert.match(await page.locator('section#stage-dev dl.facts').innerText(), /Deploy check\s+✓ allowed/);
    assert.equal(await page.getByRole('link', { name: 'VSA for dev' }).getAttribute('href'), `/v1/artifacts/${DIGEST}/vsa?stage=dev`);
    assert.equal(await prod.getByRole('link', { name: /VSA/ }).count(), 0, 'no VSA for a stage not promoted');
    assert.equal((await page.request.get(`${s.server.url}/v1/artifacts/${DIGEST}/vsa?stage=dev`)).status(), 200, 'the VSA link answers');
    const evidence = page.locator('tbody[data-evidence-type="slsa_provenance_v1"]');
    assert.match(await evidence.innerText(), /platform\.release_ci: ✓ verified/);
    assert.match(await evidence.innerText(), /Predicate https:\/\/slsa\.dev\/provenance\/v1/);
    await accessible(page, 'artifact');
    await shot(page, 'artifact');
    await page.close();
  });
});
