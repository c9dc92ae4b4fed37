/**
 * report.md of `servesim reproduce`: for every experiment the setup, what the paper shows, the
 * simulated numbers, the verdict of each claim (computed in verdicts.ts) and the charts. The text
 * depends only on the results (no wall-clock facts), so a rerun writes the same report.
 */
import { keyMetrics } from '../experiment/runner.js';
import { loadRuns } from '../charts/results.js';
import type { PaperExperiment } from './experiments.js';
import { fig11Series, fig9Points, interferenceLabel, sloMs, verdictCounts, verdictText, type Claim } from './verdicts.js';

export interface ReportSection {
  exp: PaperExperiment;
  /** Result directory of the experiment, relative to the report. */
  dir: string;
  claims: Claim[];
  /** Chart files, relative to the report. */
  charts: string[];
  /** A markdown table of the key simulated numbers. */
  table: string;
  /** Notes on this run's setup (fast variant, trace used, ...). */
  notes: string[];
}

export interface ReportInput {
  set: 'fast' | 'full';
  trace: string | null;
  command: string;
  sections: ReportSection[];
}

const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A markdown table; numeric tables right-align every column but the first, text tables align left. */
export function mdTable(head: string[], rows: Array<Array<string | number>>, align: 'numeric' | 'text' = 'numeric'): string {
  return [`| ${head.map(esc).join(' | ')} |`, `| ${head.map((_, i) => (i === 0 || align === 'text' ? '---' : '---:')).join(' | ')} |`, ...rows.map((r) => `| ${r.map((c) => esc(String(c))).join(' | ')} |`)].join('\n');
}

const f = (x: unknown, d = 1): string => (typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d }) : '');
const p = (x: unknown, d = 3): string => (typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(d)}%` : '');

/** Key numbers of every run (point) in a result directory. */
export function runsTable(dir: string): string {
  const runs = loadRuns([dir]);
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))];
  return mdTable(
    [...(keys.length ? keys : ['run']), 'offered r/s', 'goodput r/s', 'attainment', 'late', 'timeout', 'p99 ms', 'max ms', 'cold starts'],
    runs.map((r) => {
      const m = keyMetrics(r.summary);
      const param = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
      const params = keys.length ? keys.map((k) => param(r.params[k])) : [String(r.summary.name)];
      return [...params, f(m.offeredLoad), f(m.goodput), p(m.sloAttainment), f(m.late, 0), f(m.timeout, 0), f(m.p99Ms, 2), f(m.maxMs, 2), f(m.coldStarts, 0)];
    }),
  );
}

/** Workload groups of a single run. */
export function groupsTable(dir: string): string {
  const [r] = loadRuns([dir]);
  const groups = Object.entries((r.summary.groups ?? {}) as Record<string, any>);
  return mdTable(
    ['group', 'offered r/s', 'goodput r/s', 'attainment', 'late', 'timeout', 'p99 ms'],
    groups.map(([n, g]) => [n, f(g.offeredLoad), f(g.goodput), p(g.sloAttainment), f(g.requests.late, 0), f(g.requests.timeout, 0), f(g.latencyMs?.p99, 2)]),
  );
}

/**
 * fig5's goodput (r/s) per scheduler and SLO; a baseline run with an interference speed-up gets
 * its own row, labelled (e.g. "clipper (assumed interference, speed-up 1.25)").
 */
export function fig5GoodputTable(dir: string): string {
  const runs = loadRuns([dir]);
  const slos = [...new Set(runs.map(sloMs))].sort((a, b) => a - b);
  const rows = new Map<string, Map<number, number>>();
  for (const r of runs) {
    const sched = String(r.params['scheduler.type'] ?? r.summary.scheduler);
    const l = interferenceLabel(r);
    const name = l ? `${sched} (${l})` : sched;
    if (!rows.has(name)) rows.set(name, new Map());
    rows.get(name)!.set(sloMs(r), r.summary.goodput);
  }
  return mdTable(
    ['goodput r/s', ...slos.map((x) => `SLO ${f(x, 1)} ms`)],
    [...rows].map(([name, by]) => [name, ...slos.map((x) => f(by.get(x), 0))]),
  );
}

export function fig11Table(dir: string): string {
  return mdTable(
    ['GPUs', 'median peak goodput r/s', 'per GPU r/s', 'runs', 'controller busy'],
    fig11Series(dir).map((s) => [s.gpus, f(s.goodput, 0), f(s.goodput / s.gpus, 0), s.runs, p(s.controllerBusy, 0)]),
  );
}

/**
 * fig9/fig10 at every point of the load-factor sweep: the trace scale each point resolved to and
 * which one is the paper's setting (scale 1.0) or the artifact's per-worker load on these GPUs.
 */
export function fig9Table(dir: string): string {
  return mdTable(
    ['load factor', 'scale', 'setting', 'offered r/s', 'goodput r/s', 'attainment', 'timeout', 'failed', 'cold starts', 'loads (failed)', 'INFER |err| p99 ms', 'LOAD |err| p99 ms'],
    fig9Points(dir).map((pt) => {
      const s = pt.run.summary;
      const m = keyMetrics(s);
      const setting = pt.paper
        ? "the paper's (artifact: load factor x 0.125 x 8 workers)"
        : Math.abs(pt.loadFactor - pt.perGpuLoadFactor) < 1e-9
          ? `the artifact's 0.125 per worker on these ${s.gpus} GPUs`
          : '';
      const pe = s.predictionError ?? {};
      return [
        f(pt.loadFactor, 3),
        f(pt.scale, 3),
        setting,
        f(m.offeredLoad),
        f(m.goodput),
        p(m.sloAttainment),
        f(m.timeout, 0),
        f(s.requests?.failed, 0),
        f(m.coldStarts, 0),
        `${f(s.loads, 0)} (${f(s.loadsFailed, 0)})`,
        f(pe.INFER?.absErrorMs?.p99, 3),
        f(pe.LOAD?.absErrorMs?.p99, 3),
      ];
    }),
  );
}

