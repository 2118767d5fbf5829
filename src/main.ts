// The GitHub Action: read the event and inputs, run the same pipeline as the CLI, publish the
// result (sticky PR comment, SARIF upload, job summary, annotations, outputs) and set the exit code.
import * as core from '@actions/core';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { UsageError } from './changes/errors.js';
import { ensureCommits, refsFromEvent, type EventRefs } from './changes/event.js';
import { resolveCommit } from './changes/git.js';
import { ConfigError } from './config/load.js';
import type { Report } from './model.js';
import { pickAnnotations } from './publish/annotations.js';
import { applyApproval, findApproval, findQueuedApproval, type Approval } from './publish/approval.js';
import { commentBody, commentMarker, decoratedDiffMd, policyFreeBody, upsertSticky } from './publish/comment.js';
import { runContext, sarifTarget, type RunContext } from './publish/context.js';
import { createGitHubApi, messageOf, statusOf, type GitHubApi } from './publish/github-api.js';
import { readInputs, type ActionInputs } from './publish/inputs.js';
import { actionOutputs, type PublishedExtras } from './publish/outputs.js';
import { uploadSarif } from './publish/sarif-upload.js';
import { fitSummary } from './publish/summary.js';
import { plainText } from './report/markdown.js';
import { sarifForUpload } from './report/sarif.js';
import { renderConsoleSummary } from './report/summary.js';
import { maybeRunUsageWorker } from './usage/worker-entry.js';
import { loadConfig, runCheck, writeOutputs, type CheckOptions } from './run.js';
import { safeLogLine } from './util/runner-safe.js';
import { VERSION } from './version.js';

async function readPayload(): Promise<unknown> {
  const eventPath = process.env.GITHUB_EVENT_PATH;
  if (!eventPath) return {};
  try {
    return JSON.parse(await fsp.readFile(eventPath, 'utf8'));
  } catch (e) {
    throw new UsageError(`Cannot read the event payload at GITHUB_EVENT_PATH: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function eventRefs(inputs: ActionInputs, eventName: string, payload: unknown): EventRefs {
  if (inputs.base && inputs.head) {
    // Explicit refs win, but a pull request still gets its number for the comment.
    try {
      const fromEvent = refsFromEvent(eventName, payload);
      return { ...fromEvent, base: inputs.base, head: inputs.head, note: undefined };
    } catch {
      return { base: inputs.base, head: inputs.head, event: eventName || 'inputs' };
    }
  }
  if (!process.env.GITHUB_EVENT_PATH) throw new UsageError('GITHUB_EVENT_PATH is not set: run inside GitHub Actions, or set the base and head inputs.');
  return refsFromEvent(eventName, payload);
}

async function isDirectory(p: string): Promise<boolean> {
  return fsp.stat(p).then((st) => st.isDirectory(), () => false);
}

/** Both refs as directories under the workspace, or undefined when they are git revisions. */
async function bothDirectories(workspace: string, refs: EventRefs): Promise<{ base: string; head: string } | undefined> {
  const base = path.resolve(workspace, refs.base);
  const head = path.resolve(workspace, refs.head);
  return (await isDirectory(base)) && (await isDirectory(head)) ? { base, head } : undefined;
}

/** A failed publishing call becomes a warning that says what to change. */
function publishWarning(what: string, error: unknown): void {
  const status = statusOf(error);
  const hint =
    status === 403 || status === 404
      ? ' The token may not write here: give the job `permissions: pull-requests: write` (a fork pull request or Dependabot always gets a read-only token).'
      : '';
  core.warning(`iam-policy-gate could not ${what}: ${messageOf(error)}.${hint}`);
}

/**
 * `runHead`: the pull request's head commit this run compared (from the event, not an explicit `head` input). When
 * the pull request has moved past it (a push while this run was under way, without a `concurrency` group that
 * cancels it), the run for the newer head writes the comment: this one must not overwrite it with a stale verdict.
 * Asked just before writing; when GitHub cannot say (no such ref, no `contents: read`), the comment is written.
 */
async function publishComment(api: GitHubApi, ctx: RunContext, report: Report, marker: string, body: string, headSha: string, footer: string, runHead?: string): Promise<PublishedExtras> {
  if (runHead) {
    const current = await api.pullHead(ctx.prNumber!).catch((e) => {
      core.info(`Could not read the pull request's current head (${messageOf(e)}): the comment is written.`);
      return undefined;
    });
    if (current && current.toLowerCase() !== runHead.toLowerCase()) {
      core.info(`PR comment: skipped (this run compared ${runHead.slice(0, 12)}; the pull request's head is now ${current.slice(0, 12)}, whose run writes the comment).`);
      return {};
    }
  }
  const policyFree = report.change.policyFiles === 0 && report.verdict.status === 'pass';
  const outcome = await upsertSticky(api, {
    issue: ctx.prNumber!,
    marker,
    body,
    create: !policyFree,
    updateBody: policyFree ? policyFreeBody(marker, headSha, footer) : undefined,
  });
  if (outcome.action === 'skipped') {
    core.info(`PR comment: skipped (${outcome.reason}).`);
    return {};
  }
  core.info(`PR comment: ${outcome.action} (id ${outcome.id}).`);
  if (outcome.removed) core.info(`PR comment: ${outcome.removed} duplicate(s) from a concurrent run deleted.`);
  if (outcome.duplicates) core.info(`PR comment: ${outcome.duplicates} duplicate(s) with the same marker could not be deleted.`);
  return { commentId: outcome.id, commentUrl: outcome.url };
}

