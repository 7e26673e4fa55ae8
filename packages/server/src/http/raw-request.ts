import type { IncomingMessage } from 'node:http';
import { BODY_PROBLEMS, type Problem } from './problem.js';

/**
 * Request reading for the paths answered ahead of the router (POST /v1/check, the admission
 * webhooks): the same limits and problems as Fastify's body parsing, without its per-request work.
 */

/** One header from rawHeaders: `req.headers` builds an object for every request, which shows on a hot path. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name) return raw[i + 1];
  }
  return undefined;
}

/** Reads the whole body as UTF-8 text, or answers the problem: too large (declared or sent) or empty. */
export function readBody(req: IncomingMessage, limit: number, done: (body: string | Problem) => void): void {
  if (Number(header(req, 'content-length')) > limit) {
    req.resume();
    return done(BODY_PROBLEMS.tooLarge());
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let aborted = false;
  req.on('data', (chunk: Buffer) => {
    if (aborted) return;
    size += chunk.length;
    if (size > limit) {
      aborted = true;
      return done(BODY_PROBLEMS.tooLarge());
    }
    chunks.push(chunk);
  });
  req.on('error', () => {
    aborted = true;
  });
  req.on('end', () => {
    if (aborted) return;
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    done(text.length === 0 ? BODY_PROBLEMS.empty() : text);
  });
}
