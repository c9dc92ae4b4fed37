/** The servesim CLI from source (bin/servesim.js runs the built copy): for the fuzz suite's spawned cases. */
import { main } from '../../src/cli/main.js';

main(process.argv).catch((e) => {
  process.stderr.write(`servesim: internal error: ${e && e.stack ? e.stack : e}\n`);
  process.exit(2);
});
