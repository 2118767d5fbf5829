// When GitHub says "slow down", wait as told and try again, a bounded number of times.
// Primary limit: 403/429 with x-ratelimit-remaining: 0 and x-ratelimit-reset (epoch seconds).
// Secondary limit: 403/429 with retry-after (seconds). Transient 5xx: short backoff.

export interface RetryPolicy {
  maxRetries: number;
  /** A wait longer than this is not worth it in a CI step: give up and report. */
  maxWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, maxWaitMs: 90_000 };

export interface HttpFailure {
  status?: number;
  headers?: Record<string, string | number | undefined>;
  /** A GET: a 500 (Octokit's status for a reset or dropped connection too) is worth another try. */
  idempotent?: boolean;
}

function header(headers: HttpFailure['headers'], name: string): string | undefined {
  const value = headers?.[name] ?? headers?.[name.toLowerCase()];
  return value === undefined ? undefined : String(value);
}

/** How long to wait before retry number `attempt` (0-based), or undefined when not to retry. */
export function retryDelay(failure: HttpFailure, attempt: number, nowMs: number, policy: RetryPolicy = DEFAULT_RETRY): number | undefined {
  if (attempt >= policy.maxRetries) return undefined;
  const status = failure.status ?? 0;
  let wait: number | undefined;
  if (status === 403 || status === 429) {
    const retryAfter = header(failure.headers, 'retry-after');
    const remaining = header(failure.headers, 'x-ratelimit-remaining');
    const reset = header(failure.headers, 'x-ratelimit-reset');
    if (retryAfter !== undefined && /^\d+$/.test(retryAfter.trim())) wait = Number(retryAfter) * 1000;
    else if (remaining === '0' && reset !== undefined && /^\d+$/.test(reset.trim())) wait = Math.max(0, Number(reset) * 1000 - nowMs) + 1000;
    else if (status === 429) wait = 60_000;
  } else if (status === 502 || status === 503 || status === 504 || (status === 500 && failure.idempotent)) {
    wait = 1000 * 2 ** attempt;
  }
  if (wait === undefined || wait > policy.maxWaitMs) return undefined;
  return wait;
}
