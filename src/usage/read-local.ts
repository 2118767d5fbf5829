// Reads CloudTrail log files from local paths. Objects are read on worker threads (see worker-pool.ts) and
// counted on this one (tally.ts): memory holds the aggregate (O(distinct principal x action x resource x outcome x
// context)), the objects in flight, and the event ledger's buffers (eventID dedupe spills to a temporary folder,
// event-ledger.ts).
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep, isAbsolute } from 'node:path';
import type { UsageSummary } from '../model.js';
import { UsageAggregator } from './aggregator.js';
import type { ActionLookup } from './event-actions.js';
import { forEachLimit, makeContext, ReportBuilder, type SourceContext, type SourceRun } from './sources/common.js';
import { SourceTally } from './tally.js';
import type { LedgerOptions } from './event-ledger.js';
import type { PoolOptions } from './worker-pool.js';

export interface ReadLocalOptions {
  /** Lower-cased condition keys the policies use; only these split usage records. */
  contextKeys?: string[];
  since?: Date;
  until?: Date;
  /** A file or record that could not be read (the source becomes 'partial'). */
  onProblem?: (msg: string) => void;
  /** Something skipped on purpose (digest files, refused symlinks are problems, not notes). */
  onNote?: (msg: string) => void;
  /** The IAM catalogue lookup; defaults to src/catalog (a custom one reads in-process). */
  lookup?: ActionLookup;
  /** Worker threads (default: one per core, at most 4; 0 = in-process). */
  workers?: number;
  /** The eventID dedupe's spill settings (see event-ledger.ts). */
  ledger?: LedgerOptions;
  /** Names to read records for (ProcessorOptions.scope); default: every record. */
  scope?: readonly string[];
  /** The worker pool's other settings (tests: where gunzip runs). */
  pool?: Pick<PoolOptions, 'inflateFirst'>;
}

const LOG_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/i;

/** Reads files and folders (recursively) of CloudTrail logs: `.json`, `.json.gz`, JSON lines. */
export async function readLocalLogs(paths: string[], opts: ReadLocalOptions = {}): Promise<UsageSummary> {
  const ctx = makeContext({ ...opts, pool: { ...opts.pool, ...(opts.lookup ? { lookup: opts.lookup } : {}) } });
  try {
    const runs = [];
    for (const path of paths) runs.push(await readLocalSource(path, ctx));
    await ctx.close(); // before folding: see SourceRun.fold
    const agg = UsageAggregator.combine(runs.map((r) => r.fold()), { contextKeys: ctx.contextKeys });
    const summary = agg.summary(runs.map((r) => r.report));
    if (opts.since) summary.window.start = opts.since.toISOString();
    if (opts.until) summary.window.end = opts.until.toISOString();
    if (opts.scope) summary.scope = [...new Set(opts.scope)].sort();
    return summary;
  } finally {
    await ctx.close();
  }
}

/** One path (file or folder) as one source. */
export async function readLocalSource(path: string, ctx: SourceContext): Promise<SourceRun> {
  const rb = new ReportBuilder(`file:${path}`, 'file', ctx);
  rb.report.objects = 0;
  rb.report.bytes = 0;
  const tally = new SourceTally(ctx.ledger);
  // Workers start (load their code) while the folders are listed.
  const pool = ctx.pool();
  const files = await listLogFiles(path, (m) => rb.problem(m), (m) => ctx.onNote?.(m));
  if (files === undefined) rb.failed = true;
  else {
    await forEachLimit(files, pool.capacity, async (file) => {
      const { batch, registry, release } = await pool.read({ name: file, file });
      tally.add(batch, registry);
      rb.batch(batch);
      release();
    });
  }
  return { report: rb.finish(), fold: () => tally.into(new UsageAggregator({ contextKeys: ctx.contextKeys })) };
}

/**
 * Log files under a path, sorted. Symlinks are followed only while they stay inside the given root.
 * Returns undefined when the path itself cannot be read.
 */
async function listLogFiles(root: string, problem: (m: string) => void, note: (m: string) => void): Promise<string[] | undefined> {
  let realRoot: string;
  let rootStat;
  try {
    realRoot = await realpath(root);
    rootStat = await stat(realRoot);
  } catch (e) {
    problem(`${root}: cannot read (${(e as Error).message})`);
    return undefined;
  }
  if (rootStat.isFile()) return isLogFile(root, note) ? [root] : (problem(`${root}: not a .json, .json.gz or JSON-lines file`), []);

  const files: string[] = [];
  const visited = new Set<string>([realRoot]); // real paths of folders and files already taken
  const inside = (p: string) => {
    const rel = relative(realRoot, p);
    return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
  };
  // `realDir` is the real path of `dir`: an entry that is not a symlink has real path realDir/name, so only
  // symlinks cost a realpath call (a trail's folders hold thousands of objects).
  const walk = async (dir: string, realDir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      problem(`${dir}: cannot list (${(e as Error).message})`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      let real = join(realDir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          real = await realpath(full);
        } catch {
          problem(`${full}: broken symlink, skipped`);
          continue;
        }
        if (!inside(real)) {
          problem(`${full}: symlink points outside ${root}, not followed`);
          continue;
        }
        const s = await stat(real);
        isDir = s.isDirectory();
        isFile = s.isFile();
      }
      if (!isDir && !(isFile && isLogFile(full, note))) continue;
      // A loop, or a second way (through a symlink) into something already read.
      if (visited.has(real)) continue;
      visited.add(real);
      if (isDir) await walk(full, real);
      else files.push(full);
    }
  };
  await walk(root, realRoot);
  return files;
}

function isLogFile(file: string, note: (m: string) => void): boolean {
  if (!LOG_FILE.test(file)) return false;
  if (/CloudTrail-Digest/i.test(file)) {
    note(`${file}: CloudTrail digest file (integrity hashes, no events), skipped`);
    return false;
  }
  return true;
}
