#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

main(process.argv).catch((e) => {
  process.stderr.write(`servesim: internal error: ${e && e.stack ? e.stack : e}\n`);
  process.exit(2);
});
