/**
 * A synthetic generator of Azure Functions 2019-format traces (all three file kinds), calibrated to
 * the statistics published by Shahrad et al. (ATC'20); docs/traces.md explains the calibration and
 * its limits. Deterministic for a seed; rows are written as they are generated (streams with
 * backpressure), so memory is O(functions), not O(functions x minutes).
 *
 * Model:
 * 1. Apps: 54% have one function; the rest 2 + a Lomax tail (~95% have <= 10, ~0.04% > 100).
 * 2. Daily invocations per app: log10 ~ Normal(1.8, 1.55), sampled by stratified quantiles so even
 *    a small trace hits the targets: ~81% of apps at most once a minute on average, the top ~18.6%
 *    of apps carrying ~99.6% of invocations, rates spanning ~8 orders of magnitude on 46k functions.
 *    An app's volume is split among its functions by lognormal weights.
 * 3. Triggers: function quotas follow the published shares by functions; the heavy functions are
 *    steered to triggers by their remaining share of invocations, so the mix by invocations also
 *    matches (HTTP 55%/36%, queue 15%/34%, event 2%/25%, timer 16%/2%, orchestration 7%/2%, storage
 *    3%/0.6%, others 2%/0.4%).
 * 4. Minutes: timers fire with an exact period (every P minutes, or a constant count every minute);
 *    everything else follows a diurnal sine (amplitude by trigger, peak near 14:00 with per-function
 *    jitter) times random bursts (a few per day, minutes long, x3..x30), sampled as Poisson counts
 *    (small volumes: each invocation drawn into a minute). Day-to-day volume varies by ~15%.
 */
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { Rng } from '../sim/random.js';
import { UserError } from '../util/errors.js';
import { OutputDir } from '../util/output.js';
import { rethrowIo, withIo } from '../util/io.js';
import {
  durationFileName,
  INVOCATION_HEADER,
  invocationFileName,
  memoryFileName,
  MINUTES_PER_DAY,
  TRIGGERS,
} from './azure2019.js';

export type Trigger = (typeof TRIGGERS)[number];

/** Published trigger shares (fraction of functions, fraction of invocations). */
export const TRIGGER_TARGETS: Record<Trigger, { functions: number; invocations: number }> = {
  http: { functions: 0.55, invocations: 0.36 },
  queue: { functions: 0.15, invocations: 0.34 },
  event: { functions: 0.02, invocations: 0.25 },
  timer: { functions: 0.16, invocations: 0.02 },
  orchestration: { functions: 0.07, invocations: 0.02 },
  storage: { functions: 0.03, invocations: 0.006 },
  others: { functions: 0.02, invocations: 0.004 },
};

/** The published statistics the generator aims at (and `trace stats` reports). */
export const SYNTH_TARGETS = {
  singleFunctionApps: 0.54,
  appsAtMostOncePerMinute: 0.81,
  topAppsFraction: 0.186,
  topAppsShare: 0.996,
  ordersOfMagnitude: 8,
} as const;

const APP_LOG10_MEAN = 1.8;
const APP_LOG10_SD = 1.55;
const DIURNAL_AMPLITUDE: Record<Trigger, number> = {
  http: 0.5,
  event: 0.45,
  queue: 0.3,
  storage: 0.3,
  orchestration: 0.3,
  others: 0.3,
  timer: 0,
};
const BURSTS_PER_DAY: Record<Trigger, number> = {
  http: 1.5,
  event: 2,
  queue: 1,
  storage: 1,
  orchestration: 0.5,
  others: 0.5,
  timer: 0,
};

/**
 * Limits of `trace synth-azure` (docs/traces.md, "Synthetic Azure-format traces"). A function takes
 * ~1 KB of memory while generating and ~3.2 KB per day in the invocations file, so the largest
 * trace fits V8's default heap (~4 GiB on a 24 GiB machine) with room to spare: ~1 GiB of memory,
 * ~3.2 GB of files per day. Beyond it V8 aborted with a fatal out-of-memory error.
 */
export const SYNTH_LIMITS = {
  functions: 1_000_000,
  days: 14,
  /** Integer seeds from 0 to 2^53 - 1; string seeds (API only) up to this many characters. */
  seed: Number.MAX_SAFE_INTEGER,
  seedChars: 200,
} as const;

export interface SynthOptions {
  functions: number;
  days: number;
  /** An integer from 0 to SYNTH_LIMITS.seed, or a short string (the CLI takes integers). */
  seed: number | string;
  out: string;
  /** Called now and then with a line of progress. */
  progress?: (line: string) => void;
}

