// Where this package is installed, from a module one level under it (dist/package-root.js). The
// bundle `charter serve` runs (dist/bundle.js) sits at the same depth, so the paths below hold in
// both: nothing else in the server reads files relative to its own module.
export const PACKAGE_ROOT = new URL('../', import.meta.url);
