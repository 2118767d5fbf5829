// The few GitHub REST calls the action makes, behind a narrow interface so the publishing logic
// can be tested without HTTP. The real implementation is Octokit from @actions/github, pointed at
// GITHUB_API_URL (the runner sets it; tests point it at a local fake), with rate-limit retries.
import { getOctokit } from '@actions/github';
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from './retry.js';

export interface IssueComment {
  id: number;
  body: string;
  login: string;
  /** "Bot" for GITHUB_TOKEN's github-actions[bot] and app tokens. */
  userType: string;
  htmlUrl?: string;
}

export interface LabelEvent {
  event: 'labeled' | 'unlabeled';
  label: string;
  actor: string;
  at: string;
}

export interface SarifUploadRequest {
  commit_sha: string;
  ref: string;
  sarif: string;
  tool_name: string;
  started_at?: string;
}

export interface SarifStatus {
  status: 'pending' | 'complete' | 'failed' | string;
  errors: string[];
}

export interface GitHubApi {
  listComments(issue: number): Promise<IssueComment[]>;
  createComment(issue: number, body: string): Promise<IssueComment>;
  updateComment(id: number, body: string): Promise<IssueComment>;
  deleteComment(id: number): Promise<void>;
  /** The token's own login, when the token may ask (GITHUB_TOKEN may not: undefined). */
  viewerLogin(): Promise<string | undefined>;
  listPullFiles(pr: number): Promise<{ files: string[]; truncated: boolean }>;
  /** A pull request read as an issue: its author and labels now (undefined: no such issue, or not a pull request). */
  pullAsIssue(pr: number): Promise<{ author?: string; labels: string[] } | undefined>;
  /** The pull request's head commit now (`refs/pull/N/head`), or undefined when GitHub has no such ref. */
  pullHead(pr: number): Promise<string | undefined>;
  listLabelEvents(issue: number): Promise<LabelEvent[]>;
  permissionOf(login: string): Promise<{ permission: string; role: string }>;
  uploadSarif(request: SarifUploadRequest): Promise<{ id: string }>;
  sarifStatus(id: string): Promise<SarifStatus>;
}

/** The HTTP status of a failed call, or undefined for a network or programming error. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown })?.status;
  return typeof status === 'number' ? status : undefined;
}

/** A failed call's message without request details (the token is never part of it). */
export function messageOf(error: unknown): string {
  const status = statusOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return status ? `HTTP ${status}: ${message.split('\n')[0].slice(0, 300)}` : message.split('\n')[0].slice(0, 300);
}

/** GitHub lists at most 3,000 files of a pull request; more pages than this are not asked for. */
const MAX_PR_FILES = 3000;
const MAX_COMMENT_PAGES = 50;

export interface ApiOptions {
  owner: string;
  repo: string;
  token: string;
  baseUrl?: string;
  retry?: RetryPolicy;
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
  /** Time one request may take, body included (default 20 s): a GitHub that stops answering must not hold the job. */
  timeoutMs?: number;
}

