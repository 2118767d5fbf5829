// End to end: the bundled action (dist/index.js) runs as a process with a real event payload,
// the runner's environment and a real git repository, against a local GitHub that validates every
// request against GitHub's OpenAPI description.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { errorsText, reportValidator, sarifValidator } from '../../fixtures/report/validators.js';
import { disposeBundle, eventPayload, prepareBundle, ROOT, runAction, TempRepo, type ActionRun } from '../support/github-fake/harness.js';
import { githubSarifProblems } from '../support/github-fake/sarif-github-rules.js';
import { startFakeGitHub, type FakeGitHub, type FakeOptions } from '../support/github-fake/server.js';

const TOKEN = 'ghs_e2eTestToken0123456789abcdefABCDEF';
const CONFIG = 'subjects:\n  - files: "iam/roles/{name}/*.json"\n    principal: "arn:aws:iam::123456789012:role/{name}"\n';
const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:jobs';

function policy(actions: string[], resource = QUEUE): string {
  return `${JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Jobs', Effect: 'Allow', Action: actions, Resource: resource }] }, null, 2)}\n`;
}

/** base: receive only; head: also delete (new access, nothing else failing). */
function makeRepo(): { repo: TempRepo; base: string; head: string } {
  const repo = new TempRepo();
  const base = repo.commit('base', { '.iam-policy-gate.yml': CONFIG, 'iam/roles/app/policy.json': policy(['sqs:ReceiveMessage']), 'README.md': 'infra\n' });
  const head = repo.commit('head', { '.iam-policy-gate.yml': CONFIG, 'iam/roles/app/policy.json': policy(['sqs:ReceiveMessage', 'sqs:DeleteMessage']), 'README.md': 'infra\n' });
  return { repo, base, head };
}

