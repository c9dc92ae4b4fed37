/**
 * `servesim trace stats`: the statistics of a trace file, real or synthetic, streamed. The kind is
 * recognised from the header: Azure 2019 invocations / durations / memory, Azure 2021
 * per-invocation, or any CSV of per-request timestamps. A statistic that a file cannot give (a
 * ratio over zero invocations, a CV of one gap) reads "n/a", never NaN (docs/traces.md).
 */
import { quantileSorted } from 'd3-array';
import { F64Vec, headerPreview, parseDecimal, readCsv } from './csv.js';
import { MINUTES_PER_DAY, readInvocationRows } from './azure2019.js';
import { readAzure2021 } from './azure2021.js';
import { readTimestamps } from './timestamps.js';
import { SYNTH_TARGETS, TRIGGER_TARGETS } from './synth-azure.js';
import { describeValue, UserError } from '../util/errors.js';

export type TraceKind = 'azure2019-invocations' | 'azure2019-durations' | 'azure2019-memory' | 'azure2021' | 'timestamps';

export interface StatLine {
  /** Key in `trace stats --json` (camelCase; "group.key" nests). */
  key: string;
  /** Label in the text output. */
  name: string;
  value: number | string;
  /** The value for --json where `value` is text of several numbers: keyed numbers (null: n/a). */
  data?: Record<string, number | string | null>;
  /** The published value, where there is one. */
  target?: number | string;
  /** The published value for --json where `target` is text of several numbers. */
  targetData?: Record<string, number | string | null>;
}

export interface TraceStats {
  file: string;
  kind: TraceKind;
  lines: StatLine[];
}

/** Recognise a trace file's kind from its header. */
export async function detectKind(file: string): Promise<TraceKind> {
  for await (const { fields } of readCsv(file)) {
    const h = fields.map((f) => f.trim());
    if (h[0] === 'HashOwner' && h[1] === 'HashApp') {
      if (h[2] === 'HashFunction' && h[3] === 'Trigger') return 'azure2019-invocations';
      if (h[2] === 'HashFunction' && h[3] === 'Average') return 'azure2019-durations';
      if (h[2] === 'SampleCount') return 'azure2019-memory';
    }
    if (h.join(',') === 'app,func,end_timestamp,duration') return 'azure2021';
    return 'timestamps';
  }
  throw new UserError(`${file}: the file is empty`);
}

/** The q-quantile of ascending values, linear between order statistics (d3-array's, R-7); NaN for none. */
function quantile(sorted: ArrayLike<number>, q: number): number {
  return quantileSorted(sorted as number[], q) ?? NaN;
}

function cvOf(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return Math.sqrt(v / Math.max(1, xs.length - 1)) / mean;
}

/** Four significant digits; "n/a" for what a degenerate file cannot give (0/0, an empty quantile). */
const r3 = (x: number): number | 'n/a' => (Number.isFinite(x) ? Number(x.toPrecision(4)) : 'n/a');

