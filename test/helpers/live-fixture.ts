/**
 * The tiny model live tests run for real (a zoo ResNet at 32x32, width 8: milliseconds per batch),
 * its made-up profile, and a 1-second config over two copies of it (test/live.test.ts,
 * test/fidelity.test.ts).
 */
import type { ProfileJson } from '../../src/models/profile.js';

export const TINY_SOURCE = { zoo: 'resnet18', seed: '1', options: { image: 32, width: 8, classes: 10 } };

/** A CPU profile with one model, "tiny", built from `source` (none: a model live cannot rebuild). */
export function tinyLiveProfileJson(source: unknown = TINY_SOURCE, provenance?: Record<string, unknown>): ProfileJson {
  const ms = (x: number) => ({ percentiles: { '0': x * 0.9, '50': x, '100': x * 1.5 } });
  return {
    format: 'servesim-hw-profile',
    version: 1,
    device: {
      name: 'test cpu',
      kind: 'cpu',
      weightsMemory: '64MiB',
      pageSize: '1MiB',
      pcie: { bandwidth: '5GB/s', latency: '1us' },
    },
    provenance: { source: 'test fixture (made-up figures)' },
    models: {
      tiny: {
        weightsBytes: 2_000_000,
        inputBytes: 3 * 32 * 32 * 4,
        outputBytes: 40,
        batchSizes: [1, 2, 4],
        exec: { '1': ms(2), '2': ms(3), '4': ms(5) },
        load: ms(20),
        ...(source ? { source } : {}),
        ...(provenance ? { provenance } : {}),
      } as ProfileJson['models'][string],
    },
  } as ProfileJson;
}

/** One second of Poisson arrivals (40/s, 300 ms SLO) over two copies of "tiny" on one executor. */
export function tinyLiveConfig(name: string, profilePath: string, scheduler: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    seed: 3,
    duration: '1s',
    warmup: '200ms',
    drain: '3s',
    cluster: { profile: profilePath, workers: 1, gpusPerWorker: 1 },
    models: [{ profile: 'tiny', copies: 2 }],
    workload: { type: 'poisson', rate: 40, slo: '300ms' },
    scheduler: { type: scheduler },
    ...more,
  };
}
