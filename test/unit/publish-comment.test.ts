import { basicReport, cleanReport, hostileReport, hugeReport } from '../../fixtures/report/reports.js';
import type { Report } from '../../src/model.js';
import { approvalNote, COMMENT_LIMIT, commentBody, commentMarker, findSticky, insertUnderHeading, policyFreeBody, upsertSticky } from '../../src/publish/comment.js';
import type { GitHubApi, IssueComment } from '../../src/publish/github-api.js';

const marker = commentMarker({ workflow: 'IAM gate', job: 'gate' });

describe('commentMarker', () => {
  test('names workflow and job (and the optional key), as one hidden line', () => {
    expect(marker).toBe('<!-- iam-policy-gate: workflow=IAM gate job=gate -->');
    expect(commentMarker({ workflow: 'IAM gate', job: 'gate', key: 'prod' })).toBe('<!-- iam-policy-gate: workflow=IAM gate job=gate key=prod -->');
    expect(commentMarker({ workflow: 'IAM gate', job: 'other' })).not.toBe(marker);
  });

  test('a hostile workflow name cannot close the comment early', () => {
    const m = commentMarker({ workflow: 'x --> <img src=x> <!--', job: 'j' });
    expect(m.startsWith('<!-- ')).toBe(true);
    expect(m.endsWith(' -->')).toBe(true);
    expect(m.slice(4, -3)).not.toMatch(/-->|<|>/);
  });
});

