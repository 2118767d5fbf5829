import { readFileSync } from 'node:fs';
import { basicReport } from '../../fixtures/report/reports.js';
import { refsFromEvent } from '../../src/changes/event.js';
import { runContext, sarifTarget } from '../../src/publish/context.js';
import { readInputs } from '../../src/publish/inputs.js';
import { actionOutputs } from '../../src/publish/outputs.js';
import { fitSummary } from '../../src/publish/summary.js';

const BASE = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);
const fixture = (name: string) => JSON.parse(readFileSync(`fixtures/github/${name}`, 'utf8').replace(/BASE_SHA/g, BASE).replace(/HEAD_SHA/g, HEAD));
const env = { GITHUB_REPOSITORY: 'acme/infra', GITHUB_RUN_ID: '77', GITHUB_SERVER_URL: 'https://github.com', GITHUB_WORKFLOW: 'wf', GITHUB_JOB: 'j', GITHUB_REF: 'refs/heads/main' };

describe('runContext', () => {
  test('a same-repository pull request', () => {
    const payload = fixture('pull_request.synchronize.json');
    const ctx = runContext(env, 'pull_request', payload, refsFromEvent('pull_request', payload));
    expect(ctx).toMatchObject({ owner: 'acme', repo: 'infra', prNumber: 42, prAuthor: 'dev-alice', isPullRequest: true, isFork: false, labels: [], runUrl: 'https://github.com/acme/infra/actions/runs/77' });
    expect(ctx.labeledNow).toBeUndefined();
    expect(sarifTarget(ctx, HEAD)).toEqual({ commitSha: HEAD, ref: 'refs/pull/42/head' });
  });

  test('a fork and a labeled event', () => {
    const fork = fixture('pull_request.fork.json');
    expect(runContext(env, 'pull_request', fork, refsFromEvent('pull_request', fork)).isFork).toBe(true);
    const labeled = fixture('pull_request.labeled.json');
    const ctx = runContext(env, 'pull_request', labeled, refsFromEvent('pull_request', labeled));
    expect(ctx.labels).toEqual(['iam-approved']);
    expect(ctx.labeledNow).toEqual({ label: 'iam-approved', by: 'lead-carol' });
  });

  test('push and merge_group are not pull requests; SARIF goes to GITHUB_REF', () => {
    const push = fixture('push.json');
    const ctx = runContext(env, 'push', push, refsFromEvent('push', push));
    expect(ctx.isPullRequest).toBe(false);
    expect(sarifTarget(ctx, HEAD)).toEqual({ commitSha: HEAD, ref: 'refs/heads/main' });
    const group = fixture('merge_group.json');
    const mg = runContext({ ...env, GITHUB_REF: 'refs/heads/gh-readonly-queue/main/pr-42-x' }, 'merge_group', group, refsFromEvent('merge_group', group));
    expect(mg.isPullRequest).toBe(false);
    expect(mg.prNumber).toBe(42);
  });

  test('untrusted environment values are not used in links or refs', () => {
    const push = fixture('push.json');
    const ctx = runContext({ GITHUB_REPOSITORY: 'a/b"><script>', GITHUB_SERVER_URL: 'javascript:alert(1)', GITHUB_RUN_ID: '1 or 2', GITHUB_REF: 'main' }, 'push', push, refsFromEvent('push', push));
    expect(ctx.owner).toBeUndefined();
    expect(ctx.serverUrl).toBe('https://github.com');
    expect(ctx.runUrl).toBeUndefined();
    expect(sarifTarget(ctx, HEAD)).toEqual({ problem: 'GITHUB_REF "main" is not a branch, tag or pull request ref' });
    expect(sarifTarget(ctx, 'HEAD')).toHaveProperty('problem');
  });
});

describe('readInputs', () => {
  const from = (values: Record<string, string>) => (name: string) => values[name] ?? '';

  test('defaults for a minimal workflow', () => {
    expect(readInputs(from({ 'github-token': 't' }))).toEqual({
      token: 't', cloudtrail: [], outputDir: 'iam-policy-gate-report', comment: true, uploadSarif: false, waitForProcessing: true,
      annotations: true, failOnError: true, config: undefined, since: undefined, commentKey: undefined, sarifCategory: undefined,
      approvalLabel: undefined, base: undefined, head: undefined, plans: [], offline: false, awsRegion: undefined, cloudtrailAccounts: [], cloudtrailRegions: [], workers: undefined,
    });
  });

  test('lists, booleans and checks', () => {
    const i = readInputs(from({ cloudtrail: 'logs/a\n logs/b, logs/c\n', comment: 'false', 'upload-sarif': 'TRUE', 'approval-label': ' iam-approved ' }));
    expect(i.cloudtrail).toEqual(['logs/a', 'logs/b', 'logs/c']);
    expect([i.comment, i.uploadSarif, i.approvalLabel]).toEqual([false, true, 'iam-approved']);
    expect(() => readInputs(from({ comment: 'sometimes' }))).toThrow(/Input 'comment' must be true or false/);
    expect(() => readInputs(from({ 'sarif-category': 'a b' }))).toThrow(/sarif-category/);
    const aws = readInputs(from({ plan: 'infra/a.json\ninfra/b.json', offline: 'true', 'aws-region': 'eu-west-1' }));
    expect([aws.plans, aws.offline, aws.awsRegion]).toEqual([['infra/a.json', 'infra/b.json'], true, 'eu-west-1']);
  });
});

describe('outputs and summary', () => {
  test('verdict, counts and file paths', () => {
    const out = actionOutputs(basicReport, { diffMd: '/o/diff.md', sarif: '/o/results.sarif', json: '/o/report.json' }, { commentId: 5, sarifId: 's' });
    expect(out).toMatchObject({ verdict: 'fail', 'new-access': '2', 'actions-added': '4', 'high-risk-added': '1', 'predicted-access-denied': '1180', 'diff-md': '/o/diff.md', sarif: '/o/results.sarif', 'report-json': '/o/report.json', 'comment-id': '5', 'sarif-id': 's', 'approved-by': '' });
    expect(Object.values(out).every((v) => typeof v === 'string')).toBe(true);
  });

  test('the summary is re-rendered smaller until its UTF-8 bytes fit', () => {
    const seen: number[] = [];
    const text = fitSummary((max) => {
      seen.push(max);
      return '€'.repeat(Math.min(max, 600_000));
    }, 1024 * 1024);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024 * 1024);
    expect(seen.length).toBeGreaterThan(1);
    expect(fitSummary(() => 'small')).toBe('small');
  });
});
