// Bundles the compiled server (packages/server/dist/index.js and everything it imports) into one
// ES module, packages/server/dist/bundle.js, which `charter serve` (and migrate, seed, export,
// import) load. Node.js resolves, reads and compiles each ES module file on its own: the server's
// ~1,000 modules cost more start-up than everything it does before it listens. One file costs a
// fraction of that (docs/benchmarks.md, start-up). Run by `npm run build` after tsc.
//
// Left outside the bundle, loaded from node_modules when used:
//   - better-sqlite3: a native addon;
//   - @fastify/swagger-ui: serves its asset files from its own directory;
//   - pg, yaml (the entry-file reader), re2js: loaded with createRequire only when needed.
// In-process tests import the unbundled modules; the end-to-end tests run `charter serve`, so
// both are exercised.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const server = fileURLToPath(new URL('../packages/server/', import.meta.url));

await build({
  entryPoints: [`${server}dist/index.js`],
  outfile: `${server}dist/bundle.js`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', '@fastify/swagger-ui', 'pg', 're2js'],
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __charterRequire } from 'node:module';\nconst require = __charterRequire(import.meta.url);" },
  legalComments: 'none',
  // Maps back to the TypeScript sources through tsc's own maps; Node.js reads it only when run
  // with --enable-source-maps (NODE_OPTIONS=--enable-source-maps charter serve), so it costs
  // nothing at start otherwise.
  sourcemap: 'linked',
  logLevel: 'warning',
});
