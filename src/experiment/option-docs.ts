/**
 * One-line descriptions of every built-in scheduler's and workload's options, shown by editors from
 * docs/experiment.schema.json (`servesim schema`). They say what README.md ("The `clockwork`
 * scheduler", "Reactive baselines", "`workload`") and docs/traces.md say at more length; a
 * description that an option's zod schema carries itself (`.describe()`) takes precedence.
 * test/schema.test.ts checks that every registered option has one and that none here is stale.
 */

/** The options clipper and clipper-lru share (AIMD batching and the engine caps). */
const CLIPPER_AIMD = {
  initialBatch: 'AIMD: starting batch size (default 1).',
  additiveIncrease: 'AIMD: growth of the batch size after a batch within budget (default 1).',
  multiplicativeDecrease: 'AIMD: the batch size is multiplied by this (floored, at least 1) after a batch over budget (default 0.9).',
  budgetFraction: 'AIMD: latency budget = SLO x this (default 0.92, as in Clipper\'s code).',
  batchTimeout: 'Wait up to this long (from the oldest queued request\'s arrival) for a full batch; 0 = never wait (default).',
  maxBatch: 'Batch size cap; 0 = the model\'s largest supported batch size (default).',
  execConcurrency: 'Engine cap on overlapping executions per GPU; 0 = one per container (default).',
};

/** Scheduler type -> option -> description. */
export const SCHEDULER_OPTION_DOCS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  fifo: {
    inflight: 'INFER actions outstanding per GPU (default 2: the next one waits at the worker).',
    preload: 'Pre-load models round-robin over the GPUs at the start while memory lasts (default true).',
  },
  clockwork: {
    scheduleAhead: 'Dispatch work to a GPU while its predicted free_at is less than this ahead (default 10ms; the paper\'s experiments use 5ms). Must exceed startDelay.',
    buffer: 'Safety margin: exec_slo = max(slo - buffer, scheduleAhead + buffer); also in weights_slo (default 5ms).',
    window: 'Measurements in each estimator\'s sliding window (default 10).',
    percentile: 'Percentile of the window used as the estimate, 0..1 (default 0.99).',
    estimatorSeed: '"fallback" (released, default): the profile\'s value is the estimate until the first measurement; "inWindow": it stays in the window as a first measurement.',
    lag: 'An outstanding action overdue by more than this is assumed to have started at now - lag - estimate (default 10ms).',
    maxExec: 'Batch sizes whose estimate exceeds this are not used (default 250ms).',
    maxBatch: 'Largest batch size used: 1, 2, 4, 8 or 16 (default 16; 8 in the paper\'s later experiments).',
    failedStrategy: '"stepDown" (released, default): after a strategy (model, b) fails, the model offers only sizes below b on that GPU; "retry": offered again at the next fill.',
    maxLoadSlo: 'Upper bound of weights_slo, how long a request\'s demand counts towards loading its model (default 25ms).',
    answerDrops: '"atDeadline" (released, default): a dropped request is answered timeout at its internal deadline; "immediately": when dropped, and rejected at arrival if it cannot finish even alone.',
    networkTooLateAt: '"released" (default): a network-too-late INFER is reported (its requests answered failed) at latest + its estimated duration; "whenDropped": when the network thread drops it.',
    evictInFlight: '"allowed" (released, default): making room for a LOAD may evict a model with an INFER in flight on that GPU (the INFER then fails at the worker); "never": such models are skipped.',
    sendConcurrency: 'Concurrent controller-to-worker sends; 0 = unlimited (default 2).',
    networkSlack: 'An INFER whose send would start after latest - networkSlack fails as "network too late" (default 5ms).',
    startDelay: 'Timelines never predict work starting before now + startDelay (default 1ms).',
    defaultSlo: 'SLO of requests without one; reference SLO of the demand formula and of a GPU\'s capacity (default 100ms).',
    decisionLatency: 'Simulated controller CPU time charged per scheduling decision (each INFER or LOAD dispatched); default 0.',
    loadPolicy: 'LOAD/EVICT policy: "released" (default: the released source, eager replication) or "intended" (the paper\'s description); docs/clockwork-load-policy.md.',
  },
  clipper: {
    replicas: 'GPUs each model is deployed on at the start (static deployment; default 1).',
    ...CLIPPER_AIMD,
  },
  'clipper-lru': {
    ...CLIPPER_AIMD,
  },
  'clipper-code': {
    replicas: 'GPUs each model is deployed on at the start (static deployment; default 1).',
    budgetDecay: 'Latency budget = time to the earliest deadline x this (default 0.92).',
    minSamples: 'Samples a batch size needs before exploring past it, and before its variance is pooled (default 5).',
    zScore: 'p99 estimate = mean + zScore x pooled standard deviation (default 3).',
    additiveThreshold: 'Below this batch size exploration adds 1; from it on it multiplies by 1 + N(exploreMean, exploreStd) (default 10).',
    exploreMean: 'Mean of the multiplicative exploration factor\'s normal draw (default 0.1).',
    exploreStd: 'Standard deviation of the multiplicative exploration factor\'s normal draw (default 0.05).',
    maxBatch: 'Batch size cap; 0 = the model\'s largest supported batch size (default).',
    execConcurrency: 'Engine cap on overlapping executions per GPU; 0 = one per container (default).',
  },
  infaas: {
    maxBatch: 'TF-Serving max_batch_size (default 8).',
    batchTimeout: 'TF-Serving batch_timeout_micros: the open batch becomes eligible this long after its first request joined (default 10ms).',
    allowedBatchSizes: 'TF-Serving allowed_batch_sizes: batches of n > 1 are padded to the next one; ascending, last = maxBatch (default [2, 4, 8]).',
    batchThreads: 'TF-Serving num_batch_threads: batches of one replica executing at a time (default 1).',
    scaleOutUtilization: 'Add a replica when a replica\'s utilization over a monitoring interval exceeds this (default 0.8).',
    monitorInterval: 'How often utilization is checked (default 1s).',
    scaleInDelay: 'Remove an extra replica that has had no request for this long (default 10s).',
    execConcurrency: 'Engine cap on overlapping executions per GPU; 0 = one per batch thread (default).',
  },
  triton: {
    maxBatchSize: 'max_batch_size: largest batch, capped at the model\'s largest supported size (default 8).',
    preferredBatchSizes: 'preferred_batch_size: sizes sent at once when reached, each <= maxBatchSize (default none).',
    maxQueueDelay: 'max_queue_delay_microseconds: how long the oldest request may wait for a batch to fill (default 0).',
    defaultTimeout: 'default_timeout_microseconds: reject a request that has waited this long in the queue; 0 = never (default).',
    maxQueueSize: 'max_queue_size: reject arrivals at a queue this long; 0 = unbounded (default).',
    instanceCount: 'instance_group.count: instances of each model per GPU holding it, each running one batch at a time (default 1).',
    replicas: 'GPUs each model is loaded on; 0 = every GPU (default).',
    execConcurrency: 'Engine cap on overlapping executions per GPU; 0 = one per instance (default).',
  },
};

