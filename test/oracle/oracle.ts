/**
 * An independent reference for the figures of summary.json and per-model.csv, recomputed from a
 * run's requests.csv and its lane log (lane-log.ts). Written apart from src/metrics (nothing of it
 * is imported): where the two disagree, one of them is wrong. It is also the definition of each
 * metric, as README.md ("Outputs") states them:
 *
 * - The measured window is [warmup, duration) of the time a client SENT a request. Request figures
 *   count only requests sent in it, whatever happened to them afterwards (so a request sent just
 *   before `duration` and answered during the drain counts; one sent during warm-up never does).
 *   Its length W = (duration - warmup) / 1 s divides every rate.
 * - Completion (responseNs of requests.csv) depends on `metrics.measureAt` (RunFacts.measureAt):
 *   "controller" (default): when the request's result (or the scheduler's answer) was at the
 *   controller; "client": when its response reached the client.
 * - Outcomes: ok (completed by its deadline = arrival at the controller + SLO), late (completed
 *   after the deadline), timeout / rejected / failed (answered without a result), unfinished (no
 *   response when the run stopped, at duration + drain or as soon as every request was answered).
 *   total = all of them.
 * - goodput = ok / W; throughput = (ok + late) / W; offeredLoad = total / W;
 *   sloAttainment = ok / total (null without requests); lateFraction = late / (ok + late).
 * - Latency of a completed (ok or late) request = completion - arrival at the controller. Percentile q = the value of rank ceil(q n) (1-based, at least 1) among the n sorted
 *   latencies: an exact order statistic, no interpolation. max and mean are exact.
 * - gpuUtilization[g] = time GPU g was executing anything (union of its EXEC phases: with
 *   overlapping executions the GPU is busy while at least one runs) inside [warmup, duration),
 *   divided by duration - warmup. pcieUtilization[g] likewise for its weights transfers (LOAD
 *   phases; input and output copies are not counted; EVICT takes no time).
 * - loads / evictions = successful LOADs / EVICTs that ended in [warmup, duration); loadsFailed =
 *   failed LOADs (any error) that ended in it; batches = successful INFERs whose output copy ended
 *   in it, meanSize = requests they carried / batches. (Actions are placed by their END time, not
 *   by when the requests that caused them were sent.)
 * - actionErrors: failed actions of the WHOLE run (warm-up and drain included), by "TYPE:error".
 * - coldStarts: measured requests that, when they reached the controller, found no GPU holding
 *   their model's weights (loaded: its LOAD had ended, and no EVICT since).
 * - Per model: the same figures restricted to the model (per-model percentiles p50, p99, p999).
 * - Per workload group ("groups", when there are several): the request figures of its requests.
 * - predictionError (when the scheduler recorded predictions), per INFER and LOAD, over the WHOLE
 *   run: error = predicted - actual completion time; count, percentiles of |error| (ms),
 *   meanSignedErrorMs = mean error, earlyFraction = share of errors >= 0 (finished no later than
 *   predicted).
 */

export interface RequestRow {
  id: number;
  model: string;
  group: string;
  sent: number;
  arrival: number;
  deadline: number;
  /** null when unfinished */
  response: number | null;
  latency: number | null;
  outcome: string;
  measured: boolean;
}

/** Split one CSV line (RFC 4180 quoting). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        const j = line.indexOf('"', i);
        if (j < 0) throw new Error(`unterminated quote in ${line}`);
        s += line.slice(i, j);
        if (line[j + 1] === '"') {
          s += '"';
          i = j + 2;
        } else {
          i = j + 1;
          break;
        }
      }
      out.push(s);
    } else {
      const j = line.indexOf(',', i);
      out.push(line.slice(i, j < 0 ? line.length : j));
      i = j < 0 ? line.length : j;
    }
    if (i >= line.length) break;
    i++; // the comma
  }
  return out;
}

export function parseRequestsCsv(text: string): RequestRow[] {
  const lines = text.split('\n').filter((l) => l !== '');
  const head = lines[0].split(',');
  const col = (name: string): number => {
    const i = head.indexOf(name);
    if (i < 0) throw new Error(`requests.csv has no column ${name}`);
    return i;
  };
  const c = {
    id: col('id'), model: col('model'), group: col('group'), sent: col('sentNs'), arrival: col('arrivalNs'), deadline: col('deadlineNs'),
    response: col('responseNs'), latency: col('latencyNs'), outcome: col('outcome'), measured: col('measured'),
  };
  return lines.slice(1).map((l) => {
    const f = csvFields(l);
    const num = (i: number): number | null => (f[i] === '' ? null : Number(f[i]));
    return {
      id: Number(f[c.id]),
      model: f[c.model],
      group: f[c.group],
      sent: Number(f[c.sent]),
      arrival: Number(f[c.arrival]),
      deadline: Number(f[c.deadline]),
      response: num(c.response),
      latency: num(c.latency),
      outcome: f[c.outcome],
      measured: f[c.measured] === '1',
    };
  });
}

/**
 * requests.csv of a run measured at the controller, re-expressed as measured at the client (the
 * simulation is the same either way: only what is recorded differs). For a controller that spends
 * no CPU time, a response leaves the controller when the request completes there and reaches the
 * client `clientLatency + bytes / clientBandwidth` later (rounded to the ns), the bytes being the
 * model's outputs for a completed request and none otherwise; ok vs late is then decided again
 * against the same deadline.
 */
