// diff.md parts for a subject's unused access and suggested policy: tables the size budget can shorten,
// and the suggestion folded in its own <details> with a bounded diff and JSON.
import type { SubjectAnalysis } from '../model.js';
import { cellCode, cellText } from '../report/format.js';
import { escapeHtml, escapeMarkdown, formatCount, isoDate, plural } from '../report/markdown.js';
import type { Cell, Part } from '../report/md-blocks.js';
import type { SuggestedPolicy, UnusedAccessReport } from './types.js';

const MAX_DIFF_SHOWN = 60;
const MAX_JSON_SHOWN = 6000;

function unusedTable(u: UnusedAccessReport): Part | null {
  const rows: Cell[][] = [];
  for (const g of u.unusedActions) rows.push(['unused', cellCode(g.service, 60), escapeMarkdown(g.accessLevel), g.actions.map((a) => cellCode(a, 120)), ' ']);
  for (const s of u.unusedServices) rows.push(['**service never used**', cellCode(s.service, 60), 'all', plural(s.actions, 'granted action'), ' ']);
  for (const k of u.unknown) rows.push(['unknown', cellCode(k.service, 60), ' ', k.actions.map((a) => cellCode(a, 120)), cellText(k.why, 300)]);
  if (!rows.length) return null;
  return { kind: 'table', header: ['unused access', 'service', 'access level', 'actions', 'why unknown'], rows };
}

function s3Tables(u: UnusedAccessReport): Part[] {
  const parts: Part[] = [];
  const buckets = u.s3?.buckets ?? [];
  if (buckets.length) {
    const rows: Cell[][] = buckets.map((b) => {
      const notes = [
        b.neverAccessed ? '**never accessed**' : '',
        b.onlyReadsUsed ? '**write/delete granted, only reads used**' : '',
        b.dataEvents === 'not-seen' ? 'object-level events not seen: object actions unknown' : '',
      ].filter(Boolean);
      return [
        cellCode(b.bucket, 100),
        b.granted.map(escapeMarkdown),
        b.used.map(escapeMarkdown),
        b.unusedClasses.map(escapeMarkdown),
        b.lastSeen ? `${formatCount(b.calls)}, last ${isoDate(b.lastSeen)}` : formatCount(b.calls),
        notes.length ? notes.join('; ') : ' ',
      ];
    });
    parts.push({ kind: 'table', header: ['S3 bucket', 'granted', 'used', 'unused', 'calls', 'note'], rows });
  }
  const principals = u.s3?.principals ?? [];
  if (principals.length) {
    const rows: Cell[][] = principals.map((p) => [
      cellCode(p.principal, 150),
      p.granted.map(escapeMarkdown),
      p.used.map(escapeMarkdown),
      p.lastSeen ? `${formatCount(p.calls)}, last ${isoDate(p.lastSeen)}` : formatCount(p.calls),
      p.status === 'stale' ? '**stale**' : escapeMarkdown(p.status) + (p.why ? `: ${cellText(p.why, 200)}` : ''),
    ]);
    parts.push({ kind: 'table', header: ['bucket policy principal', 'granted', 'used', 'calls', 'status'], rows });
  }
  return parts;
}

function coverageText(u: UnusedAccessReport): Part {
  const seen = u.coverage.dataEvents.map((d) => `${escapeMarkdown(d.family)} (${d.resources.slice(0, 5).map((r) => cellCode(r, 100)).join(', ')}${d.resources.length > 5 ? ` … +${d.resources.length - 5}` : ''})`);
  const trails = u.coverage.trails.slice(0, 3).map((t) => cellText(t, 250));
  return {
    kind: 'text',
    text:
      `Used ${formatCount(u.usedActions)} of ${plural(u.grantedActions, 'granted action')} in the window. ` +
      `Data events seen: ${seen.length ? seen.join(', ') : 'none'}. ${trails.join(' ')}` +
      (u.notes.length ? ` ${u.notes.map((n) => cellText(n, 200)).join(' ')}` : ''),
  };
}

/** A fence longer than any backtick run in the text, so log-derived content cannot close it. */
function fenced(text: string, lang: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text}\n${fence}`;
}

function suggestionPart(p: SuggestedPolicy): Part {
  const removed = p.diff.filter((l) => l.startsWith('- ')).length;
  const added = p.diff.filter((l) => l.startsWith('+ ')).length;
  const summary = `Suggested policy: ${plural(p.documents.length, 'document')}, −${formatCount(removed)} +${formatCount(added)} grants`;
  const body: string[] = [];
  if (p.notes.length) body.push(p.notes.map((n) => `- ${cellText(n, 300)}`).join('\n'));
  if (p.diff.length) {
    const shown = p.diff.slice(0, MAX_DIFF_SHOWN);
    if (p.diff.length > MAX_DIFF_SHOWN) shown.push(`… ${p.diff.length - MAX_DIFF_SHOWN} more line(s)`);
    body.push(fenced(shown.join('\n'), 'diff'));
  }
  const json = JSON.stringify(p.documents.length === 1 ? p.documents[0] : p.documents, null, 2);
  if (p.documents.length) {
    body.push(
      json.length <= MAX_JSON_SHOWN
        ? fenced(json, 'json')
        : `The policy is ${formatCount(json.length)} characters: see report.json or run \`iam-policy-gate generate\`.`,
    );
  }
  return { kind: 'text', text: `<details><summary>${escapeHtml(summary)}</summary>\n\n${body.join('\n\n')}\n\n</details>` };
}

/** Parts for the subject block; none when the subject has no usage-based analysis. */
export function leastPrivilegeParts(s: SubjectAnalysis): Part[] {
  const parts: Part[] = [];
  const u = s.unused;
  if (u) {
    const table = unusedTable(u);
    if (table) parts.push(table);
    parts.push(...s3Tables(u));
    parts.push(coverageText(u));
  }
  if (s.suggestion) parts.push(suggestionPart(s.suggestion));
  return parts;
}