/** Fields every workload has (README.md, "`workload`"). */
export const WORKLOAD_COMMON_DOCS: Readonly<Record<string, string>> = {
  type: 'Workload type (servesim list --what workloads).',
  name: 'Group label in results (default: the type, or type#i when there are several workloads).',
  slo: 'A request is ok when it completes by its arrival at the controller + slo (default 100ms).',
  sloFactor: 'SLO as a multiple of the model\'s batch-1 execution time (overrides slo).',
  models: 'Instances this workload sends to: instance names, profile model names, or globs with "*" (default: all).',
};

/** Workload type -> option -> description. */
export const WORKLOAD_OPTION_DOCS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  poisson: {
    rate: 'Total arrival rate over the target models, per second ("200/s", "12/min" or a number); each arrival goes to a uniformly chosen target.',
    ratePerModel: 'Arrival rate of each target model (instead of rate); the total is this times the number of targets.',
  },
  'closed-loop': {
    concurrency: 'Clients per target model, each sending its next request when the previous one is answered (default 1; 0 = none).',
    thinkTime: 'Time between a response and the client\'s next request (default 0).',
    thinkDistribution: '"constant" think time, or "exponential" with thinkTime as the mean (default "constant").',
  },
  'azure-2019': {
    dir: 'Directory holding invocations_per_function_md.anon.dNN.csv day files (with days).',
    files: 'Invocation day files replayed in this order (instead of dir and days).',
    days: 'Day numbers (1..14) read from dir, replayed in this order (default 1).',
    startMinute: 'First replayed minute, counted from midnight of the first day, 0-based (default 0).',
    minutes: 'Minutes replayed (default: until the experiment ends, wrapping around after the last day).',
    topN: 'Keep only the N functions with the most invocations.',
    mapping: 'Functions to models: "contiguous" (Clockwork: function i of F to model floor(M i / F); default), "stripe" or seeded "random".',
    scale: 'Multiplies every minute\'s count (default 1, or loadFactor x perWorker x workers when loadFactor is given).',
    loadFactor: 'Clockwork\'s load factor: a number, or a ramp { start, factor, every, max } (fig11).',
    perWorker: 'Clockwork\'s per-worker factor in scale = loadFactor x perWorker x workers (default 0.125).',
    workers: 'Clockwork\'s num_workers in scale = loadFactor x perWorker x workers (default: the cluster\'s workers).',
    spread: 'How a minute\'s requests spread inside it: "poisson" (default, gaps carried across minutes as Clockwork), "uniform", "even" or "gamma" (with cv).',
    cv: 'Coefficient of variation of the gaps for spread "gamma".',
    timeCompression: 'Replay this many trace minutes per simulated minute (default 1).',
  },
  'azure-2021': {
    file: 'The per-invocation trace file (AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt or a sample).',
    start: 'Trace time replayed first, e.g. "0s" or "36h" (default 0).',
    length: 'How much trace time to replay (default: to the end of the trace or of the experiment).',
    topN: 'Keep only the N functions with the most invocations.',
    mapping: 'Functions to models: "contiguous" (default), "stripe" or seeded "random".',
    timeCompression: 'Replay this many seconds of trace per simulated second (default 1).',
  },
  timestamps: {
    file: 'CSV file of per-request timestamps (absolute date-times or relative numbers).',
    column: 'The timestamp column, by header name or 0-based index (default 0).',
    header: 'Whether the first line is a header (default true).',
    format: '"datetime" (absolute date-times), "number" (relative numbers) or "auto", decided from the first value (default).',
    unit: 'Unit of relative numbers: "s" (default), "ms", "us" or "ns".',
    assign: 'How requests go to the target models: "round-robin" (default), seeded "random", or "column" (by modelColumn).',
    modelColumn: 'With assign "column": the column naming each request\'s model, by header name or 0-based index.',
    timeCompression: 'Replay this many seconds of trace per simulated second (default 1).',
    start: 'Trace time to skip from the earliest timestamp, before timeCompression (plain numbers are seconds; default 0).',
    length: 'Replay only this much trace time after start; a request exactly at the end is left out (plain numbers are seconds).',
    loop: 'Replay the window again, back to back, until the run ends (default false).',
    loopGap: 'With loop and no length: time from the last replayed request to the first of the next pass (default the mean gap between replayed requests).',
  },
  'bursty-activation': {
    majorRate: 'Total rate shared evenly among the active major models (default 1000/s).',
    minorRate: 'Rate of each minor model (default 200/s).',
    minorCount: 'How many of the targets are minor models; the rest are major (default 1).',
    minorPosition: 'Whether the minor models are the "first" or the "last" targets (default "last").',
    interval: 'One more major model becomes active every interval (default 1s).',
    leadIn: 'Time before the first major model becomes active; minors run from time 0 (default 0).',
    order: 'Majors activate in target order ("sequential", default) or in a seeded "random" order.',
  },
  'slo-ramp': {
    rate: 'Total Poisson rate over the target models (each arrival to a uniformly drawn target).',
    ramp: 'Each request\'s SLO factor (x its model\'s batch-1 estimate): starts at ramp.start, multiplied by ramp.factor every ramp.every up to ramp.max (ramp.repeat: start over).',
  },
};