/** The pull request's own file list must contain every policy file we compared; if not, the base is off. */
async function crossCheckFiles(api: GitHubApi, ctx: RunContext, report: Report): Promise<void> {
  if (report.change.files.length === 0) return;
  const { files, truncated } = await api.listPullFiles(ctx.prNumber!);
  if (truncated) return;
  const inPr = new Set(files);
  const stray = report.change.files.filter((f) => !inPr.has(f.path)).map((f) => f.path);
  if (stray.length) {
    core.warning(
      `${stray.length} compared policy file(s) are not part of pull request #${ctx.prNumber}'s changes (${plainText(stray.slice(0, 5).join(', '))}${stray.length > 5 ? ', …' : ''}). ` +
        'The base commit may not be the merge base: set fetch-depth: 0 in actions/checkout.',
    );
  }
}

export async function run(): Promise<void> {
  try {
    const inputs = readInputs((name) => core.getInput(name));
    if (inputs.token) core.setSecret(inputs.token);
    const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
    const eventName = process.env.GITHUB_EVENT_NAME ?? '';
    const payload = await readPayload();
    const refs = eventRefs(inputs, eventName, payload);
    const ctx = runContext(process.env, eventName, payload, refs);
    const canRead = !!(inputs.token && ctx.owner && ctx.repo);
    // A fork's pull_request run gets a read-only token; pull_request_target runs with the base
    // repository's token, so it may comment (it only reads the head commit as data).
    const readOnlyFork = ctx.isFork && eventName === 'pull_request';
    const canWrite = canRead && !readOnlyFork;
    if (readOnlyFork) {
      core.notice(
        `${refs.note ?? 'Fork pull request.'} Skipped: ${[inputs.comment && 'the PR comment', inputs.uploadSarif && 'the SARIF upload'].filter(Boolean).join(' and ') || 'nothing'}; ` +
          'the verdict, job summary, annotations and report files are produced as usual.',
      );
    } else if (refs.note) core.notice(refs.note);

    // base and head may be two directories (e.g. fixtures): then there are no commits to fetch, and
    // paths are relative to the head directory, so no links or SARIF upload.
    const directories = inputs.base && inputs.head ? await bothDirectories(workspace, refs) : undefined;
    if (directories) Object.assign(refs, directories);
    else await ensureCommits(workspace, refs);
    const headSha = directories ? (ctx.githubSha ?? '') : await resolveCommit(workspace, refs.head, 'head');
    const outDir = path.resolve(workspace, inputs.outputDir);
    const marker = commentMarker({ workflow: ctx.workflow, job: ctx.job, key: inputs.commentKey });
    const linkBase = ctx.owner && ctx.repo && !directories ? `${ctx.serverUrl}/${ctx.owner}/${ctx.repo}/blob/${headSha}/` : undefined;
    // Each use (a matrix job's comment-key too) gets its own category, else code scanning replaces one with another.
    const automationId = inputs.sarifCategory ? `${inputs.sarifCategory.replace(/\/+$/, '')}/` : `iam-policy-gate/${ctx.workflow ?? 'run'}/${ctx.job ?? 'gate'}/${inputs.commentKey ? `${inputs.commentKey}/` : ''}`;
    const options: CheckOptions = {
      base: refs.base,
      head: refs.head,
      repo: workspace,
      config: inputs.config,
      cloudtrail: inputs.cloudtrail,
      since: inputs.since,
      plans: inputs.plans.map((p) => path.resolve(workspace, p)),
      offline: inputs.offline || undefined,
      awsRegion: inputs.awsRegion,
      cloudtrailAccounts: inputs.cloudtrailAccounts,
      cloudtrailRegions: inputs.cloudtrailRegions,
      workers: inputs.workers,
      outDir,
      // The files are written below, once the approval is known.
      formats: [],
      marker,
      linkBase,
      automationId,
      // Log lines carry file names and log fields from the change: no workflow command may start in them.
      log: (line) => core.info(safeLogLine(line)),
    };

    const api = canRead ? createGitHubApi({ owner: ctx.owner!, repo: ctx.repo!, token: inputs.token, log: (l) => core.info(safeLogLine(l)), timeoutMs: Number(process.env.IAM_POLICY_GATE_GITHUB_TIMEOUT_MS) || undefined }) : undefined;
    let approval: Approval | undefined;
    const label = inputs.approvalLabel ?? (await loadConfig(options)).approvals.label;
    if (label && api && ctx.isPullRequest) {
      const found = await findApproval(api, { label, prNumber: ctx.prNumber!, prAuthor: ctx.prAuthor, labels: ctx.labels, labeledNow: ctx.labeledNow });
      if (found.note) core.notice(found.note);
      approval = found.approval;
    } else if (label && api && eventName === 'merge_group' && refs.prNumber !== undefined && !inputs.head) {
      // The queue tests one pull request's changes on top of what is queued before it: its approval carries over.
      const found = await findQueuedApproval(api, label, refs.prNumber);
      if (found.note) core.notice(found.note);
      approval = found.approval;
    }

    const startedAt = new Date().toISOString();
    const { report: raw } = await runCheck(options);
    const report = applyApproval(raw, approval);
    if (report.approval) core.info(`Approval: new access approved by ${report.approval.by} with label '${report.approval.label}'.`);

    const files = await writeOutputs(report, { ...options, formats: ['sarif', 'json'] });
    const fullMd = fitSummary((maxChars) => decoratedDiffMd(report, { marker, linkBase, maxChars }));
    files.diffMd = path.join(outDir, 'diff.md');
    await fsp.writeFile(files.diffMd, fullMd);
    core.info(renderConsoleSummary(report, { diffMd: files.diffMd, sarif: files.sarif, reportJson: files.json }).trimEnd());
    if (process.env.GITHUB_STEP_SUMMARY) await fsp.appendFile(process.env.GITHUB_STEP_SUMMARY, `${fullMd}\n`);

    if (inputs.annotations) {
      for (const a of pickAnnotations(report).annotations) {
        const props = { title: a.title, file: a.file, startLine: a.startLine, endLine: a.endLine, startColumn: a.startColumn, endColumn: a.endColumn };
        if (a.level === 'error') core.error(a.message, props);
        else if (a.level === 'warning') core.warning(a.message, props);
        else core.notice(a.message, props);
      }
    }

    const extras: PublishedExtras = {};
    if (api && ctx.isPullRequest) {
      await crossCheckFiles(api, ctx, report).catch((e) => core.info(`Skipped the check against the pull request's file list: ${messageOf(e)}`));
    }
    const footer = `<sub>iam-policy-gate ${VERSION}${/^[0-9a-f]{40,64}$/i.test(headSha) ? ` · head ${headSha.slice(0, 12)}` : ''}${ctx.runUrl ? ` · [workflow run and full report](${ctx.runUrl})` : ''}</sub>`;
    if (inputs.comment && ctx.isPullRequest && api && canWrite) {
      try {
        const runHead = !inputs.head && !directories && /^[0-9a-f]{40,64}$/i.test(headSha) ? headSha : undefined;
        Object.assign(extras, await publishComment(api, ctx, report, marker, commentBody(report, { marker, linkBase, footer }), headSha, footer, runHead));
      } catch (e) {
        publishWarning('write the pull request comment', e);
      }
    } else if (inputs.comment && ctx.isPullRequest && !canRead) {
      core.notice('No github-token (or GITHUB_REPOSITORY): the pull request comment was skipped.');
    }

    if (inputs.uploadSarif && directories) core.warning('SARIF not uploaded: base and head are directories, so its paths are not repository paths.');
    else if (inputs.uploadSarif && eventName === 'merge_group') core.info('SARIF not uploaded for merge_group: the queue\'s temporary ref would get its own analysis; results are in the summary and the exit code.');
    else if (inputs.uploadSarif && files.sarif && api && canWrite) {
      const target = sarifTarget(ctx, headSha);
      if ('problem' in target) core.warning(`SARIF not uploaded: ${target.problem}.`);
      else {
        const outcome = await uploadSarif(
          api,
          { sarifText: sarifForUpload(await fsp.readFile(files.sarif, 'utf8')), ...target, toolName: 'iam-policy-gate', startedAt, wait: inputs.waitForProcessing },
          (ms) => new Promise((r) => setTimeout(r, ms)),
        );
        if (outcome.status === 'unavailable' || outcome.status === 'failed') core.warning(`SARIF upload: ${outcome.message}`);
        else core.info(`SARIF upload ${outcome.id}: ${outcome.status === 'complete' ? 'processed' : 'accepted, still processing'}.`);
        if ('id' in outcome && outcome.id) extras.sarifId = outcome.id;
      }
    }

    for (const [name, value] of Object.entries(actionOutputs(report, files, extras))) core.setOutput(name, value);
    if (report.verdict.status === 'fail') {
      const message = `IAM policy gate failed: ${report.verdict.headline}`;
      if (inputs.failOnError) core.setFailed(message);
      else core.warning(`${message} (fail-on-error is false, so the step passes).`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) core.setFailed(e.message);
    else core.setFailed(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}

// The same bundle is also the CloudTrail parsing worker: in a worker thread it parses and never runs the action.
if (!maybeRunUsageWorker()) void run();
