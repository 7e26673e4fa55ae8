#!/usr/bin/env node
// A reader that stops early (`charter list | head`) closes the pipe: that is not an error, so
// the CLI stops quietly instead of printing an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const { main } = await import('../dist/main.js');
main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : err); process.exitCode = 2; },
);