describe('commentBody', () => {
  test('starts with the marker, then the verdict; ends with the footer', () => {
    const body = commentBody(basicReport, { marker, footer: '<sub>run</sub>' });
    const lines = body.split('\n');
    expect(lines[0]).toBe(marker);
    expect(lines.find((l) => l.trim() !== '' && l !== marker)).toMatch(/^### .*IAM policy gate failed/);
    expect(body.endsWith('<sub>run</sub>')).toBe(true);
  });

  test('stays under 65,536 characters whatever the report', () => {
    const body = commentBody(hugeReport(60, 600), { marker, footer: '<sub>run</sub>' });
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body.startsWith(`${marker}\n`)).toBe(true);
    expect(body).toContain('<sub>run</sub>');
  });

  test('hostile report text never becomes a mention, link or tag', () => {
    // GitHub renders code spans literally: only the text outside them can mention or link.
    const prose = commentBody(hostileReport(), { marker }).replace(/(`+)[\s\S]*?\1/g, '');
    expect(prose).toContain('octocat');
    expect(prose).not.toMatch(/(^|[^\w])@[A-Za-z0-9]/);
    expect(prose).not.toContain('<img');
    expect(prose).not.toContain('<script');
    expect(prose).not.toMatch(/\]\(https:\/\/evil/);
  });

  test('an approval shows under the verdict, escaped and without an @', () => {
    const report: Report = { ...structuredClone(basicReport), approval: { label: 'iam-`approved`', by: 'lead_carol', at: '2026-11-20T10:00:00Z' } };
    const body = commentBody(report, { marker });
    const lines = body.split('\n');
    const heading = lines.findIndex((l) => l.startsWith('### '));
    expect(lines[heading + 2]).toBe('> [!NOTE]');
    expect(lines[heading + 3]).toBe('> New access approved with the label `` iam-`approved` `` by lead\\_carol on 2026-11-20: it is reported as a warning instead of failing the check.');
  });
});

describe('helpers', () => {
  test('approvalNote is empty without an approval', () => {
    expect(approvalNote(cleanReport)).toBe('');
  });

  test('insertUnderHeading falls back to after the first line', () => {
    expect(insertUnderHeading('m\ntext', 'NOTE')).toBe('m\n\nNOTE\ntext');
    expect(insertUnderHeading('m\n\n### V\nrest', 'NOTE')).toBe('m\n\n### V\n\nNOTE\nrest');
  });

  test('policyFreeBody keeps the marker first and names the commit', () => {
    const body = policyFreeBody(marker, 'a'.repeat(40), '<sub>f</sub>');
    expect(body.split('\n')[0]).toBe(marker);
    expect(body).toContain('no longer changes any IAM identity or bucket policy as of commit `aaaaaaaaaaaa`');
    expect(policyFreeBody(marker, 'HEAD')).not.toContain('as of commit');
  });
});

class MemoryApi implements Partial<GitHubApi> {
  comments: IssueComment[] = [];
  calls: string[] = [];
  viewer?: string;
  next = 1;
  async listComments() {
    this.calls.push('list');
    return this.comments.map((c) => ({ ...c }));
  }
  async createComment(_issue: number, body: string) {
    this.calls.push('create');
    const race = this.beforeCreate;
    this.beforeCreate = undefined;
    race?.();
    const c = { id: this.next++, body, login: 'github-actions[bot]', userType: 'Bot' };
    this.comments.push(c);
    return c;
  }
  async updateComment(id: number, body: string) {
    this.calls.push(`update:${id}`);
    const c = this.comments.find((x) => x.id === id)!;
    c.body = body;
    return { ...c };
  }
  async deleteComment(id: number) {
    this.calls.push(`delete:${id}`);
    if (this.failDelete) throw new Error('HTTP 403: Resource not accessible by integration');
    this.comments = this.comments.filter((c) => c.id !== id);
  }
  failDelete = false;
  /** Runs once, just before the next create: another run creating its comment at the same moment. */
  beforeCreate?: () => void;
  async viewerLogin() {
    this.calls.push('viewer');
    return this.viewer;
  }
}

describe('sticky comment', () => {
  const body = (text: string) => `${marker}\n\n${text}`;

  test('created once, then updated in place, and left alone when unchanged', async () => {
    const api = new MemoryApi();
    const gh = api as unknown as GitHubApi;
    expect(await upsertSticky(gh, { issue: 1, marker, body: body('one'), create: true })).toMatchObject({ action: 'created', id: 1 });
    expect(await upsertSticky(gh, { issue: 1, marker, body: body('two'), create: true })).toMatchObject({ action: 'updated', id: 1 });
    expect(await upsertSticky(gh, { issue: 1, marker, body: body('two'), create: true })).toMatchObject({ action: 'unchanged', id: 1 });
    expect(api.comments).toHaveLength(1);
    expect(api.calls).toEqual(['list', 'create', 'list', 'list', 'update:1', 'list']);
  });

  test('nothing to say and no earlier comment: skipped; an earlier comment gets the update body', async () => {
    const api = new MemoryApi();
    const gh = api as unknown as GitHubApi;
    expect(await upsertSticky(gh, { issue: 1, marker, body: body('x'), create: false })).toEqual({ action: 'skipped', reason: 'no policy change and no earlier comment' });
    api.comments.push({ id: 9, body: body('old'), login: 'github-actions[bot]', userType: 'Bot' });
    await upsertSticky(gh, { issue: 1, marker, body: body('x'), create: false, updateBody: body('policy-free') });
    expect(api.comments[0].body).toBe(body('policy-free'));
  });

  test('a user comment with the marker is not ours; a personal token finds its own by login', async () => {
    const api = new MemoryApi();
    api.comments.push({ id: 3, body: body('spoof'), login: 'mallory', userType: 'User' });
    api.comments.push({ id: 4, body: `prefix ${marker}`, login: 'github-actions[bot]', userType: 'Bot' });
    expect(await findSticky(api as unknown as GitHubApi, 1, marker)).toEqual({ comment: undefined, duplicates: 0, newer: [] });
    api.viewer = 'Mallory';
    expect((await findSticky(api as unknown as GitHubApi, 1, marker)).comment?.id).toBe(3);
  });

  test('another app\'s bot comment carrying the marker is passed over when the Actions bot has one', async () => {
    const api = new MemoryApi();
    api.comments.push({ id: 5, body: body('theirs'), login: 'some-other-app[bot]', userType: 'Bot' });
    api.comments.push({ id: 6, body: body('ours'), login: 'github-actions[bot]', userType: 'Bot' });
    expect((await findSticky(api as unknown as GitHubApi, 1, marker)).comment?.id).toBe(6);
  });

  test('a race left two: the oldest is updated and the newer copy deleted (a failed delete is counted)', async () => {
    const api = new MemoryApi();
    api.comments.push({ id: 5, body: body('a'), login: 'github-actions[bot]', userType: 'Bot' }, { id: 6, body: body('b'), login: 'github-actions[bot]', userType: 'Bot' });
    const outcome = await upsertSticky(api as unknown as GitHubApi, { issue: 1, marker, body: body('c'), create: true });
    expect(outcome).toMatchObject({ action: 'updated', id: 5, duplicates: 0, removed: 1 });
    expect(api.comments.map((c) => [c.id, c.body])).toEqual([[5, body('c')]]);
    expect(api.calls).not.toContain('viewer');
    api.comments.push({ id: 7, body: body('d'), login: 'github-actions[bot]', userType: 'Bot' });
    api.failDelete = true;
    expect(await upsertSticky(api as unknown as GitHubApi, { issue: 1, marker, body: body('c'), create: true })).toMatchObject({ action: 'unchanged', id: 5, duplicates: 1, removed: 0 });
  });

  test('two runs creating at once: the older comment stays, with our body; ours is deleted', async () => {
    const api = new MemoryApi();
    api.next = 10;
    // The other run's comment lands between our look and our create (it gets the lower id: it is older).
    api.beforeCreate = () => api.comments.push({ id: 3, body: body('other run'), login: 'github-actions[bot]', userType: 'Bot' });
    const outcome = await upsertSticky(api as unknown as GitHubApi, { issue: 1, marker, body: body('ours'), create: true });
    expect(outcome).toMatchObject({ action: 'updated', id: 3, removed: 1 });
    expect(api.comments.map((c) => [c.id, c.body])).toEqual([[3, body('ours')]]);
  });
});
