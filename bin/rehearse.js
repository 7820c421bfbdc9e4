#!/usr/bin/env node
// The CLI lives in dist/ (compiled TypeScript); `npm run bootstrap` builds it.
const cli = await import('../dist/cli/main.js').catch((err) => {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  console.error('rehearse is not built yet: run `npm run bootstrap` (or `npm run quickstart`) first.');
  process.exit(1);
});
process.exitCode = await cli.main(process.argv.slice(2));
