/**
 * docs/admission.md, held to what Charter does. What each section claims and where it is tested:
 *  1. TLS flags, client certificates, SIGHUP reload (and a bad file), --public-url: admission.test.ts
 *     here (the real binary) and server/src/config.test.ts; the serve line of the page is checked below.
 *  2. The seeded environments, required fields, artifact_types, several environments, a disabled,
 *     proposed or retired one: server/src/admission/*.test.ts and core/src/environments.test.ts;
 *     the example entry is planned below.
 *  3. `charter admission config`: the page's command line is run below and every bullet checked.
 *  4. The webhooks' answers: server/src/admission/admission.test.ts (HTTPS, every kind, messages,
 *     warn mode, UPDATE, ephemeral containers, revocation, audit, dry run, metrics, 500) and
 *     front-doors.test.ts (pinning, expiry warnings, deadline, registry outage); the example
 *     denial message is matched below against the format the server answers.
 *  5. Gatekeeper: front-doors.test.ts (items, per-key errors, systemError, idempotent); the
 *     Provider below is posted to a real server, and the Rego reads only fields the provider sends.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments, parse } from 'yaml';
import { makePki, type TestPki } from '@charter/server/testing';
import { ProviderValue } from '@charter/api';
import type { RunningServer } from '@charter/server';
import { e2eEngines, http, runCharter, startE2EServer, tempDir, type E2EDatabase } from './harness.js';

const DOC = readFileSync(fileURLToPath(new URL('../../../../docs/admission.md', import.meta.url)), 'utf8');
const blocks = (lang: string) => [...DOC.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
const shellLine = (prefix: string) => blocks('sh').map((b) => b.replace(/\\\n\s*/g, ' ')).flatMap((b) => b.split('\n')).find((l) => l.startsWith(prefix))!;

describe('docs/admission.md', () => {
  let pki: TestPki;
  let db: E2EDatabase;
  let server: RunningServer;
  before(async () => {
    pki = makePki();
    db = await e2eEngines()[0]!.create();
    server = await startE2EServer(db);
  });
  after(async () => {
    await server?.close();
    await db?.drop();
    pki?.drop();
  });

  it('section 1: every flag of the serve line exists in charter serve', async () => {
    const line = shellLine('charter serve');
    const help = await runCharter(['serve', '--help'], { cwd: tempDir() });
    for (const flag of line.match(/--[a-z-]+/g)!) assert.ok(help.stdout.includes(flag), `charter serve ${flag}`);
  });

  it('section 2: the example environment is a valid entry, and the seed holds the three it names', async () => {
    const entry = parse(blocks('yaml')[0]!);
    const plan = server.registry.plan({ title: 'docs example', operations: [{ op: 'create', entry }] }, { name: 'admin', product: null, admin: true });
    assert.deepEqual(plan.errors, []);
    for (const [id, ns, stage, pin] of [['gpuaas.dev', ['gpuaas-dev'], 'dev', true], ['gpuaas.staging', ['gpuaas-staging'], 'staging', false], ['gpuaas.prod', ['gpuaas-prod*'], 'prod', false]] as const) {
      const e = server.registry.catalog.get('environment', id)!;
      assert.deepEqual([e.spec.stage, (e.spec.kubernetes as { namespaces: string[] }).namespaces, e.spec.pin_digests === true, (e.spec.kubernetes as { cluster: string }).cluster], [stage, ns, pin, 'local']);
    }
  });

  it('section 3: the config command prints what the page says', async () => {
    const args = shellLine('charter admission config').replace(/\s*\|.*$/, '').split(/\s+/).slice(1).map((a) => (a === 'ca.pem' ? pki.caCert : a));
    const run = await runCharter(args, { cwd: tempDir() });
    assert.equal(run.code, 0, run.stderr);
    const docs = parseAllDocuments(run.stdout).map((d) => d.toJS());
    assert.deepEqual(docs.map((d) => [d.kind, d.metadata.name]), [['MutatingWebhookConfiguration', 'charter-local'], ['ValidatingWebhookConfiguration', 'charter-local']]);
    for (const d of docs) {
      const w = d.webhooks[0];
      assert.equal(w.failurePolicy, 'Fail');
      assert.equal(w.sideEffects, 'NoneOnDryRun');
      assert.equal(w.timeoutSeconds, 5);
      assert.deepEqual(w.namespaceSelector.matchExpressions[0].values, ['kube-system', 'kube-public', 'kube-node-lease', 'charter-system']);
      assert.deepEqual(w.rules.flatMap((r: { resources: string[] }) => r.resources), ['pods', 'pods/ephemeralcontainers', 'replicationcontrollers', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs']);
      assert.equal(Buffer.from(w.clientConfig.caBundle, 'base64').toString(), readFileSync(pki.caCert, 'utf8'));
    }
    assert.equal(docs[1].webhooks[0].clientConfig.url, 'https://charter.charter-system.svc:8443/admission/v1/validate/local');
    assert.equal(docs[0].webhooks[0].clientConfig.url, 'https://charter.charter-system.svc:8443/admission/v1/mutate/local');
    const seven = await runCharter([...args, '--timeout', '7'], { cwd: tempDir() });
    assert.match(seven.stdout, /timeoutSeconds: 7/);
  });

  it('section 4: the example denial has the shape the webhook answers', () => {
    const example = /`(registry\.example\.com\S+ denied in environment [^`]+)`/.exec(DOC)![1]!;
    assert.match(example, /^\S+ denied in environment [a-z_.]+ \(stage [a-z_]+\): .+; explain: https:\/\/charter\.example\.com\/ui\/artifacts\/sha256:…$/);
  });

  it('section 5: the Provider points at the provider route, and the Rego reads only what the provider answers', async () => {
    const [provider, template] = parseAllDocuments(blocks('yaml')[1]!).map((d) => d.toJS());
    assert.equal(provider.apiVersion, 'externaldata.gatekeeper.sh/v1beta1');
    const url = new URL(provider.spec.url);
    const r = await http(server.url, 'POST', url.pathname + url.search, { apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: ['registry.example.com/gpuaas/api@sha256:' + 'a'.repeat(64)] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.response.items[0].value.stage, 'prod');
    const rego: string = template.spec.targets[0].rego;
    assert.ok(rego.includes(`"provider": "${provider.metadata.name}"`));
    const fields = [...rego.matchAll(/value\.([a-z_]+)/g)].map((m) => m[1]!);
    for (const f of fields) assert.ok(f in ProviderValue.properties, `the provider sends value.${f}`);
    assert.ok(fields.includes('allowed'));
  });
});

