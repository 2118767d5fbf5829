// The edges around the pure pipeline: read the change, the config and the logs; write the outputs.
// Shared by the CLI and the action.
import { promises as fsp, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { accessAnalyzerStage, type StageInput } from './analyzer/stage.js';
import { changesBetweenDirectories } from './changes/directories.js';
import { withPlanInputs } from './iac/load.js';
import { changesBetweenRefs, isGitRef } from './changes/git.js';
import { runGit } from './changes/git-exec.js';
import { loadGuardDocuments, type GuardDocuments, type GuardReader } from './config/guards.js';
import { UsageError } from './changes/errors.js';
import { contextFromDirectory, contextFromGit, type ContextFiles } from './changes/context-files.js';
import { ConfigError, parseConfig, windowBoundProblem } from './config/load.js';
import { compileMappings } from './config/subjects.js';
import { defaultConfig, type GateConfig } from './config/types.js';
import type { ChangeSet, Report, UsageSummary } from './model.js';
import type { IacOptions } from './iac/index.js';
import { extractChanges, groupBySubject, runGate } from './pipeline.js';
import { renderDiffMd } from './report/diff-md.js';
import { renderReportJson } from './report/json.js';
import { renderSarif } from './report/sarif.js';
import { readerScope } from './usage/scope.js';
import { parseSourceArg, runUsageSources, specsFromConfig, type UsageSourceSpec } from './usage/sources/index.js';
import { RULES } from './verdict/rules.js';
import { VERSION } from './version.js';

export const CONFIG_FILE = '.iam-policy-gate.yml';

export interface CheckOptions {
  base: string;
  head: string;
  /** The git repository for refs (default: the current directory). */
  repo?: string;
  config?: string;
  /** CloudTrail sources: paths, s3://bucket/prefix, lookup-events[:regions], Lake ARNs, athena:db.table. */
  cloudtrail: string[];
  /** Accounts and regions for s3:// (and regions for lookup-events) sources that name none. */
  cloudtrailAccounts?: string[];
  cloudtrailRegions?: string[];
  /** Worker threads for reading log objects (default: one per core, at most 4; 0 = in-process). */
  workers?: number;
  since?: string;
  outDir: string;
  formats: Array<'md' | 'sarif' | 'json'>;
  /** Marker and links for diff.md. */
  marker?: string;
  linkBase?: string;
  automationId?: string;
  now?: Date;
  log?: (line: string) => void;
  /** Local checks only: Access Analyzer is not asked even with credentials ([analyzer]). */
  offline?: boolean;
  /** Region for Access Analyzer calls (wins over the config and AWS_REGION). */
  awsRegion?: string;
  /** Test seams for the Access Analyzer stage: a client, an environment, call limits. */
  analyzer?: Pick<StageInput, 'client' | 'env' | 'run' | 'generation'>;
  /** Terraform plan JSON files (`terraform show -json`): each is its own base/head pair ([iac]). */
  plans?: string[];
}

export interface CheckResult {
  report: Report;
  files: { diffMd?: string; sarif?: string; json?: string };
  exitCode: 0 | 1;
}

/** Which files the changes stage reads: anything that may hold a policy. */
export const CANDIDATE = /\.(json|ya?ml|template|tf\.json)$/i;

export async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export async function loadChanges(opts: CheckOptions, config: GateConfig): Promise<ChangeSet> {
  const mappings = compileMappings(config);
  // A file a subject mapping claims is read whatever its name: else a changed one (say `roles/app/extra`) would be
  // left out of the change and then read as unchanged context, its new grants hidden.
  const include = (p: string) => CANDIDATE.test(p) || config.policyFiles.include.length > 0 || mappings.some((m) => m.regex.test(p));
  const limits = { maxFileBytes: config.limits.maxFileBytes, include };
  const [baseDir, headDir] = [await isDirectory(opts.base), await isDirectory(opts.head)];
  const context = (changes: ChangeSet) => ({
    matches: (p: string) => mappings.some((m) => m.regex.test(p)),
    changed: new Set(changes.files.flatMap((f) => [f.path, ...(f.basePath ? [f.basePath] : [])])),
    maxFileBytes: config.limits.maxFileBytes,
    maxFiles: config.limits.maxChangedFiles,
  });
  if (baseDir && headDir) {
    const changes = await changesBetweenDirectories(opts.base, opts.head, limits);
    if (mappings.length) addContext(changes, await contextFromDirectory(opts.head, context(changes)));
    return changes;
  }
  const repo = opts.repo ?? process.cwd();
  if (baseDir !== headDir) throw new UsageError('--base and --head must both be directories or both be git refs.');
  for (const [role, ref] of [['base', opts.base], ['head', opts.head]] as const) {
    if (!(await isGitRef(repo, ref))) throw new UsageError(`--${role} ${ref} is neither a directory nor a git ref in ${repo}.`);
  }
  const changes = await changesBetweenRefs(repo, opts.base, opts.head, limits);
  if (mappings.length && changes.commits) addContext(changes, await contextFromGit(repo, changes.commits.head, context(changes)));
  return changes;
}

function addContext(changes: ChangeSet, context: ContextFiles): void {
  changes.files.push(...context.files);
  if (context.note) changes.notes.push(context.note);
}

/**
 * The config is read from the base side: a pull request must not be able to switch off the rules
 * that judge it. Directories: <base>/.iam-policy-gate.yml; git refs: the file in the base commit.
 * An explicit --config wins; with git refs, one inside the repository is read from the base commit too (the
 * working tree of a pull request run is the pull request's).
 */
export async function loadConfig(opts: CheckOptions): Promise<GateConfig> {
  if (opts.config && !(await isDirectory(opts.base))) {
    const repo = path.resolve(opts.repo ?? process.cwd());
    const rel = path.relative(repo, path.resolve(opts.config));
    if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && (await isGitRef(repo, opts.base))) {
      const gitPath = rel.split(path.sep).join('/');
      const run = await runGit(repo, ['cat-file', 'blob', `${opts.base}:${gitPath}`], { maxBytes: 1024 * 1024 });
      if (run.code !== 0) {
        opts.log?.(`warning: ${gitPath} is not in the base commit ${opts.base}: the default config applies (a config added by this change applies once merged)`);
        return defaultConfig();
      }
      return parseConfig(run.stdout.toString('utf8'), `${gitPath} (at ${opts.base})`);
    }
  }
  if (opts.config) {
    let text: string;
    try {
      text = await fsp.readFile(opts.config, 'utf8');
    } catch {
      throw new ConfigError([`${opts.config}: cannot read the config file`]);
    }
    return parseConfig(text, opts.config);
  }
  if (await isDirectory(opts.base)) {
    const file = path.join(opts.base, CONFIG_FILE);
    if (!existsSync(file) || !statSync(file).isFile()) return defaultConfig();
    return parseConfig(await fsp.readFile(file, 'utf8'), file);
  }
  const repo = opts.repo ?? process.cwd();
  if (!(await isGitRef(repo, opts.base))) return defaultConfig(); // loadChanges reports the bad ref
  const run = await runGit(repo, ['cat-file', 'blob', `${opts.base}:${CONFIG_FILE}`], { maxBytes: 1024 * 1024 });
  if (run.code !== 0) return defaultConfig();
  return parseConfig(run.stdout.toString('utf8'), `${CONFIG_FILE} (at ${opts.base})`);
}

