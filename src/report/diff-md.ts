// diff.md: the PR comment. Verdict and reason first, metrics in one table, every detail folded.
// Kept under a hard character budget by dropping whole blocks (largest first) and then shortening
// lists at whole rows, never cutting a table, and saying what was left out.
import type { Report } from '../model.js';
import { checksLine, findingBlocks, heading, MAX_WHY, metricsTable, reductionsBlock, subjectBlock, whyItems } from './diff-md-sections.js';
import { compareText } from './format.js';
import { waivedBlock, waiverNotice } from '../review/render-md.js';
import { clip, escapeMarkdown, plainText } from './markdown.js';
import { longestList, renderBlock, type Block } from './md-blocks.js';

export interface DiffMdOptions {
  /** Hidden first line that the publisher finds the sticky comment by. */
  marker?: string;
  /** e.g. https://github.com/o/r/blob/<sha>/ for file:line links; absent → plain "path:line". */
  linkBase?: string;
  /** Hard cap on the length in UTF-16 code units; default 60,000 (GitHub allows 65,536). */
  maxChars?: number;
}

export const DEFAULT_MARKER = '<!-- iam-policy-gate -->';
export const DEFAULT_MAX_CHARS = 60_000;
const SEPARATOR = '\n\n';
const NOTE_NAMES = 10;

/** A well-formed HTML comment whatever the option held (it may come from the PR's config). */
export function safeMarker(marker: string | undefined): string {
  if (marker === undefined) return DEFAULT_MARKER;
  const inner = plainText(marker)
    .replace(/^\s*<!--/, '')
    .replace(/-->\s*$/, '')
    .replace(/--+>?|<!--?/g, '–')
    .replace(/[<>]/g, '')
    .trim();
  return `<!-- ${clip(inner, 200) || 'iam-policy-gate'} -->`;
}

function whySection(items: string[], cap: number): string {
  if (items.length === 0 || cap <= 0) return '';
  const shown = items.slice(0, cap).map((item) => `- ${item}`);
  if (items.length > cap) shown.push(`- … ${items.length - cap} more reasons in the findings below and in report.json`);
  return `**Why**\n${shown.join('\n')}`;
}

function nameList(names: string[]): string {
  const shown = names.slice(0, NOTE_NAMES).map((n) => escapeMarkdown(clip(n, 80)));
  if (names.length > NOTE_NAMES) shown.push(`and ${names.length - NOTE_NAMES} more`);
  return shown.join(', ');
}

function shorteningNote(omitted: string[], shortened: string[], whyCut: number): string {
  if (omitted.length + shortened.length + whyCut === 0) return '';
  const bits: string[] = [];
  if (omitted.length) bits.push(`left out ${omitted.length} detail section${omitted.length === 1 ? '' : 's'} (${nameList(omitted)})`);
  if (shortened.length) bits.push(`shortened the lists in ${nameList(shortened)}`);
  if (whyCut) bits.push(`listed only the first reasons (${whyCut} more)`);
  return (
    `> [!NOTE]\n> This comment is over GitHub's size budget, so it ${bits.join('; ')}. ` +
    'The full report is in report.json and in the job summary.'
  );
}

