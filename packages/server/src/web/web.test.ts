import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';
import { activateSigner, attest, ed25519, govern, p256 } from '../testing/trust.js';
import { escape, html } from './html.js';

const CHROMIUM = '/usr/bin/chromium';
const SLSA = 'https://slsa.dev/provenance/v1';
const VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1';
const SCRIPT = '<script>alert(1)</script>';
const SCREENSHOT = '/tmp/charter-explain.png';

function digestOf(s: string): string {
  return 'sha256:' + createHash('sha256').update(s).digest('hex');
}

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Without a browser the test is skipped locally, but CI must have one: there it fails. */
function browserMissing(t: { skip(message?: string): void }): boolean {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI) assert.fail(`the browser test needs Chromium at ${CHROMIUM}, which is missing on this CI machine: .ci/run installs it (apt-get install chromium)`);
  t.skip(`browser test SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium to run it)`);
  return true;
}

describe('html escaping', () => {
  it('escapes every interpolated value, in text and in attributes, and nests templates without double escaping', () => {
    assert.equal(escape(`<a href="x" onclick='y'>&\``), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;');
    const inner = html`<b>${'<i>'}</b>`;
    assert.equal(html`<p title="${'"><script>'}">${inner}${['<', 1, null, false, undefined]}</p>`.toString(), '<p title="&quot;&gt;&lt;script&gt;"><b>&lt;i&gt;</b>&lt;1</p>');
  });
});

const engine = testEngines()[0]!;

describe(`web pages on ${engine.name}`, () => {
  let db: TestDatabase;
  let server: RunningServer;
  let admin: string;
  let reviewer: string;
  const digest = digestOf('web runtime bundle 2.3.1');

  before(async () => {
    db = await engine.create();
    server = await startTestServer(db);
    admin = adminToken(server, db.dataDir);
    reviewer = await token(server, admin, 'platform-reviewer', ['scope:platform.registry.approve']);
    const releaseCi = ed25519();
    const scanner = p256();
    await govern(server, admin, reviewer, 'real signer keys', [...activateSigner(server, 'platform.release_ci', releaseCi.publicPem), ...activateSigner(server, 'platform.scanner', scanner.publicPem, 'ecdsa-p256')]);
    const ci = await token(server, admin, 'gpuaas-ci', ['scope:platform.artifacts.register', 'scope:platform.evidence.attach'], { product: 'gpuaas' });
    const releaser = await token(server, admin, 'release-bot', ['scope:platform.artifacts.promote']);
    const reg = await call(server, 'POST', '/v1/artifacts', {
      token: ci,
      body: {
        digest,
        artifact_type: 'gpuaas.runtime_bundle',
        product: 'gpuaas',
        name: 'runtime',
        version: '2.3.1',
        source: { repo: 'https://git.example/gpuaas/runtime', commit: '9f2c4e1', build_url: 'javascript:alert(3)' },
        labels: { note: '"><img src=x onerror=alert(2)>' },
      },
    });
    assert.equal(reg.status, 201, reg.text);
    const attach = async (envelope: string) => {
      const r = await call(server, 'POST', `/v1/artifacts/${digest}/evidence`, { token: ci, body: envelope });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.trusted, true, r.text);
    };
    await attach(attest(releaseCi, digest, SLSA, { buildDefinition: { buildType: 'https://example/build' }, runDetails: { builder: { id: 'https://ci.example/runner' } } }));
    assert.equal((await call(server, 'POST', `/v1/artifacts/${digest}/promotions`, { token: releaser, body: { stage: 'dev' } })).status, 201);
    await attach(attest(scanner, digest, VULN, { scanner: { uri: `pkg:github/aquasecurity/trivy${SCRIPT}`, version: '0.50.0' }, metadata: { scanStartedOn: '2026-06-01T00:00:00Z' }, summary: { critical: 0, high: 0 } }));
    const staging = await call(server, 'POST', `/v1/artifacts/${digest}/promotions`, { token: releaser, body: { stage: 'staging' } });
    assert.equal(staging.status, 201, staging.text);
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  it('answers a malformed digest with a 400 page and an unknown one with a 404 page, never JSON or a 500', async () => {
    const bad = await call(server, 'GET', '/ui/artifacts/sha256:NOPE');
    assert.equal(bad.status, 400);
    assert.match(bad.type, /^text\/html/);
    assert.match(bad.text, /<h1>400 Bad request<\/h1>/);
    assert.match(bad.text, /sha256:NOPE/);
    const weird = await call(server, 'GET', `/ui/artifacts/${encodeURIComponent('<script>x</script>')}`);
    assert.equal(weird.status, 400);
    assert.ok(!weird.text.includes('<script>x'), 'the bad digest is echoed escaped');
    const unknown = await call(server, 'GET', `/ui/artifacts/${digestOf('never registered')}`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.type, /^text\/html/);
    assert.match(unknown.text, /no artifact sha256:/);
    const nowhere = await call(server, 'GET', '/ui/nothing/here');
    assert.equal(nowhere.status, 404);
    assert.match(nowhere.type, /^text\/html/);
    assert.match((await call(server, 'GET', '/v1/nothing')).type, /^application\/problem\+json/, 'the API keeps answering problem+json');
  });

  it('lists artifacts with links to each and its current trust', async () => {
    const list = await call(server, 'GET', '/ui/artifacts');
    assert.equal(list.status, 200);
    assert.match(list.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.ok(list.text.includes(`<a href="/ui/artifacts/${digest}">runtime</a>`));
    assert.match(list.text, /trusted for staging/);
    assert.match((await call(server, 'GET', '/ui/artifacts?product=platform')).text, /No artifacts for product platform yet/);
    assert.equal((await call(server, 'GET', '/ui/artifacts?cursor=nope')).status, 400);
  });

  it('explains an artifact in a real browser, renders hostile evidence as text, and shows a revocation on reload', async (t) => {
    if (browserMissing(t)) return;
    const browser = await launch();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const dialogs: string[] = [];
      const problems: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });

      const res = await page.goto(`${server.url}/ui/artifacts/${digest}`);
      assert.equal(res?.status(), 200);
      assert.match(await page.title(), /^runtime 2\.3\.1 \(gpuaas\)/);
      assert.match(await page.locator('h1').innerText(), /^runtime\s+2\.3\.1$/);
      assert.match(await page.locator('.banner').innerText(), /Trusted for staging/);

      for (const stage of ['dev', 'staging']) {
        const section = page.locator(`section#stage-${stage}`);
        assert.match(await section.locator('h3').innerText(), /promoted/);
        assert.doesNotMatch(await section.locator('h3').innerText(), /revoked/);
        const statuses = await section.locator('tbody td.status').allInnerTexts();
        assert.ok(statuses.length >= 1, `${stage} lists its requirements`);
        for (const s of statuses) assert.match(s, /satisfied/, `every ${stage} requirement is satisfied`);
      }
      const staging = await page.locator('section#stage-staging tbody').innerText();
      assert.match(staging, /vuln_scan by platform\.scanner where \/predicate\/summary\/critical/, 'requirements are described in words');
      const prod = page.locator('section#stage-prod');
      assert.match(await prod.locator('h3').innerText(), /not promoted/);
      const approvals = prod.locator('tbody tr', { hasText: '2 approvals' });
      assert.match(await approvals.locator('td.status').innerText(), /missing/);
      assert.match(await approvals.innerText(), /needs 2 approvals/);

      // Hostile strings from evidence and registration are text, never markup.
      const shown = page.getByText(SCRIPT).first();
      assert.ok(await shown.isVisible(), 'the predicate string is shown, escaped');
      assert.match(await shown.innerText(), /pkg:github\/aquasecurity\/trivy<script>alert\(1\)<\/script>/);
      assert.equal(await page.locator('script').count(), 0, 'no script element made it into the page');
      assert.equal(await page.locator('img').count(), 0, 'no img element from the label');
      assert.equal(await page.locator('a[href^="javascript:"]').count(), 0, 'a javascript: build URL is not a link');
      assert.ok(await page.getByText('javascript:alert(3)').isVisible());
      assert.ok(await page.getByRole('link', { name: 'This explanation as JSON' }).isVisible());
      assert.equal(await page.getByRole('link', { name: 'proof of the promotion to staging' }).getAttribute('href'), `/v1/artifacts/${digest}/proof?stage=staging`);
      assert.equal(await page.locator('section#stage-prod').getByRole('link', { name: /proof/ }).count(), 0, 'no proof link for a stage not promoted');
      await page.screenshot({ path: '/tmp/charter-explain-trusted.png', fullPage: true });

      const rev = server.registry.catalog.get('signer', 'platform.scanner')!.revision;
      await govern(server, admin, reviewer, 'scanner key compromised', [{ op: 'transition', family: 'signer', id: 'platform.scanner', expected_revision: rev, to: 'disabled', reason: 'key compromised' }]);
      await page.reload();
      const banner = await page.locator('.banner').innerText();
      assert.match(banner, /Revoked/);
      assert.match(banner, /platform\.scanner/);
      assert.match(banner, /Still trusted for dev/);
      assert.match(await page.locator('section#stage-staging h3').innerText(), /revoked/);
      assert.match(await page.locator('section#stage-staging dl').innerText(), /Revoked\s+yes/);
      assert.match(await page.locator('section#stage-staging dl').innerText(), /Last decision\s+✓ promoted/, 'the past decision stays readable');
      assert.doesNotMatch(await page.locator('section#stage-dev h3').innerText(), /revoked/);
      const scan = page.locator('tbody[data-evidence-type="vuln_scan"]');
      assert.match(await scan.locator('td').nth(0).innerText(), /no longer trusted/);
      assert.match(await scan.innerText(), /verified when attached; ✗ now signer disabled/);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      assert.deepEqual(dialogs, [], 'no dialog fired');
      assert.deepEqual(problems, [], 'no script errors and no content-security-policy violations');
      await page.close();

      // Without JavaScript: the list links to the artifact page, which reads the same.
      const noJs = await browser.newContext({ javaScriptEnabled: false });
      const plain = await noJs.newPage();
      await plain.goto(`${server.url}/ui`);
      assert.ok(plain.url().endsWith('/ui/'));
      await plain.getByRole('navigation', { name: 'Site' }).getByRole('link', { name: 'Artifacts' }).click();
      assert.ok(plain.url().endsWith('/ui/artifacts'));
      assert.match(await plain.locator('tbody tr', { hasText: 'runtime' }).innerText(), /revoked \(staging\); trusted for dev/);
      await plain.getByRole('link', { name: 'runtime' }).click();
      assert.ok(plain.url().endsWith(`/ui/artifacts/${digest}`));
      assert.match(await plain.locator('.banner').innerText(), /Revoked/);
      await noJs.close();
    } finally {
      await browser.close();
    }
  });
});

describe(`web pages with --private-reads on ${engine.name}`, () => {
  let db: TestDatabase;
  let server: RunningServer;

  before(async () => {
    db = await engine.create();
    server = await startTestServer(db, { privateReads: true });
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  it('needs a token like the JSON reads, and says so on an HTML page', async () => {
    const denied = await call(server, 'GET', '/ui/artifacts');
    assert.equal(denied.status, 401);
    assert.match(denied.type, /^text\/html/);
    assert.match(denied.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.match(denied.text, /<h1>401 Token needed<\/h1>/);
    assert.match(denied.text, /--private-reads/);
    assert.equal((await call(server, 'GET', `/ui/artifacts/${digestOf('x')}`)).status, 401);
    const reader = await token(server, adminToken(server, db.dataDir), 'reader', ['scope:platform.registry.read']);
    const ok = await call(server, 'GET', '/ui/artifacts', { token: reader });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await call(server, 'GET', `/ui/artifacts/${digestOf('x')}`, { token: reader })).status, 404);
  });
});