export function atClient(
  rows: readonly RequestRow[],
  net: { clientLatency: number; clientBandwidth: number },
  outputBytes: (model: string) => number,
): RequestRow[] {
  return rows.map((r) => {
    if (r.response === null) return { ...r };
    const completed = r.outcome === 'ok' || r.outcome === 'late';
    const response = r.response + net.clientLatency + Math.round(((completed ? outputBytes(r.model) : 0) / net.clientBandwidth) * 1e9);
    const outcome = completed ? (response <= r.deadline ? 'ok' : 'late') : r.outcome;
    return { ...r, response, latency: response - r.arrival, outcome };
  });
}

export interface RunFacts {
  /** Where completions were measured: what responseNs means. */
  measureAt: 'controller' | 'client';
  warmup: number;
  duration: number;
  gpus: number;
  /** Model instance names in id order (lane-log model ids index this). */
  modelNames: readonly string[];
  groupNames: readonly string[];
}

export interface OracleRequestFigures {
  requests: { total: number; ok: number; late: number; timeout: number; rejected: number; failed: number; unfinished: number };
  goodput: number;
  throughput: number;
  offeredLoad: number;
  sloAttainment: number | null;
  lateFraction: number | null;
  /** Exact order statistics, ms. */
  latencyMs: Record<'p50' | 'p90' | 'p99' | 'p999' | 'p9999' | 'p99999' | 'p999999' | 'max' | 'mean', number | null>;
}

export interface OracleSummary extends OracleRequestFigures {
  windowSeconds: number;
  gpuUtilization: number[];
  pcieUtilization: number[];
  loads: number;
  loadsFailed: number;
  evictions: number;
  coldStarts: number;
  batches: { count: number; meanSize: number | null };
  actionErrors: Record<string, number>;
  groups: Record<string, OracleRequestFigures>;
  predictionError: Record<'INFER' | 'LOAD', OraclePrediction | null>;
}

export interface OraclePrediction {
  count: number;
  absErrorMs: Record<keyof typeof PERCENTILES | 'max' | 'mean', number>;
  meanSignedErrorMs: number;
  earlyFraction: number;
}

function predictionFigures(errs: number[]): OraclePrediction | null {
  if (errs.length === 0) return null;
  const abs = errs.map(Math.abs).sort((a, b) => a - b);
  const absErrorMs = Object.fromEntries(Object.entries(PERCENTILES).map(([k, q]) => [k, orderStatistic(abs, q) / 1e6])) as OraclePrediction['absErrorMs'];
  absErrorMs.max = abs[abs.length - 1] / 1e6;
  absErrorMs.mean = abs.reduce((a, b) => a + b, 0) / abs.length / 1e6;
  return {
    count: errs.length,
    absErrorMs,
    meanSignedErrorMs: errs.reduce((a, b) => a + b, 0) / errs.length / 1e6,
    earlyFraction: errs.filter((e) => e >= 0).length / errs.length,
  };
}

export interface OracleModelRow {
  model: string;
  requests: number;
  ok: number;
  late: number;
  timeout: number;
  rejected: number;
  failed: number;
  unfinished: number;
  goodput: number;
  throughput: number;
  sloAttainment: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
  meanMs: number | null;
  loads: number;
  evictions: number;
  coldStarts: number;
}

export const PERCENTILES = { p50: 0.5, p90: 0.9, p99: 0.99, p999: 0.999, p9999: 0.9999, p99999: 0.99999, p999999: 0.999999 } as const;