export function renderDiffMd(report: Report, opts: DiffMdOptions = {}): string {
  const maxChars = opts.maxChars ?? DEFAULT_MAX_CHARS;
  const linkBase = opts.linkBase;
  // A waiver the change adds or widens is what a reviewer must notice: right under the verdict.
  const top = [safeMarker(opts.marker), heading(report), waiverNotice(report, linkBase), metricsTable(report)].filter((p) => p.length > 0).join(SEPARATOR);
  const why = whyItems(report, linkBase);
  const checks = checksLine(report);

  const subjects = report.subjects.slice().sort((a, b) => compareText(a.subject.id, b.subject.id) || compareText(a.subject.type, b.subject.type));
  const blocks: Block[] = [
    ...subjects.map((s) => subjectBlock(s, linkBase)),
    ...[reductionsBlock(report, linkBase)].filter((b): b is Block => b !== null),
    // With waivers reported, waived findings are listed once, in the Waived section.
    ...findingBlocks(report.waivers ? report.findings.filter((f) => !f.evidence?.waiver) : report.findings, linkBase),
    ...[waivedBlock(report, linkBase)].filter((b): b is Block => b !== null),
  ];
  const rendered: Array<string | null> = blocks.map((b) => renderBlock(b));
  const omitted = new Set<number>();
  const shortened = new Set<number>();
  let whyCap = Math.min(MAX_WHY, why.length);

  // The sets only grow, so their sizes and the Why cap identify the note: memoised, because the
  // drop loop below asks for its length once per block (thousands of times on a big change).
  let noteKey = '';
  let noteText = '';
  const note = (): string => {
    const key = `${omitted.size}|${shortened.size}|${whyCap}`;
    if (key !== noteKey) {
      noteKey = key;
      noteText = shorteningNote(
        [...omitted].sort((a, b) => a - b).map((i) => blocks[i].name),
        [...shortened].sort((a, b) => a - b).map((i) => blocks[i].name),
        whyCap < Math.min(MAX_WHY, why.length) ? why.length - whyCap : 0,
      );
    }
    return noteText;
  };
  const compose = (): string =>
    [top, whySection(why, whyCap), note(), ...rendered.filter((r): r is string => r !== null), checks]
      .filter((s) => s.length > 0)
      .join(SEPARATOR);
  // Length without joining, for the drop loop over possibly thousands of blocks.
  let blocksLength = rendered.reduce((n, r) => n + (r === null ? 0 : r.length + SEPARATOR.length), 0);
  const fixedLength = (): number =>
    [top, whySection(why, whyCap), note(), checks].filter((s) => s.length > 0).join(SEPARATOR).length;

  if (fixedLength() + blocksLength <= maxChars) return compose();

  // 1. Drop whole blocks, largest first.
  const bySize = blocks.map((_, i) => i).sort((a, b) => (rendered[b]?.length ?? 0) - (rendered[a]?.length ?? 0) || a - b);
  for (const i of bySize) {
    if (fixedLength() + blocksLength <= maxChars) break;
    blocksLength -= (rendered[i]?.length ?? 0) + SEPARATOR.length;
    rendered[i] = null;
    omitted.add(i);
  }

  // 2. Bring dropped blocks back with their lists shortened to one common row cap, so every
  // subject keeps its first rows rather than one subject taking all the room.
  const currentBlocksLength = (): number => rendered.reduce((n, r) => n + (r === null ? 0 : r.length + SEPARATOR.length), 0);
  refill(blocks, rendered, omitted, shortened, () => maxChars - fixedLength() - currentBlocksLength());
  blocksLength = currentBlocksLength();

  // 3. Shorten the Why list.
  while (fixedLength() + blocksLength > maxChars && whyCap > 0) whyCap = Math.floor(whyCap / 2);

  const doc = compose();
  if (doc.length <= maxChars) return doc;
  // 4. A budget too small for even the header: keep whole lines from the top.
  const lines = doc.split('\n');
  const kept: string[] = [];
  let length = 0;
  for (const line of lines) {
    if (length + line.length + 1 > maxChars) break;
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join('\n');
}

/**
 * Re-adds omitted blocks at the largest common row cap that fits `room()`. Blocks that do not fit
 * even at one row stay omitted, largest first. `room` is re-read because the note changes length.
 */
function refill(blocks: Block[], rendered: Array<string | null>, omitted: Set<number>, shortened: Set<number>, room: () => number): void {
  const sizeAt = (i: number, cap: number): number => renderBlock(blocks[i], cap).length + SEPARATOR.length;
  let candidates = [...omitted].sort((a, b) => a - b);
  const apply = (chosen: number[], cap: number | null): void => {
    for (const i of candidates) {
      rendered[i] = null;
      omitted.add(i);
      shortened.delete(i);
    }
    if (cap === null) return;
    for (const i of chosen) {
      rendered[i] = renderBlock(blocks[i], cap);
      omitted.delete(i);
      shortened.add(i);
    }
  };
  // Give up the blocks that are largest at one row until the rest fit at one row.
  const oneRow = new Map(candidates.map((i) => [i, sizeAt(i, 1)]));
  const bySize = candidates.slice().sort((a, b) => oneRow.get(b)! - oneRow.get(a)! || b - a);
  let total = bySize.reduce((n, i) => n + oneRow.get(i)!, 0);
  apply(candidates, null);
  const initialRoom = room();
  while (bySize.length && total > initialRoom) total -= oneRow.get(bySize.shift()!)!;
  const kept = new Set(bySize);
  candidates = candidates.filter((i) => kept.has(i));
  if (candidates.length === 0) return;
  const fits = (cap: number): boolean => {
    apply(candidates, cap);
    const ok = room() >= 0;
    apply(candidates, null);
    return ok;
  };
  // The note now names these blocks as shortened; re-check against the real room.
  while (candidates.length && !fits(1)) candidates = candidates.slice(0, -1);
  if (candidates.length === 0) return;
  let lo = 1;
  let hi = Math.max(1, ...candidates.map((i) => longestList(blocks[i])));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  apply(candidates, lo);
}
