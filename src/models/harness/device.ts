/**
 * The device section of a measured profile: what the machine is, and the host->device transfer
 * model (the "pcie" link of the simulator).
 *
 * CPU: there is no PCIe transfer to load weights; what stands in for it is a host memory copy, so
 * the bandwidth is a measured memcpy bandwidth (median of several copies of a large buffer) and
 * the latency a nominal 1 us. Interference defaults to speedup [1], labelled "assumed" (with the
 * intra-op threads using every core, two overlapping executions take as long in total as running
 * them one after another); `servesim profile --interference` measures it instead (interference.ts).
 *
 * CUDA: name, memory and driver from nvidia-smi; bandwidth and latency fitted to the time of
 * running a probe model (large float input copied to the GPU, scalar output) at several sizes.
 */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import * as ort from 'onnxruntime-node';
import { parseSize, QuantityRangeError, RANGE_TEXT } from '../../util/units.js';
import type { ProfileJson } from '../profile.js';
import { UserError } from '../../util/errors.js';
import { createSession, probeModelBytes, type RuntimeOptions } from './runtime.js';
import { median } from './stats.js';

export const CPU_TRANSFER_LATENCY = '1us';

/** A CUDA device as nvidia-smi reports it (not the simulated GPU: that is src/sim's GpuInfo). */
export interface CudaDevice {
  readonly name: string;
  readonly memoryBytes: number;
  readonly driver: string;
}

