/**
 * Onboarding a second product (`inference`) purely by YAML, through the real `charter` binary
 * against a real server: validate (offline) → plan → submit → approve (by someone else) →
 * apply, after which checks and the SDK recognise its entries with no code change.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalCatalog } from '@charter/sdk';
import { resolveConfig, startServer, type RunningServer } from '@charter/server';
import { http, runCharter, tempDir, waitUntil, type CliRun } from './harness.js';

const WRITE = 'scope:inference.models.write';

const FILES: Record<string, string> = {
  // Sorted by name, artifacts.yaml comes before the product it belongs to: the CLI orders by dependency.
  'artifacts.yaml': `# Inference build artifacts and their promotion policy
family: artifact-type
id: inference.model_bundle
owner: inference
lifecycle: active
title: Model bundle
description: Weights, tokenizer and serving config of one model version.
spec:
  media_types: [application/vnd.inference.model-bundle.v1.tar+gzip]
  stages:
    - name: dev
      requirements:
        - evidence: evidence-type:slsa_provenance_v1
          signers: [signer:platform.release_ci]
    - name: prod
      requirements:
        - evidence: evidence-type:slsa_provenance_v1
          signers: [signer:platform.release_ci]
        - approvals: 1
`,
  'product.yaml': `family: product
id: inference
owner: inference
lifecycle: active
title: Inference
description: Hosted model inference.
spec:
  owner_domain: inference.charter.internal
`,
  // write comes first and implies read, which is defined after it.
  'scopes.yaml': `family: scope
id: inference.models.write
owner: inference
lifecycle: active
title: Manage models
description: Deploy, update and delete served models.
spec:
  kind: api
  privileged: true
  implies: [scope:inference.models.read]
---
family: scope
id: inference.models.read
owner: inference
lifecycle: active
title: Read models
description: List served models and their versions.
spec:
  kind: api
  privileged: false
`,
  'usage.yaml': `family: usage-unit
id: inference.token_count
owner: inference
lifecycle: active
title: Tokens processed
description: Input plus output tokens of one inference request.
spec:
  unit: token
  quantity: count
  aggregation: sum
  billable: true
  precision: 0
  dimensions: [model, region]
`,
};

function show(run: CliRun): string {
  return `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

/** The 1-based line of the first line of `file` matching `pattern`. */
function lineOf(file: string, pattern: RegExp): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => pattern.test(l));
  assert.ok(i >= 0, `${pattern} not in ${file}`);
  return i + 1;
}

