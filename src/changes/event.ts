import { UsageError } from './errors.js';
import { isValidRefSyntax } from './git.js';

export { UsageError } from './errors.js';
export { ensureCommits } from './fetch.js';

/** The two revisions a workflow run should compare, and what the event says about them. */
export interface EventRefs {
  base: string;
  head: string;
  event: string;
  prNumber?: number;
  isFork?: boolean;
  note?: string;
}

const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;
const ALL_ZERO = /^0+$/;
export const SUPPORTED_EVENTS = ['pull_request', 'pull_request_target', 'merge_group', 'push', 'workflow_dispatch'];

function sha(value: unknown, where: string, event: string): string {
  if (typeof value !== 'string' || !SHA.test(value)) {
    throw new UsageError(`The ${event} event payload has no commit id at ${where} (got ${JSON.stringify(value ?? null)}).`);
  }
  return value.toLowerCase();
}

function fromPullRequest(event: string, payload: any): EventRefs {
  const pr = payload?.pull_request;
  if (!pr || typeof pr !== 'object') throw new UsageError(`The ${event} event payload has no pull_request object.`);
  const refs: EventRefs = {
    base: sha(pr.base?.sha, 'pull_request.base.sha', event),
    head: sha(pr.head?.sha, 'pull_request.head.sha', event),
    event,
  };
  const number = pr.number ?? payload.number;
  if (Number.isInteger(number)) refs.prNumber = number;
  refs.isFork = isForkPr(pr);
  const notes: string[] = [];
  if (event === 'pull_request_target') {
    notes.push('pull_request_target: head commit read as data only (never checked out or run).');
  }
  if (refs.isFork && event === 'pull_request') notes.push('fork pull request: GITHUB_TOKEN is read-only, so comments and SARIF upload may be refused.');
  if (notes.length > 0) refs.note = notes.join(' ');
  return refs;
}

/** A fork PR has a head repository other than the base one; a deleted fork has no head repo at all. */
function isForkPr(pr: any): boolean {
  const headRepo = pr.head?.repo;
  const baseRepo = pr.base?.repo;
  if (headRepo === null) return true;
  if (typeof headRepo?.full_name === 'string' && typeof baseRepo?.full_name === 'string') {
    return headRepo.full_name.toLowerCase() !== baseRepo.full_name.toLowerCase();
  }
  return headRepo?.fork === true;
}

function fromMergeGroup(payload: any): EventRefs {
  const group = payload?.merge_group;
  if (!group || typeof group !== 'object') throw new UsageError('The merge_group event payload has no merge_group object.');
  const refs: EventRefs = {
    base: sha(group.base_sha, 'merge_group.base_sha', 'merge_group'),
    head: sha(group.head_sha, 'merge_group.head_sha', 'merge_group'),
    event: 'merge_group',
    note: 'merge queue: no pull request to comment on; results go to the job summary and exit code.',
  };
  // head_ref looks like refs/heads/gh-readonly-queue/<base>/pr-<n>-<sha>.
  const match = typeof group.head_ref === 'string' ? /\/pr-(\d+)-[0-9a-f]+$/i.exec(group.head_ref) : null;
  if (match) refs.prNumber = Number(match[1]);
  return refs;
}

function fromPush(payload: any): EventRefs {
  const after = payload?.after;
  if (payload?.deleted === true || (typeof after === 'string' && ALL_ZERO.test(after))) {
    throw new UsageError(`The push deleted ${payload?.ref ?? 'a branch'}: there is no head commit to check.`);
  }
  const head = sha(after, 'after', 'push');
  const before = payload?.before;
  if (before === undefined || before === null || (typeof before === 'string' && ALL_ZERO.test(before))) {
    return {
      base: `${head}~1`,
      head,
      event: 'push',
      note:
        'push created a new branch (before is all zeros): compared the pushed commit with its first parent only; ' +
        'earlier commits of the branch are not included. Run on pull_request to check the whole change.',
    };
  }
  return { base: sha(before, 'before', 'push'), head, event: 'push' };
}

function fromDispatch(payload: any): EventRefs {
  const inputs = payload?.inputs && typeof payload.inputs === 'object' ? payload.inputs : {};
  const pick = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const base = pick(inputs.base);
  const head = pick(inputs.head);
  const refs: EventRefs = { base: base ?? 'HEAD~1', head: head ?? 'HEAD', event: 'workflow_dispatch' };
  for (const [name, value] of [['base', refs.base], ['head', refs.head]] as const) {
    if (!isValidRefSyntax(value)) throw new UsageError(`workflow_dispatch input '${name}' is not a valid git revision: ${JSON.stringify(value)}.`);
  }
  if (!base || !head) refs.note = `workflow_dispatch without ${!base && !head ? 'base and head inputs' : !base ? 'a base input' : 'a head input'}: compared ${refs.base}..${refs.head}.`;
  return refs;
}

/** Picks base and head from a GitHub event payload (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH` JSON). */
export function refsFromEvent(eventName: string, payload: any): EventRefs {
  switch (eventName) {
    case 'pull_request':
    case 'pull_request_target':
      return fromPullRequest(eventName, payload);
    case 'merge_group':
      return fromMergeGroup(payload);
    case 'push':
      return fromPush(payload);
    case 'workflow_dispatch':
      return fromDispatch(payload);
    default:
      throw new UsageError(
        `Event '${eventName}' is not supported: trigger the workflow on ${SUPPORTED_EVENTS.join(', ')}, ` +
          'or give base and head refs explicitly.',
      );
  }
}
