/** Shared set-up of the portal's browser tests (one file per journey: each file has its own time budget). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunningServer } from '../server.js';
import { testEngines, type TestDatabase } from '../testing/engines.js';
import { adminToken, call, token } from '../testing/http.js';
import { startTestServer } from '../testing/server.js';
import { activateSigner, attest, ed25519, govern } from '../testing/trust.js';

export const CHROMIUM = '/usr/bin/chromium';
const SLSA = 'https://slsa.dev/provenance/v1';
const DAY = 86_400_000;
export const DIGEST = 'sha256:' + createHash('sha256').update('portal runtime bundle').digest('hex');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** Screenshots go to a temporary folder unless CHARTER_SCREENSHOTS names one (docs/portal when refreshing the guide). */
const SHOTS = process.env.CHARTER_SCREENSHOTS ?? join(tmpdir(), 'charter-portal-shots');
export const HOSTILE = `<script>alert(1)</script><img src=x onerror=alert(2)>`;

export function browserMissing(t: { skip(message?: string): void }): boolean {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI) assert.fail(`the browser test needs Chromium at ${CHROMIUM}: .ci/run installs it (apt-get install chromium)`);
  t.skip(`browser test SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium to run it)`);
  return true;
}

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
}

/** axe-core inside the page (evaluated over the DevTools protocol, so the page's CSP stays as served). */
export async function accessible(page: Page, what: string): Promise<void> {
  await page.evaluate(AXE);
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as AxeResult;
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 3).join(', ')}`),
    [],
    `${what}: axe-core finds no serious or critical violation`,
  );
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}

export interface PortalFixture {
  reviewer: string;
  author: string;
  productToken: string;
  changesetId: string;
}

/** A registry with history, a deprecated entry, an open change set and an artifact promoted to dev only. */
export async function portalFixture(server: RunningServer, db: TestDatabase): Promise<PortalFixture> {
  const digest = DIGEST;
    const admin = adminToken(server, db.dataDir);
    const reviewer = await token(server, admin, 'platform-reviewer', ['scope:platform.registry.approve', 'scope:platform.registry.propose', 'scope:platform.audit.read']);
    const author = await token(server, admin, 'gpuaas-dev', ['scope:platform.registry.propose'], { product: 'gpuaas' });
    const productToken = await token(server, admin, 'gpuaas-ci', ['scope:platform.registry.propose'], { product: 'gpuaas' });

    // History with a diff, and a deprecated entry with a sunset 12 days out and its replacement.
    const read = server.registry.catalog.get('scope', 'gpuaas.instances.read')!;
    await govern(server, author, reviewer, 'Say what read covers', [{ op: 'update', family: 'scope', id: 'gpuaas.instances.read', expected_revision: read.revision, set: { description: `List and inspect GPU instances and their state. ${HOSTILE}` } }]);
    await govern(server, author, reviewer, 'Add a volume scope', [{ op: 'create', entry: { family: 'scope', id: 'gpuaas.volumes.read', owner: 'gpuaas', lifecycle: 'active', title: 'Read volumes', labels: { note: HOSTILE }, spec: { kind: 'api', privileged: false } } }]);
    const sunset = new Date(Date.now() + 12 * DAY + 3_600_000).toISOString();
    await govern(server, author, reviewer, 'Retire the volume scope', [{ op: 'transition', family: 'scope', id: 'gpuaas.volumes.read', expected_revision: 1, to: 'deprecated', replaced_by: 'scope:gpuaas.instances.read', sunset_at: sunset, reason: 'folded into instances.read' }]);

    // An open change set for the reviewer.
    const write = server.registry.catalog.get('scope', 'gpuaas.instances.write')!;
    const cs = await call(server, 'POST', '/v1/changesets', { token: author, body: { title: 'Clearer title for instances.write', operations: [{ op: 'update', family: 'scope', id: 'gpuaas.instances.write', expected_revision: write.revision, set: { title: 'Create, resize and terminate GPU instances' } }] } });
    assert.equal(cs.status, 201, cs.text);
    const changesetId = cs.json.id as string;

    // An artifact promoted to dev only: the page must say why it is not in prod.
    const releaseCi = ed25519();
    await govern(server, admin, reviewer, 'real signer key', activateSigner(server, 'platform.release_ci', releaseCi.publicPem));
    const ci = await token(server, admin, 'gpuaas-ci-bot', ['scope:platform.artifacts.register', 'scope:platform.evidence.attach', 'scope:platform.artifacts.promote'], { product: 'gpuaas' });
    const reg = await call(server, 'POST', '/v1/artifacts', { token: ci, body: { digest, artifact_type: 'gpuaas.runtime_bundle', product: 'gpuaas', name: 'runtime', version: '3.0.0', source: { repo: 'https://git.example/gpuaas/runtime' } } });
    assert.equal(reg.status, 201, reg.text);
    const ev = await call(server, 'POST', `/v1/artifacts/${digest}/evidence`, { token: ci, body: attest(releaseCi, digest, SLSA, { buildDefinition: { buildType: 'https://example/build' }, runDetails: { builder: { id: 'https://ci.example/runner' } } }) });
    assert.equal(ev.status, 201, ev.text);
    assert.equal((await call(server, 'POST', `/v1/artifacts/${digest}/promotions`, { token: ci, body: { stage: 'dev' } })).json.outcome, 'promoted');
  
  return { reviewer, author, productToken, changesetId };
}

/** The engine the browser journeys run on (one is enough: the pages read what the API reads). */
export const PORTAL_ENGINE = testEngines()[0]!;

export interface PortalSuite {
  /** Set by the suite's `before`. */
  server: RunningServer;
  fixture: PortalFixture;
  /** One browser per suite, launched on first use and closed after the suite. */
  browser(): Promise<Browser>;
}

/** Registers a browser journey's set-up in the calling describe: a server with portalFixture, and its browser. */
export function portalSuite(): PortalSuite {
  let db: TestDatabase | undefined;
  let browser: Browser | null = null;
  const suite = { browser: async () => (browser ??= await launch()) } as PortalSuite;
  before(async () => {
    db = await PORTAL_ENGINE.create();
    suite.server = await startTestServer(db);
    suite.fixture = await portalFixture(suite.server, db);
  });
  after(async () => {
    await browser?.close();
    await suite.server?.close();
    await db?.drop();
  });
  return suite;
}
