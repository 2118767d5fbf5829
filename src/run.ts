// The edges around the pure pipeline: read the change, the config and the logs; write the outputs.
// Shared by the CLI and the action.
import { promises as fsp, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { changesBetweenDirectories } from './changes/directories.js';
import { changesBetweenRefs, isGitRef } from './changes/git.js';
import { UsageError } from './changes/errors.js';
import { ConfigError, parseConfig } from './config/load.js';
import { defaultConfig, type GateConfig } from './config/types.js';
import type { ChangeSet, Report, UsageSummary } from './model.js';
import { extractChanges, runGate } from './pipeline.js';
import { renderDiffMd } from './report/diff-md.js';
import { renderReportJson } from './report/json.js';
import { renderSarif } from './report/sarif.js';
import { readLocalLogs } from './usage/read-local.js';
import { RULES } from './verdict/rules.js';
import { VERSION } from './version.js';

export const CONFIG_FILE = '.iam-policy-gate.yml';

export interface CheckOptions {
  base: string;
  head: string;
  /** The git repository for refs (default: the current directory). */
  repo?: string;
  config?: string;
  cloudtrail: string[];
  since?: string;
  outDir: string;
  formats: Array<'md' | 'sarif' | 'json'>;
  /** Marker and links for diff.md. */
  marker?: string;
  linkBase?: string;
  automationId?: string;
  now?: Date;
  log?: (line: string) => void;
}

export interface CheckResult {
  report: Report;
  files: { diffMd?: string; sarif?: string; json?: string };
  exitCode: 0 | 1;
}

/** Which files the changes stage reads: anything that may hold a policy. */
const CANDIDATE = /\.(json|ya?ml|template|tf\.json)$/i;

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export async function loadChanges(opts: CheckOptions, config: GateConfig): Promise<ChangeSet> {
  const limits = { maxFileBytes: config.limits.maxFileBytes, include: (p: string) => CANDIDATE.test(p) || config.policyFiles.include.length > 0 };
  const [baseDir, headDir] = [await isDirectory(opts.base), await isDirectory(opts.head)];
  if (baseDir && headDir) return changesBetweenDirectories(opts.base, opts.head, limits);
  const repo = opts.repo ?? process.cwd();
  if (baseDir !== headDir) throw new UsageError('--base and --head must both be directories or both be git refs.');
  for (const [role, ref] of [['base', opts.base], ['head', opts.head]] as const) {
    if (!(await isGitRef(repo, ref))) throw new UsageError(`--${role} ${ref} is neither a directory nor a git ref in ${repo}.`);
  }
  return changesBetweenRefs(repo, opts.base, opts.head, limits);
}

/**
 * The config is read from the base side when there is one: a pull request must not be able to
 * switch off the rules that judge it. An explicit --config wins.
 */
export async function loadConfig(opts: CheckOptions): Promise<GateConfig> {
  let file = opts.config;
  if (!file) {
    const candidates = [path.join(opts.base, CONFIG_FILE), path.join(opts.repo ?? '.', CONFIG_FILE)];
    file = candidates.find((c) => existsSync(c) && statSync(c).isFile());
    if (!file) return defaultConfig();
  }
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    throw new ConfigError([`${file}: cannot read the config file`]);
  }
  return parseConfig(text, file);
}

export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
  const log = opts.log ?? (() => {});
  const config = await loadConfig(opts);
  if (opts.since) config.cloudtrail.since = opts.since;
  const changes = await loadChanges(opts, config);
  const usage = await gatherUsage(opts, config, changes, log);
  const report = runGate({ changes, config, usage, toolVersion: VERSION, now: opts.now ?? new Date() });
  const files = await writeOutputs(report, opts);
  return { report, files, exitCode: report.verdict.status === 'fail' ? 1 : 0 };
}

/** Local CloudTrail files from --cloudtrail and the config's `path` sources. */
async function gatherUsage(opts: CheckOptions, config: GateConfig, changes: ChangeSet, log: (l: string) => void): Promise<UsageSummary | undefined> {
  const paths = [...opts.cloudtrail, ...config.cloudtrail.sources.flatMap((s) => ('path' in s ? [s.path] : []))];
  if (paths.length === 0) return undefined;
  const { policyFiles } = extractChanges(changes, config);
  const keys = new Set<string>();
  for (const f of policyFiles)
    for (const d of [...(f.base?.documents ?? []), ...(f.head?.documents ?? [])])
      for (const s of d.statements) for (const c of s.conditions) keys.add(c.key.toLowerCase());
  const { since, until } = windowOf(config, opts.now ?? new Date());
  return readLocalLogs(paths, { contextKeys: [...keys], since, until, onProblem: (m) => log(`warning: ${m}`) });
}

export function windowOf(config: GateConfig, now: Date): { since: Date; until?: Date } {
  const s = config.cloudtrail.since;
  const days = /^(\d+)d$/.exec(s);
  const since = days ? new Date(now.getTime() - Number(days[1]) * 86400_000) : new Date(s);
  return { since, until: config.cloudtrail.until ? new Date(config.cloudtrail.until) : undefined };
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