/** The value of rank ceil(q n) among ascending `sorted` (exact; q n rounded to 1e-9 first, so 0.999999 x 10^6 is 999,999). */
export function orderStatistic(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  const rank = Math.min(n, Math.max(1, Math.ceil(Number((q * n).toFixed(9)))));
  return sorted[rank - 1];
}

/** Total length of the union of [start, end] intervals inside [lo, hi). */
export function busyTime(intervals: ReadonlyArray<{ start: number; end: number }>, lo: number, hi: number): number {
  const iv = intervals
    .map((x) => [Math.max(lo, x.start), Math.min(hi, x.end)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let curA = -Infinity;
  let curB = -Infinity;
  for (const [a, b] of iv) {
    if (a > curB) {
      if (curB > curA) total += curB - curA;
      curA = a;
      curB = b;
    } else curB = Math.max(curB, b);
  }
  if (curB > curA) total += curB - curA;
  return total;
}

function requestFigures(rows: readonly RequestRow[], windowS: number): OracleRequestFigures {
  const n = (o: string): number => rows.filter((r) => r.outcome === o).length;
  const requests = { total: rows.length, ok: n('ok'), late: n('late'), timeout: n('timeout'), rejected: n('rejected'), failed: n('failed'), unfinished: n('unfinished') };
  const lat = rows.filter((r) => r.outcome === 'ok' || r.outcome === 'late').map((r) => r.response! - r.arrival);
  lat.sort((a, b) => a - b);
  const ms = (ns: number): number => ns / 1e6;
  const latencyMs = Object.fromEntries(Object.entries(PERCENTILES).map(([k, q]) => [k, lat.length ? ms(orderStatistic(lat, q)) : null])) as OracleRequestFigures['latencyMs'];
  latencyMs.max = lat.length ? ms(lat[lat.length - 1]) : null;
  latencyMs.mean = lat.length ? ms(lat.reduce((a, b) => a + b, 0) / lat.length) : null;
  const done = requests.ok + requests.late;
  return {
    requests,
    goodput: requests.ok / windowS,
    throughput: done / windowS,
    offeredLoad: requests.total / windowS,
    sloAttainment: requests.total ? requests.ok / requests.total : null,
    lateFraction: done ? requests.late / done : null,
    latencyMs,
  };
}

/** Whether `model` was loaded on some GPU at instant `t` (a LOAD ending at t counts: hardware completions come first). */
function residencyIndex(phases: readonly { gpu: number; phase: string; model: number; start: number; end: number }[]): (model: number, t: number) => boolean {
  // Per (gpu, model): the weights-lane events in time order; loaded from a LOAD's end to the next EVICT.
  const spans = new Map<number, Array<[number, number]>>();
  const byKey = new Map<string, Array<{ t: number; kind: 'LOAD' | 'EVICT' }>>();
  for (const p of phases) {
    if (p.phase !== 'LOAD' && p.phase !== 'EVICT') continue;
    const k = `${p.gpu}/${p.model}`;
    if (!byKey.has(k)) byKey.set(k, []);
    byKey.get(k)!.push({ t: p.end, kind: p.phase });
  }
  for (const [k, evs] of byKey) {
    const model = Number(k.split('/')[1]);
    evs.sort((a, b) => a.t - b.t);
    let since: number | null = null;
    for (const e of evs) {
      if (e.kind === 'LOAD') since = e.t;
      else if (since !== null) {
        if (!spans.has(model)) spans.set(model, []);
        spans.get(model)!.push([since, e.t]);
        since = null;
      }
    }
    if (since !== null) {
      if (!spans.has(model)) spans.set(model, []);
      spans.get(model)!.push([since, Infinity]);
    }
  }
  // An EVICT at the same instant as an arrival: the tests' runs have none (see the oracle test).
  return (model, t) => (spans.get(model) ?? []).some(([a, b]) => a <= t && t < b);
}

export interface OracleResult {
  summary: OracleSummary;
  perModel: OracleModelRow[];
  /** Requests whose arrival coincided with an EVICT of their model (cold or not is then a matter of event order). */
  ambiguousColdStarts: number;
}

export function oracle(rows: readonly RequestRow[], lanes: import('./lane-log.js').LaneLog, f: RunFacts): OracleResult {
  const windowNs = f.duration - f.warmup;
  const windowS = windowNs / 1e9;
  const inWindow = (t: number): boolean => t >= f.warmup && t < f.duration;
  const measured = rows.filter((r) => inWindow(r.sent));
  const modelId = new Map(f.modelNames.map((n, i) => [n, i]));

  const util = (phase: string): number[] =>
    Array.from({ length: f.gpus }, (_, g) => {
      const iv = [...lanes.phases, ...lanes.open].filter((p) => p.gpu === g && p.phase === phase);
      return busyTime(iv, f.warmup, f.duration) / windowNs;
    });

  const acts = lanes.actions.filter((a) => inWindow(a.at));
  const ok = acts.filter((a) => a.error === null);
  const infers = ok.filter((a) => a.type === 'INFER');
  const actionErrors: Record<string, number> = {};
  for (const a of lanes.actions) if (a.error !== null) actionErrors[`${a.type}:${a.error}`] = (actionErrors[`${a.type}:${a.error}`] ?? 0) + 1;

  const loaded = residencyIndex(lanes.phases);
  const evictAt = new Set(lanes.phases.filter((p) => p.phase === 'EVICT').map((p) => `${p.model}@${p.end}`));
  const cold = measured.filter((r) => !loaded(modelId.get(r.model)!, r.arrival));
  const ambiguousColdStarts = measured.filter((r) => evictAt.has(`${modelId.get(r.model)}@${r.arrival}`)).length;

  const groups: Record<string, OracleRequestFigures> = {};
  for (const g of f.groupNames) groups[g] = requestFigures(measured.filter((r) => r.group === g), windowS);

  const summary: OracleSummary = {
    windowSeconds: windowS,
    ...requestFigures(measured, windowS),
    gpuUtilization: util('EXEC'),
    pcieUtilization: util('LOAD'),
    loads: ok.filter((a) => a.type === 'LOAD').length,
    loadsFailed: acts.filter((a) => a.type === 'LOAD' && a.error !== null).length,
    evictions: ok.filter((a) => a.type === 'EVICT').length,
    coldStarts: cold.length,
    batches: { count: infers.length, meanSize: infers.length ? infers.reduce((s, a) => s + a.requests, 0) / infers.length : null },
    actionErrors,
    groups,
    predictionError: {
      INFER: predictionFigures(lanes.predictions.filter((p) => p.kind === 'INFER').map((p) => p.predicted - p.actual)),
      LOAD: predictionFigures(lanes.predictions.filter((p) => p.kind === 'LOAD').map((p) => p.predicted - p.actual)),
    },
  };

  const perModel = f.modelNames.map((name, id): OracleModelRow => {
    const mine = measured.filter((r) => r.model === name);
    const fig = requestFigures(mine, windowS);
    const lat = mine.filter((r) => r.outcome === 'ok' || r.outcome === 'late').map((r) => r.response! - r.arrival).sort((a, b) => a - b);
    const q = (p: number): number | null => (lat.length ? orderStatistic(lat, p) / 1e6 : null);
    return {
      model: name,
      ...fig.requests,
      requests: fig.requests.total,
      goodput: fig.goodput,
      throughput: fig.throughput,
      sloAttainment: fig.sloAttainment,
      p50Ms: q(0.5),
      p99Ms: q(0.99),
      p999Ms: q(0.999),
      maxMs: fig.latencyMs.max,
      meanMs: fig.latencyMs.mean,
      loads: ok.filter((a) => a.type === 'LOAD' && a.model === id).length,
      evictions: ok.filter((a) => a.type === 'EVICT' && a.model === id).length,
      coldStarts: cold.filter((r) => r.model === name).length,
    };
  });
  // `total` is not a per-model.csv column (it is `requests`).
  for (const r of perModel) delete (r as unknown as Record<string, unknown>).total;
  return { summary, perModel, ambiguousColdStarts };
}

/**
 * timeseries.csv: fixed windows [k W, (k+1) W) over the whole run (warm-up and drain included),
 * k = 0 .. the window of the last thing that happened; the last window ends at the run's end.
 * Each quantity goes to the window of the instant it happened (README, "Outputs"):
 * - offeredLoad: requests SENT in the window / its length (offeredLoad:<group> per group);
 * - ok, late, timeout, rejected, failed: requests that COMPLETED in the window (measureAt);
 *   goodput = ok / length, throughput = (ok + late) / length; answered:<group> = that
 *   group's responses of any outcome, sloAttainment:<group> = its ok / answered;
 * - p50Ms, p99Ms, maxMs: latencies of the ok and late responses of the window (exact here);
 * - gpuUtilization, pcieUtilization: busy time of the window (union of EXEC, LOAD phases per GPU) summed over
 *   GPUs / (length x GPUs); gpu<i>Utilization per GPU;
 * - loads, evictions: successful LOADs / EVICTs that ended in the window;
 * - coldStarts: requests (measured or not) that ARRIVED at the controller in the window cold.
 */
export interface OracleWindow {
  timeS: number;
  windowS: number;
  offered: number;
  ok: number;
  late: number;
  timeout: number;
  rejected: number;
  failed: number;
  goodput: number;
  throughput: number;
  offeredLoad: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  gpuUtilization: number;
  pcieUtilization: number;
  gpuNUtilization: number[];
  loads: number;
  evictions: number;
  coldStarts: number;
  groups: Record<string, { offeredLoad: number; goodput: number; answered: number; attainment: number | null }>;
}

export function oracleTimeseries(
  rows: readonly RequestRow[],
  lanes: import('./lane-log.js').LaneLog,
  f: RunFacts & { window: number; end: number },
): OracleWindow[] {
  const W = f.window;
  const modelId = new Map(f.modelNames.map((n, i) => [n, i]));
  const loaded = residencyIndex(lanes.phases);
  const last = Math.max(f.end - 1, ...rows.map((r) => r.response ?? 0));
  const n = Math.floor(last / W) + 1;
  const out: OracleWindow[] = [];
  const phases = [...lanes.phases, ...lanes.open.map((p) => ({ ...p, end: f.end }))];
  // Rows by the window of their send, response and arrival (the same as filtering each window).
  const bucket = (t: (r: RequestRow) => number | null): RequestRow[][] => {
    const b: RequestRow[][] = Array.from({ length: n }, () => []);
    for (const r of rows) {
      const x = t(r);
      if (x !== null) b[Math.floor(x / W)]?.push(r);
    }
    return b;
  };
  const bySent = bucket((r) => r.sent);
  const byResponse = bucket((r) => r.response);
  const byArrival = bucket((r) => r.arrival);
  for (let k = 0; k < n; k++) {
    const a = k * W;
    const b = (k + 1) * W;
    const len = f.end > a ? Math.min(W, f.end - a) : W;
    const secs = len / 1e9;
    const answered = byResponse[k];
    const sent = bySent[k];
    const count = (o: string): number => answered.filter((r) => r.outcome === o).length;
    const lat = answered.filter((r) => r.outcome === 'ok' || r.outcome === 'late').map((r) => r.response! - r.arrival).sort((x, y) => x - y);
    const busy = (phase: string, g: number): number => busyTime(phases.filter((p) => p.gpu === g && p.phase === phase && p.end > a && p.start < b), a, b);
    const gpuN = Array.from({ length: f.gpus }, (_, g) => busy('EXEC', g));
    const pcie = Array.from({ length: f.gpus }, (_, g) => busy('LOAD', g));
    const okLanes = lanes.actions.filter((x) => x.error === null && x.at >= a && x.at < b);
    const groups: OracleWindow['groups'] = {};
    for (const g of f.groupNames) {
      const ans = answered.filter((r) => r.group === g);
      const ok = ans.filter((r) => r.outcome === 'ok').length;
      groups[g] = { offeredLoad: sent.filter((r) => r.group === g).length / secs, goodput: ok / secs, answered: ans.length, attainment: ans.length ? ok / ans.length : null };
    }
    out.push({
      timeS: a / 1e9,
      windowS: secs,
      offered: sent.length,
      ok: count('ok'),
      late: count('late'),
      timeout: count('timeout'),
      rejected: count('rejected'),
      failed: count('failed'),
      goodput: count('ok') / secs,
      throughput: (count('ok') + count('late')) / secs,
      offeredLoad: sent.length / secs,
      p50Ms: lat.length ? orderStatistic(lat, 0.5) / 1e6 : null,
      p99Ms: lat.length ? orderStatistic(lat, 0.99) / 1e6 : null,
      maxMs: lat.length ? lat[lat.length - 1] / 1e6 : null,
      gpuUtilization: gpuN.reduce((s, x) => s + x, 0) / (len * f.gpus),
      pcieUtilization: pcie.reduce((s, x) => s + x, 0) / (len * f.gpus),
      gpuNUtilization: gpuN.map((x) => x / len),
      loads: okLanes.filter((x) => x.type === 'LOAD').length,
      evictions: okLanes.filter((x) => x.type === 'EVICT').length,
      coldStarts: byArrival[k].filter((r) => !loaded(modelId.get(r.model)!, r.arrival)).length,
      groups,
    });
  }
  return out;
}
