// The bare baseline for the check benchmark: node:http with nothing on top. It reads the POST
// body, parses it as JSON, looks the refs up in a Map and answers a JSON document of the same
// size class as Charter's check answer. Whatever Charter spends beyond this is the cost of its
// framework, validation, routing and check logic.
//
//   node bench/baseline-server.mjs [--port N] [--bytes N]
//
// Prints `listening on http://127.0.0.1:PORT` on stderr when ready (the same line as
// `charter serve`), and exits on SIGTERM/SIGINT.
import { createServer } from 'node:http';

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

const port = flag('port', 0);
const bytes = flag('bytes', 1024);

/** A check-answer-shaped document, padded (when `size` allows) so that its JSON is `size` bytes long. */
function answer(ref, size) {
  const doc = {
    allowed: true,
    sequence: 1,
    results: [{ ref, allowed: true, reason: 'active', lifecycle: 'active', revision: 1, replaced_by: null, sunset_at: null, warning: null }],
  };
  const room = size - JSON.stringify({ ...doc, note: '' }).length;
  if (room >= 0) doc.note = 'x'.repeat(room);
  return doc;
}

const REFS = ['scope:gpuaas.instances.write', 'scope:gpuaas.instances.read', 'product:gpuaas', 'scope:gpuaas.billing.read'];
const documents = new Map(REFS.map((r) => [r, answer(r, bytes)]));

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(405).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let doc;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      doc = documents.get(Array.isArray(body.refs) ? body.refs.join(',') : undefined);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":"bad_json"}');
      return;
    }
    if (!doc) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"not_found"}');
      return;
    }
    const text = JSON.stringify(doc);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
});

server.keepAliveTimeout = 72_000;
server.listen(port, '127.0.0.1', () => {
  process.stderr.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => server.close(() => process.exit(0)).closeAllConnections());