/**
 * The config's own fields, by dotted path (`models.profile`: a field of each entry of `models`);
 * README.md, "Experiment configs", has them at length.
 */
export const CONFIG_FIELD_DOCS: Readonly<Record<string, string>> = {
  $schema: 'Path of this JSON Schema, for editors (e.g. "../docs/experiment.schema.json"); ignored by servesim.',
  name: 'Experiment name: letters, digits, ".", "_", "-"; names the default output directory results/<name>.',
  description: 'Free text.',
  seed: 'Every random stream derives from it (default 1).',
  seeds: 'Runs per configuration: N >= 2 adds a sweep dimension "seed" = seed, seed + 1, ..., seed + N - 1; index-configs.csv/json and compare give the mean and 95% confidence interval over them (README.md, "Seeds and confidence intervals"). Default 1.',
  duration: 'Simulated time during which workloads send requests, e.g. "60s" (at most "30d").',
  warmup: 'Requests sent before this are excluded from every metric; must be less than duration (default 0).',
  drain: 'Extra simulated time after duration for outstanding requests to finish (default "10s").',
  cluster: 'The simulated workers and GPUs (README.md, "cluster").',
  'cluster.profile': 'Hardware profile path, relative to the working directory, the config\'s directory or the package (e.g. "hw-profiles/v100-clockwork.json").',
  'cluster.workers': 'Worker hosts (default 1).',
  'cluster.gpusPerWorker': 'GPUs per worker (default 1).',
  'cluster.pageSize': 'Override the profile\'s weight-cache page size.',
  'cluster.weightsMemory': 'Override the profile\'s weight cache per GPU (pages = floor(weightsMemory / pageSize)).',
  'cluster.network': 'Client <-> controller <-> worker links.',
  'cluster.network.clientLatency': 'One-way client <-> controller latency (default "50us").',
  'cluster.network.clientBandwidth': 'Client <-> controller bandwidth (default 10 Gbit/s).',
  'cluster.network.workerLatency': 'One-way controller <-> worker latency (default "50us").',
  'cluster.network.workerBandwidth': 'Controller <-> worker bandwidth (default 10 Gbit/s).',
  'cluster.network.inferInputs': 'Bytes an INFER carries to the worker: "raw" (default), "none" (inputs generated on the worker) or { "compressed": ratio }.',
  'cluster.network.nic': 'The controller\'s concurrent sends share one NIC ("shared", default) or each get the full bandwidth ("perSend").',
  'cluster.inputLead': 'How far before its window an INFER\'s input copy may start (default "5ms").',
  'cluster.executor': '"lanes" (default): a GPU\'s LOADs, input copies, executions and output copies use separate lanes in parallel (Clockwork\'s worker); "serial": a GPU does one thing at a time, as live mode\'s executors (docs/live.md).',
  'cluster.interference': 'Override the profile\'s device.interference: { "speedup": [...], "extraCv": ... }.',
  models: 'Model instances: [{ "profile": NAME or "*", "copies": N }].',
  'models.profile': 'A model name of the hardware profile, or "*" for every model in it.',
  'models.copies': 'Instances of this model (default 1).',
  'models.name': 'Instance name prefix (default: the profile model\'s name).',
  'models.exclude': 'With "*": profile model names or globs to leave out.',
  output: 'What a run writes besides the summary (README.md, "Top level").',
  'output.dir': 'Output directory (default results/<name>).',
  'output.requests': 'Also write requests.csv, one line per request (default false).',
  'output.charts': 'Charts drawn at the end of the run into <dir>/charts: true for all that apply, or a list of chart names (default false).',
  'output.chartOptions': 'How those charts are drawn, as the `servesim plot` options of the same names (default: PNG, 1000 x 600, 12 px fonts, automatic scales, unanswered requests at +infinity).',
  'output.chartOptions.formats': 'Image formats: any of "png" (default), "svg", "pdf"; a CSV of the plotted data is always written beside.',
  'output.chartOptions.width': 'Image width in pixels (PDF/SVG: points) (default 1000).',
  'output.chartOptions.height': 'Image height in pixels (PDF/SVG: points) (default 600).',
  'output.chartOptions.fontSize': 'Base font size: ticks, legend, subtitle; titles scale with it (default 12).',
  'output.chartOptions.xScale': 'Latency charts\' x axis: "auto" (default: log when the latencies span more than 20x; the tail chart linear), "log" or "linear".',
  'output.chartOptions.yScale': 'Latency charts\' y axis: "auto" (default: CDF linear, tail log), "log" or "linear".',
  'output.chartOptions.excludeMissed': 'Latency charts: leave out requests that got no answer (timed out, rejected, failed, unfinished) instead of counting them at +infinity (default false).',
  metrics: 'How metrics are measured.',
  'metrics.window': 'Window of timeseries.csv (default "1s").',
  'metrics.measureAt': 'Where a request completes, for ok vs late and latency: "controller" (default, Clockwork\'s metric) or "client".',
  sweep: 'Grid { "dotted.path": [values] } (every combination) or a list of points [{ "path": value, ... }] (README.md, "Sweeps").',
};
