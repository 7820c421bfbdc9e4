import { describe, expect, it } from 'vitest';
import {
  DURATION_PATTERN,
  formatDuration,
  formatQuantity,
  parseDuration,
  parseQuantity,
  tryParseDuration,
  tryParseQuantity,
} from '../../core/duration.js';
import { InputError } from '../../core/errors.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['2h15m', 8_100_000],
    ['1h2m3s4ms', 3_723_004],
    ['1s500ms', 1_500],
    ['1.5s', 1_500],
    ['0.25h', 900_000],
    ['0s', 0],
    ['0', 0],
    ['0ms', 0],
    ['90s', 90_000],
    ['120m', 7_200_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '',
    '30',
    '1.5',
    '30 s',
    ' 30s',
    '30S',
    '1d',
    '-5s',
    '30s1m',
    '1m1m',
    '5msec',
    's',
    '.5s',
    '1.s',
    '1,5s',
  ])('rejects %j', (text) => {
    expect(tryParseDuration(text)).toBeUndefined();
    expect(() => parseDuration(text)).toThrow(InputError);
  });

  it('rejects durations that are not whole milliseconds', () => {
    expect(tryParseDuration('0.5ms')).toBeUndefined();
    expect(tryParseDuration('0.0001s')).toBeUndefined();
    expect(tryParseDuration('0.001s')).toBe(1);
  });

  it('rejects durations beyond the safe integer range', () => {
    expect(tryParseDuration('9007199254740992ms')).toBeUndefined();
    expect(tryParseDuration('9007199254740991ms')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('throws an InputError with a code and a hint', () => {
    try {
      parseDuration('soon');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).code).toBe('DURATION_INVALID');
      expect((err as InputError).message).toBe('not a duration: "soon"');
      expect((err as InputError).hint).toContain('1m30s');
    }
  });

  it('exports the pattern the JSON Schema uses', () => {
    expect(DURATION_PATTERN.test('1m30s')).toBe(true);
    expect(DURATION_PATTERN.test('30')).toBe(false);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1, '1ms'],
    [500, '500ms'],
    [1_500, '1s500ms'],
    [30_000, '30s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [3_723_004, '1h2m3s4ms'],
    [90_000_000, '25h'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 999, 1_000, 59_999, 60_000, 3_599_999, 3_600_001, 123_456_789]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });

  it('refuses negative and fractional milliseconds', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(1.5)).toThrow(RangeError);
  });
});

describe('parseQuantity', () => {
  it.each([
    ['8Gi', 8_589_934_592],
    ['512Mi', 536_870_912],
    ['8G', 8_000_000_000],
    ['1Ki', 1_024],
    ['1k', 1_000],
    ['2Ti', 2_199_023_255_552],
    ['1.5Gi', 1_610_612_736],
    ['0.5Ki', 512],
    ['1073741824', 1_073_741_824],
    ['0', 0],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseQuantity(text)).toBe(bytes);
  });

  it.each(['', '8 Gi', '8gi', '8GB', '8K', '100m', '-1Gi', '1e9', 'Gi', '0.1', '0.1Gi'])(
    'rejects %j',
    (text) => {
      expect(tryParseQuantity(text)).toBeUndefined();
      expect(() => parseQuantity(text)).toThrow(InputError);
    },
  );

  it('names the code QUANTITY_INVALID', () => {
    expect(() => parseQuantity('lots')).toThrow(expect.objectContaining({ code: 'QUANTITY_INVALID' }));
  });
});

describe('formatQuantity', () => {
  it.each([
    [0, '0'],
    [1_500, '1500'],
    [1_024, '1Ki'],
    [1_572_864, '1536Ki'],
    [536_870_912, '512Mi'],
    [8_589_934_592, '8Gi'],
    [8_000_000_000, '7812500Ki'],
  ])('%d bytes is %s', (bytes, text) => {
    expect(formatQuantity(bytes)).toBe(text);
    expect(parseQuantity(text)).toBe(bytes);
  });
});