describe('onboarding product inference by YAML with the charter CLI (SQLite)', () => {
  let server: RunningServer;
  let dataDir: string;
  let work: string;
  let repo: string;
  const catalogs: LocalCatalog[] = [];
  const tokens = { reviewer: '', team: '', lead: '' };
  let changeset = '';

  /** The CLI as the admin: no token given, so it reads <CHARTER_DATA_DIR>/admin-token of this local server. */
  // Each run is a fresh node process; independent runs go in parallel to keep the file fast.
  const timeoutMs = 60_000;
  const asAdmin = (...args: string[]) => runCharter(['--url', server.url, ...args], { env: { CHARTER_DATA_DIR: dataDir }, timeoutMs });
  const as = (token: string, ...args: string[]) => runCharter(['--url', server.url, ...args], { env: { CHARTER_TOKEN: token }, timeoutMs });
  const offline = (...args: string[]) => runCharter(args, { timeoutMs });

  before(async () => {
    work = tempDir('charter-onboarding-');
    // The server's data dir is <work>/.charter: the CLI's default when run from <work>.
    dataDir = join(work, '.charter');
    repo = join(work, 'inference');
    mkdirSync(repo);
    for (const [name, text] of Object.entries(FILES)) writeFileSync(join(repo, name), text);
    server = await startServer(resolveConfig({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' }, {}));
  });
  after(async () => {
    await Promise.all(catalogs.map((c) => c.stop()));
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('uses the admin token file of a local server when no token is given, and nothing when there is none', async () => {
    const empty = tempDir('charter-no-token-');
    try {
      const [run, fromCwd, anonymous] = await Promise.all([
        asAdmin('token', 'list', '--json'),
        runCharter(['--url', server.url, 'token', 'list'], { cwd: work, timeoutMs }),
        runCharter(['--url', server.url, 'token', 'list'], { env: { CHARTER_DATA_DIR: empty }, timeoutMs }),
      ]);
      assert.equal(fromCwd.code, 0, `./.charter/admin-token is the default\n${show(fromCwd)}`);
      assert.equal(run.code, 0, show(run));
      const listed = JSON.parse(run.stdout) as { items: { principal: string }[] };
      assert.ok(listed.items.some((t) => t.principal === 'admin'));
      assert.doesNotMatch(run.stdout, /charter_[A-Za-z0-9_-]{20,}/, 'token list never shows a secret');
      assert.equal(anonymous.code, 2, show(anonymous));
      assert.match(anonymous.stderr, /UNAUTHENTICATED, HTTP 401/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses a token bound to product inference while that product does not exist', async () => {
    const run = await asAdmin('token', 'create', '--principal', 'inference-team', '--product', 'inference', '--scope', 'scope:platform.registry.propose');
    assert.equal(run.code, 1, show(run));
    assert.match(run.stderr, /INVALID_TOKEN_REQUEST, HTTP 422/);
    assert.match(run.stderr, /\/product .*product 'inference' is not an active product/);
  });

  it('creates the reviewer token and prints its secret once, with a warning', async () => {
    const run = await asAdmin('token', 'create', '--principal', 'platform-reviewer', '--scope', 'scope:platform.registry.approve', '--expires', '30d', '--description', 'platform registry review');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /^charter_\S+\n$/, 'stdout is the secret alone');
    tokens.reviewer = run.stdout.trim();
    assert.match(run.stderr, /for platform-reviewer/);
    assert.match(run.stderr, /only time the token is shown/);
  });

  // Offline questions about files: independent of each other, so asked concurrently.
  describe('validate, offline', { concurrency: true }, () => {
    it('validate passes offline on the files, without a server', async () => {
      const run = await offline('validate', '-f', repo);
      assert.equal(run.code, 0, show(run));
      assert.match(run.stdout, /valid: 5 entries in 4 file\(s\)/);
      assert.match(run.stdout, /references not checked: pass --snapshot/);
    });

    it('validate of a broken copy exits 1 naming the file, line, document and pointer of every problem', async () => {
      const broken = join(work, 'broken');
      cpSync(repo, broken, { recursive: true });
      const edit = (name: string, from: RegExp, to: string) => {
        const f = join(broken, name);
        writeFileSync(f, readFileSync(f, 'utf8').replace(from, to));
      };
      edit('scopes.yaml', /id: inference\.models\.read/, 'id: inference.Models');
      edit('usage.yaml', /  aggregation: sum\n/, '');
      edit('artifacts.yaml', /^owner: inference$/m, 'owner: gpuaas');

      const [run, json] = await Promise.all([offline('validate', '-f', broken), offline('validate', '--json', '-f', broken)]);
      assert.equal(run.code, 1, show(run));
      const problems = run.stdout.split('\n').filter((l) => / [A-Z_]+ /.test(l) && l.includes('.yaml:'));
      assert.equal(problems.length, 3, show(run));
      const scopes = join(broken, 'scopes.yaml');
      const usage = join(broken, 'usage.yaml');
      const artifacts = join(broken, 'artifacts.yaml');
      assert.ok(problems.includes(`${artifacts}:${lineOf(artifacts, /^owner: gpuaas/)} (document 1) /owner NAMESPACE_DENIED '${'inference.model_bundle'}' is in the namespace of product 'inference', so its owner must be 'inference'`), show(run));
      assert.ok(problems.some((l) => l.startsWith(`${scopes}:${lineOf(scopes, /^id: inference\.Models/)} (document 2) /id INVALID_ID `)), show(run));
      assert.ok(problems.some((l) => l.startsWith(`${usage}:${lineOf(usage, /^spec:/)} (document 1) /spec/aggregation INVALID_SPEC 'aggregation' is required`)), show(run));
      assert.match(run.stdout, /invalid: 3 problem\(s\) in 3 file\(s\)/);

      assert.equal(json.code, 1, show(json));
      const answer = JSON.parse(json.stdout) as { valid: boolean; problems: { file: string; line: number; document: number; pointer: string; code: string }[] };
      assert.equal(answer.valid, false);
      assert.deepEqual(answer.problems.map((p) => [p.file, p.document, p.pointer, p.code]), [
        [artifacts, 1, '/owner', 'NAMESPACE_DENIED'],
        [scopes, 2, '/id', 'INVALID_ID'],
        [usage, 1, '/spec/aggregation', 'INVALID_SPEC'],
      ]);
    });

    it('validate --product checks the namespace a product token may write', async () => {
      const [own, other] = await Promise.all([
        offline('validate', '-f', join(repo, 'scopes.yaml'), '--product', 'inference'),
        offline('validate', '-f', join(repo, 'scopes.yaml'), '--product', 'gpuaas'),
      ]);
      assert.equal(own.code, 0, show(own));
      assert.equal(other.code, 1, show(other));
      assert.match(other.stdout, /scopes\.yaml:2 \(document 1\) \/id NAMESPACE_DENIED 'inference\.models\.write' belongs to product 'inference'; this token is bound to product 'gpuaas'/);
      assert.match(other.stdout, /scopes\.yaml:13 \(document 2\) \/id NAMESPACE_DENIED 'inference\.models\.read'/);
    });

    it('validate --snapshot checks references against a saved snapshot', async () => {
      const snapshot = join(work, 'snapshot.json');
      writeFileSync(snapshot, (await http(server.url, 'GET', '/v1/snapshot')).text);
      const dangling = join(work, 'dangling');
      cpSync(repo, dangling, { recursive: true });
      const artifacts = join(dangling, 'artifacts.yaml');
      writeFileSync(artifacts, readFileSync(artifacts, 'utf8').replace('signers: [signer:platform.release_ci]', 'signers: [signer:platform.nope]'));

      const [good, bad, notSnapshot] = await Promise.all([
        offline('validate', '-f', repo, '--snapshot', snapshot),
        offline('validate', '-f', dangling, '--snapshot', snapshot),
        offline('validate', '-f', repo, '--snapshot', join(repo, 'product.yaml')),
      ]);
      assert.equal(good.code, 0, show(good));
      assert.doesNotMatch(good.stdout, /references not checked/);
      assert.equal(bad.code, 1, show(bad));
      assert.match(bad.stdout, new RegExp(`${artifacts}:${lineOf(artifacts, /signer:platform\.nope/)} \\(document 1\\) /spec/stages/0/requirements/0/signers/0 REFERENCE_UNRESOLVED 'signer:platform\\.nope' does not exist`));
      assert.equal(notSnapshot.code, 2, show(notSnapshot));
      assert.match(notSnapshot.stderr, /cannot read snapshot/);
    });
  });

  it('the first change set, creating product inference itself, comes from a registry admin', async () => {
    const product = join(repo, 'product.yaml');
    const submit = await asAdmin('submit', '-f', product, '--title', 'Onboard product inference');
    assert.equal(submit.code, 0, show(submit));
    assert.match(submit.stdout, /^\+ create product:inference$/m);
    const id = /submitted change set (cs_\S+) \(open\)/.exec(submit.stdout)?.[1];
    assert.ok(id, show(submit));
    const cs = (await http(server.url, 'GET', `/v1/changesets/${id}`)).json as { id: string; status: string; author: string };

    assert.equal(cs.status, 'open');
    assert.equal(cs.author, 'admin');

    const approve = await as(tokens.reviewer, 'changeset', 'approve', cs.id, '--comment', 'welcome');
    assert.equal(approve.code, 0, show(approve));
    const apply = await asAdmin('changeset', 'apply', cs.id);
    assert.equal(apply.code, 0, show(apply));
    assert.match(apply.stdout, new RegExp(`applied ${cs.id} at sequence \\d+: 1 change\\(s\\)`));
  });

  it('now tokens bound to product inference can be created', async () => {
    const [team, lead] = await Promise.all([
      asAdmin('token', 'create', '--principal', 'inference-team', '--product', 'inference', '--scope', 'scope:platform.registry.propose', '--json'),
      asAdmin('token', 'create', '--principal', 'inference-lead', '--product', 'inference', '--scope', 'scope:platform.registry.propose', 'scope:platform.registry.approve'),
    ]);
    assert.equal(team.code, 0, show(team));
    const created = JSON.parse(team.stdout) as { token: string; product: string; scopes: string[] };
    assert.equal(created.product, 'inference');
    assert.deepEqual(created.scopes, ['scope:platform.registry.propose']);
    tokens.team = created.token;
    assert.equal(lead.code, 0, show(lead));
    tokens.lead = lead.stdout.trim();
  });

  describe('plan, against the server', { concurrency: true }, () => {
    it('plan lists the creates, like a Terraform plan', async () => {
      const run = await as(tokens.team, 'plan', '-f', repo);
      assert.equal(run.code, 0, show(run));
      const creates = run.stdout.split('\n').filter((l) => l.startsWith('+ create '));
      assert.deepEqual(creates.sort(), [
        '+ create artifact-type:inference.model_bundle',
        '+ create scope:inference.models.read',
        '+ create scope:inference.models.write',
        '+ create usage-unit:inference.token_count',
      ]);
      assert.match(run.stdout, /Plan: 4 to create, 0 to update, 0 to transition\./);
    });

    it("plan maps the server's problems back to file and line", async () => {
      const foreign = join(work, 'foreign');
      mkdirSync(foreign);
      const file = join(foreign, 'scopes.yaml');
      writeFileSync(file, FILES['scopes.yaml']!.replace('id: inference.models.read', 'id: gpuaas.models.read').replace(/owner: inference\nlifecycle: active\ntitle: Read models/, 'owner: gpuaas\nlifecycle: active\ntitle: Read models'));
      const run = await as(tokens.team, 'plan', '-f', foreign);
      assert.equal(run.code, 1, show(run));
      assert.match(run.stdout, new RegExp(`${file}:${lineOf(file, /^id: gpuaas\.models\.read/)} \\(document 2\\) /id NAMESPACE_DENIED 'gpuaas\\.models\\.read' belongs to product 'gpuaas'; this token is bound to product 'inference'`));
    });
  });

  it('submit opens the change set and says how to follow it', async () => {
    const run = await as(tokens.team, 'submit', '-f', repo, '--title', 'Inference scopes, usage and artifacts', '--description', 'first slice');
    assert.equal(run.code, 0, show(run));
    const m = /submitted change set (cs_[0-9a-f-]{36}) \(open\): 4 change\(s\)/.exec(run.stdout);
    assert.ok(m, show(run));
    changeset = m[1]!;
    assert.match(run.stdout, new RegExp(`charter changeset show ${changeset}`));
  });

  it('the inference token cannot approve (403 naming the missing scope), and nothing applies unapproved', async () => {
    const [approve, apply] = await Promise.all([as(tokens.team, 'changeset', 'approve', changeset), as(tokens.team, 'changeset', 'apply', changeset)]);
    assert.equal(approve.code, 1, show(approve));
    assert.match(approve.stderr, /FORBIDDEN, HTTP 403/);
    assert.match(approve.stderr, /scope:platform\.registry\.approve/);
    assert.equal(apply.code, 1, show(apply));
    assert.match(apply.stderr, /CHANGESET_STATE, HTTP 409/);
  });

  it('the reviewer approves; show lists the approval and the plan', async () => {
    const run = await as(tokens.reviewer, 'changeset', 'approve', changeset, '--comment', 'looks right');
    assert.equal(run.code, 0, show(run));
    assert.match(run.stdout, /approved .* \(1 approval\(s\): platform-reviewer\)/);

    const shown = await as(tokens.team, 'changeset', 'show', changeset);
    assert.equal(shown.code, 0, show(shown));
    assert.match(shown.stdout, /status:\s+approved/);
    assert.match(shown.stdout, /author:\s+inference-team \(product inference\)/);
    assert.match(shown.stdout, /approvals:\s+platform-reviewer at \S+: looks right/);
    assert.match(shown.stdout, /^\+ create scope:inference\.models\.write$/m);
    assert.doesNotMatch(shown.stdout, /problems against the registry now/);
  });

  it('apply makes the scopes checkable over HTTP and in an SDK LocalCatalog, with no code change', async () => {
    const following = new LocalCatalog({ url: server.url, pollWaitSeconds: 1 });
    catalogs.push(following);
    await following.start();
    assert.equal(following.check(WRITE).reason, 'unknown');

    const run = await as(tokens.team, 'changeset', 'apply', changeset);
    assert.equal(run.code, 0, show(run));
    const m = /applied cs_\S+ at sequence (\d+): 4 change\(s\)/.exec(run.stdout);
    assert.ok(m, show(run));

    const check = await http(server.url, 'POST', '/v1/check', { refs: [WRITE, 'scope:inference.models.read', 'usage-unit:inference.token_count', 'artifact-type:inference.model_bundle'] });
    assert.equal(check.status, 200);
    assert.equal(check.json.allowed, true, check.text);
    assert.equal(check.json.results[0].reason, 'active');
    assert.ok(check.json.sequence >= Number(m[1]));

    // The catalog started before the apply follows the change feed to it …
    await waitUntil('the following LocalCatalog to see the new scope', () => following.check(WRITE).allowed);
    // … and one started afterwards has it from its snapshot.
    const fresh = new LocalCatalog({ url: server.url });
    catalogs.push(fresh);
    await fresh.refresh();
    assert.equal(fresh.require(WRITE).reason, 'active');

    assert.equal((await http(server.url, 'GET', `/v1/changesets/${changeset}`)).json.status, 'applied');
  });

  it('plan now says no changes', async () => {
    const run = await as(tokens.team, 'plan', '-f', repo);
    assert.equal(run.code, 0, show(run));
    assert.equal(run.stdout.trim(), 'no changes');
  });

  it('editing a title plans one update with its field diff; the author cannot approve it', async () => {
    const scopes = join(repo, 'scopes.yaml');
    writeFileSync(scopes, readFileSync(scopes, 'utf8').replace('title: Read models', 'title: Read inference models'));
    const plan = await as(tokens.lead, 'plan', '-f', repo);
    assert.equal(plan.code, 0, show(plan));
    assert.match(plan.stdout, /^~ update scope:inference\.models\.read {2}\/title: "Read models" → "Read inference models"$/m);
    assert.match(plan.stdout, /Plan: 0 to create, 1 to update, 0 to transition\./);

    const submit = await as(tokens.lead, 'submit', '-f', repo, '--title', 'Clearer scope title', '--json');
    assert.equal(submit.code, 0, show(submit));
    const id = (JSON.parse(submit.stdout) as { id: string }).id;

    const self = await as(tokens.lead, 'changeset', 'approve', id);
    assert.equal(self.code, 1, show(self));
    assert.match(self.stderr, /SELF_APPROVAL, HTTP 403/);

    const reject = await as(tokens.reviewer, 'changeset', 'reject', id, '--reason', 'say which models');
    assert.equal(reject.code, 0, show(reject));
    const [shown, rejected] = await Promise.all([
      as(tokens.reviewer, 'changeset', 'show', id),
      runCharter(['--url', server.url, 'changeset', 'list', '--status', 'rejected'], { timeoutMs }),
    ]);
    assert.match(shown.stdout, /status:\s+rejected/);
    assert.match(shown.stdout, /rejected:\s+by platform-reviewer at \S+: say which models/);
    assert.equal(rejected.code, 0, show(rejected));
    assert.match(rejected.stdout, new RegExp(`^${id}\\s+rejected\\s+inference-lead\\s+1\\s`, 'm'));
    assert.equal(rejected.stdout.trim().split('\n').length, 2, 'a header and the one rejected change set');
    // The registry did not change: the edit is still pending.
    const entry = await http(server.url, 'GET', '/v1/entries/scope/inference.models.read');
    assert.equal(entry.json.title, 'Read models');
  });
});
