import { gunzipSync } from 'node:zlib';
import type { GitHubApi, SarifStatus, SarifUploadRequest } from '../../src/publish/github-api.js';
import { encodeSarif, POLL_DELAYS_MS, uploadSarif } from '../../src/publish/sarif-upload.js';

const SHA = 'c'.repeat(40);
const request = { sarifText: '{"version":"2.1.0","runs":[]}', commitSha: SHA, ref: 'refs/pull/3/head', toolName: 'iam-policy-gate', wait: true };

function api(upload: () => Promise<{ id: string }>, statuses: Array<SarifStatus | Error>, sent: SarifUploadRequest[] = []): GitHubApi {
  const no = () => Promise.reject(new Error('not used'));
  return {
    listComments: no, createComment: no, updateComment: no, deleteComment: no, viewerLogin: no, listPullFiles: no, pullHead: no, pullAsIssue: no, listLabelEvents: no, permissionOf: no,
    async uploadSarif(req) {
      sent.push(req);
      return upload();
    },
    async sarifStatus() {
      const next = statuses.shift() ?? { status: 'pending', errors: [] };
      if (next instanceof Error) throw next;
      return next;
    },
  };
}

const httpError = (status: number) => Object.assign(new Error(`status ${status}`), { status });

describe('uploadSarif', () => {
  test('sends gzip + base64 with the commit and ref, then polls until complete', async () => {
    const sent: SarifUploadRequest[] = [];
    const slept: number[] = [];
    const outcome = await uploadSarif(
      api(async () => ({ id: 's1' }), [httpError(404), { status: 'pending', errors: [] }, { status: 'complete', errors: [] }], sent),
      request,
      async (ms) => void slept.push(ms),
    );
    expect(outcome).toEqual({ status: 'complete', id: 's1' });
    expect(slept).toEqual(POLL_DELAYS_MS.slice(1, 3));
    expect(sent[0]).toMatchObject({ commit_sha: SHA, ref: 'refs/pull/3/head', tool_name: 'iam-policy-gate' });
    expect(gunzipSync(Buffer.from(sent[0].sarif, 'base64')).toString('utf8')).toBe(request.sarifText);
  });

  test.each([403, 404])('%i on upload: unavailable, with the fix', async (status) => {
    const outcome = await uploadSarif(api(() => Promise.reject(httpError(status)), []), request, async () => {});
    expect(outcome.status).toBe('unavailable');
    expect('message' in outcome && outcome.message).toMatch(/security-events: write.*upload-sarif: false.*github\/codeql-action\/upload-sarif/);
  });

  test('a processing failure reports GitHub\'s errors; a 422 is a failed upload', async () => {
    const failed = await uploadSarif(api(async () => ({ id: 's2' }), [{ status: 'failed', errors: ['invalid URI'] }]), request, async () => {});
    expect(failed).toEqual({ status: 'failed', id: 's2', message: 'GitHub could not process the SARIF: invalid URI' });
    const refused = await uploadSarif(api(() => Promise.reject(httpError(422)), []), request, async () => {});
    expect(refused).toMatchObject({ status: 'failed', message: expect.stringMatching(/^upload refused: HTTP 422/) });
  });

  test('still pending after every poll, or not waiting: pending with the id', async () => {
    let polls = 0;
    const pending = api(async () => ({ id: 's3' }), []);
    const count = { ...pending, sarifStatus: async () => (polls++, { status: 'pending', errors: [] }) };
    expect(await uploadSarif(count, request, async () => {})).toEqual({ status: 'pending', id: 's3' });
    expect(polls).toBe(POLL_DELAYS_MS.length);
    expect(await uploadSarif(pending, { ...request, wait: false }, async () => {})).toEqual({ status: 'pending', id: 's3' });
  });

  test('encodeSarif reports the gzipped size', () => {
    const { encoded, gzipBytes } = encodeSarif('x'.repeat(10_000));
    expect(Buffer.from(encoded, 'base64').length).toBe(gzipBytes);
    expect(gzipBytes).toBeLessThan(200);
  });
});