export function renderReport(input: ReportInput): string {
  const claims = input.sections.flatMap((s) => s.claims);
  const n = verdictCounts(claims);
  const out: string[] = [];
  out.push('# Reproducing Clockwork (OSDI 2020) with servesim', '');
  out.push(
    `Set: **${input.set}**${input.set === 'fast' ? ' (shortened runs; see each section)' : ' (the paper\'s durations)'}. ` +
      `Trace for fig9/fig11: ${input.trace ?? 'not used'}. Command: \`${input.command}\`.`,
    '',
    'Every verdict below is computed from the result files by `src/paper/verdicts.ts`; the numbers it was decided on are in the last column. ' +
      '"holds" means the simulated result has the shape the paper reports; "differs" means it does not, by the amount shown; ' +
      '"reported" marks a behaviour the released system shows by design, given with its numbers and no verdict.',
    '',
    `**${n.held} of ${n.claims} claims hold, ${n.differ} differ${n.unchecked ? `, ${n.unchecked} not checked` : ''}${n.reported ? `; ${n.reported} behaviour${n.reported > 1 ? 's' : ''} reported without a verdict` : ''}.**`,
    '',
    '## Verdicts',
    '',
    mdTable(['figure', 'claim', 'verdict', 'simulated'], claims.map((c) => [c.figure, c.claim, verdictText(c), c.detail]), 'text'),
    '',
  );
  for (const s of input.sections) {
    out.push(`## ${s.exp.figures.join(' / ')}: ${s.exp.title}`, '');
    out.push(`- Setup: ${s.exp.setup}.`);
    for (const n of s.notes) out.push(`- ${n}`);
    out.push(`- Results: \`${s.dir}/\`.`, '', `**Paper:** ${s.exp.paper}`, '', '**Simulated:**', '', s.table, '');
    for (const c of s.claims) out.push(`- ${c.claim}: **${verdictText(c)}**. ${c.detail}.`);
    out.push('');
    for (const c of s.charts) out.push(`![${c}](${c})`, '');
  }
  return out.join('\n');
}
