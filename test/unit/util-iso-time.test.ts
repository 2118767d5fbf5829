// isoTime: Date#toISOString for epoch milliseconds, checked against it.
import fc from 'fast-check';
import { isoTime } from '../../src/util/iso-time.js';

const viaDate = (ms: number) => new Date(ms).toISOString();

describe('isoTime gives what Date#toISOString gives', () => {
  test('year and day edges, leap days, the first and last four-digit years', () => {
    const edges = [0, -1, 1, 999, 1000, 59_999, 60_000, 86_399_999, 86_400_000, -86_400_000, 951_782_400_000, 951_868_800_000, 4_107_542_399_999, 4_107_542_400_000];
    const limits = [-62_167_219_200_000, -62_167_219_199_999, 253_402_300_799_999, -62_167_219_200_001, 253_402_300_800_000];
    for (const ms of [...edges, ...limits]) expect(isoTime(ms)).toBe(viaDate(ms));
    // The minute cache: the same minute, then another with the same slot.
    const t = Date.UTC(2024, 4, 1, 12, 30, 15, 7);
    for (const ms of [t, t + 1, t + 4096 * 60_000, t]) expect(isoTime(ms)).toBe(viaDate(ms));
  });

  test('any millisecond from year -271821 to 275760 (six-digit years go to Date)', () => {
    fc.assert(fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => isoTime(ms) === viaDate(ms)), { numRuns: 20_000 });
    fc.assert(fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => isoTime(ms) === viaDate(ms)), { numRuns: 20_000 });
  });

  test('fractions, NaN and out-of-range times: Date\'s answer, or its RangeError', () => {
    expect(isoTime(1.5)).toBe(viaDate(1.5));
    expect(isoTime(-0.5)).toBe(viaDate(-0.5));
    for (const bad of [NaN, Infinity, -Infinity, 8.64e15 + 1]) expect(() => isoTime(bad)).toThrow(RangeError);
  });
});
