// Reads CloudTrail log files from local paths into a UsageSummary, streaming: one record in memory at a time,
// aggregated as it goes. Memory holds the aggregate (O(distinct principal x action x resource x outcome x context))
// and the eventID dedupe set (~48 bytes per distinct event, see event-id-set.ts).
import { createReadStream } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep, isAbsolute } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { UsageSourceReport, UsageSummary } from '../model.js';
import { UsageAggregator } from './aggregator.js';
import type { ActionLookup } from './event-actions.js';
import { EventIdSet } from './event-id-set.js';
import { isoTime, mapEvent } from './map-event.js';
import { RecordSplitter } from './record-stream.js';

export interface ReadLocalOptions {
  /** Lower-cased condition keys the policies use; only these split usage records. */
  contextKeys?: string[];
  since?: Date;
  until?: Date;
  /** A file or record that could not be read (the source becomes 'partial'). */
  onProblem?: (msg: string) => void;
  /** Something skipped on purpose (digest files, refused symlinks are problems, not notes). */
  onNote?: (msg: string) => void;
  /** The IAM catalogue lookup; defaults to src/catalog. */
  lookup?: ActionLookup;
}

const LOG_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/i;
const MAX_ERRORS_PER_SOURCE = 100;
const MAX_LISTED = 1000;
const FILES_IN_FLIGHT = 2;

interface SourceState {
  report: UsageSourceReport;
  accounts: Set<string>;
  regions: Set<string>;
  suppressedErrors: number;
}

/** Reads files and folders (recursively) of CloudTrail logs: `.json`, `.json.gz`, JSON lines. */
export async function readLocalLogs(paths: string[], opts: ReadLocalOptions = {}): Promise<UsageSummary> {
  const agg = new UsageAggregator({ contextKeys: opts.contextKeys });
  const seen = new EventIdSet();
  const sources: UsageSourceReport[] = [];
  const since = opts.since?.toISOString();
  const until = opts.until?.toISOString();

  for (const path of paths) {
    const state: SourceState = {
      report: { id: `file:${path}`, kind: 'file', status: 'ran', events: 0, objects: 0, bytes: 0, errors: [] },
      accounts: new Set(),
      regions: new Set(),
      suppressedErrors: 0,
    };
    const problem = (msg: string) => {
      opts.onProblem?.(msg);
      if (state.report.errors.length < MAX_ERRORS_PER_SOURCE) state.report.errors.push(msg);
      else state.suppressedErrors++;
    };
    const note = (msg: string) => opts.onNote?.(msg);

    const files = await listLogFiles(path, problem, note);
    if (files === undefined) {
      state.report.status = 'failed';
    } else {
      // Two files in flight: one gunzips on the libuv pool while the other is parsed on this thread.
      await forEachConcurrently(files, FILES_IN_FLIGHT, (file) =>
        readOneFile(file, state, problem, (record) => {
          state.report.events++;
          const ev = record as Record<string, unknown> | null;
          if (ev && typeof ev === 'object') {
            if (typeof ev.recipientAccountId === 'string' && state.accounts.size < MAX_LISTED) state.accounts.add(ev.recipientAccountId);
            if (typeof ev.awsRegion === 'string' && state.regions.size < MAX_LISTED) state.regions.add(ev.awsRegion);
            if (since || until) {
              const t = isoTime(ev.eventTime ?? ev['@timestamp']);
              if (t && ((since && t < since) || (until && t > until))) return;
            }
            // Cross-account calls reach both accounts' trails under one sharedEventID: count them once.
            const id = typeof ev.sharedEventID === 'string' ? ev.sharedEventID : ev.eventID;
            if (typeof id === 'string' && !seen.add(id)) {
              agg.addDuplicate();
              return;
            }
          }
          const mapped = mapEvent(record, opts.lookup);
          if ('bad' in mapped) {
            agg.addBad();
            problem(`${file}: ${mapped.bad}`);
          } else if ('unmapped' in mapped) {
            agg.addUnmapped(mapped.unmapped.eventSource, mapped.unmapped.eventName);
          } else if ('permissionless' in mapped) {
            agg.addPermissionless();
          } else {
            agg.add(mapped);
          }
        }),
      );
      if (state.report.errors.length > 0 || state.suppressedErrors > 0) state.report.status = 'partial';
    }
    if (state.suppressedErrors > 0) state.report.errors.push(`... and ${state.suppressedErrors} more problems`);
    if (state.accounts.size > 0) state.report.accounts = [...state.accounts].sort();
    if (state.regions.size > 0) state.report.regions = [...state.regions].sort();
    sources.push(state.report);
  }

  const summary = agg.summary(sources);
  if (since) summary.window.start = since;
  if (until) summary.window.end = until;
  return summary;
}

async function forEachConcurrently<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function readOneFile(file: string, state: SourceState, problem: (m: string) => void, onRecord: (r: unknown) => void): Promise<void> {
  const splitter = new RecordSplitter({
    record: (value, index, line) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        problem(`${file}: record ${index} (line ${line}) is not a JSON object`);
        return;
      }
      onRecord(value);
    },
    problem: (msg) => problem(`${file}: ${msg}`),
  });
  const gz = /\.gz$/i.test(file);
  try {
    await streamChunks(file, gz, (chunk) => splitter.push(chunk), (n) => (state.report.bytes = (state.report.bytes ?? 0) + n));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    problem(gz && err.code?.startsWith('Z_') ? `${file}: corrupt gzip (${err.message}); records before the damage were kept` : `${file}: cannot read (${err.message})`);
    state.report.objects = (state.report.objects ?? 0) + 1;
    return;
  }
  splitter.end();
  state.report.objects = (state.report.objects ?? 0) + 1;
}

/**
 * Streams a file's (decompressed) bytes to `onChunk`. Plain stream events rather than an async iterator:
 * gunzip runs on the libuv pool and overlaps with parsing on the main thread.
 */
function streamChunks(file: string, gz: boolean, onChunk: (c: Buffer) => void, onRead: (bytes: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const input = createReadStream(file, { highWaterMark: 256 * 1024 });
    input.on('error', reject);
    if (!gz) {
      input.on('data', (c) => {
        const b = c as Buffer;
        onRead(b.length);
        try {
          onChunk(b);
        } catch (e) {
          input.destroy();
          reject(e);
        }
      });
      input.on('end', resolve);
      return;
    }
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    gunzip.on('error', (e) => {
      input.destroy();
      reject(e);
    });
    gunzip.on('data', (c: Buffer) => {
      try {
        onChunk(c);
      } catch (e) {
        // A bug in parsing must fail this file, not crash the process from a stream callback.
        input.destroy();
        gunzip.destroy();
        reject(e);
      }
    });
    gunzip.on('end', resolve);
    input.on('data', (c) => onRead(c.length));
    input.pipe(gunzip);
  });
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
  const walk = async (dir: string): Promise<void> => {
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
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = await realpath(full);
        } catch {
          problem(`${full}: broken symlink, skipped`);
          continue;
        }
        if (!inside(target)) {
          problem(`${full}: symlink points outside ${root}, not followed`);
          continue;
        }
        const s = await lstat(target);
        isDir = s.isDirectory();
        isFile = s.isFile();
      }
      if (isDir || isFile) {
        // A loop, or a second way (through a symlink) into something already read.
        const real = await realpath(full).catch(() => full);
        if (visited.has(real)) continue;
        visited.add(real);
      }
      if (isDir) await walk(full);
      else if (isFile && isLogFile(full, note)) files.push(full);
    }
  };
  await walk(root);
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
