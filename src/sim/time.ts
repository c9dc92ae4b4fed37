/**
 * Simulated time is an integer number of nanoseconds held in a JS number (exact to ~104 days).
 * Durations and sizes in configs are strings with units ("250us", "5ms", "8h", "16MiB") or plain
 * numbers in a documented unit. Parsing lives here, once.
 */

export type Nanos = number;

export const NS = 1;
export const US = 1_000;
export const MS = 1_000_000;
export const SEC = 1_000_000_000;
export const MIN = 60 * SEC;
export const HOUR = 60 * MIN;

const DURATION_UNITS: Record<string, number> = {
  ns: NS,
  us: US,
  µs: US,
  ms: MS,
  s: SEC,
  m: MIN,
  min: MIN,
  h: HOUR,
  d: 24 * HOUR,
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

/** Parse "250us", "5ms", "1.5s", "15m", "8h" into integer nanoseconds. Numbers are taken in `plainUnit`. */
export function parseDuration(value: string | number, plainUnit: number = MS): Nanos {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`expected a duration, found ${value}`);
    return Math.round(value * plainUnit);
  }
  const m = QUANTITY.exec(value);
  if (!m) throw new Error(`expected a duration such as "5ms", "250us" or "15m", found "${value}"`);
  const unit = m[2].toLowerCase();
  const scale = unit === '' ? plainUnit : DURATION_UNITS[unit];
  if (scale === undefined) {
    throw new Error(`unknown duration unit "${m[2]}" in "${value}" (use ns, us, ms, s, m, h or d)`);
  }
  return Math.round(Number(m[1]) * scale);
}

/** Parse "16MiB", "21.5GiB", "602kB" into bytes. Numbers are bytes. */
export function parseSize(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`expected a size, found ${value}`);
    return Math.round(value);
  }
  const m = QUANTITY.exec(value);
  if (!m) throw new Error(`expected a size such as "16MiB" or "602kB", found "${value}"`);
  const unit = m[2].toLowerCase();
  const scale = unit === '' ? 1 : SIZE_UNITS[unit];
  if (scale === undefined) {
    throw new Error(`unknown size unit "${m[2]}" in "${value}" (use B, kB, MB, GB, KiB, MiB or GiB)`);
  }
  return Math.round(Number(m[1]) * scale);
}

/** Parse a rate: a number (per second) or "200/s", "12000/min", "1/h". Returns events per second. */
export function parseRate(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`expected a rate, found ${value}`);
    return value;
  }
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(?:\/\s*([a-z]+))?\s*$/i.exec(value);
  if (!m) throw new Error(`expected a rate such as 200 or "200/s" or "5/min", found "${value}"`);
  const per = (m[2] ?? 's').toLowerCase();
  const scale = DURATION_UNITS[per];
  if (scale === undefined) throw new Error(`unknown rate unit "/${m[2]}" in "${value}"`);
  return Number(m[1]) * (SEC / scale);
}

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

export const toMs = (ns: Nanos): number => ns / MS;

/** Parse a bandwidth: bytes per second as a number, or "12.3GB/s", "10Gbit/s", "1.25GB". */
export function parseBandwidth(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`expected a bandwidth, found ${value}`);
    return value;
  }
  const m = /^\s*(.+?)\s*(?:\/\s*s)?\s*$/i.exec(value);
  const body = m ? m[1] : value;
  const bits = /^(.*?)(k|m|g|t)?bit$/i.exec(body.replace(/\s+/g, ''));
  if (bits) {
    const scale = { k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[(bits[2] ?? '').toLowerCase() as 'k'] ?? 1;
    const n = Number(bits[1]);
    if (!Number.isFinite(n)) throw new Error(`expected a bandwidth such as "12.3GB/s" or "10Gbit/s", found "${value}"`);
    return (n * scale) / 8;
  }
  try {
    return parseSize(body);
  } catch {
    throw new Error(`expected a bandwidth such as "12.3GB/s" or "10Gbit/s", found "${value}"`);
  }
}
