/** The execution-concurrency option shared by the policies that let executions overlap on a GPU. */
import { z } from 'zod';
import { MAX_COUNT } from '../util/units-zod.js';
import type { EngineRequirements } from './registry.js';

/**
 * Engine cap on executions overlapping on one GPU (processor sharing with the profile's
 * interference speed-up and extra variability); 0 = no cap beyond what the policy itself allows
 * (one batch per container / instance / batch thread).
 */
export const execConcurrencyOption = z.number().int().nonnegative().max(MAX_COUNT).default(0);

const UNCAPPED = Number.MAX_SAFE_INTEGER;

export function execEngine(execConcurrency: number): EngineRequirements {
  return { execConcurrency: execConcurrency === 0 ? UNCAPPED : execConcurrency };
}