export function createGitHubApi(opts: ApiOptions): GitHubApi {
  const octokit = getOctokit(opts.token, { baseUrl: opts.baseUrl ?? process.env.GITHUB_API_URL ?? 'https://api.github.com' });
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = opts.log ?? (() => {});
  const timeoutMs = opts.timeoutMs ?? 20_000;
  octokit.hook.wrap('request', async (request, options) => {
    // Every fetch gets its own time-out, body included (Octokit sets none). The fetch is replaced in place,
    // once: the request options object reaches the fetch by reference.
    const settings = (options.request ??= {}) as { fetch?: typeof fetch & { timed?: true } };
    if (!settings.fetch?.timed) {
      const inner = settings.fetch ?? fetch;
      settings.fetch = Object.assign((url: Parameters<typeof fetch>[0], init?: RequestInit) => inner(url, { ...init, signal: AbortSignal.timeout(timeoutMs) }), { timed: true as const });
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(options);
      } catch (error) {
        // A time-out is not retried: a GitHub that did not answer in time will not answer the next try sooner.
        const cause = (error as { cause?: { name?: string } }).cause;
        if ([(error as { name?: string }).name, cause?.name].some((n) => n === 'TimeoutError' || n === 'AbortError')) {
          throw new Error(`no answer from GitHub within ${timeoutMs} ms (${options.method} ${options.url})`);
        }
        const failure = { status: statusOf(error), headers: (error as { response?: { headers?: Record<string, string> } }).response?.headers, idempotent: options.method === 'GET' };
        const wait = retryDelay(failure, attempt, Date.now(), opts.retry ?? DEFAULT_RETRY);
        if (wait === undefined) throw error;
        log(`GitHub answered ${failure.status} to ${options.method} ${options.url}: retrying in ${Math.ceil(wait / 1000)} s`);
        await sleep(wait);
      }
    }
  });
  const repo = { owner: opts.owner, repo: opts.repo };
  const toComment = (c: { id: number; body?: string; user: { login: string; type: string } | null; html_url: string }): IssueComment => ({
    id: c.id,
    body: c.body ?? '',
    login: c.user?.login ?? '',
    userType: c.user?.type ?? '',
    htmlUrl: c.html_url,
  });

  return {
    async listComments(issue) {
      let pages = 0;
      const list = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: issue, per_page: 100 }, (response, done) => {
        if (++pages >= MAX_COMMENT_PAGES) done();
        return response.data;
      });
      return list.map(toComment);
    },
    async createComment(issue, body) {
      const { data } = await octokit.rest.issues.createComment({ ...repo, issue_number: issue, body });
      return toComment(data);
    },
    async deleteComment(id) {
      await octokit.rest.issues.deleteComment({ ...repo, comment_id: id });
    },
    async updateComment(id, body) {
      const { data } = await octokit.rest.issues.updateComment({ ...repo, comment_id: id, body });
      return toComment(data);
    },
    async viewerLogin() {
      try {
        const { data } = await octokit.rest.users.getAuthenticated();
        return data.login;
      } catch (error) {
        if (statusOf(error) === 403 || statusOf(error) === 401) return undefined;
        throw error;
      }
    },
    async listPullFiles(pr) {
      const files: string[] = [];
      await octokit.paginate(octokit.rest.pulls.listFiles, { ...repo, pull_number: pr, per_page: 100 }, (response, done) => {
        for (const f of response.data) files.push(f.filename);
        if (files.length >= MAX_PR_FILES) done();
        return [];
      });
      return { files, truncated: files.length >= MAX_PR_FILES };
    },
    async pullAsIssue(pr) {
      try {
        const { data } = await octokit.rest.issues.get({ ...repo, issue_number: pr });
        if (!data.pull_request) return undefined;
        const labels = data.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter((n) => n !== '');
        return { author: data.user?.login, labels };
      } catch (error) {
        if (statusOf(error) === 404 || statusOf(error) === 410) return undefined;
        throw error;
      }
    },
    async pullHead(pr) {
      try {
        const { data } = await octokit.rest.git.getRef({ ...repo, ref: `pull/${pr}/head` });
        return data.object.sha;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async listLabelEvents(issue) {
      const events = await octokit.paginate(octokit.rest.issues.listEvents, { ...repo, issue_number: issue, per_page: 100 });
      const out: LabelEvent[] = [];
      for (const e of events as Array<{ event?: string; label?: { name?: string }; actor?: { login?: string } | null; created_at?: string }>) {
        if ((e.event === 'labeled' || e.event === 'unlabeled') && e.label?.name && e.actor?.login) {
          out.push({ event: e.event, label: e.label.name, actor: e.actor.login, at: e.created_at ?? '' });
        }
      }
      return out;
    },
    async permissionOf(login) {
      const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username: login });
      return { permission: data.permission, role: data.role_name };
    },
    async uploadSarif(request) {
      const { data } = await octokit.rest.codeScanning.uploadSarif({ ...repo, ...request });
      return { id: data.id ?? '' };
    },
    async sarifStatus(id) {
      const { data } = await octokit.rest.codeScanning.getSarif({ ...repo, sarif_id: id });
      return { status: data.processing_status ?? 'pending', errors: (data.errors ?? []).map(String) };
    },
  };
}
