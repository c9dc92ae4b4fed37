/**
 * `npm run fuzz -- [--runs N] [--seed S] [--only a,b] [--shrink-ms MS] [--slow]`: a longer fuzz
 * campaign than `npm test`. N cases in all (default: as many as npm test, about 5,000), shared
 * among the suites in npm test's proportions; prints per suite "N tried: N clean" and every
 * failure class with its shrunk reproducer; exits 1 when anything failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatReport, runCampaign } from './campaign.js';
import { checkShared } from './harness.js';
import { SUITES } from './suites.js';

function usage(msg: string): never {
  process.stderr.write(`fuzz: ${msg}\nusage: npm run fuzz -- [--runs N] [--seed S] [--only ${SUITES.map((s) => s.name).join(',')}] [--shrink-ms MS] [--slow]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const opts = { runs: SUITES.reduce((a, s) => a + s.runs, 0), seed: Date.now() % 1_000_000, only: '', shrinkMs: 10_000, slow: false };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const val = (): string => args[++i] ?? usage(`${a} needs a value`);
  if (a === '--runs') opts.runs = Number(val());
  else if (a === '--seed') opts.seed = Number(val());
  else if (a === '--only') opts.only = val();
  else if (a === '--shrink-ms') opts.shrinkMs = Number(val());
  else if (a === '--slow') opts.slow = true;
  else usage(`unknown argument ${a}`);
}
if (!Number.isSafeInteger(opts.runs) || opts.runs < 1) usage('--runs expects a positive integer');
if (!Number.isSafeInteger(opts.seed)) usage('--seed expects an integer');
const chosen = opts.only ? SUITES.filter((s) => opts.only.split(',').includes(s.name)) : SUITES;
if (chosen.length === 0) usage(`--only: no suite of ${opts.only}`);

// Every temporary file of the campaign under one directory, removed at the end (as npm test does).
const root = mkdtempSync(join(tmpdir(), 'servesim-fuzz-run-'));
process.env.TMPDIR = root;
process.on('exit', () => rmSync(root, { recursive: true, force: true }));

const weight = chosen.reduce((a, s) => a + s.runs, 0);
let failed = false;
const totals: string[] = [];
for (const s of chosen) {
  const runs = Math.max(1, Math.round((opts.runs * s.runs) / weight));
  process.stdout.write(`== ${s.name}: ${runs} cases, seed ${opts.seed}\n`);
  const rep = await runCampaign(s.name, s.arb({ slow: opts.slow }), { runs, seed: opts.seed, shrinkMs: opts.shrinkMs });
  process.stdout.write(`${formatReport(rep)}\n\n`);
  totals.push(`${s.name}: ${rep.tried} tried: ${rep.clean} clean, ${rep.failures.length} failure classes (${(rep.ms / 1000).toFixed(1)} s)`);
  if (rep.failures.length) failed = true;
}
const changed = checkShared();
if (changed.length) {
  failed = true;
  process.stdout.write(`shared inputs changed by some command:\n  ${changed.join('\n  ')}\n`);
}
process.stdout.write(`${totals.join('\n')}\n`);
process.exitCode = failed ? 1 : 0;
