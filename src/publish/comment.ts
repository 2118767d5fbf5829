// The sticky PR comment: one per workflow, job and step, found again by its hidden first line,
// created once and updated in place. Its body is diff.md rendered to fit GitHub's 65,536-character
// limit, with the approval (if any) under the verdict and a footer pointing to the full report.
import type { Report } from '../model.js';
import { renderDiffMd, safeMarker } from '../report/diff-md.js';
import { clip, code, escapeMarkdown, plainText } from '../report/markdown.js';
import type { GitHubApi, IssueComment } from './github-api.js';

/** GitHub refuses longer comment bodies (422 "Body is too long"). */
export const COMMENT_LIMIT = 65_536;
/** Kept free below the limit for the parts added around diff.md. */
const MARGIN = 256;

export interface MarkerParts {
  workflow?: string;
  job?: string;
  /** The `comment-key` input: tells matrix jobs, or two uses in one job, apart. */
  key?: string;
}

/** The hidden first line; the same parts always give the same marker. */
export function commentMarker(parts: MarkerParts): string {
  const bits = [`workflow=${parts.workflow ?? ''}`, `job=${parts.job ?? ''}`];
  if (parts.key) bits.push(`key=${parts.key}`);
  return safeMarker(`<!-- iam-policy-gate: ${bits.join(' ')} -->`);
}

export interface CommentExtras {
  /** Links and provenance under the report, e.g. the run URL. */
  footer?: string;
}

/** The approval as a note: who (escaped, no @, so nobody is notified) and with which label. */
export function approvalNote(report: Report): string {
  const a = report.approval;
  if (!a) return '';
  const when = a.at && /^\d{4}-\d{2}-\d{2}/.test(a.at) ? ` on ${a.at.slice(0, 10)}` : '';
  return `> [!NOTE]\n> New access approved with the label ${code(clip(plainText(a.label), 100), 'text')} by ${escapeMarkdown(clip(a.by, 100))}${when}: it is reported as a warning instead of failing the check.`;
}

/** Puts `addition` right under the verdict heading (the first `### ` line), or after the marker. */
export function insertUnderHeading(markdown: string, addition: string): string {
  if (!addition) return markdown;
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => l.startsWith('### '));
  const index = at >= 0 ? at + 1 : Math.min(1, lines.length);
  lines.splice(index, 0, '', addition);
  return lines.join('\n');
}

/** diff.md with the approval and footer, within `maxChars` (UTF-16 code units, as GitHub counts). */
export function decoratedDiffMd(report: Report, opts: { marker: string; linkBase?: string; footer?: string; maxChars: number }): string {
  const note = approvalNote(report);
  const footer = opts.footer ?? '';
  const extra = note.length + footer.length + 8;
  let body = renderDiffMd(report, { marker: opts.marker, linkBase: opts.linkBase, maxChars: Math.max(1000, opts.maxChars - extra) });
  body = insertUnderHeading(body, note);
  if (footer) body = `${body}\n\n${footer}`;
  return body.length <= opts.maxChars ? body : cutAtLine(body, opts.maxChars);
}

function cutAtLine(text: string, max: number): string {
  const cut = text.slice(0, max);
  const nl = cut.lastIndexOf('\n');
  return nl > 0 ? cut.slice(0, nl) : cut;
}

/** The comment body for a report. */
export function commentBody(report: Report, opts: { marker: string; linkBase?: string; footer?: string }): string {
  return decoratedDiffMd(report, { ...opts, maxChars: COMMENT_LIMIT - MARGIN });
}

/** What an earlier comment becomes when a later push leaves no policy change in the pull request. */
export function policyFreeBody(marker: string, head: string, footer?: string): string {
  const sha = /^[0-9a-f]{7,64}$/i.test(head) ? ` as of commit ${code(head.slice(0, 12), 'text')}` : '';
  return [
    marker,
    `### ✅ IAM policy gate: no policy changes`,
    `This pull request no longer changes any IAM identity or bucket policy${sha}. An earlier version did; its report was replaced by this note.`,
    footer ?? '',
  ]
    .filter(Boolean)
    .join('\n\n');
}

export type StickyOutcome =
  | { action: 'created' | 'updated' | 'unchanged'; id: number; url?: string; duplicates: number; removed: number }
  | { action: 'skipped'; reason: string };

/**
 * Finds our earlier comment: the marker must be its first line and the author the token's own
 * identity (a bot for GITHUB_TOKEN; with a personal token, its login), so a comment someone else
 * wrote with the marker is never taken over. The oldest match wins when a race made two; the
 * others are `newer`.
 */
export async function findSticky(api: GitHubApi, issue: number, marker: string): Promise<{ comment?: IssueComment; duplicates: number; newer: IssueComment[] }> {
  const marked = (await api.listComments(issue)).filter((c) => c.body === marker || c.body.startsWith(`${marker}\n`));
  let own = marked.filter((c) => c.userType === 'Bot');
  // Another app's bot may carry the marker too: the Actions bot's own comments first, when there are any.
  const actionsBot = own.filter((c) => c.login.toLowerCase() === 'github-actions[bot]');
  if (actionsBot.length > 0) own = actionsBot;
  if (own.length === 0 && marked.length > 0) {
    const viewer = await api.viewerLogin();
    own = viewer ? marked.filter((c) => c.login.toLowerCase() === viewer.toLowerCase()) : [];
  }
  return { comment: own[0], duplicates: Math.max(0, own.length - 1), newer: own.slice(1) };
}

export interface StickyRequest {
  issue: number;
  marker: string;
  body: string;
  /** False when there is nothing worth a new comment (no policy change): only an existing one is updated. */
  create: boolean;
  /** Body to use instead when updating an existing comment (e.g. the policy-free note). */
  updateBody?: string;
}

/**
 * Creates or updates the one sticky comment. Two runs racing (a push while a run is under way) can each create
 * one: the oldest is kept and ours and any newer copy are deleted, so a reviewer never reads a stale duplicate.
 * Deleting is best effort (a failure leaves the copy, counted in `duplicates`).
 */
export async function upsertSticky(api: GitHubApi, req: StickyRequest): Promise<StickyOutcome> {
  const found = await findSticky(api, req.issue, req.marker);
  if (found.comment) return keep(api, found.comment, req.updateBody ?? req.body, found.newer);
  if (!req.create) return { action: 'skipped', reason: 'no policy change and no earlier comment' };
  const created = await api.createComment(req.issue, req.body);
  // Another run may have created one at the same time: the oldest stays.
  const after = await findSticky(api, req.issue, req.marker);
  if (after.comment && after.comment.id !== created.id) {
    const outcome = await keep(api, after.comment, req.body, after.newer);
    return outcome.action === 'unchanged' ? { ...outcome, action: 'updated' } : outcome;
  }
  return { action: 'created', id: created.id, url: created.htmlUrl, duplicates: 0, removed: 0 };
}

/** Brings `comment` to `body` and deletes the newer copies. */
async function keep(api: GitHubApi, comment: IssueComment, body: string, newer: IssueComment[]): Promise<Extract<StickyOutcome, { id: number }>> {
  let removed = 0;
  for (const c of newer) {
    try {
      await api.deleteComment(c.id);
      removed++;
    } catch {
      // Left for the next run; counted below.
    }
  }
  const duplicates = newer.length - removed;
  if (comment.body === body) return { action: 'unchanged', id: comment.id, url: comment.htmlUrl, duplicates, removed };
  const updated = await api.updateComment(comment.id, body);
  return { action: 'updated', id: updated.id, url: updated.htmlUrl, duplicates, removed };
}
