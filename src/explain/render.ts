// Text and JSON views of explain outcomes. Text is for a terminal: one block per case.
import type { SourceLocation } from '../model.js';
import type { ExplainCondition, ExplainOutcome, ExplainSide } from './types.js';

const MARK = { match: '✓ match   ', 'no-match': '✗ no-match', unknown: '? unknown ' } as const;

function at(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}`;
}

/** Terminal text: strip control characters from anything that came from files or flags. */
function safe(text: string, max = 300): string {
  const t = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function conditionLine(c: ExplainCondition): string {
  const values = c.values.length > 3 ? `${c.values.slice(0, 3).join(', ')}, …` : c.values.join(', ');
  const why = c.result === 'unknown' ? ` — ${c.reason ?? 'cannot be evaluated'}; give --context ${c.key}=…` : '';
  return `      ${MARK[c.result]} ${safe(c.operator)} ${safe(c.key)} [${safe(values, 120)}] (${c.effect} ${c.sid ? `"${safe(c.sid, 60)}" ` : ''}${at(c.conditionLoc)})${why}`;
}

function sideLines(name: string, s: ExplainSide): string[] {
  const lines = [`  ${name}: ${s.decision} — ${safe(s.reason)}`];
  for (const d of s.deciding.slice(0, 10)) lines.push(`      decided by ${d.effect} ${d.sid ? `"${safe(d.sid, 60)}" ` : ''}at ${at(d.loc)} (${d.layer})`);
  if (s.deciding.length > 10) lines.push(`      … ${s.deciding.length - 10} more statements`);
  for (const c of s.conditions.slice(0, 20)) lines.push(conditionLine(c));
  lines.push(`      layers: ${s.layers.join(', ')}`);
  for (const n of s.notes ?? []) lines.push(`      note: ${safe(n)}`);
  return lines;
}

export function renderExplainText(outcomes: ExplainOutcome[]): string {
  const out: string[] = [];
  outcomes.forEach((o, i) => {
    const c = o.case;
    const title = c.name ? `"${safe(c.name, 120)}"` : `#${i + 1}`;
    const who = c.principal && c.principal !== o.subject ? `${safe(c.principal)} via ${safe(o.subject)}` : safe(o.subject);
    out.push(`case ${title}${c.loc ? ` (${at(c.loc)})` : ''}: ${who} → ${safe(c.action)} on ${c.resource ? safe(c.resource) : '(no resource given)'}`);
    out.push(...sideLines('base', o.base), ...sideLines('head', o.head));
    out.push(`  change: ${safe(o.change, 400)}`);
    for (const m of o.mismatches) out.push(`  MISMATCH ${m}`);
    out.push('');
  });
  const failed = outcomes.filter((o) => o.mismatches.length).length;
  const expected = outcomes.filter((o) => o.case.expect).length;
  out.push(`${outcomes.length} case${outcomes.length === 1 ? '' : 's'}${expected ? `, ${expected} with expectations, ${failed} mismatched` : ''}`);
  return out.join('\n');
}

export function renderExplainJson(outcomes: ExplainOutcome[]): string {
  return JSON.stringify({ cases: outcomes, mismatches: outcomes.filter((o) => o.mismatches.length).length }, null, 2);
}
