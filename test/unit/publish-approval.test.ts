import { basicReport, cleanReport } from '../../fixtures/report/reports.js';
import type { Report } from '../../src/model.js';
import { applyApproval, findApproval } from '../../src/publish/approval.js';
import type { GitHubApi, LabelEvent } from '../../src/publish/github-api.js';

const approval = { label: 'iam-approved', by: 'lead-carol' };

function onlyNewAccess(): Report {
  const r: Report = structuredClone(basicReport);
  r.verdict.reasons = r.verdict.reasons.filter((x) => x.ruleId !== 'high-risk-added');
  return r;
}

describe('applyApproval', () => {
  test('failing new access becomes an approved warning; the verdict passes with warnings', () => {
    const out = applyApproval(onlyNewAccess(), approval);
    expect(out.verdict.status).toBe('warn');
    expect(out.verdict.headline).toBe('new access approved by lead-carol (label iam-approved)');
    const reason = out.verdict.reasons.find((r) => r.ruleId === 'new-access')!;
    expect(reason.action).toBe('warn');
    expect(reason.message).toMatch(/^approved with label 'iam-approved' by lead-carol: /);
    expect(out.approval).toEqual(approval);
  });

  test('other failing rules still fail, with a headline about them', () => {
    const out = applyApproval(structuredClone(basicReport), approval);
    expect(out.verdict.status).toBe('fail');
    expect(out.verdict.headline).toBe('high risk added for 1 of 2 subjects');
    expect(out.verdict.reasons.map((r) => [r.ruleId, r.action])).toEqual([
      ['high-risk-added', 'fail'],
      ['access-denied-predicted', 'warn'],
      ['new-access', 'warn'],
    ]);
    expect(out.approval).toEqual(approval);
  });

  test('nothing to approve or no approval: the report is returned as it was', () => {
    const clean = structuredClone(cleanReport);
    expect(applyApproval(clean, approval)).toBe(clean);
    const basic = structuredClone(basicReport);
    expect(applyApproval(basic, undefined)).toBe(basic);
  });

  test('the input report is not changed', () => {
    const r = onlyNewAccess();
    const before = JSON.stringify(r);
    applyApproval(r, approval);
    expect(JSON.stringify(r)).toBe(before);
  });
});

function api(events: LabelEvent[], permissions: Record<string, string>, calls: string[] = []): GitHubApi {
  const no = () => Promise.reject(new Error('not used'));
  return {
    listComments: no, createComment: no, updateComment: no, deleteComment: no, viewerLogin: no, listPullFiles: no, pullHead: no, pullAsIssue: no, uploadSarif: no, sarifStatus: no,
    async listLabelEvents() {
      calls.push('events');
      return events;
    },
    async permissionOf(login) {
      calls.push(`permission:${login}`);
      if (!(login in permissions)) throw Object.assign(new Error('Not Found'), { status: 404 });
      return { permission: permissions[login] === 'maintain' ? 'write' : permissions[login], role: permissions[login] };
    },
  };
}

describe('findApproval', () => {
  const base = { label: 'iam-approved', prNumber: 42, prAuthor: 'dev-alice', labels: ['iam-approved'] };

  test('a labeled event names the labeler; the timeline is still read, and a later removal withdraws it', async () => {
    const calls: string[] = [];
    const r = await findApproval(api([], { 'lead-carol': 'maintain' }, calls), { ...base, labeledNow: { label: 'IAM-Approved', by: 'lead-carol' } });
    expect(r).toEqual({ approval: { label: 'iam-approved', by: 'lead-carol' } });
    expect(calls).toEqual(['events', 'permission:lead-carol']);
    // A re-run of that run after the label was removed: its payload still says "labeled".
    const removed: LabelEvent[] = [
      { event: 'labeled', label: 'iam-approved', actor: 'lead-carol', at: '2026-11-01T00:00:00Z' },
      { event: 'unlabeled', label: 'iam-approved', actor: 'lead-carol', at: '2026-11-02T00:00:00Z' },
    ];
    const again = await findApproval(api(removed, { 'lead-carol': 'maintain' }), { ...base, labeledNow: { label: 'iam-approved', by: 'lead-carol' } });
    expect(again.approval).toBeUndefined();
    expect(again.note).toMatch(/removed by lead-carol; approval withdrawn/);
  });

  test('an unknown author means no approval', async () => {
    const r = await findApproval(api([{ event: 'labeled', label: 'iam-approved', actor: 'dev-alice', at: '' }], { 'dev-alice': 'admin' }), { ...base, prAuthor: undefined });
    expect(r.approval).toBeUndefined();
    expect(r.note).toMatch(/author is not known/);
  });

  test('otherwise the last labeled event of that label counts', async () => {
    const events: LabelEvent[] = [
      { event: 'labeled', label: 'iam-approved', actor: 'someone', at: '2026-11-01T00:00:00Z' },
      { event: 'unlabeled', label: 'iam-approved', actor: 'someone', at: '2026-11-02T00:00:00Z' },
      { event: 'labeled', label: 'other', actor: 'x', at: '2026-11-03T00:00:00Z' },
      { event: 'labeled', label: 'iam-approved', actor: 'lead-carol', at: '2026-11-04T00:00:00Z' },
    ];
    const r = await findApproval(api(events, { 'lead-carol': 'admin' }), base);
    expect(r.approval).toEqual({ label: 'iam-approved', by: 'lead-carol', at: '2026-11-04T00:00:00Z' });
  });

  test('no label, no approval and no call', async () => {
    const calls: string[] = [];
    expect(await findApproval(api([], {}, calls), { ...base, labels: ['bug'] })).toEqual({});
    expect(calls).toEqual([]);
  });

  test.each([
    ['the author', [{ event: 'labeled', label: 'iam-approved', actor: 'dev-alice', at: '' }], { 'dev-alice': 'admin' }, /pull request's author/],
    ['a triager', [{ event: 'labeled', label: 'iam-approved', actor: 'tri', at: '' }], { tri: 'triage' }, /tri, who has triage access; approval needs write access/],
    // A workflow in the pull request can label it with the job's token, which has write access.
    ['a bot', [{ event: 'labeled', label: 'iam-approved', actor: 'github-actions[bot]', at: '' }], { 'github-actions[bot]': 'write' }, /github-actions\[bot\], an app's bot account; approval needs a person/],
    ['nobody known', [], {}, /do not say who set it/],
    ['a failing permission call', [{ event: 'labeled', label: 'iam-approved', actor: 'ghost', at: '' }], {}, /could not check who set label 'iam-approved' \(HTTP 404/],
  ] as const)('a label set by %s does not approve, with a note', async (_name, events, permissions, note) => {
    const r = await findApproval(api([...events] as LabelEvent[], { ...permissions }), base);
    expect(r.approval).toBeUndefined();
    expect(r.note).toMatch(note);
  });
});
