// A Transport on node:http and node:https, for Node.js processes that start, ask and exit:
// it skips fetch's first-use cost (undici and its WebAssembly parser), about 0.1 s of a CLI
// command. Connections are kept alive between requests of one process (paging through a list)
// and never keep the process alive themselves.
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import type { Transport, TransportResponse } from './transport.js';

// Taken with getBuiltinModule, not `import`: on Node.js 24 an ES import of node:http builds its
// namespace from every export, and one of them loads undici, the very cost this module avoids.
const http = process.getBuiltinModule('node:http') as typeof Http;
const https = process.getBuiltinModule('node:https') as typeof Https;

export type { Transport, TransportRequest, TransportResponse } from './transport.js';

export interface NodeTransportOptions {
  /** Extra TLS trust for https URLs (PEM), as node:https takes it. */
  ca?: string | Buffer | Array<string | Buffer>;
}

export function nodeTransport(opts: NodeTransportOptions = {}): Transport {
  const plainAgent = new http.Agent({ keepAlive: true });
  const tlsAgent = new https.Agent({ keepAlive: true, ...(opts.ca ? { ca: opts.ca } : {}) });
  return (req) =>
    new Promise<TransportResponse>((resolve, reject) => {
      const url = new URL(req.url);
      const secure = url.protocol === 'https:';
      if (!secure && url.protocol !== 'http:') {
        reject(new Error(`unsupported URL scheme ${url.protocol}`));
        return;
      }
      if (req.signal.aborted) {
        reject(req.signal.reason ?? new Error('aborted'));
        return;
      }
      const send = secure ? https.request : http.request;
      const r = send(url, { method: req.method, headers: req.headers, agent: secure ? tlsAgent : plainAgent, signal: req.signal }, (res: Http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const headers = res.headers;
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            header: (name) => {
              const v = headers[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
            },
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
      });
      r.on('error', reject);
      r.end(req.body ?? undefined);
    });
}