export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
  const log = opts.log ?? (() => {});
  const config = await loadConfig(opts);
  if (opts.since) config.cloudtrail.since = checkedSince(opts.since);
  const planned = await withPlanInputs(await loadChanges(opts, config), opts.plans ?? [], (await isDirectory(opts.head)) ? opts.head : (opts.repo ?? process.cwd()));
  const { changes, iac } = planned;
  for (const n of changes.notes.slice(0, 50)) log(`note: ${n}`);
  const usage = await gatherUsage(opts, config, changes, log, iac);
  const extraChecks = changes.files.some((f) => f.path === CONFIG_FILE && f.status !== 'unchanged')
    ? [{ id: 'config', status: 'ran' as const, detail: `${CONFIG_FILE} changes in this change: the base version judged it; the new one applies after merge` }]
    : [];
  const accessAnalyzer = await accessAnalyzerStage({ changes, config, usage, offline: opts.offline, region: opts.awsRegion, log, ...opts.analyzer });
  const guards = await loadGuards(opts, config, log);
  const report = runGate({ changes, config, usage, extraChecks, accessAnalyzer, iac, guards, toolVersion: VERSION, now: opts.now ?? new Date() });
  const files = await writeOutputs(report, opts);
  return { report, files, exitCode: report.verdict.status === 'fail' ? 1 : 0 };
}

/**
 * The config's context files (SCPs, RCPs, boundaries): the list comes from the base side like the config itself
 * (a pull request must not be able to add a guard that hides its own new access), and each file is read on both
 * sides: access is left out of new access only when both versions deny it, so weakening a guard hides nothing.
 */
