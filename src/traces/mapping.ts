/**
 * Mapping trace functions onto model instances. Functions are first ranked by total invocations
 * (descending; ties by id, so the ranking never depends on file order), then:
 * - `contiguous` (Clockwork): function of rank i of F goes to target floor(M * i / F), so the
 *   busiest functions share the first models;
 * - `stripe`: rank i goes to target i mod M (round-robin);
 * - `random`: each function goes to a uniformly drawn target (seeded stream).
 */
import { z } from 'zod';
import type { Rng } from '../sim/random.js';
import { F64Vec } from './csv.js';

export const MappingSchema = z.enum(['contiguous', 'stripe', 'random']);
export type Mapping = z.output<typeof MappingSchema>;

/** Indices 0..n-1 ordered by `totals` descending, ties broken by `ids` ascending. */
export function rankByTotal(totals: ArrayLike<number>, ids: readonly string[]): Int32Array {
  const order = Int32Array.from({ length: totals.length }, (_, i) => i);
  order.sort((a, b) => totals[b] - totals[a] || (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  return order;
}

/** For each rank 0..F-1, the index (0..M-1) of the target it maps to. */
export function mapRanks(functions: number, targets: number, mapping: Mapping, rng?: Rng): Int32Array {
  if (targets <= 0) throw new Error('no target models to map trace functions to');
  const out = new Int32Array(functions);
  for (let i = 0; i < functions; i++) {
    switch (mapping) {
      case 'contiguous':
        out[i] = Math.floor((targets * i) / functions);
        break;
      case 'stripe':
        out[i] = i % targets;
        break;
      case 'random':
        if (!rng) throw new Error('random mapping needs a random stream');
        out[i] = rng.int(targets);
        break;
    }
  }
  return out;
}

/** Function ids in order of first appearance, with a running total per function. */
export class FunctionIndex {
  private readonly index = new Map<string, number>();
  readonly ids: string[] = [];
  readonly totals = new F64Vec();

  /** The function's index, registering it (total 0) on first sight. */
  idOf(key: string): number {
    let f = this.index.get(key);
    if (f === undefined) {
      f = this.ids.length;
      this.index.set(key, f);
      this.ids.push(key);
      this.totals.push(0);
    }
    return f;
  }
}
