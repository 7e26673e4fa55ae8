import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REGISTRY_BINARY = process.env.CHARTER_TEST_REGISTRY_BIN ?? '/usr/bin/docker-registry';

/** True when Debian's docker-registry (distribution 2.8) is installed; `.ci/run` installs it. */
export function registryAvailable(): boolean {
  return existsSync(REGISTRY_BINARY);
}

export interface TestRegistry {
  /** `127.0.0.1:<port>`: the host part of image references. */
  host: string;
  /** A Docker config directory (config.json with `auths`) holding the test user's credentials, or null without auth. */
  dockerConfigDir: string | null;
  user: { username: string; password: string } | null;
  /** HTTP requests the token realm answered (bearer mode). */
  tokenRequests(): number;
  stop(): Promise<void>;
  /** Starts it again on the same port and storage (after stop). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function b64url(b: Buffer | string): string {
  return Buffer.from(b).toString('base64url');
}

/**
 * A bearer-token realm for the registry: checks the user's basic credentials and issues a JWT
 * (ES256, x5c chain) granting the requested repository actions, as a real token server does.
 */
async function startTokenRealm(dir: string, user: { username: string; password: string }, issuer: string, service: string): Promise<{ server: Server; url: string; cert: string; count: () => number }> {
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=charter-test-token-issuer'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl could not make the token certificate: ${r.stderr}`);
  const key = createPrivateKey(readFileSync(keyFile));
  const der = new X509Certificate(readFileSync(certFile)).raw;
  const expected = 'Basic ' + Buffer.from(`${user.username}:${user.password}`).toString('base64');
  let count = 0;
  const server = createServer((req, res) => {
    count++;
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).map((s) => {
      const [type, ...rest] = s.split(':');
      const actions = rest.pop() ?? '';
      return { type, name: rest.join(':'), actions: actions.split(',') };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'JWT', x5c: [der.toString('base64')] };
    const claims = { iss: issuer, sub: user.username, aud: url.searchParams.get('service') ?? service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${input}.${b64url(sig)}`, expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, url: `http://127.0.0.1:${port}/token`, cert: certFile, count: () => count };
}

/**
 * Starts Debian's docker-registry on a free port with a temporary storage directory: open,
 * with htpasswd basic auth, or with a bearer-token realm (`auth`).
 */
export async function startTestRegistry(opts: { auth?: 'none' | 'basic' | 'bearer' } = {}): Promise<TestRegistry> {
  const mode = opts.auth ?? 'none';
  const dir = mkdtempSync(join(tmpdir(), 'charter-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const user = mode === 'none' ? null : { username: 'charter', password: randomBytes(12).toString('hex') };
  let realm: Awaited<ReturnType<typeof startTokenRealm>> | null = null;
  let authBlock = '';
  if (mode === 'basic') {
    const h = spawnSync('htpasswd', ['-Bbn', user!.username, user!.password], { encoding: 'utf8' });
    if (h.status !== 0) throw new Error(`htpasswd failed (apache2-utils installed?): ${h.stderr}`);
    writeFileSync(join(dir, 'htpasswd'), h.stdout);
    authBlock = `auth:\n  htpasswd:\n    realm: charter-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (mode === 'bearer') {
    realm = await startTokenRealm(dir, user!, 'charter-test-issuer', 'charter-test-registry');
    authBlock = `auth:\n  token:\n    realm: ${realm.url}\n    service: charter-test-registry\n    issuer: charter-test-issuer\n    rootcertbundle: ${realm.cert}\n`;
  }
  const config = join(dir, 'config.yml');
  mkdirSync(join(dir, 'storage'));
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n  secret: ${randomBytes(16).toString('hex')}\n${authBlock}`,
  );
  let dockerConfigDir: string | null = null;
  if (user) {
    dockerConfigDir = join(dir, 'docker');
    mkdirSync(dockerConfigDir);
    writeFileSync(join(dockerConfigDir, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user.username}:${user.password}`).toString('base64') } } }));
  }

  let child: ChildProcess | null = null;
  let stderr = '';
  const start = async () => {
    stderr = '';
    const proc = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited (${proc.exitCode}): ${stderr}`);
      try {
        const res = await fetch(`http://${host}/v2/`);
        await res.body?.cancel();
        if (res.status === 200 || res.status === 401) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${host}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };
  await start();
  return {
    host,
    dockerConfigDir,
    user,
    tokenRequests: () => realm?.count() ?? 0,
    start,
    stop,
    async close() {
      await stop();
      if (realm) await new Promise<void>((r) => realm!.server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** sha256 digest of bytes, as registries name blobs and manifests. */
export function ociDigest(bytes: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}