export interface SynthSummary {
  files: string[];
  functions: number;
  apps: number;
  owners: number;
  invocations: number[];
}

interface Fn {
  owner: string;
  app: number;
  appHash: string;
  hash: string;
  trigger: Trigger;
  /** Mean daily invocations. */
  volume: number;
  /** Diurnal peak minute. */
  peak: number;
  /** Timer period (minutes) and offset; or per-minute count when period is 0. */
  period: number;
  offset: number;
  perMinute: number;
  /** Median duration (ms) and its log-sd. */
  durationMs: number;
  durationSigma: number;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, ~1e-9 relative). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pl) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

function hex64(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 8; i++) s += Math.floor(rng.next() * 0x100000000).toString(16).padStart(8, '0');
  return s;
}

function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 60) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const l = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > l) {
    k++;
    p *= rng.next();
  }
  return k;
}

/**
 * Functions per app: 1 with probability 0.54, else 2 + floor(L) with L ~ Lomax(2.5, 6.3), so that
 * ~95% of apps have at most 10 functions and ~0.04% more than 100 (at most `max`).
 */
function functionsPerApp(rng: Rng, max: number): number {
  if (max <= 1 || rng.next() < SYNTH_TARGETS.singleFunctionApps) return 1;
  const k = 2 + Math.floor(6.3 * (Math.pow(open01(rng), -1 / 2.5) - 1));
  return Math.min(k, max);
}

function open01(rng: Rng): number {
  let u = rng.next();
  while (u === 0) u = rng.next();
  return u;
}

/** Build the population: apps, functions, volumes, triggers, per-function patterns. */
export function synthPopulation(n: number, seed: number | string): { fns: Fn[]; apps: number; owners: number } {
  const rApps = new Rng(`${seed}/synth/apps`);
  const rVol = new Rng(`${seed}/synth/volumes`);
  const rTrig = new Rng(`${seed}/synth/triggers`);
  const rIds = new Rng(`${seed}/synth/ids`);
  const rShape = new Rng(`${seed}/synth/shapes`);
  // 1. Apps and their sizes.
  const sizes: number[] = [];
  let left = n;
  while (left > 0) {
    const k = functionsPerApp(rApps, left);
    sizes.push(k);
    left -= k;
  }
  const A = sizes.length;
  // 2. App volumes by stratified quantiles (a random permutation of the strata).
  const strata = Array.from({ length: A }, (_, i) => i);
  for (let i = A - 1; i > 0; i--) {
    const j = rVol.int(i + 1);
    [strata[i], strata[j]] = [strata[j], strata[i]];
  }
  const owners: string[] = [];
  const fns: Fn[] = [];
  for (let a = 0; a < A; a++) {
    // Jittered inside the stratum but never beyond its middle at the ends, so the extremes stay tame.
    const q = Math.min(1 - 0.5 / A, Math.max(0.5 / A, (strata[a] + rVol.next()) / A));
    const appVolume = Math.max(sizes[a], Math.round(Math.pow(10, APP_LOG10_MEAN + APP_LOG10_SD * normalQuantile(q))));
    if (owners.length === 0 || rIds.next() < 0.6) owners.push(hex64(rIds));
    const owner = owners[rIds.int(owners.length)];
    const appHash = hex64(rIds);
    const weights = Array.from({ length: sizes[a] }, () => Math.exp(1.5 * rVol.normal()));
    const wsum = weights.reduce((x, y) => x + y, 0);
    for (let j = 0; j < sizes[a]; j++) {
      fns.push({
        owner,
        app: a,
        appHash,
        hash: hex64(rIds),
        trigger: 'http',
        volume: Math.max(1, Math.round((appVolume * weights[j]) / wsum)),
        peak: 0,
        period: 0,
        offset: 0,
        perMinute: 0,
        durationMs: 0,
        durationSigma: 0,
      });
    }
  }
  // 3. Triggers. Function counts per trigger are fixed by the published shares (quotas). The heavy
  // functions (the largest, carrying 95% of all invocations) go to triggers with probability
  // proportional to what each trigger still lacks of its invocation share (after the expected
  // contribution of the light functions); the light ones fill the remaining quotas at random.
  const triggers = Object.keys(TRIGGER_TARGETS) as Trigger[];
  const slots = triggers.map((t) => Math.floor(TRIGGER_TARGETS[t].functions * n));
  for (let i = 0, extra = n - slots.reduce((x, y) => x + y, 0); extra > 0; i = (i + 1) % slots.length, extra--) slots[i]++;
  const order = fns.map((_, i) => i).sort((x, y) => fns[y].volume - fns[x].volume || x - y);
  const total = fns.reduce((s, f) => s + f.volume, 0);
  let heavy = 0;
  for (let acc = 0; heavy < order.length && acc < 0.95 * total; heavy++) acc += fns[order[heavy]].volume;
  let light = 0;
  for (let i = heavy; i < order.length; i++) light += fns[order[i]].volume;
  const deficit = triggers.map((t) => TRIGGER_TARGETS[t].invocations * total - TRIGGER_TARGETS[t].functions * light);
  let remainingSlots = n;
  const choose = (weights: number[]): number => {
    const sum = weights.reduce((x, y) => x + y, 0);
    let u = rTrig.next() * sum;
    for (let k = 0; k < weights.length; k++) {
      if (weights[k] <= 0) continue;
      if (u < weights[k]) return k;
      u -= weights[k];
    }
    return weights.findIndex((w) => w > 0);
  };
  for (let j = 0; j < order.length; j++) {
    const f = fns[order[j]];
    let k: number;
    if (j < heavy) {
      // Prefer triggers whose deficit can take this function; else any with a deficit; else by quota.
      let w = triggers.map((_, t) => (slots[t] > 0 && deficit[t] >= 0.5 * f.volume ? deficit[t] : 0));
      if (w.every((x) => x <= 0)) w = triggers.map((_, t) => (slots[t] > 0 ? Math.max(0, deficit[t]) : 0));
      if (w.every((x) => x <= 0)) w = slots.slice();
      k = choose(w);
    } else {
      k = choose(slots.slice());
    }
    f.trigger = triggers[k];
    slots[k]--;
    deficit[k] -= f.volume;
    remainingSlots--;
  }
  // 4. Per-function shapes.
  for (const f of fns) {
    f.peak = Math.round(840 + 120 * rShape.normal() + MINUTES_PER_DAY) % MINUTES_PER_DAY;
    if (f.trigger === 'timer') {
      if (f.volume <= MINUTES_PER_DAY) {
        f.period = Math.max(1, Math.round(MINUTES_PER_DAY / f.volume));
        f.offset = rShape.int(f.period);
      } else {
        f.perMinute = Math.round(f.volume / MINUTES_PER_DAY);
      }
    }
    f.durationMs = Math.max(1, Math.pow(10, 2.9 + 1.0 * rShape.normal()));
    f.durationSigma = 0.2 + 0.6 * rShape.next();
  }
  return { fns, apps: A, owners: new Set(fns.map((f) => f.owner)).size };
}