/** Statistics of an invocations_per_function_md file (computed in one streaming pass). */
export async function invocationStats(file: string): Promise<StatLine[]> {
  const appTotals = new Map<string, number>();
  const appFunctions = new Map<string, number>();
  const owners = new Set<string>();
  const fnTotals = new F64Vec();
  const trigFns = new Map<string, number>();
  const trigInv = new Map<string, number>();
  const perMinute = new Float64Array(MINUTES_PER_DAY);
  const diurnalMinute = new Float64Array(MINUTES_PER_DAY);
  let timers = 0;
  let periodicTimers = 0;
  const burstiness: number[] = [];
  for await (const r of readInvocationRows(file)) {
    let total = 0;
    for (let m = 0; m < MINUTES_PER_DAY; m++) {
      total += r.counts[m];
      perMinute[m] += r.counts[m];
    }
    const app = `${r.owner}:${r.app}`;
    owners.add(r.owner);
    appTotals.set(app, (appTotals.get(app) ?? 0) + total);
    appFunctions.set(app, (appFunctions.get(app) ?? 0) + 1);
    fnTotals.push(total);
    const t = r.trigger.trim().toLowerCase();
    trigFns.set(t, (trigFns.get(t) ?? 0) + 1);
    trigInv.set(t, (trigInv.get(t) ?? 0) + total);
    if (t === 'http' || t === 'event') for (let m = 0; m < MINUTES_PER_DAY; m++) diurnalMinute[m] += r.counts[m];
    if (t === 'timer' && total > 0) {
      timers++;
      if (isPeriodic(r.counts)) periodicTimers++;
    }
    if ((t === 'http' || t === 'event') && total >= 1440) {
      let max = 0;
      for (let m = 0; m < MINUTES_PER_DAY; m++) if (r.counts[m] > max) max = r.counts[m];
      burstiness.push(max / (total / MINUTES_PER_DAY));
    }
  }
  const F = fnTotals.length;
  if (F === 0) throw new UserError(`${file}: no function rows after the header`);
  const totals = fnTotals.toArray().sort();
  const invocations = totals.reduce((a, b) => a + b, 0);
  const positive = totals.filter((x) => x > 0);
  const apps = [...appTotals.values()].sort((a, b) => b - a);
  const A = apps.length;
  const top = Math.max(1, Math.round(SYNTH_TARGETS.topAppsFraction * A));
  const topShare = apps.slice(0, top).reduce((a, b) => a + b, 0) / invocations;
  const lowApps = apps.filter((x) => x <= MINUTES_PER_DAY).length / A;
  const single = [...appFunctions.values()].filter((n) => n === 1).length / A;
  const hours = Array.from({ length: 24 }, (_, h) => diurnalMinute.slice(h * 60, h * 60 + 60).reduce((a, b) => a + b, 0));
  const lines: StatLine[] = [
    { key: 'functions', name: 'functions', value: F },
    { key: 'apps', name: 'apps', value: A },
    { key: 'owners', name: 'owners', value: owners.size },
    { key: 'invocations', name: 'invocations', value: invocations },
    { key: 'invocationsPerMinute', name: 'invocations per minute (mean)', value: r3(invocations / MINUTES_PER_DAY) },
    { key: 'totalPerMinuteCv', name: 'minute-to-minute CV of the total', value: r3(cvOf(perMinute)) },
    {
      key: 'functionDailyInvocations',
      name: 'function daily invocations: min / median / max',
      value: `${totals[0]} / ${r3(quantile(totals, 0.5))} / ${totals[F - 1]}`,
      data: { min: totals[0], median: r3(quantile(totals, 0.5)), max: totals[F - 1] },
    },
    {
      key: 'rateOrdersOfMagnitude',
      name: 'orders of magnitude of function rates (max / min non-zero)',
      value: positive.length ? r3(Math.log10(positive[positive.length - 1] / positive[0])) : 0,
      target: `~${SYNTH_TARGETS.ordersOfMagnitude} (46k functions)`,
    },
    { key: 'topAppsShare', name: `share of invocations from the top ${SYNTH_TARGETS.topAppsFraction * 100}% of apps`, value: r3(topShare), target: SYNTH_TARGETS.topAppsShare },
    { key: 'appsAtMostOncePerMinute', name: 'apps invoked at most once per minute on average', value: r3(lowApps), target: SYNTH_TARGETS.appsAtMostOncePerMinute },
    { key: 'singleFunctionApps', name: 'apps with a single function', value: r3(single), target: SYNTH_TARGETS.singleFunctionApps },
  ];
  const trigs = [...new Set([...Object.keys(TRIGGER_TARGETS), ...trigFns.keys()])];
  for (const t of trigs) {
    // Own keys only: a trigger named "constructor" must not find Object's.
    const target = Object.hasOwn(TRIGGER_TARGETS, t) ? TRIGGER_TARGETS[t as keyof typeof TRIGGER_TARGETS] : undefined;
    const fns = r3((trigFns.get(t) ?? 0) / F);
    const inv = r3((trigInv.get(t) ?? 0) / invocations);
    lines.push({
      key: `triggers.${t}`,
      name: `trigger ${t}: share of functions / of invocations`,
      value: `${fns} / ${inv}`,
      data: { functions: fns, invocations: inv },
      ...(target ? { target: `${target.functions} / ${target.invocations}`, targetData: { functions: target.functions, invocations: target.invocations } } : {}),
    });
  }
  lines.push(
    { key: 'periodicTimerShare', name: 'timer functions with an exactly periodic minute pattern', value: timers ? r3(periodicTimers / timers) : 'no timers' },
    {
      key: 'diurnalPeakToTrough',
      name: 'diurnal: busiest / quietest hour of http+event invocations',
      value: Math.min(...hours) > 0 ? r3(Math.max(...hours) / Math.min(...hours)) : 'n/a',
    },
    {
      key: 'burstPeakToMean',
      name: 'bursts: median peak-minute / mean-minute of http+event functions (>= 1/min)',
      value: burstiness.length ? r3(quantile(burstiness.sort((a, b) => a - b), 0.5)) : 'n/a',
    },
  );
  return lines;
}

