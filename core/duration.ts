/**
 * Durations and Kubernetes memory quantities as written in scenario files. Pure; exact integer
 * arithmetic (BigInt), so `1.5s` is exactly 1500 ms and `0.1Gi` is rejected rather than rounded.
 */
import { InputError } from './errors.js';

const MS_PER_UNIT = { h: 3_600_000n, m: 60_000n, s: 1_000n, ms: 1n } as const;
type DurationUnit = keyof typeof MS_PER_UNIT;

/**
 * A duration: one or more `<number><unit>` parts with units in the order h, m, s, ms, each at most
 * once (`500ms`, `30s`, `5m`, `1h`, `1m30s`, `1.5s`, `2h15m`), or a bare `0`.
 * Matches the text only; whether it is a whole number of milliseconds is checked by parsing.
 */
export const DURATION_PATTERN =
  /^(?:0|(?=\d)(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?)$/;

/** Text for error messages and schema descriptions. */
export const DURATION_EXAMPLES = 'like 500ms, 30s, 5m, 1h or 1m30s';

/**
 * A decimal number times an integer factor, exactly: digits "i.f" × k = (i·10^|f| + f) · k / 10^|f|.
 * Returns undefined when the product is not an integer.
 */
function exactTimes(decimal: string, factor: bigint): bigint | undefined {
  const [int = '0', frac = ''] = decimal.split('.');
  const scale = 10n ** BigInt(frac.length);
  const scaled = BigInt(int + frac) * factor;
  return scaled % scale === 0n ? scaled / scale : undefined;
}

function toSafeNumber(n: bigint): number | undefined {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
}

/**
 * Duration text → integer milliseconds, or undefined if the text is not a duration or not a whole
 * number of milliseconds (`0.5ms`). Sum over parts of value × unit, with h = 3 600 000 ms,
 * m = 60 000 ms, s = 1 000 ms, ms = 1 ms.
 */
export function tryParseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (match === null || text === '') return undefined;
  const units: DurationUnit[] = ['h', 'm', 's', 'ms'];
  let total = 0n;
  for (const [i, unit] of units.entries()) {
    const part = match[i + 1];
    if (part === undefined) continue;
    const ms = exactTimes(part, MS_PER_UNIT[unit]);
    if (ms === undefined) return undefined;
    total += ms;
  }
  return toSafeNumber(total);
}

/** Duration text → integer milliseconds; throws InputError DURATION_INVALID. */
export function parseDuration(text: string): number {
  const ms = tryParseDuration(text);
  if (ms === undefined) {
    throw new InputError('DURATION_INVALID', `not a duration: "${text}"`, {
      hint: `write a whole number of milliseconds ${DURATION_EXAMPLES}`,
    });
  }
  return ms;
}

/**
 * Integer milliseconds → the shortest canonical text, largest unit first, zero parts omitted:
 * 90 000 → `1m30s`, 1 500 → `1s500ms`, 0 → `0s`. parseDuration(formatDuration(n)) === n.
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new RangeError(`formatDuration needs a non-negative integer, got ${ms}`);
  }
  if (ms === 0) return '0s';
  let rest = BigInt(ms);
  let out = '';
  for (const unit of ['h', 'm', 's', 'ms'] as const) {
    const size = MS_PER_UNIT[unit];
    const n = rest / size;
    rest -= n * size;
    if (n > 0n) out += `${n}${unit}`;
  }
  return out;
}

const BYTES_PER_SUFFIX = {
  '': 1n,
  k: 1000n,
  M: 1000n ** 2n,
  G: 1000n ** 3n,
  T: 1000n ** 4n,
  P: 1000n ** 5n,
  E: 1000n ** 6n,
  Ki: 1024n,
  Mi: 1024n ** 2n,
  Gi: 1024n ** 3n,
  Ti: 1024n ** 4n,
  Pi: 1024n ** 5n,
  Ei: 1024n ** 6n,
} as const;
type QuantitySuffix = keyof typeof BYTES_PER_SUFFIX;

/**
 * A Kubernetes memory quantity: a decimal number with an optional binary (Ki Mi Gi Ti Pi Ei) or
 * decimal (k M G T P E) suffix, or plain bytes: `8Gi`, `512Mi`, `8G`, `1.5Gi`, `1073741824`.
 * (The exponent form `1e9` and the milli suffix `m` are not accepted for memory.)
 */
export const QUANTITY_PATTERN = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

/** Quantity text → integer bytes, or undefined when invalid or not a whole number of bytes. */
export function tryParseQuantity(text: string): number | undefined {
  const match = QUANTITY_PATTERN.exec(text);
  if (match === null) return undefined;
  const [, number = '', suffix = ''] = match;
  const bytes = exactTimes(number, BYTES_PER_SUFFIX[suffix as QuantitySuffix]);
  return bytes === undefined ? undefined : toSafeNumber(bytes);
}

/** Quantity text → integer bytes; throws InputError QUANTITY_INVALID. */
export function parseQuantity(text: string): number {
  const bytes = tryParseQuantity(text);
  if (bytes === undefined) {
    throw new InputError('QUANTITY_INVALID', `not a memory quantity: "${text}"`, {
      hint: 'write a whole number of bytes like 8Gi, 512Mi, 8G or 1073741824',
    });
  }
  return bytes;
}

/**
 * Integer bytes → a whole number of the largest binary suffix that divides it exactly
 * (8 589 934 592 → `8Gi`, 1 572 864 → `1536Ki`), else plain bytes (1 500 → `1500`).
 */
export function formatQuantity(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new RangeError(`formatQuantity needs a non-negative integer, got ${bytes}`);
  }
  const n = BigInt(bytes);
  if (n === 0n) return '0';
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const size = BYTES_PER_SUFFIX[suffix];
    if (n % size === 0n) return `${n / size}${suffix}`;
  }
  return String(n);
}