/** One day's minute counts for a function. */
function dayCounts(f: Fn, rng: Rng, out: Int32Array, weight: Float64Array, cdf: Float64Array): number {
  out.fill(0);
  if (f.trigger === 'timer') {
    let total = 0;
    if (f.period > 0) {
      for (let m = f.offset; m < MINUTES_PER_DAY; m += f.period) {
        out[m] = 1;
        total++;
      }
    } else {
      out.fill(f.perMinute);
      total = f.perMinute * MINUTES_PER_DAY;
    }
    return total;
  }
  const volume = Math.max(1, Math.round(f.volume * Math.exp(0.15 * rng.normal() - 0.01125)));
  const amp = DIURNAL_AMPLITUDE[f.trigger];
  for (let m = 0; m < MINUTES_PER_DAY; m++) weight[m] = 1 + amp * Math.cos((2 * Math.PI * (m - f.peak)) / MINUTES_PER_DAY);
  // Bursts on functions below ~700/min; the heaviest keep a smooth diurnal shape.
  const bursts = f.volume < 1e6 ? poisson(rng, BURSTS_PER_DAY[f.trigger]) : 0;
  for (let b = 0; b < bursts; b++) {
    const start = rng.int(MINUTES_PER_DAY);
    const len = 1 + Math.floor(rng.exponential(8));
    const factor = 3 * Math.pow(10, rng.next());
    for (let m = start; m < Math.min(MINUTES_PER_DAY, start + len); m++) weight[m] *= factor;
  }
  let sum = 0;
  for (let m = 0; m < MINUTES_PER_DAY; m++) sum += weight[m];
  let total = 0;
  if (volume <= 5000) {
    let acc = 0;
    for (let m = 0; m < MINUTES_PER_DAY; m++) cdf[m] = acc += weight[m] / sum;
    for (let i = 0; i < volume; i++) {
      const u = rng.next();
      let lo = 0;
      let hi = MINUTES_PER_DAY - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      out[lo]++;
    }
    total = volume;
  } else {
    for (let m = 0; m < MINUTES_PER_DAY; m++) total += out[m] = poisson(rng, (volume * weight[m]) / sum);
  }
  if (total === 0) {
    out[f.peak] = 1;
    total = 1;
  }
  return total;
}