async function loadGuards(opts: CheckOptions, config: GateConfig, log: (l: string) => void): Promise<GuardDocuments | undefined> {
  const ctx = config.context;
  if (!ctx.scps.length && !ctx.rcps.length && !ctx.boundaries.length) return undefined;
  const maxBytes = config.limits.maxFileBytes;
  const baseDir = (await isDirectory(opts.base)) ? opts.base : undefined;
  const repo = opts.repo ?? process.cwd();
  const headDir = (await isDirectory(opts.head)) ? opts.head : undefined;
  const reader = (dir: string | undefined, ref: string): GuardReader => async (file) => {
    if (path.isAbsolute(file) || file.split(/[\\/]/).includes('..')) return undefined;
    if (dir) return fsp.readFile(path.join(dir, file)).catch(() => undefined);
    const run = await runGit(repo, ['cat-file', 'blob', `${ref}:${file}`], { maxBytes }).catch(() => undefined);
    return run?.code === 0 ? run.stdout : undefined;
  };
  const { guards, problems } = await loadGuardDocuments(ctx, reader(baseDir, opts.base), maxBytes, reader(headDir, opts.head));
  for (const p of problems) log(`warning: ${p}`);
  return guards;
}

/**
 * Every CloudTrail source from --cloudtrail (paths, s3://, lookup-events, Lake ARNs, athena:) and the config's
 * cloudtrail.sources, read in parallel into one summary.
 */
export async function gatherUsage(opts: CheckOptions, config: GateConfig, changes: ChangeSet, log: (l: string) => void, iac?: IacOptions): Promise<UsageSummary | undefined> {
  const defaults = { accounts: opts.cloudtrailAccounts, regions: opts.cloudtrailRegions };
  const specs: UsageSourceSpec[] = [];
  for (const arg of opts.cloudtrail) {
    const spec = parseSourceArg(arg, defaults);
    if ('error' in spec) throw new UsageError(`--cloudtrail ${spec.error}`);
    specs.push(spec);
  }
  specs.push(...specsFromConfig(config.cloudtrail.sources));
  if (specs.length === 0) return undefined;
  const { policyFiles } = extractChanges(changes, config, iac);
  const keys = new Set<string>();
  for (const f of policyFiles)
    for (const d of [...(f.base?.documents ?? []), ...(f.head?.documents ?? [])])
      for (const s of d.statements) for (const c of s.conditions) keys.add(c.key.toLowerCase());
  const { since, until } = windowOf(config, opts.now ?? new Date());
  // Only records about the change's subjects matter to the checks: the others are read, not mapped.
  const { scope, note } = config.cloudtrail.scope === 'subjects' ? readerScope(groupBySubject(policyFiles, config)) : {};
  if (note) log(`note: ${note}`);
  return runUsageSources(specs, {
    contextKeys: [...keys],
    scope,
    since,
    until,
    workers: opts.workers,
    onProblem: (m) => log(`warning: ${m}`),
    onNote: (m) => log(`note: ${m}`),
    log,
  });
}

/** --since (or the action's `since`) checked as the config's `cloudtrail.since` is: a usage error when unusable. */
export function checkedSince(value: string): string {
  const problem = windowBoundProblem(value, true);
  if (problem) throw new UsageError(`--since: ${problem}`);
  return value;
}

/** The CloudTrail window: `since` (days back from now, or a date) to `until` (a date), by default now. */
export function windowOf(config: GateConfig, now: Date): { since: Date; until: Date } {
  const s = config.cloudtrail.since;
  const days = /^(\d+)d$/.exec(s);
  const since = days ? new Date(now.getTime() - Number(days[1]) * 86400_000) : new Date(s);
  return { since, until: config.cloudtrail.until ? new Date(config.cloudtrail.until) : now };
}

export async function writeOutputs(report: Report, opts: Pick<CheckOptions, 'outDir' | 'formats' | 'marker' | 'linkBase' | 'automationId'>): Promise<CheckResult['files']> {
  await fsp.mkdir(opts.outDir, { recursive: true });
  const files: CheckResult['files'] = {};
  if (opts.formats.includes('md')) {
    files.diffMd = path.join(opts.outDir, 'diff.md');
    await fsp.writeFile(files.diffMd, renderDiffMd(report, { marker: opts.marker, linkBase: opts.linkBase }));
  }
  if (opts.formats.includes('sarif')) {
    files.sarif = path.join(opts.outDir, 'results.sarif');
    const sarif = renderSarif(report, RULES, { automationId: opts.automationId ?? 'iam-policy-gate/', toolVersion: VERSION });
    await fsp.writeFile(files.sarif, JSON.stringify(sarif, null, 2) + '\n');
  }
  if (opts.formats.includes('json')) {
    files.json = path.join(opts.outDir, 'report.json');
    await fsp.writeFile(files.json, renderReportJson(report));
  }
  return files;
}