/** Non-zero minutes at a constant interval with a constant count (a timer's signature). */
export function isPeriodic(counts: ArrayLike<number>): boolean {
  let first = -1;
  let prev = -1;
  let gap = -1;
  let value = -1;
  for (let m = 0; m < counts.length; m++) {
    const c = counts[m];
    if (c === 0) continue;
    if (value < 0) value = c;
    else if (c !== value) return false;
    if (prev >= 0) {
      const g = m - prev;
      if (gap < 0) gap = g;
      else if (g !== gap) return false;
    } else first = m;
    prev = m;
  }
  return first >= 0;
}

async function durationStats(file: string, kind: TraceKind): Promise<StatLine[]> {
  const col = kind === 'azure2019-durations' ? 'Average' : 'AverageAllocatedMb';
  const unit = kind === 'azure2019-durations' ? 'ms' : 'MB';
  const vals = new F64Vec();
  let idx = -1;
  for await (const { fields, line } of readCsv(file)) {
    if (idx < 0) {
      idx = fields.findIndex((f) => f.trim() === col);
      if (idx < 0) throw new UserError(`${file}: line 1: expected a column named ${col}, found ${headerPreview(fields)}`);
      continue;
    }
    const v = parseDecimal(fields[idx] ?? '');
    if (!(v >= 0 && v < Infinity)) {
      throw new UserError(`${file}: line ${line}, column ${col}: expected a non-negative decimal number, found ${describeValue(fields[idx] ?? '')}`);
    }
    vals.push(v);
  }
  const s = vals.toArray().sort();
  const qs = { p25: 0.25, p50: 0.5, p75: 0.75, p90: 0.9, p99: 0.99 };
  const qv = Object.fromEntries(Object.entries(qs).map(([k, q]) => [k, r3(quantile(s, q))]));
  return [
    { key: 'rows', name: 'rows', value: s.length },
    {
      key: kind === 'azure2019-durations' ? 'averageMs' : 'averageAllocatedMb',
      name: `${col} (${unit}): p25 / p50 / p75 / p90 / p99`,
      value: Object.values(qv).join(' / '),
      data: qv,
    },
    ...(kind === 'azure2019-durations'
      ? [{ key: 'functionsUnder1s', name: 'functions averaging under 1 s', value: r3(s.filter((x) => x < 1000).length / s.length), target: '~0.5' }]
      : [{ key: 'appsAtMost400Mb', name: 'apps averaging at most 400 MB', value: r3(s.filter((x) => x <= 400).length / s.length), target: '~0.9' }]),
  ];
}

/** The largest of some non-negative numbers (0 when none), without spreading them as arguments. */
function maxOf(xs: Iterable<number>): number {
  let m = 0;
  for (const x of xs) if (x > m) m = x;
  return m;
}

function arrivalLines(times: Float64Array /* seconds, sorted */): StatLine[] {
  const n = times.length;
  const span = n > 1 ? times[n - 1] - times[0] : 0;
  const gaps = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++) gaps[i - 1] = times[i] - times[i - 1];
  const perSecond = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const s = Math.floor(times[i] - times[0]);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  }
  return [
    { key: 'requests', name: 'requests', value: n },
    { key: 'spanSeconds', name: 'span (s)', value: r3(span) },
    { key: 'meanRate', name: 'mean rate (requests/s)', value: span > 0 ? r3((n - 1) / span) : 'n/a' },
    { key: 'peakRatePerSecond', name: 'peak rate in one second', value: maxOf(perSecond.values()) },
    { key: 'interArrivalCv', name: 'inter-arrival CV (1 = Poisson)', value: gaps.length > 1 ? r3(cvOf(gaps)) : 'n/a' },
  ];
}

