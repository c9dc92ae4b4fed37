/**
 * Parsing quantities with units: durations ("250us", "5ms", "8h"), sizes ("16MiB", "602kB"),
 * rates ("200/s", "5/min") and bandwidths ("12.3GB/s", "10Gbit/s") into plain numbers (ns, bytes,
 * 1/s, bytes/s), each within its range of src/sim/time.ts. Parsing lives here, once.
 */
import { DAY, HOUR, MAX_BANDWIDTH, MAX_DURATION, MAX_RATE, MAX_SIZE, MIN, MS, NS, SEC, US, type Nanos } from '../sim/time.js';

/** The ranges as people read them, for messages and docs. */
export const RANGE_TEXT = {
  duration: { positive: 'between 1ns and 30d', nonNegative: 'between 0 and 30d' },
  size: { positive: 'between 1 B and 1 PiB', nonNegative: 'between 0 and 1 PiB' },
  rate: { positive: 'above 0 and at most 1e9/s', nonNegative: 'between 0 and 1e9/s' },
  bandwidth: { positive: 'between 1 B/s and 1 PB/s', nonNegative: 'between 1 B/s and 1 PB/s' },
} as const;

/**
 * A quantity that parsed but lies outside its range (or overflowed to Infinity, as "1e999s" does).
 * Its message says the range; `kind` says which quantity.
 */
export class QuantityRangeError extends Error {
  constructor(
    readonly kind: keyof typeof RANGE_TEXT,
    readonly value: string | number,
  ) {
    super(`expected a ${kind} ${RANGE_TEXT[kind].nonNegative}, found ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
    this.name = 'QuantityRangeError';
  }
}

function bounded(kind: keyof typeof RANGE_TEXT, value: string | number, n: number, max: number): number {
  if (!Number.isFinite(n) || Math.abs(n) > max) throw new QuantityRangeError(kind, value);
  return n;
}

const DURATION_UNITS: Record<string, number> = {
  ns: NS,
  us: US,
  µs: US,
  ms: MS,
  s: SEC,
  m: MIN,
  min: MIN,
  h: HOUR,
  d: DAY,
};

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const QUANTITY = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-zµ]*)\s*$/i;
const NUMBER = /^[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?$/i;

/**
 * Longest quantity string parsed. Longer ones are refused before any pattern is tried: the
 * patterns backtrack quadratically on a long run of digits (40,000 took 8 s), and no real
 * quantity is longer than a few dozen characters.
 */
const MAX_QUANTITY_LENGTH = 100;
/** `value` if short enough to parse, else "" (which no pattern matches). */
const capped = (value: string): string => (value.length > MAX_QUANTITY_LENGTH ? '' : value);
/** `value` quoted for a message, cut to 60 characters. */
const shown = (value: string): string => JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);

/**
 * Parse "250us", "5ms", "1.5s", "15m", "8h" into integer nanoseconds. Numbers are taken in
 * `plainUnit`. Throws QuantityRangeError beyond +-MAX_DURATION (or on overflow to Infinity).
 */
export function parseDuration(value: string | number, plainUnit: number = MS): Nanos {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new Error(`expected a duration, found ${value}`);
    return bounded('duration', value, Math.round(value * plainUnit), MAX_DURATION);
  }
  const m = QUANTITY.exec(capped(value));
  if (!m) throw new Error(`expected a duration such as "5ms", "250us" or "15m", found ${shown(value)}`);
  const unit = m[2].toLowerCase();
  const scale = unit === '' ? plainUnit : DURATION_UNITS[unit];
  if (scale === undefined) {
    throw new Error(`unknown duration unit "${m[2]}" in "${value}" (use ns, us, ms, s, m, h or d)`);
  }
  return bounded('duration', value, Math.round(Number(m[1]) * scale), MAX_DURATION);
}

/** Parse "16MiB", "21.5GiB", "602kB" into bytes. Numbers are bytes. Throws QuantityRangeError beyond MAX_SIZE. */
export function parseSize(value: string | number): number {
  return bounded('size', value, sizeBytes(value), MAX_SIZE);
}

/** A size in bytes, unbounded (Infinity on overflow). */
function sizeBytes(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new Error(`expected a size, found ${value}`);
    return Math.round(value);
  }
  const m = QUANTITY.exec(capped(value));
  if (!m) throw new Error(`expected a size such as "16MiB" or "602kB", found ${shown(value)}`);
  const unit = m[2].toLowerCase();
  const scale = unit === '' ? 1 : SIZE_UNITS[unit];
  if (scale === undefined) {
    throw new Error(`unknown size unit "${m[2]}" in "${value}" (use B, kB, MB, GB, KiB, MiB or GiB)`);
  }
  return Math.round(Number(m[1]) * scale);
}

/** Parse a rate: a number (per second) or "200/s", "12000/min", "1/h". Returns events per second (at most MAX_RATE). */
export function parseRate(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new Error(`expected a rate, found ${value}`);
    return bounded('rate', value, value, MAX_RATE);
  }
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(?:\/\s*([a-z]+))?\s*$/i.exec(capped(value));
  if (!m) throw new Error(`expected a rate such as 200 or "200/s" or "5/min", found ${shown(value)}`);
  const per = (m[2] ?? 's').toLowerCase();
  const scale = DURATION_UNITS[per];
  if (scale === undefined) throw new Error(`unknown rate unit "/${m[2]}" in "${value}"`);
  return bounded('rate', value, Number(m[1]) * (SEC / scale), MAX_RATE);
}

/**
 * Parse a bandwidth: bytes per second as a number, or "12.3GB/s", "10Gbit/s", "1.25GB". Throws
 * QuantityRangeError beyond MAX_BANDWIDTH (the lower bound, MIN_BANDWIDTH, is the caller's check).
 */
export function parseBandwidth(value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new Error(`expected a bandwidth, found ${value}`);
    return bounded('bandwidth', value, value, MAX_BANDWIDTH);
  }
  if (value.length > MAX_QUANTITY_LENGTH) throw new Error(`expected a bandwidth such as "12.3GB/s" or "10Gbit/s", found ${shown(value)}`);
  const m = /^\s*(.+?)\s*(?:\/\s*s)?\s*$/i.exec(value);
  const body = m ? m[1] : value;
  const bits = /^(.*?)(k|m|g|t)?bit$/i.exec(body.replace(/\s+/g, ''));
  if (bits) {
    const scale = { k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[(bits[2] ?? '').toLowerCase() as 'k'] ?? 1;
    if (!NUMBER.test(bits[1])) throw new Error(`expected a bandwidth such as "12.3GB/s" or "10Gbit/s", found "${value}"`);
    return bounded('bandwidth', value, (Number(bits[1]) * scale) / 8, MAX_BANDWIDTH);
  }
  let bytes: number;
  try {
    bytes = sizeBytes(body);
  } catch {
    throw new Error(`expected a bandwidth such as "12.3GB/s" or "10Gbit/s", found "${value}"`);
  }
  return bounded('bandwidth', value, bytes, MAX_BANDWIDTH);
}