/**
 * One output file of synth-azure, written under a temporary name (`NAME.tmp`) and renamed into
 * place only when every file of the day is complete. All of synth-azure's file writing goes
 * through here. Every stream error (ENOSPC, EACCES, EIO, ...) becomes a one-line UserError naming
 * the file and the cause; `abort()` removes the temporary file.
 */
class AtomicWriter {
  private readonly path: string;
  private readonly tmp: string;
  private readonly s: WriteStream;
  /** The first error the stream reported (kept so that none goes unhandled). */
  private error: unknown = null;
  constructor(
    private readonly dir: OutputDir,
    name: string,
  ) {
    this.path = dir.claim(name);
    this.tmp = dir.tempFor(name);
    this.s = createWriteStream(this.tmp, { flags: 'wx' });
    this.s.on('error', (e) => {
      this.error ??= e;
    });
  }
  private fail(e: unknown): never {
    return rethrowIo(e, this.path, 'write');
  }
  async write(text: string): Promise<void> {
    if (this.error) this.fail(this.error);
    if (!this.s.write(text)) {
      try {
        await once(this.s, 'drain');
      } catch (e) {
        this.fail(e);
      }
    }
  }
  /** Flush and close the temporary file (errors on the last writes or on close are reported too). */
  async finish(): Promise<void> {
    if (this.error) this.fail(this.error);
    await new Promise<void>((resolve) => {
      this.s.once('close', () => resolve());
      this.s.end();
    });
    if (this.error) this.fail(this.error);
  }
  /** Rename the finished temporary file into place. */
  commit(): void {
    withIo(this.path, 'write', () => renameSync(this.tmp, this.path));
    this.dir.doneWith(this.tmp);
  }
  /**
   * Stop and remove the temporary file; never throws (the error being reported is the first one).
   * The stream opens its file asynchronously: wait until it is closed, or the file could appear
   * after the removal.
   */
  async abort(): Promise<void> {
    if (!this.s.closed) {
      const closed = once(this.s, 'close').catch(() => undefined);
      this.s.destroy();
      await closed;
    }
    try {
      rmSync(this.tmp, { force: true });
    } catch {
      // e.g. the temporary name is a directory that this run did not make: leave it.
    }
    this.dir.doneWith(this.tmp);
  }
}

const DURATION_HEADER =
  'HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100';
const MEMORY_HEADER =
  'HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100';
const Z = { p0: -3, p1: -2.326, p25: -0.674, p75: 0.674, p99: 2.326, p100: 3.5, p5: -1.645, p95: 1.645 };

/** The messages the CLI shows for its options (the same limits hold for the API). */
export const SYNTH_HELP = {
  functions: `number of functions, 1 to ${SYNTH_LIMITS.functions.toLocaleString('en-US')} (the real trace has ~46,000 per day; ~1 KB of memory and ~3.2 KB of files per function and day)`,
  days: `number of days, 1 to ${SYNTH_LIMITS.days}`,
  seed: `random seed, an integer from 0 to 2^53 - 1`,
} as const;

/** Check the options before any work (one-line UserErrors naming the option and its limits). */
export function checkSynthOptions(o: Pick<SynthOptions, 'functions' | 'days' | 'seed'>): void {
  const L = SYNTH_LIMITS;
  if (!(Number.isInteger(o.functions) && o.functions >= 1 && o.functions <= L.functions)) {
    throw new UserError(`--functions expects an integer from 1 to ${L.functions} (the real trace has ~46,000 per day), found ${o.functions}`);
  }
  if (!(Number.isInteger(o.days) && o.days >= 1 && o.days <= L.days)) {
    throw new UserError(`--days expects an integer from 1 to ${L.days}, found ${o.days}`);
  }
  const seedOk =
    typeof o.seed === 'number'
      ? Number.isSafeInteger(o.seed) && o.seed >= 0
      : typeof o.seed === 'string' && o.seed.length >= 1 && o.seed.length <= L.seedChars;
  if (!seedOk) throw new UserError(`--seed expects an integer from 0 to ${L.seed}, found ${JSON.stringify(o.seed)}`);
}

