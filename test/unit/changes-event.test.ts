import { refsFromEvent, UsageError } from '../../src/changes/event.js';

const BASE = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const HEAD = 'ffeeddccbbaa99887766554433221100ffeeddcc';
const repo = (fullName: string, fork: boolean) => ({ id: 1, name: fullName.split('/')[1], full_name: fullName, fork });

// Minimal payloads shaped like the webhook bodies GitHub writes to GITHUB_EVENT_PATH.
const pullRequest = (headRepo: unknown) => ({
  action: 'synchronize',
  number: 42,
  pull_request: {
    number: 42,
    state: 'open',
    base: { ref: 'main', sha: BASE, repo: repo('acme/infra', false) },
    head: { ref: 'feature/x', sha: HEAD, repo: headRepo },
  },
  repository: repo('acme/infra', false),
});

describe('refsFromEvent', () => {
  test('pull_request from the same repository', () => {
    expect(refsFromEvent('pull_request', pullRequest(repo('acme/infra', false)))).toEqual({
      base: BASE, head: HEAD, event: 'pull_request', prNumber: 42, isFork: false,
    });
  });

  test('pull_request inside a repository that is itself a fork is not a fork PR', () => {
    const payload = pullRequest(repo('someone/infra', true));
    payload.pull_request.base.repo = repo('someone/infra', true);
    expect(refsFromEvent('pull_request', payload).isFork).toBe(false);
  });

  test('pull_request from a fork, and from a deleted fork', () => {
    const fork = refsFromEvent('pull_request', pullRequest(repo('mallory/infra', true)));
    expect(fork).toMatchObject({ isFork: true, prNumber: 42 });
    expect(fork.note).toMatch(/read-only/);
    expect(refsFromEvent('pull_request', pullRequest(null)).isFork).toBe(true);
  });

  test('pull_request_target uses base.sha and head.sha and says head is data only', () => {
    const refs = refsFromEvent('pull_request_target', pullRequest(repo('mallory/infra', true)));
    expect(refs).toMatchObject({ base: BASE, head: HEAD, event: 'pull_request_target', isFork: true });
    expect(refs.note).toMatch(/never checked out or run/);
  });

  test('merge_group takes base_sha/head_sha and the PR number from head_ref', () => {
    const payload = {
      action: 'checks_requested',
      merge_group: {
        head_sha: HEAD,
        head_ref: `refs/heads/gh-readonly-queue/main/pr-17-${BASE}`,
        base_sha: BASE,
        base_ref: 'refs/heads/main',
        head_commit: { id: HEAD, message: 'Merge pull request #17' },
      },
      repository: repo('acme/infra', false),
    };
    expect(refsFromEvent('merge_group', payload)).toMatchObject({ base: BASE, head: HEAD, event: 'merge_group', prNumber: 17 });
  });

  test('push compares before..after', () => {
    const payload = { ref: 'refs/heads/main', before: BASE, after: HEAD, created: false, deleted: false, forced: false, commits: [] };
    expect(refsFromEvent('push', payload)).toEqual({ base: BASE, head: HEAD, event: 'push' });
  });

  test('push that creates a branch compares with the parent of after, and says so', () => {
    const payload = { ref: 'refs/heads/new', before: '0'.repeat(40), after: HEAD, created: true, deleted: false };
    const refs = refsFromEvent('push', payload);
    expect(refs).toMatchObject({ base: `${HEAD}~1`, head: HEAD });
    expect(refs.note).toMatch(/first parent only/);
  });

  test('push that deletes a branch is a UsageError', () => {
    const payload = { ref: 'refs/heads/old', before: HEAD, after: '0'.repeat(40), created: false, deleted: true };
    expect(() => refsFromEvent('push', payload)).toThrow(/deleted refs\/heads\/old/);
  });

  test('workflow_dispatch inputs, defaults, and bad input', () => {
    expect(refsFromEvent('workflow_dispatch', { inputs: { base: 'origin/main', head: 'HEAD' }, ref: 'refs/heads/main' })).toEqual({
      base: 'origin/main', head: 'HEAD', event: 'workflow_dispatch',
    });
    const defaults = refsFromEvent('workflow_dispatch', { inputs: {}, ref: 'refs/heads/main' });
    expect(defaults).toMatchObject({ base: 'HEAD~1', head: 'HEAD' });
    expect(defaults.note).toMatch(/HEAD~1\.\.HEAD/);
    expect(refsFromEvent('workflow_dispatch', {}).base).toBe('HEAD~1');
    expect(() => refsFromEvent('workflow_dispatch', { inputs: { base: '--upload-pack=evil' } })).toThrow(/input 'base'/);
  });

  test('other events and malformed payloads are UsageErrors with clear messages', () => {
    expect(() => refsFromEvent('issue_comment', {})).toThrow(UsageError);
    expect(() => refsFromEvent('schedule', {})).toThrow(/Event 'schedule' is not supported: trigger the workflow on pull_request/);
    expect(() => refsFromEvent('pull_request', {})).toThrow(/no pull_request object/);
    expect(() => refsFromEvent('pull_request', { pull_request: { base: { sha: 'main' }, head: { sha: HEAD } } })).toThrow(
      /pull_request\.base\.sha/,
    );
    expect(() => refsFromEvent('merge_group', { merge_group: { base_sha: BASE } })).toThrow(/merge_group\.head_sha/);
    expect(() => refsFromEvent('push', null)).toThrow(/after/);
  });
});
