/**
 * The engine's view of a hardware profile: only what the simulated workers and the controller read.
 * Profiles are parsed and validated elsewhere (src/models/profile.ts, whose resolved types extend
 * these); the engine never sees the file format.
 */
import type { Empirical } from './random.js';
import type { Nanos } from './time.js';

/** A model's measured behaviour on the device (durations in integer nanoseconds). */
export interface ModelHardware {
  /** The profile's model name (e.g. resnet50_v2; instances are named in ModelInstance.name). */
  readonly name: string;
  readonly inputBytes: number;
  readonly outputBytes: number;
  /** Supported batch sizes, ascending (an INFER runs at the smallest one that fits it). */
  readonly batchSizes: readonly number[];
  /** exec.get(b): the batch-b execution duration (sampled per execution; its median is the batch-1 SLO basis). */
  readonly exec: ReadonlyMap<number, Empirical>;
  /**
   * firstExec.get(b): the duration of the first batch-b execution after each LOAD (and after the
   * start, for a model placed there), where the profile measured one; absent: as `exec`.
   */
  readonly firstExec?: ReadonlyMap<number, Empirical>;
  /** Weights transfer (LOAD) duration. */
  readonly load: Empirical;
}

/** The device's copy engine and the interference of overlapping executions. */
export interface DeviceHardware {
  /** Host <-> device copies (inputs, outputs): latency + bytes / bandwidth (bytes/s). */
  readonly pcieBandwidth: number;
  readonly pcieLatency: Nanos;
  /**
   * speedup[k-1]: aggregate throughput of k overlapping executions relative to one (the last value
   * repeats); extraCv: extra variability of an execution that starts while others run.
   */
  readonly interference: { readonly speedup: readonly number[]; readonly extraCv: number };
}

/** What the engine reads of a whole hardware profile. */
export interface Hardware {
  readonly device: DeviceHardware;
}