/** Write `days` days of synthetic 2019-format files into `out`. */
export async function synthAzure(o: SynthOptions): Promise<SynthSummary> {
  checkSynthOptions(o);
  // Into a new or empty directory, or one servesim wrote a trace into (src/util/output.ts); a file
  // there that servesim did not write is never replaced.
  const out = new OutputDir(o.out, 'trace');
  try {
    for (let day = 1; day <= o.days; day++) {
      out.check(invocationFileName(day));
      out.check(durationFileName(day));
      if (day <= 12) out.check(memoryFileName(day));
    }
    return await synthInto(out, o);
  } finally {
    out.close();
  }
}

async function synthInto(out: OutputDir, o: SynthOptions): Promise<SynthSummary> {
  const { fns, apps, owners } = synthPopulation(o.functions, o.seed);
  // Rows sorted by ids, like the published files.
  fns.sort((a, b) => (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : a.appHash < b.appHash ? -1 : a.appHash > b.appHash ? 1 : a.hash < b.hash ? -1 : 1));
  const files: string[] = [];
  const invocations: number[] = [];
  const counts = new Int32Array(MINUTES_PER_DAY);
  const weight = new Float64Array(MINUTES_PER_DAY);
  const cdf = new Float64Array(MINUTES_PER_DAY);
  for (let day = 1; day <= o.days; day++) {
    const rng = new Rng(`${o.seed}/synth/day${day}`);
    const inv = new AtomicWriter(out, invocationFileName(day));
    const dur = new AtomicWriter(out, durationFileName(day));
    const writers = [inv, dur];
    try {
      await inv.write(INVOCATION_HEADER.join(',') + '\n');
      await dur.write(DURATION_HEADER + '\n');
      let dayTotal = 0;
      const appTotals = new Map<string, number>();
      for (let i = 0; i < fns.length; i++) {
        const f = fns[i];
        const total = dayCounts(f, rng, counts, weight, cdf);
        dayTotal += total;
        appTotals.set(f.appHash, (appTotals.get(f.appHash) ?? 0) + total);
        await inv.write(`${f.owner},${f.appHash},${f.hash},${f.trigger},${counts.join(',')}\n`);
        const med = f.durationMs * Math.exp(0.3 * rng.normal());
        const s = f.durationSigma;
        const q = (z: number) => Math.max(0, Math.round(med * Math.exp(s * z)));
        const avg = Math.round(med * Math.exp((s * s) / 2));
        await dur.write(`${f.owner},${f.appHash},${f.hash},${avg},${total},${q(Z.p0)},${q(Z.p100)},${q(Z.p0)},${q(Z.p1)},${q(Z.p25)},${q(0)},${q(Z.p75)},${q(Z.p99)},${q(Z.p100)}\n`);
        if ((i + 1) % 5000 === 0) o.progress?.(`day ${day}: ${i + 1}/${fns.length} functions`);
      }
      if (day <= 12) {
        const mem = new AtomicWriter(out, memoryFileName(day));
        writers.push(mem);
        await mem.write(MEMORY_HEADER + '\n');
        const seen = new Set<string>();
        for (const f of fns) {
          if (seen.has(f.appHash)) continue;
          seen.add(f.appHash);
          const r = new Rng(`${o.seed}/synth/memory/${f.appHash}`);
          const base = 150 * Math.exp(0.77 * r.normal());
          const avg = Math.max(8, base * Math.exp(0.1 * rng.normal()));
          const spread = 0.05 + 0.25 * r.next();
          const m = (z: number) => Math.max(1, Math.round(avg * Math.exp(spread * z)));
          const samples = Math.max(1, Math.min(MINUTES_PER_DAY, Math.round(appTotals.get(f.appHash)! / 10) + 1));
          await mem.write(`${f.owner},${f.appHash},${samples},${Math.round(avg)},${m(-2.326)},${m(-1.645)},${m(-0.674)},${m(0)},${m(0.674)},${m(1.645)},${m(2.326)},${m(3.5)}\n`);
        }
      }
      for (const w of writers) await w.finish();
      for (const w of writers) w.commit();
      files.push(invocationFileName(day), durationFileName(day), ...(day <= 12 ? [memoryFileName(day)] : []));
      invocations.push(dayTotal);
      o.progress?.(`day ${day}: ${fns.length} functions, ${dayTotal} invocations written`);
    } catch (e) {
      for (const w of writers) await w.abort();
      throw e;
    }
  }
  return { files, functions: fns.length, apps, owners, invocations };
}
