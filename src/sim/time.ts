/**
 * Simulated time is an integer number of nanoseconds held in a JS number (exact to ~104 days).
 * Durations and sizes in configs are strings with units ("250us", "5ms", "8h", "16MiB") or plain
 * numbers in a documented unit, parsed by src/util/units.ts within the ranges defined here.
 */

export type Nanos = number;

export const NS = 1;
export const US = 1_000;
export const MS = 1_000_000;
export const SEC = 1_000_000_000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/*
 * Ranges of every quantity a config or profile may give (README.md, "Experiment configs"). They
 * keep derived values finite and exact: simulated time is integer nanoseconds, exact up to 2^53 ns
 * (~104 days), and with every duration at most 30 days, any sum of three of them (duration +
 * drain + an SLO, say) is still exact.
 */
/** Longest duration accepted anywhere: 30 days. */
export const MAX_DURATION: Nanos = 30 * DAY;
/** Largest size accepted anywhere: 1 PiB (2^50 bytes, an exact integer). */
export const MAX_SIZE = 2 ** 50;
/** Highest rate accepted anywhere: one event per nanosecond (1e9 per second). */
export const MAX_RATE = 1e9;
/** Bandwidths accepted anywhere: from 1 B/s to 1 PB/s. */
export const MIN_BANDWIDTH = 1;
export const MAX_BANDWIDTH = 1e15;

/** Human-readable duration: picks the largest unit that keeps the value >= 1. */
export function formatDuration(ns: Nanos): string {
  const a = Math.abs(ns);
  if (a >= HOUR) return `${+(ns / HOUR).toFixed(3)}h`;
  if (a >= MIN) return `${+(ns / MIN).toFixed(3)}m`;
  if (a >= SEC) return `${+(ns / SEC).toFixed(3)}s`;
  if (a >= MS) return `${+(ns / MS).toFixed(3)}ms`;
  if (a >= US) return `${+(ns / US).toFixed(3)}us`;
  return `${ns}ns`;
}
