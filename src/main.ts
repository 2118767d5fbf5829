// The GitHub Action: read the event and inputs, run the same pipeline as the CLI, publish.
import * as core from '@actions/core';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { UsageError } from './changes/errors.js';
import { ensureCommits, refsFromEvent, type EventRefs } from './changes/event.js';
import { ConfigError } from './config/load.js';
import { runCheck } from './run.js';

function list(name: string): string[] {
  return core
    .getMultilineInput(name)
    .flatMap((l) => l.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

async function eventRefs(): Promise<EventRefs> {
  const base = core.getInput('base');
  const head = core.getInput('head');
  const eventName = process.env.GITHUB_EVENT_NAME ?? '';
  if (base && head) return { base, head, event: eventName || 'inputs' };
  const eventPath = process.env.GITHUB_EVENT_PATH;
  if (!eventPath) throw new UsageError('GITHUB_EVENT_PATH is not set: run inside GitHub Actions, or set the base and head inputs.');
  const payload = JSON.parse(await fsp.readFile(eventPath, 'utf8'));
  return refsFromEvent(eventName, payload);
}

export async function run(): Promise<void> {
  try {
    const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
    const refs = await eventRefs();
    if (refs.note) core.notice(refs.note);
    await ensureCommits(workspace, refs);
    const outDir = path.resolve(workspace, core.getInput('output-dir') || 'iam-policy-gate-report');
    const server = process.env.GITHUB_SERVER_URL ?? 'https://github.com';
    const repo = process.env.GITHUB_REPOSITORY;
    const result = await runCheck({
      base: refs.base,
      head: refs.head,
      repo: workspace,
      config: core.getInput('config') || undefined,
      cloudtrail: list('cloudtrail'),
      since: core.getInput('since') || undefined,
      outDir,
      formats: ['md', 'sarif', 'json'],
      marker: `<!-- iam-policy-gate: workflow=${process.env.GITHUB_WORKFLOW ?? ''} job=${process.env.GITHUB_JOB ?? ''} -->`,
      linkBase: repo ? `${server}/${repo}/blob/${refs.head}/` : undefined,
      automationId: `iam-policy-gate/${process.env.GITHUB_WORKFLOW ?? 'run'}/${process.env.GITHUB_JOB ?? 'gate'}/`,
      log: (line) => core.info(line),
    });
    const { report, files } = result;
    core.setOutput('verdict', report.verdict.status);
    core.setOutput('actions-added', report.totals.actions.added);
    core.setOutput('actions-removed', report.totals.actions.removed);
    core.setOutput('new-access', report.totals.newAccess);
    core.setOutput('high-risk-added', report.totals.risk.added);
    core.setOutput('high-risk-removed', report.totals.risk.removed);
    core.setOutput('predicted-access-denied', report.totals.predictedDenied.calls);
    core.setOutput('fixed-access-denied', report.totals.fixedDenied.denials);
    core.setOutput('diff-md', files.diffMd ?? '');
    core.setOutput('sarif', files.sarif ?? '');
    core.setOutput('report-json', files.json ?? '');
    if (files.diffMd && process.env.GITHUB_STEP_SUMMARY) {
      await fsp.appendFile(process.env.GITHUB_STEP_SUMMARY, await fsp.readFile(files.diffMd, 'utf8'));
    }
    if (report.verdict.status === 'fail') core.setFailed(`IAM policy gate failed: ${report.verdict.headline}`);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError) core.setFailed(e.message);
    else core.setFailed(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
}

void run();
