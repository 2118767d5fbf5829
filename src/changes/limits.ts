import type { ChangeSet } from '../model.js';

/** What the changes stage may read. */
export interface ReadLimits {
  /** Files larger than this are reported as an error FileChange and never read. */
  maxFileBytes: number;
  /** Only paths for which this returns true are read (the caller filters by extension or glob). */
  include?: (path: string) => boolean;
  /** Bytes read in total across all files before later files become errors (default 256 MiB). */
  maxTotalBytes?: number;
}

export const DEFAULT_MAX_TOTAL_BYTES = 256 * 1024 * 1024;

/** Counts that the notes describe in words, for callers that need numbers. */
export interface ChangeStats {
  /** FileChange entries returned. */
  changed: number;
  /** Present on both sides with identical bytes (directory mode only; git never lists them). */
  unchanged: number;
  /** Changed (or, in directory mode, not compared) paths left out by `include`. */
  excluded: number;
  /** Listed changes that were not read at all (submodules; the same symlink to a folder on both sides). */
  skipped: number;
}

/** A ChangeSet plus counts; assignable to ChangeSet. */
export interface ChangeSetWithStats extends ChangeSet {
  stats: ChangeStats;
  /** Git mode only: the commits actually compared. */
  commits?: { base: string; head: string; mergeBase: boolean };
}

export function tooLargeMessage(size: number, limit: number): string {
  return `too large: ${size} bytes > limit ${limit} bytes`;
}

/** True when any of the given paths passes the caller's filter (renames count by either name). */
export function isIncluded(limits: ReadLimits, ...paths: Array<string | undefined>): boolean {
  if (!limits.include) return true;
  return paths.some((p) => p !== undefined && limits.include!(p));
}

/** Tracks the total-bytes budget so a pull request full of large files cannot exhaust memory. */
export class ReadBudget {
  private remaining: number;
  constructor(limits: ReadLimits) {
    this.remaining = limits.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  }
  /** Reserves `n` bytes; false when the budget would be exceeded. */
  take(n: number): boolean {
    if (n > this.remaining) return false;
    this.remaining -= n;
    return true;
  }
}

/**
 * Prefix of errors that name a folder (or a link standing for one), not a policy file: a folder
 * the walk could not list, or a symlink / submodule whose files are never read. Such a path has
 * no policy extension, so a consumer must not drop it for its name.
 */
export const FOLDER_NOT_LISTED = 'folder not listed: ';

export const BUDGET_EXHAUSTED = 'not read: total read limit reached (maxTotalBytes)';

/** Plural-aware "N files" for notes. */
export function fileCount(n: number): string {
  return `${n} file${n === 1 ? '' : 's'}`;
}