function nvidiaSmi(args: string[]): string | undefined {
  try {
    return execFileSync('nvidia-smi', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return undefined;
  }
}

/** GPU `index` as nvidia-smi reports it, or undefined without nvidia-smi. */
export function cudaDevice(index: number): CudaDevice | undefined {
  const out = nvidiaSmi(['--query-gpu=name,memory.total,driver_version', '--format=csv,noheader,nounits', `--id=${index}`]);
  const line = out?.trim().split('\n')[0];
  if (!line) return undefined;
  const [name, mib, driver] = line.split(',').map((s) => s.trim());
  return { name, memoryBytes: Number(mib) * 2 ** 20, driver };
}

/** GPU memory (bytes) this process holds, per nvidia-smi; undefined when it cannot be read. */
export function gpuMemoryOfThisProcess(): number | undefined {
  const out = nvidiaSmi(['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits']);
  if (out === undefined) return undefined;
  for (const line of out.trim().split('\n')) {
    const [pid, mib] = line.split(',').map((s) => s.trim());
    if (Number(pid) === process.pid) return Number(mib) * 2 ** 20;
  }
  return 0;
}

/** Median bandwidth (bytes/s) of copying a `bytes`-sized buffer in host memory. */
export function memcpyBandwidth(bytes = 256 * 2 ** 20, repeats = 5): number {
  const src = Buffer.alloc(bytes, 1);
  const dst = Buffer.alloc(bytes);
  src.copy(dst); // touch every page first
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    src.copy(dst);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return bytes / median(times);
}

/** Median time (ms) to run the probe on `floats` values; the input copy dominates when large. */
async function probeRun(session: ort.InferenceSession, floats: number, repeats: number): Promise<number[]> {
  const x = new ort.Tensor('float32', new Float32Array(Math.max(1, floats)).fill(0.5), [Math.max(1, floats)]);
  await session.run({ x });
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    await session.run({ x });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times;
}

/** A session of the probe model on the given provider, for host->device transfer measurements. */
export class TransferProbe {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** Median time of a probe run with a one-element input (ms): the fixed cost of a run. */
    readonly baseMs: number,
  ) {}

  static async open(o: RuntimeOptions): Promise<TransferProbe> {
    const { session } = await createSession(probeModelBytes(), o, 'transfer probe');
    return new TransferProbe(session, median(await probeRun(session, 1, 20)));
  }

  /** Times (ms) to move `bytes` to the device, the fixed cost of a run subtracted. */
  async transferTimes(bytes: number, repeats: number): Promise<number[]> {
    const t = await probeRun(this.session, Math.ceil(bytes / 4), repeats);
    return t.map((v) => Math.max(v - this.baseMs, 1e-4));
  }

  /** Bandwidth (bytes/s) and latency (ms) of a least-squares line through transfers of 16..256 MiB. */
  async fit(): Promise<{ bandwidth: number; latencyMs: number }> {
    const xs: number[] = [];
    const ys: number[] = [];
    for (const mib of [16, 64, 128, 256]) {
      xs.push(mib * 2 ** 20);
      ys.push(median(await this.transferTimes(mib * 2 ** 20, 5)));
    }
    const mx = xs.reduce((a, b) => a + b) / xs.length;
    const my = ys.reduce((a, b) => a + b) / ys.length;
    let num = 0;
    let den = 0;
    for (let i = 0; i < xs.length; i++) {
      num += (xs[i] - mx) * (ys[i] - my);
      den += (xs[i] - mx) ** 2;
    }
    const slope = num / den; // ms per byte
    return { bandwidth: 1000 / slope, latencyMs: Math.max(my - slope * mx, 0.001) };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** A positive size option ("16MiB", "602kB", bytes) within the size range, or a one-line error naming `flag`. */
export function parseSizeOption(flag: string, spec: string): number {
  let n: number;
  try {
    n = parseSize(spec);
  } catch (e) {
    if (e instanceof QuantityRangeError) throw new UserError(`${flag}: expected a size ${RANGE_TEXT.size.positive}, found "${spec}"`);
    throw new UserError(`${flag}: expected a size such as "16MiB", "602kB" or a number of bytes, found "${spec}"`);
  }
  if (!(n >= 1)) throw new UserError(`${flag}: expected a size ${RANGE_TEXT.size.positive}, found "${spec}"`);
  return n;
}

/** --weights-memory: a fraction of the device memory ("50%") or a size ("8GiB"), checked before anything is measured. */
export function parseWeightsMemory(spec: string): { fraction: number } | { bytes: number } {
  if (spec.length > 100) throw new UserError(`--weights-memory: expected a size such as "8GiB" or a percentage such as "50%", found ${JSON.stringify(spec.slice(0, 57) + '...')}`);
  const pct = /^\s*([0-9]*\.?[0-9]+)\s*%\s*$/.exec(spec);
  if (pct) {
    const f = Number(pct[1]) / 100;
    if (!(f > 0 && f <= 1)) throw new UserError(`--weights-memory: expected a percentage in (0, 100], found "${spec}"`);
    return { fraction: f };
  }
  if (/%/.test(spec)) throw new UserError(`--weights-memory: expected a percentage such as "50%", found "${spec}"`);
  try {
    return { bytes: parseSizeOption('--weights-memory', spec) };
  } catch (e) {
    throw new UserError(`${(e as Error).message} (or a percentage of the device memory such as "50%")`);
  }
}

/** "50%" of `total`, or a size such as "8GiB". */
export function resolveWeightsMemory(spec: string, total: number): number {
  const w = parseWeightsMemory(spec);
  return 'bytes' in w ? w.bytes : Math.floor(total * w.fraction);
}

/**
 * The weight cache of the described device must fit in its memory and hold at least one page:
 * checked as soon as the device is known, before any model is measured.
 */
function checkDeviceMemory(o: DeviceOptions, memory: number | undefined): number {
  const weightsMemory = resolveWeightsMemory(o.weightsMemory, memory ?? 0);
  if (memory !== undefined && weightsMemory > memory) {
    throw new UserError(`--weights-memory: expected at most the device memory (${memory} bytes), found "${o.weightsMemory}" (${weightsMemory} bytes)`);
  }
  const pageSize = parseSizeOption('--page-size', o.pageSize);
  if (pageSize > weightsMemory) {
    throw new UserError(`--page-size: expected at most the weights memory (--weights-memory ${o.weightsMemory}: ${weightsMemory} bytes), found "${o.pageSize}"`);
  }
  return weightsMemory;
}

export interface DeviceOptions extends RuntimeOptions {
  /** Overrides the device name. */
  readonly name?: string;
  readonly weightsMemory: string;
  readonly pageSize: string;
  /** Buffer size of the CPU memcpy measurement. */
  readonly memcpyBytes?: number;
}

function formatBandwidth(bytesPerSec: number): string {
  return `${(bytesPerSec / 1e9).toPrecision(4)}GB/s`;
}

/** The device section (JSON as written in the profile) for the provider in `o`. */
export async function describeDevice(o: DeviceOptions): Promise<ProfileJson['device']> {
  const cpuList = cpus();
  const cpuModel = cpuList[0]?.model.trim() ?? 'unknown CPU';
  const host = { cpuModel, logicalCores: cpuList.length, hostMemoryBytes: totalmem(), platform: `${process.platform}/${process.arch}` };
  parseSizeOption('--page-size', o.pageSize);
  if (o.provider === 'cpu') {
    const weightsMemory = checkDeviceMemory(o, totalmem());
    const bw = memcpyBandwidth(o.memcpyBytes);
    return {
      name: o.name ?? `${cpuModel} (${cpuList.length} logical cores)`,
      kind: 'cpu',
      memory: totalmem(),
      weightsMemory,
      pageSize: o.pageSize,
      pcie: { bandwidth: formatBandwidth(bw), latency: CPU_TRANSFER_LATENCY },
      interference: { speedup: [1], extraCv: 0, source: 'assumed' },
      details: { ...host, intraOpThreads: o.threads, transfer: 'host memcpy (measured), nominal latency' },
    };
  }
  const gpu = cudaDevice(o.deviceId);
  const memory = gpu?.memoryBytes;
  if (memory === undefined && /%/.test(o.weightsMemory)) {
    throw new UserError('nvidia-smi is not available to read the GPU memory; give --weights-memory as a size (e.g. "20GiB")');
  }
  const weightsMemory = checkDeviceMemory(o, memory);
  const probe = await TransferProbe.open(o);
  try {
    const fit = await probe.fit();
    return {
      name: o.name ?? gpu?.name ?? `CUDA device ${o.deviceId}`,
      kind: 'gpu',
      ...(memory !== undefined ? { memory } : {}),
      weightsMemory,
      pageSize: o.pageSize,
      pcie: { bandwidth: formatBandwidth(fit.bandwidth), latency: `${(fit.latencyMs * 1000).toFixed(1)}us` },
      interference: { speedup: [1], extraCv: 0, source: 'assumed' },
      details: { ...host, cudaDevice: o.deviceId, ...(gpu ? { driver: gpu.driver } : {}), transfer: 'probe model, host->device copy of a float32 input (fitted line, 16..256 MiB)' },
    };
  } finally {
    await probe.release();
  }
}