const writes = (gh: FakeGitHub) => gh.requests.filter((r) => r.method !== 'GET');
/** An @mention GitHub would notify: outside code spans, an @ right before a name. */
const hasMention = (text: string) => /(^|[^\w])@[A-Za-z0-9]/.test(text.replace(/(`+)[\s\S]*?\1/g, ''));

/** The token appears only in the mask command the runner consumes (it never prints it). */
function expectNoLeaks(run: ActionRun): void {
  expect(run.stdout).toContain(`::add-mask::${TOKEN}`);
  expect(run.stdout.replace(`::add-mask::${TOKEN}\n`, '')).not.toContain(TOKEN);
  expect(run.stderr).not.toContain(TOKEN);
}

let gh: FakeGitHub | undefined;
const repos: TempRepo[] = [];

async function fake(opts: Partial<FakeOptions> = {}): Promise<FakeGitHub> {
  gh = await startFakeGitHub({ owner: 'acme', repo: 'infra', token: TOKEN, ...opts });
  return gh;
}

beforeAll(() => {
  prepareBundle();
}, 300_000);

afterEach(async () => {
  if (gh) {
    const violations = gh.violations.slice();
    await gh.close();
    gh = undefined;
    expect(violations).toEqual([]);
  }
});

afterAll(() => {
  repos.forEach((r) => r.remove());
  disposeBundle();
});

describe('pull_request from the same repository', () => {
  test('creates the sticky comment once, then updates it; uploads SARIF; writes summary and outputs', async () => {
    const { repo, base, head } = makeRepo();
    repos.push(repo);
    const others = Array.from({ length: 120 }, (_, i) => ({ issue: 42, body: `review note ${i}`, login: `reviewer-${i % 3}`, type: 'User' as const }));
    // A user comment that carries our marker must never be taken over.
    others.push({ issue: 42, body: '<!-- iam-policy-gate: workflow=IAM gate job=gate -->\nspoof', login: 'mallory', type: 'User' });
    const prFiles = [...Array.from({ length: 130 }, (_, i) => `docs/page-${i}.md`), 'iam/roles/app/policy.json'];
    const server = await fake({ comments: others, prFiles: { 42: prFiles }, rateLimitOnce: ['issues/create-comment'] });

    const first = await runAction({
      repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request',
      payload: eventPayload('pull_request.synchronize.json', { base, head }),
      inputs: { 'upload-sarif': 'true', 'sarif-category': 'iam-gate-e2e' },
    });
    expectNoLeaks(first);
    expect(first.code).toBe(1);
    expect(first.outputs.verdict).toBe('fail');
    expect(first.outputs['new-access']).toBe('1');
    expect(first.outputs['actions-added']).toBe('1');
    expect(existsSync(first.outputs['diff-md'])).toBe(true);
    expect(existsSync(first.outputs.sarif)).toBe(true);
    expect(existsSync(first.outputs['report-json'])).toBe(true);
    expect(first.outputs['sarif-id']).toBe('sarif-1');
    // The rate-limited create was retried, not duplicated.
    expect(first.stdout).toMatch(/retrying in 1 s/);
    const ours = server.comments.filter((c) => c.login === 'github-actions[bot]');
    expect(ours).toHaveLength(1);
    expect(first.outputs['comment-id']).toBe(String(ours[0].id));
    const body1 = ours[0].body;
    expect(body1.startsWith('<!-- iam-policy-gate: workflow=IAM gate job=gate -->\n')).toBe(true);
    expect(body1.split('\n').find((l) => l.startsWith('### '))).toMatch(/❌ IAM policy gate failed: new access/);
    expect(body1).toContain('sqs:DeleteMessage');
    expect(body1).toContain('<details>');
    expect(body1).toContain('https://github.com/acme/infra/actions/runs/9876543210');
    expect(body1.length).toBeLessThanOrEqual(65_536);
    expect(hasMention(body1)).toBe(false);
    expect(server.comments.find((c) => c.login === 'mallory')!.body).toBe('<!-- iam-policy-gate: workflow=IAM gate job=gate -->\nspoof');
    // Both lists were read through all their pages (comments twice: again after creating, for a concurrent run's).
    expect(server.requests.filter((r) => r.operationId === 'issues/list-comments').map((r) => r.query)).toEqual(['?per_page=100', '?per_page=100&page=2', '?per_page=100', '?per_page=100&page=2']);
    expect(server.requests.filter((r) => r.operationId === 'pulls/list-files')).toHaveLength(2);
    expect(first.commands.filter((c) => c.kind === 'warning').map((c) => c.message).join('\n')).not.toMatch(/not part of pull request/);

    // SARIF: gzip + base64 decoded by the fake, for the PR head.
    expect(server.uploads).toHaveLength(1);
    const upload = server.uploads[0];
    expect(upload.commit_sha).toBe(head);
    expect(upload.ref).toBe('refs/pull/42/head');
    expect(upload.tool_name).toBe('iam-policy-gate');
    expect(upload.sarif.version).toBe('2.1.0');
    expect(upload.sarif.runs).toHaveLength(1);
    expect(upload.sarif.runs[0].automationDetails.id).toBe('iam-gate-e2e/');
    const result = upload.sarif.runs[0].results.find((r: any) => r.ruleId === 'new-access');
    expect(result.level).toBe('error');
    expect(result.locations[0].physicalLocation.artifactLocation.uri).toBe('iam/roles/app/policy.json');
    expect(JSON.parse(readFileSync(first.outputs.sarif, 'utf8'))).toEqual(upload.sarif);
    expect(githubSarifProblems(upload.sarif)).toEqual([]);
    const validSarif = sarifValidator();
    expect(errorsText(validSarif(upload.sarif) ? [] : validSarif.errors)).toBe('');

    // Summary: the whole diff.md; annotations: the failing finding on its line.
    expect(first.summary).toBe(`${readFileSync(first.outputs['diff-md'], 'utf8')}\n`);
    expect(first.summary).toContain('IAM policy gate failed');
    const errors = first.commands.filter((c) => c.kind === 'error');
    expect(errors.some((e) => e.props.includes('file=iam/roles/app/policy.json') && /line=\d+/.test(e.props) && e.message.includes('sqs:DeleteMessage'))).toBe(true);
    expect(errors.at(-1)!.message).toMatch(/IAM policy gate failed/);

    // A later push: the same comment is updated in place.
    const head2 = repo.commit('head 2', {
      '.iam-policy-gate.yml': CONFIG,
      'iam/roles/app/policy.json': policy(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']),
    });
    // A concurrent run left a copy of the comment: it is deleted, the oldest kept.
    server.comments.push({ ...ours[0], id: 99_999, body: `${ours[0].body}\nstale copy` });
    const second = await runAction({ repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request', payload: eventPayload('pull_request.synchronize.json', { base, head: head2 }) });
    expectNoLeaks(second);
    expect(second.code).toBe(1);
    const after = server.comments.filter((c) => c.login === 'github-actions[bot]');
    expect(after).toHaveLength(1);
    expect(after[0].id).toBe(ours[0].id);
    expect(server.requests.filter((r) => r.operationId === 'issues/delete-comment').map((r) => r.status)).toEqual([204]);
    expect(after[0].body).toContain('sqs:ChangeMessageVisibility');
    expect(server.requests.filter((r) => r.operationId === 'issues/update-comment')).toHaveLength(1);
    expect(server.requests.filter((r) => r.operationId === 'issues/create-comment' && r.status === 201)).toHaveLength(1);

    // A push that reverts the policy: the comment says so instead of going stale.
    const head3 = repo.commit('revert', { '.iam-policy-gate.yml': CONFIG, 'iam/roles/app/policy.json': policy(['sqs:ReceiveMessage']), 'README.md': 'infra, docs\n' });
    const third = await runAction({ repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request', payload: eventPayload('pull_request.synchronize.json', { base, head: head3 }) });
    expect(third.code).toBe(0);
    expect(third.outputs.verdict).toBe('pass');
    const final = server.comments.filter((c) => c.login === 'github-actions[bot]');
    expect(final).toHaveLength(1);
    expect(final[0].body).toMatch(/no longer changes any IAM identity or bucket policy as of commit `[0-9a-f]{12}`/);
  });

  test('a change without policy files creates no comment', async () => {
    const repo = new TempRepo();
    repos.push(repo);
    const base = repo.commit('base', { '.iam-policy-gate.yml': CONFIG, 'README.md': 'a\n' });
    const head = repo.commit('head', { '.iam-policy-gate.yml': CONFIG, 'README.md': 'b\n' });
    const server = await fake();
    const run = await runAction({ repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request', payload: eventPayload('pull_request.synchronize.json', { base, head }) });
    expect(run.code).toBe(0);
    expect(run.outputs.verdict).toBe('pass');
    expect(writes(server)).toEqual([]);
    expect(run.stdout).toContain('PR comment: skipped');
  });

  test('a waived finding stays in the SARIF file but is not uploaded (code scanning ignores suppressions)', async () => {
    const waiver = [
      'waivers:',
      '  - rule: new-access',
      '    subject: "arn:aws:iam::123456789012:role/app"',
      '    actions: ["sqs:DeleteMessage"]',
      `    resources: ["${QUEUE}"]`,
      '    reason: "Workers delete the jobs they finish (OPS-1)."',
      '    expires: "2099-12-31"',
      '',
    ].join('\n');
    const repo = new TempRepo();
    repos.push(repo);
    const files = (actions: string[]) => ({ '.iam-policy-gate.yml': CONFIG + waiver, 'iam/roles/app/policy.json': policy(actions) });
    const base = repo.commit('base', files(['sqs:ReceiveMessage']));
    const head = repo.commit('head', files(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
    const server = await fake({ prFiles: { 42: ['iam/roles/app/policy.json'] } });
    const run = await runAction({
      repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request',
      payload: eventPayload('pull_request.synchronize.json', { base, head }),
      inputs: { 'upload-sarif': 'true', 'comment-key': 'matrix-a' },
    });
    expect(run.outputs.verdict).toBe('pass');
    // A comment-key (matrix jobs) is part of the default category: one job's upload does not replace another's.
    expect(server.uploads[0].sarif.runs[0].automationDetails.id).toMatch(/^iam-policy-gate\/.+\/matrix-a\/$/);
    const artifact = JSON.parse(readFileSync(run.outputs.sarif, 'utf8'));
    const waived = artifact.runs[0].results.filter((r: any) => r.suppressions?.length);
    expect(waived.map((r: any) => r.ruleId)).toEqual(['new-access']);
    expect(server.uploads).toHaveLength(1);
    const uploaded = server.uploads[0].sarif.runs[0].results;
    expect(uploaded.filter((r: any) => r.suppressions?.length)).toEqual([]);
    expect(uploaded).toHaveLength(artifact.runs[0].results.length - 1);
  });
});

describe('restricted environments', () => {
  test('fork pull request: no write attempts, one notice, files and verdict still produced', async () => {
    const { repo, base, head } = makeRepo();
    repos.push(repo);
    const server = await fake({ readOnly: true, prFiles: { 77: ['iam/roles/app/policy.json'] } });
    const run = await runAction({
      repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request',
      payload: eventPayload('pull_request.fork.json', { base, head }),
      inputs: { 'upload-sarif': 'true' },
    });
    expectNoLeaks(run);
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe('fail');
    expect(writes(server)).toEqual([]);
    const notices = run.commands.filter((c) => c.kind === 'notice' && /fork/i.test(c.message));
    expect(notices).toHaveLength(1);
    expect(notices[0].message).toMatch(/Skipped: the PR comment and the SARIF upload/);
    expect(run.summary).toContain('IAM policy gate failed');
    expect(existsSync(run.outputs.sarif)).toBe(true);
    expect(run.commands.filter((c) => c.kind === 'warning')).toEqual([]);
  });

  test('pull_request_target from a fork: the base repository\'s token may comment', async () => {
    const { repo, base, head } = makeRepo();
    repos.push(repo);
    const server = await fake({ prFiles: { 77: ['iam/roles/app/policy.json'] } });
    const run = await runAction({ repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request_target', payload: eventPayload('pull_request.fork.json', { base, head }) });
    expect(run.code).toBe(1);
    expect(server.comments).toHaveLength(1);
    expect(server.comments[0].issue).toBe(77);
    expect(run.commands.some((c) => c.kind === 'notice' && /never checked out or run/.test(c.message))).toBe(true);
  });

  test('code scanning not enabled: the 403 on upload is a warning with the fix, not a failure', async () => {
    const repo = new TempRepo();
    repos.push(repo);
    // Narrowing only: the verdict passes, so the exit code shows the 403 did not fail the step.
    const base = repo.commit('base', { '.iam-policy-gate.yml': CONFIG, 'iam/roles/app/policy.json': policy(['sqs:ReceiveMessage', 'sqs:DeleteMessage']) });
    const head = repo.commit('head', { '.iam-policy-gate.yml': CONFIG, 'iam/roles/app/policy.json': policy(['sqs:ReceiveMessage']) });
    const server = await fake({ codeScanning: 'disabled', prFiles: { 42: ['iam/roles/app/policy.json'] } });
    const run = await runAction({
      repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request',
      payload: eventPayload('pull_request.synchronize.json', { base, head }),
      inputs: { 'upload-sarif': 'true' },
    });
    expectNoLeaks(run);
    expect(run.code).toBe(0);
    expect(run.outputs.verdict).toBe('pass');
    const warning = run.commands.find((c) => c.kind === 'warning' && c.message.startsWith('SARIF upload:'));
    expect(warning?.message).toMatch(/security-events: write/);
    expect(warning?.message).toMatch(/github\/codeql-action\/upload-sarif/);
    expect(server.requests.find((r) => r.operationId === 'code-scanning/upload-sarif')?.status).toBe(403);
    expect(run.outputs['sarif-id']).toBe('');
    expect(server.comments).toHaveLength(1);
  });
});

describe('approval label', () => {
  test('in the merge queue: the approval of the pull request the queue names carries over; a self-approval or none does not', async () => {
    const { repo, base, head } = makeRepo();
    repos.push(repo);
    const events = { 42: [{ event: 'labeled' as const, label: 'iam-approved', actor: 'lead-carol' }] };
    const queue = (server: FakeGitHub) =>
      runAction({ repo, apiUrl: server.url, token: TOKEN, eventName: 'merge_group', payload: eventPayload('merge_group.json', { base, head }), inputs: { 'approval-label': 'iam-approved' } });

    const approved = await fake({ permissions: { 'lead-carol': 'admin' }, pulls: { 42: { author: 'dev-alice', labels: ['iam-approved'] } }, issueEvents: events });
    const ok = await queue(approved);
    expectNoLeaks(ok);
    expect(ok.code).toBe(0);
    expect(ok.outputs.verdict).toBe('warn');
    expect(ok.outputs['approved-by']).toBe('lead-carol');
    expect(approved.requests.map((r) => r.operationId)).toEqual(['issues/get', 'issues/list-events', 'repos/get-collaborator-permission-level']);
    expect(writes(approved)).toEqual([]);
    expect(approved.violations).toEqual([]);
    await approved.close();

    // The label's last event says the author put it on: no approval, the queue's check fails.
    const self = await fake({ permissions: { 'dev-alice': 'write' }, pulls: { 42: { author: 'dev-alice', labels: ['iam-approved'] } }, issueEvents: { 42: [{ event: 'labeled', label: 'iam-approved', actor: 'dev-alice' }] } });
    const selfRun = await queue(self);
    expect(selfRun.code).toBe(1);
    expect(selfRun.outputs['approved-by'] ?? '').toBe('');
    expect(self.violations).toEqual([]);
    await self.close();

    // No label on the pull request: one read, no approval.
    const none = await fake({ pulls: { 42: { author: 'dev-alice', labels: [] } } });
    const noneRun = await queue(none);
    expect(noneRun.code).toBe(1);
    expect(none.requests.map((r) => r.operationId)).toEqual(['issues/get']);
  });

  test('a labeled event by a maintainer turns new access into an approved warning', async () => {
    const { repo, base, head } = makeRepo();
    repos.push(repo);
    const server = await fake({ permissions: { 'lead-carol': 'write', 'dev-alice': 'write' }, prFiles: { 42: ['iam/roles/app/policy.json'] } });
    const run = await runAction({
      repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request',
      payload: eventPayload('pull_request.labeled.json', { base, head }),
      inputs: { 'approval-label': 'iam-approved' },
    });
    expectNoLeaks(run);
    expect(run.code).toBe(0);
    expect(run.outputs.verdict).toBe('warn');
    expect(run.outputs['approved-by']).toBe('lead-carol');
    expect(server.requests.some((r) => r.path.endsWith('/collaborators/lead-carol/permission'))).toBe(true);
    // The labeled event names its sender; the timeline is still read (a label removed since withdraws it).
    expect(server.requests.some((r) => r.operationId === 'issues/list-events')).toBe(true);
    const body = server.comments[0].body;
    expect(body).toMatch(/New access approved with the label `iam-approved` by lead-carol/);
    expect(hasMention(body)).toBe(false);
    const report = JSON.parse(readFileSync(run.outputs['report-json'], 'utf8'));
    expect(report.approval).toEqual({ label: 'iam-approved', by: 'lead-carol' });
    const validReport = reportValidator();
    expect(errorsText(validReport(report) ? [] : validReport.errors)).toBe('');
    const sarif = JSON.parse(readFileSync(run.outputs.sarif, 'utf8'));
    expect(sarif.runs[0].results.find((r: any) => r.ruleId === 'new-access').level).toBe('warning');
  });

  test('a label the author put on themselves does not approve (found through the issue events)', async () => {
    const { repo, base, head } = makeRepo();
    repos.push(repo);
    const server = await fake({
      permissions: { 'dev-alice': 'write' },
      issueEvents: { 42: [{ event: 'labeled', label: 'iam-approved', actor: 'dev-alice' }] },
      prFiles: { 42: ['iam/roles/app/policy.json'] },
    });
    const payload = eventPayload('pull_request.synchronize.json', { base, head }, (p) => {
      p.pull_request.labels = [{ id: 31, name: 'iam-approved', color: '0e8a16' }];
    });
    const run = await runAction({ repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request', payload, inputs: { 'approval-label': 'iam-approved' } });
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe('fail');
    expect(run.outputs['approved-by']).toBe('');
    expect(run.commands.some((c) => c.kind === 'notice' && /set by the pull request's author/.test(c.message))).toBe(true);
  });
});

describe('other events', () => {
  test('push compares with the previous commit, uploads to the branch ref, never comments', async () => {
    const { repo, base, head } = makeRepo();
    repos.push(repo);
    const server = await fake();
    const run = await runAction({ repo, apiUrl: server.url, token: TOKEN, eventName: 'push', payload: eventPayload('push.json', { base, head }), inputs: { 'upload-sarif': 'true', 'fail-on-error': 'false' } });
    expect(run.code).toBe(0);
    expect(run.outputs.verdict).toBe('fail');
    expect(run.commands.some((c) => c.kind === 'warning' && /fail-on-error is false/.test(c.message))).toBe(true);
    expect(server.uploads.map((u) => [u.ref, u.commit_sha])).toEqual([['refs/heads/main', head]]);
    expect(server.requests.some((r) => r.operationId?.startsWith('issues/'))).toBe(false);
  });

  test('merge_group: summary and exit code only', async () => {
    const { repo, base, head } = makeRepo();
    repos.push(repo);
    const server = await fake();
    // Even with upload-sarif: the queue's temporary ref gets no analysis of its own.
    const run = await runAction({ repo, apiUrl: server.url, token: TOKEN, eventName: 'merge_group', payload: eventPayload('merge_group.json', { base, head }), inputs: { 'upload-sarif': 'true' } });
    expect(run.code).toBe(1);
    expect(run.summary).toContain('IAM policy gate failed');
    expect(server.requests).toEqual([]);
    expect(run.stdout).toMatch(/SARIF not uploaded for merge_group/);
  });

  test('workflow_dispatch on two directories (the self-test workflow): the demo fails, fail-on-error false passes the step', async () => {
    const repo = new TempRepo();
    repos.push(repo);
    repo.commit('demo', { copyFrom: path.join(ROOT, 'fixtures/demo') });
    const server = await fake();
    const run = await runAction({
      repo, apiUrl: server.url, token: TOKEN, eventName: 'workflow_dispatch', payload: { inputs: {}, ref: 'refs/heads/main' },
      inputs: { base: 'base', head: 'head', cloudtrail: 'cloudtrail', 'fail-on-error': 'false', 'upload-sarif': 'true' },
    });
    expect(run.code).toBe(0);
    expect(run.outputs.verdict).toBe('fail');
    expect(Number(run.outputs['new-access'])).toBeGreaterThan(0);
    expect(Number(run.outputs['predicted-access-denied'])).toBeGreaterThan(0);
    expect(run.commands.some((c) => c.kind === 'warning' && /SARIF not uploaded: base and head are directories/.test(c.message))).toBe(true);
    expect(server.requests).toEqual([]);
    expect(run.summary).toMatch(/predicted AccessDenied/);
  });

  test('an unsupported event fails with a clear message', async () => {
    const { repo, base, head } = makeRepo();
    repos.push(repo);
    const server = await fake();
    const run = await runAction({ repo, apiUrl: server.url, token: TOKEN, eventName: 'issue_comment', payload: { action: 'created', comment: { body: 'hi' } } });
    expect(run.code).toBe(1);
    expect(run.commands.find((c) => c.kind === 'error')?.message).toMatch(/Event 'issue_comment' is not supported: trigger the workflow on pull_request, pull_request_target, merge_group, push, workflow_dispatch/);
    expect(server.requests).toEqual([]);
    void base;
    void head;
  });
});

describe('two runs racing (a push while a run is under way, no concurrency group)', () => {
  test('the run for a head the pull request has moved past leaves the newer run\'s comment as it is', async () => {
    const { repo, base, head } = makeRepo();
    repos.push(repo);
    // The push: a newer head that also grants sqs:PurgeQueue.
    const newer = repo.commit('newer', { '.iam-policy-gate.yml': CONFIG, 'iam/roles/app/policy.json': policy(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:PurgeQueue']), 'README.md': 'infra\n' });
    const server = await fake({ prFiles: { 42: ['iam/roles/app/policy.json'] }, pullHeads: { 42: newer } });
    const current = await runAction({ repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request', payload: eventPayload('pull_request.synchronize.json', { base, head: newer }) });
    expect(current.code).toBe(1);
    const ours = () => server.comments.filter((c) => c.login === 'github-actions[bot]');
    expect(ours()).toHaveLength(1);
    const written = ours()[0].body;
    expect(written).toContain('sqs:PurgeQueue');
    expect(written).toContain(`head ${newer.slice(0, 12)}`);

    // The older run finishes last: its verdict stands for its commit (exit code, outputs), but the comment is the newer run's.
    const writesBefore = writes(server).length;
    const stale = await runAction({ repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request', payload: eventPayload('pull_request.synchronize.json', { base, head }) });
    expect(stale.code).toBe(1);
    expect(stale.outputs.verdict).toBe('fail');
    expect(stale.outputs['comment-id'] ?? '').toBe('');
    expect(stale.stdout).toContain(`PR comment: skipped (this run compared ${head.slice(0, 12)}; the pull request's head is now ${newer.slice(0, 12)}`);
    expect(ours()).toHaveLength(1);
    expect(ours()[0].body).toBe(written);
    expect(writes(server).length).toBe(writesBefore);
    // Asked as GitHub describes it (the fake checks the request against the OpenAPI description).
    expect(server.requests.filter((r) => r.operationId === 'git/get-ref').map((r) => r.status)).toEqual([200, 200]);

    expect(server.violations).toEqual([]);
    await server.close();
    // Once the pull request's head is the run's again (a force-push back), the run writes.
    const server2 = await fake({ prFiles: { 42: ['iam/roles/app/policy.json'] }, pullHeads: { 42: head }, comments: [{ issue: 42, body: written, login: 'github-actions[bot]', type: 'Bot' }] });
    const back = await runAction({ repo, apiUrl: server2.url, token: TOKEN, eventName: 'pull_request', payload: eventPayload('pull_request.synchronize.json', { base, head }) });
    expect(back.code).toBe(1);
    expect(server2.comments[0].body).not.toBe(written);
    expect(server2.comments[0].body).toContain(`head ${head.slice(0, 12)}`);
  });
});

test('the e2e fixtures are where the harness expects them', () => {
  expect(existsSync(path.join(ROOT, 'fixtures/github/openapi-subset.json'))).toBe(true);
});
