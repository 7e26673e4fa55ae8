/**
 * `node --import …/contract-preload.js charter serve …`: the e2e tests start `charter serve`
 * with this, so the responses a real CLI process answers are held to its /openapi.json too.
 * Each drift is written to stderr as one `charter-contract-drift: …` line; the e2e harness
 * fails the test that stops such a server.
 */
import { Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { checkerFor, observe, type ContractChecker, type OpenApiDocument, type SeenResponse } from './contract.js';

export const DRIFT_MARK = 'charter-contract-drift:';

let checker: Promise<ContractChecker> | null = null;
const emit = Server.prototype.emit;
Server.prototype.emit = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'request') {
    const [req, res] = args as [IncomingMessage, ServerResponse];
    observe(req, res, (seen: SeenResponse) => {
      const addr = this.address();
      if (!addr || typeof addr === 'string') return;
      checker ??= fetch(`http://127.0.0.1:${addr.port}/openapi.json`).then(async (r) => checkerFor((await r.json()) as OpenApiDocument));
      checker.then(
        (c) => {
          for (const d of c.check(seen)) process.stderr.write(`${DRIFT_MARK} ${d.replace(/\n/g, ' ')}\n`);
        },
        (err: unknown) => process.stderr.write(`${DRIFT_MARK} could not read /openapi.json: ${String(err)}\n`),
      );
    });
  }
  return (emit as (this: Server, ...a: unknown[]) => boolean).call(this, event, ...args);
} as typeof Server.prototype.emit;