/** Statistics of any supported trace file. */
export async function traceStats(file: string, opts: { column?: string | number } = {}): Promise<TraceStats> {
  const kind = await detectKind(file);
  let lines: StatLine[];
  switch (kind) {
    case 'azure2019-invocations':
      lines = await invocationStats(file);
      break;
    case 'azure2019-durations':
    case 'azure2019-memory':
      lines = await durationStats(file, kind);
      break;
    case 'azure2021': {
      const d = await readAzure2021(file, { durations: true });
      const durs = Float64Array.from(d.durations!).sort();
      const byFn = [...d.totals].sort((a, b) => b - a);
      const apps = new Set(d.ids.map((id) => id.split(':')[0]));
      lines = [
        { key: 'apps', name: 'apps', value: apps.size },
        { key: 'functions', name: 'functions', value: d.ids.length },
        ...arrivalLines(d.arrivals),
        { key: 'busiestFunctionShare', name: 'share of the busiest function', value: r3(byFn[0] / d.arrivals.length) },
        (() => {
          const data = { mean: r3(durs.reduce((a, b) => a + b, 0) / durs.length), p50: r3(quantile(durs, 0.5)), p99: r3(quantile(durs, 0.99)), max: r3(durs[durs.length - 1]) };
          return { key: 'durationSeconds', name: 'duration (s): mean / p50 / p99 / max', value: Object.values(data).join(' / '), data };
        })(),
      ];
      break;
    }
    case 'timestamps': {
      const t = await readTimestamps(file, { column: opts.column ?? 0, header: true, unit: 's', format: 'auto' });
      lines = [
        { key: 'timestampColumn', name: 'timestamp column', value: `${t.columnName} (${t.format})`, data: { name: t.columnName, format: t.format } },
        ...arrivalLines(t.times.map((x) => x / 1e9)),
      ];
      break;
    }
  }
  return { file, kind, lines: lines.map(definedLine) };
}

/** A last guard: no NaN, Infinity or undefined value in the text or the JSON (they read "n/a"). */
function definedLine(l: StatLine): StatLine {
  const ok = (v: unknown): v is number | string => (typeof v === 'number' ? Number.isFinite(v) : typeof v === 'string');
  const out: StatLine = { key: l.key, name: l.name, value: ok(l.value) ? l.value : 'n/a' };
  if (l.data !== undefined) out.data = l.data;
  if (l.target !== undefined) out.target = ok(l.target) ? l.target : 'n/a';
  if (l.targetData !== undefined) out.targetData = l.targetData;
  return out;
}

/** A value for JSON: finite numbers as they are, "n/a" (and other words that stand for none) as null. */
function jsonValue(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v === 'n/a' || v === 'no timers') return null;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  return v ?? null;
}

/**
 * `servesim trace stats --json`: keyed fields, not the text's labels. `stats` holds every
 * statistic by key (numbers; null where the file cannot give one; several numbers as an object),
 * `published` the published value where there is one (README.md, "Machine-readable output").
 */
export function statsJson(s: TraceStats): { file: string; kind: TraceKind; stats: Record<string, unknown>; published: Record<string, unknown> } {
  const stats: Record<string, unknown> = {};
  const published: Record<string, unknown> = {};
  const put = (into: Record<string, unknown>, key: string, v: unknown): void => {
    const dot = key.indexOf('.');
    // defineProperty: a trigger named "__proto__" is a key like any other.
    const set = (o: Record<string, unknown>, k: string, x: unknown): void => void Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
    if (dot < 0) return set(into, key, v);
    const group = key.slice(0, dot);
    if (!Object.hasOwn(into, group)) set(into, group, {});
    set(into[group] as Record<string, unknown>, key.slice(dot + 1), v);
  };
  for (const l of s.lines) {
    put(stats, l.key, jsonValue(l.data ?? l.value));
    if (l.target !== undefined) put(published, l.key, jsonValue(l.targetData ?? l.target));
  }
  return { file: s.file, kind: s.kind, stats, published };
}

export function formatStats(s: TraceStats): string {
  const width = Math.max(...s.lines.map((l) => l.name.length));
  const out = [`${s.file}: ${s.kind}`];
  for (const l of s.lines) {
    out.push(`  ${l.name.padEnd(width)}  ${l.value}${l.target !== undefined ? `   (published: ${l.target})` : ''}`);
  }
  return out.join('\n') + '\n';
}
