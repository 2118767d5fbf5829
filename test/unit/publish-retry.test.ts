import { retryDelay } from '../../src/publish/retry.js';

const NOW = 1_800_000_000_000;

describe('retryDelay', () => {
  test('a secondary rate limit waits retry-after seconds', () => {
    expect(retryDelay({ status: 403, headers: { 'retry-after': '3' } }, 0, NOW)).toBe(3000);
    expect(retryDelay({ status: 429, headers: { 'retry-after': '0' } }, 1, NOW)).toBe(0);
  });

  test('a primary rate limit waits until the reset time (plus a second)', () => {
    expect(retryDelay({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 20) } }, 0, NOW)).toBe(21_000);
  });

  test('a wait longer than the policy allows is not taken', () => {
    expect(retryDelay({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 3600) } }, 0, NOW)).toBeUndefined();
    expect(retryDelay({ status: 403, headers: { 'retry-after': '5' } }, 0, NOW, { maxRetries: 3, maxWaitMs: 1000 })).toBeUndefined();
  });

  test('a 403 that is not a rate limit, or a 4xx, is not retried', () => {
    expect(retryDelay({ status: 403, headers: { 'x-ratelimit-remaining': '4999' } }, 0, NOW)).toBeUndefined();
    expect(retryDelay({ status: 404 }, 0, NOW)).toBeUndefined();
    expect(retryDelay({ status: 422 }, 0, NOW)).toBeUndefined();
    expect(retryDelay({}, 0, NOW)).toBeUndefined();
  });

  test('transient server errors back off; every retry stops after maxRetries', () => {
    expect([0, 1, 2].map((a) => retryDelay({ status: 502 }, a, NOW))).toEqual([1000, 2000, 4000]);
    expect(retryDelay({ status: 503 }, 3, NOW)).toBeUndefined();
    expect(retryDelay({ status: 429, headers: { 'retry-after': '1' } }, 3, NOW)).toBeUndefined();
  });

  test('garbage headers are ignored, not trusted', () => {
    expect(retryDelay({ status: 403, headers: { 'retry-after': 'soon' } }, 0, NOW)).toBeUndefined();
    expect(retryDelay({ status: 429, headers: { 'retry-after': '-5' } }, 0, NOW)).toBe(60_000);
  });
});
