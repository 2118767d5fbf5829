// What the run is about, from the runner's environment and the event payload: the repository,
// the pull request (number, author, labels, fork or not) and where SARIF results belong.
import type { EventRefs } from '../changes/event.js';

export interface RunContext {
  eventName: string;
  owner?: string;
  repo?: string;
  prNumber?: number;
  prAuthor?: string;
  /** pull_request or pull_request_target: there is a conversation to comment on. */
  isPullRequest: boolean;
  isFork: boolean;
  labels: string[];
  /** A `labeled` event: which label and who added it. */
  labeledNow?: { label: string; by: string };
  serverUrl: string;
  runUrl?: string;
  workflow?: string;
  job?: string;
  githubSha?: string;
  githubRef?: string;
}

const REPO = /^([A-Za-z0-9_.-]{1,100})\/([A-Za-z0-9_.-]{1,100})$/;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function runContext(env: NodeJS.ProcessEnv, eventName: string, payload: any, refs: EventRefs): RunContext {
  const repoMatch = REPO.exec(env.GITHUB_REPOSITORY ?? '');
  const serverUrl = /^https?:\/\/[^\s"'<>]+$/.test(env.GITHUB_SERVER_URL ?? '') ? env.GITHUB_SERVER_URL!.replace(/\/+$/, '') : 'https://github.com';
  const runId = /^\d+$/.test(env.GITHUB_RUN_ID ?? '') ? env.GITHUB_RUN_ID : undefined;
  const pr = payload?.pull_request;
  const isPullRequest = (eventName === 'pull_request' || eventName === 'pull_request_target') && refs.prNumber !== undefined;
  const labels = Array.isArray(pr?.labels) ? pr.labels.map((l: any) => str(l?.name)).filter((n: string | undefined): n is string => !!n) : [];
  const ctx: RunContext = {
    eventName,
    owner: repoMatch?.[1],
    repo: repoMatch?.[2],
    prNumber: refs.prNumber,
    prAuthor: str(pr?.user?.login),
    isPullRequest,
    isFork: refs.isFork === true,
    labels,
    serverUrl,
    runUrl: repoMatch && runId ? `${serverUrl}/${repoMatch[1]}/${repoMatch[2]}/actions/runs/${runId}` : undefined,
    workflow: str(env.GITHUB_WORKFLOW),
    job: str(env.GITHUB_JOB),
    githubSha: str(env.GITHUB_SHA),
    githubRef: str(env.GITHUB_REF),
  };
  const label = str(payload?.label?.name);
  const sender = str(payload?.sender?.login);
  if (isPullRequest && payload?.action === 'labeled' && label && sender) ctx.labeledNow = { label, by: sender };
  return ctx;
}

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const UPLOAD_REF = /^refs\/(heads|tags)\/[^\s]+$|^refs\/pull\/\d+\/(merge|head)$/;

/**
 * The commit and ref code scanning files the results under. A pull request's results go to
 * refs/pull/N/head with the head commit (our locations are head lines); other events use the
 * ref the workflow ran on and the analysed head commit.
 */
export function sarifTarget(ctx: RunContext, headSha: string): { commitSha: string; ref: string } | { problem: string } {
  if (!FULL_SHA.test(headSha)) return { problem: `the head revision ${JSON.stringify(headSha)} is not a full commit id` };
  if (ctx.isPullRequest && ctx.prNumber !== undefined) return { commitSha: headSha.toLowerCase(), ref: `refs/pull/${ctx.prNumber}/head` };
  const ref = ctx.githubRef ?? '';
  if (!UPLOAD_REF.test(ref)) return { problem: `GITHUB_REF ${JSON.stringify(ref)} is not a branch, tag or pull request ref` };
  return { commitSha: headSha.toLowerCase(), ref };
}
