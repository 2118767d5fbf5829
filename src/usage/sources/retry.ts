// Retries with exponential backoff and full jitter for AWS calls that fail transiently (throttling, 5xx,
// dropped connections). Clients are built with maxAttempts 1 so this is the only retry layer: one policy,
// testable with a fake sleep, and it also covers failures while a response body streams.

export interface RetryOptions {
  /** Attempts in all (default 5). */
  attempts?: number;
  /** First backoff ceiling in ms (default 200); doubles each attempt up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Told before each retry (for logs and tests). */
  onRetry?: (attempt: number, error: unknown, delayMs: number) => void;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const RETRYABLE_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'InternalServerException',
  'TimeoutError',
  'AbortError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** True for errors worth another attempt. */
export function isRetryable(e: unknown): boolean {
  const err = e as { name?: string; code?: string; Code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  if (!err || typeof err !== 'object') return false;
  if (err.$retryable) return true;
  for (const c of [err.name, err.code, err.Code]) if (c && RETRYABLE_CODES.has(c)) return true;
  const status = err.$metadata?.httpStatusCode;
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

export function isThrottling(e: unknown): boolean {
  const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return /Throttl|TooManyRequests|SlowDown|RequestLimitExceeded/.test(`${err?.name ?? ''} ${err?.Code ?? ''}`) || err?.$metadata?.httpStatusCode === 429;
}

export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const base = opts.baseDelayMs ?? 200;
  const max = opts.maxDelayMs ?? 10_000;
  const wait = opts.sleep ?? sleep;
  const random = opts.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= attempts || !isRetryable(e)) throw e;
      const delay = Math.round(random() * Math.min(max, base * 2 ** (attempt - 1)));
      opts.onRetry?.(attempt, e, delay);
      await wait(delay);
    }
  }
}
