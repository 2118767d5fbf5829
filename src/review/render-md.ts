// The waiver parts of diff.md: the notice at the top when the change adds or widens a waiver (what a
// reviewer must notice), and the "Waived" section: covered findings with the reason, expiry and
// line of their waiver, then every waiver of the config with what became of it.
import type { Finding, Report } from '../model.js';
import { compareLocations, compareText, cellCode, cellText, sourceRef } from '../report/format.js';
import { clip, code, escapeMarkdown, plainText, plural } from '../report/markdown.js';
import type { Block, Cell } from '../report/md-blocks.js';
import type { WaiverStatus } from './types.js';

interface WaiverNote {
  reason: string;
  expires?: string;
  file?: string;
  line?: number;
}

function noteOf(f: Finding): WaiverNote | null {
  const w = f.evidence?.waiver as Partial<WaiverNote> | undefined;
  return w && typeof w === 'object' && typeof w.reason === 'string' ? (w as WaiverNote) : null;
}

function covers(w: WaiverStatus): string {
  if (w.actions?.length) return `${w.actions.join(', ')} on ${(w.resources ?? []).join(', ')}`;
  return w.fingerprint ? `finding ${w.fingerprint.slice(0, 16)}` : '';
}

function where(w: WaiverStatus): string {
  return [w.subject, w.files].filter(Boolean).join(' in ');
}

const STATE_TEXT: Record<WaiverStatus['status'], string> = {
  applied: 'applied',
  unused: '**unused (stale)**',
  'out-of-scope': 'not in this change',
  expired: '**expired**',
  pending: 'added in this change',
};

function stateText(w: WaiverStatus): string {
  const bits = [STATE_TEXT[w.status] ?? escapeMarkdown(w.status)];
  if (w.status === 'applied') bits[0] += ` (${plural(w.covered.length, 'finding')})`;
  if (w.expiring) bits.push(`expires in ${plural(w.daysLeft, 'day')}`);
  if (w.wildcard) bits.push('⚠️ wildcard');
  return bits.join(', ');
}

/** The top-of-comment notice for waivers the change adds or widens; '' when there are none. */
export function waiverNotice(report: Report, linkBase?: string): string {
  const added = (report.waivers ?? []).filter((w) => w.addedInChange);
  if (added.length === 0) return '';
  const items = added.slice(0, 20).map((w) => {
    const would = w.covered.length ? `; would cover ${plural(w.covered.length, 'finding')} of this run` : '; covers nothing in this run';
    const approved = w.approvedBy ? `, approved by ${cellText(w.approvedBy, 120)}` : '';
    const wild = w.wildcard ? ' ⚠️ **wildcard** (allow-wildcard: true)' : '';
    return (
      `> - ${w.addedInChange === 'widened' ? '**widened**' : '**added**'}: ${code(clip(plainText(w.rule), 80), 'text')} ` +
      `for ${cellText(covers(w), 300)}${where(w) ? ` (${cellText(where(w), 200)})` : ''} — ${sourceRef({ file: w.file, line: w.line, column: 1 }, linkBase, 'text')}` +
      `, until ${escapeMarkdown(w.expires)}${approved}: ${cellText(w.reason, 300)}${would}${wild}`
    );
  });
  if (added.length > 20) items.push(`> - … ${added.length - 20} more in report.json`);
  return [
    '> [!IMPORTANT]',
    `> **This change adds or widens ${plural(added.length, 'waiver')}.** The gate reads its config from the base branch, ` +
      'so these take effect only after merge: approving this pull request approves them.',
    ...items,
  ].join('\n');
}

/** Findings that a waiver covered, with the waiver's reason, expiry and line. */
export function waivedFindings(findings: Finding[]): Finding[] {
  return findings.filter((f) => noteOf(f) !== null);
}

export function waivedBlock(report: Report, linkBase?: string): Block | null {
  // Without a waiver record (older reports) waived findings keep their inline note in the findings blocks.
  if (!report.waivers) return null;
  const waived = waivedFindings(report.findings).sort((a, b) => compareText(a.ruleId, b.ruleId) || compareLocations(a.location, b.location));
  const waivers = (report.waivers ?? []).filter((w) => !w.addedInChange);
  if (waived.length === 0 && waivers.length === 0) return null;
  const parts: Block['parts'] = [];
  if (waived.length) {
    const rows: Cell[][] = waived.map((f) => {
      const n = noteOf(f)!;
      return [
        cellCode(f.ruleId, 80),
        cellText(f.message),
        sourceRef(f.location, linkBase) || ' ',
        cellText(n.reason, 300),
        n.expires ? escapeMarkdown(n.expires) : ' ',
        n.file && n.line ? sourceRef({ file: n.file, line: n.line, column: 1 }, linkBase) : ' ',
      ];
    });
    parts.push({ kind: 'table', header: ['waived', 'finding', 'line', 'reason', 'expires', 'waiver'], rows });
  } else parts.push({ kind: 'text', text: 'No finding was waived in this run.' });
  if (waivers.length) {
    const rows: Cell[][] = waivers.map((w) => [
      sourceRef({ file: w.file, line: w.line, column: 1 }, linkBase),
      cellCode(w.rule, 80),
      cellText(covers(w), 300),
      stateText(w),
      escapeMarkdown(w.expires),
      w.approvedBy ? cellText(w.approvedBy, 120) : ' ',
    ]);
    parts.push({ kind: 'table', header: ['waiver', 'rule', 'covers', 'status', 'expires', 'approved by'], rows });
  }
  return { name: 'waivers', title: `**Waived** (${waived.length})`, parts };
}
