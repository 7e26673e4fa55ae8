import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../server.js';
import { assertConforms } from './contract.js';

export interface Answer {
  status: number;
  type: string;
  headers: Headers;
  json: any;
  text: string;
}

/** One real HTTP request to a test server; the answer is checked against the server's /openapi.json (a drift throws). */
export async function call(server: RunningServer, method: string, path: string, opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(server.url + path, {
    method,
    headers,
    body: opts.body === undefined ? null : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const answer = { status: res.status, type: res.headers.get('content-type') ?? '', headers: res.headers, json, text };
  await assertConforms(server.url, { method, url: path, status: answer.status, contentType: answer.type, body: text });
  return answer;
}

export function adminToken(server: RunningServer, dataDir: string): string {
  return readFileSync(server.adminTokenFile ?? join(dataDir, 'admin-token'), 'utf8').trim();
}

/** Creates a token through the API with the admin token. */
export async function token(server: RunningServer, admin: string, principal: string, scopes: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const r = await call(server, 'POST', '/v1/tokens', { token: admin, body: { principal, scopes, ...extra } });
  if (r.status !== 201) throw new Error(`token create failed: ${r.status} ${r.text}`);
  return r.json.token as string;
}
