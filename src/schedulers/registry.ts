/**
 * The scheduler registry: every policy is a named entry with a strict zod schema for its options
 * (defaults documented there) and a factory. `servesim list` and the config validator read it.
 */
import { z } from 'zod';
import { Registry } from '../util/registry.js';
import type { Scheduler } from '../sim/types.js';

export interface SchedulerType<S extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly description: string;
  /** Strict object schema of the options (without `type`), with defaults. */
  readonly options: S;
  create(options: z.output<S>): Scheduler;
  /** What the policy asks of the engine (defaults: one execution at a time, unlimited sends). */
  engine?(options: z.output<S>): EngineRequirements;
}

export interface EngineRequirements {
  /** Executions that may overlap on one GPU (processor sharing with the profile's interference). */
  execConcurrency?: number;
  /** Controller-wide concurrent network sends to workers (0 = unlimited). */
  sendConcurrency?: number;
}

const registry = new Registry<SchedulerType>('scheduler');

export function registerScheduler<S extends z.ZodObject>(t: SchedulerType<S>): void {
  registry.register(t as unknown as SchedulerType);
}

export function getScheduler(name: string): SchedulerType | undefined {
  return registry.get(name);
}

export function schedulerNames(): string[] {
  return registry.names();
}
