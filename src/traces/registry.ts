/**
 * The workload registry: each workload type has a strict zod schema for its own options and a
 * factory. Common fields (type, name, slo, sloFactor, models) are handled by the experiment config.
 */
import { z } from 'zod';
import { Registry } from '../util/registry.js';
import type { HardwareProfile } from '../models/profile.js';
import type { ModelInstance } from '../sim/types.js';
import type { Workload } from '../sim/workload.js';

export interface WorkloadEnv {
  /** Directory of the experiment config file: relative trace paths resolve against it first, then cwd. */
  readonly configDir: string;
  readonly models: readonly ModelInstance[];
  readonly profile: HardwareProfile;
  /** The experiment's duration (ns). */
  readonly duration: number;
  /** Number of GPUs in the cluster (some traces scale with it). */
  readonly gpus: number;
  readonly workers: number;
}

export interface WorkloadType<S extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly description: string;
  /** Strict object schema of the type's own options (without the common fields), with defaults. */
  readonly options: S;
  create(options: z.output<S>, env: WorkloadEnv): Workload;
  /**
   * Checks of the options against the models the workload sends to, made when the config is
   * resolved so that the error names the file and field: the path below the workload and what is
   * wrong, or null.
   */
  checkTargets?(options: z.output<S>, targets: number): { path: readonly string[]; message: string } | null;
}

const registry = new Registry<WorkloadType>('workload');

export function registerWorkload<S extends z.ZodObject>(t: WorkloadType<S>): void {
  registry.register(t as unknown as WorkloadType);
}

export function getWorkload(name: string): WorkloadType | undefined {
  return registry.get(name);
}

export function workloadNames(): string[] {
  return registry.names();
}
