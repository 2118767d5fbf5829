// A grant-level diff between the current policy and the suggestion: one line per (effect, action as
// written, resource as written, condition), "- " only in the current policy, "+ " only in the
// suggestion, "  " in both. Readable in a PR comment, unlike a text diff of reformatted JSON.
import type { PolicyDocument } from '../model.js';
import { statementJson } from './policy-json.js';
import type { SuggestedDocument, SuggestedStatement } from './types.js';

export const MAX_DIFF_LINES = 400;

function pairs(st: SuggestedStatement): string[] {
  const actions = st.Action ?? (st.NotAction ?? []).map((a) => `NotAction ${a}`);
  const resources = st.Resource ?? (st.NotResource ?? []).map((r) => `NotResource ${r}`);
  const when = st.Condition ? ` when ${JSON.stringify(st.Condition)}` : '';
  const out: string[] = [];
  for (const a of actions) for (const r of resources) out.push(`${st.Effect} ${a} on ${r}${when}`);
  return out;
}

export function policyDiff(current: PolicyDocument[], suggested: SuggestedDocument[]): string[] {
  const before = new Set(current.flatMap((d) => d.statements.map((s) => statementJson(s, 'S'))).flatMap(pairs));
  const after = new Set(suggested.flatMap((d) => d.Statement).flatMap(pairs));
  const lines: Array<[string, string]> = [];
  for (const p of before) lines.push([p, after.has(p) ? '  ' : '- ']);
  for (const p of after) if (!before.has(p)) lines.push([p, '+ ']);
  const rank = { '- ': 0, '+ ': 1, '  ': 2 } as Record<string, number>;
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const actionOf = (p: string) => p.slice(0, p.indexOf(' on '));
  lines.sort(([a, x], [b, y]) => cmp(actionOf(a), actionOf(b)) || rank[x] - rank[y] || cmp(a, b));
  const out = lines.slice(0, MAX_DIFF_LINES).map(([p, mark]) => mark + p);
  if (lines.length > MAX_DIFF_LINES) out.push(`… ${lines.length - MAX_DIFF_LINES} more line(s)`);
  return out;
}
