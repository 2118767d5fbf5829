// SARIF to code scanning through the REST API: gzip + base64, the commit and ref the results
// belong to, then poll until GitHub has processed it. "Code scanning is not enabled" (403/404)
// is a warning with the fix, not a failure: the comment, summary and verdict do not depend on it.
import { gzipSync } from 'node:zlib';
import { messageOf, statusOf, type GitHubApi, type SarifStatus } from './github-api.js';

/** GitHub rejects larger uploads (after gzip). */
export const MAX_SARIF_GZIP_BYTES = 10 * 1024 * 1024;
/** Waits between status polls; the first poll is immediate. About a minute in all. */
export const POLL_DELAYS_MS = [0, 2000, 4000, 8000, 16_000, 30_000];

export function encodeSarif(sarifText: string): { encoded: string; gzipBytes: number } {
  const gz = gzipSync(Buffer.from(sarifText, 'utf8'), { level: 9 });
  return { encoded: gz.toString('base64'), gzipBytes: gz.length };
}

export type UploadOutcome =
  | { status: 'complete' | 'pending'; id: string }
  | { status: 'failed'; id?: string; message: string }
  | { status: 'unavailable'; message: string };

export const NOT_ENABLED_HELP =
  'Code scanning is not available for this repository or token, so the SARIF was not uploaded. ' +
  'Enable code scanning (public repositories, or GitHub Code Security on private ones), give the job `permissions: security-events: write`, ' +
  'or set `upload-sarif: false` and upload the written SARIF file with github/codeql-action/upload-sarif.';

export interface UploadRequest {
  sarifText: string;
  commitSha: string;
  ref: string;
  toolName: string;
  startedAt?: string;
  wait: boolean;
}

export async function uploadSarif(api: GitHubApi, req: UploadRequest, sleep: (ms: number) => Promise<void>): Promise<UploadOutcome> {
  const { encoded, gzipBytes } = encodeSarif(req.sarifText);
  if (gzipBytes > MAX_SARIF_GZIP_BYTES) {
    return { status: 'failed', message: `the SARIF is ${gzipBytes} bytes gzipped; GitHub accepts at most ${MAX_SARIF_GZIP_BYTES}.` };
  }
  let id: string;
  try {
    ({ id } = await api.uploadSarif({ commit_sha: req.commitSha, ref: req.ref, sarif: encoded, tool_name: req.toolName, ...(req.startedAt ? { started_at: req.startedAt } : {}) }));
  } catch (error) {
    const status = statusOf(error);
    if (status === 403 || status === 404) return { status: 'unavailable', message: `${NOT_ENABLED_HELP} (GitHub said: ${messageOf(error)})` };
    return { status: 'failed', message: `upload refused: ${messageOf(error)}` };
  }
  if (!req.wait) return { status: 'pending', id };
  let last: SarifStatus = { status: 'pending', errors: [] };
  for (const delay of POLL_DELAYS_MS) {
    if (delay) await sleep(delay);
    try {
      last = await api.sarifStatus(id);
    } catch (error) {
      // The receipt can take a moment to become readable: 404 means "not yet".
      if (statusOf(error) === 404) continue;
      return { status: 'failed', id, message: `could not read the processing status: ${messageOf(error)}` };
    }
    if (last.status === 'complete') return { status: 'complete', id };
    if (last.status === 'failed') return { status: 'failed', id, message: `GitHub could not process the SARIF: ${last.errors.slice(0, 5).join('; ') || 'no reason given'}` };
  }
  return { status: 'pending', id };
}
