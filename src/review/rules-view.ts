// `iam-policy-gate rules`: every rule with its default action, severity, the action under a given
// config, and its help text (the same text as the SARIF rule's help).
import type { RuleAction } from '../model.js';
import { resolveAction, type RuleInfo } from '../verdict/rules.js';

export interface RuleRow {
  id: string;
  name: string;
  severity: RuleInfo['severity'];
  defaultAction: RuleAction;
  /** The action under the given config's `rules:` (exact id > glob > severity threshold > default). */
  action: RuleAction;
  shortDescription: string;
  help: string;
}

export function ruleRows(rules: RuleInfo[], configured: Record<string, RuleAction>): RuleRow[] {
  return rules.map((r) => ({
    id: r.id,
    name: r.name,
    severity: r.severity,
    defaultAction: r.defaultAction,
    action: resolveAction(r.id, r.severity, configured),
    shortDescription: r.shortDescription,
    help: r.help,
  }));
}

export function rulesTable(rules: RuleInfo[], configured: Record<string, RuleAction>, format: 'table' | 'json'): string {
  const rows = ruleRows(rules, configured);
  if (format === 'json') return JSON.stringify(rows, null, 2);
  const withConfig = Object.keys(configured).length > 0;
  const cells = rows.map((r) => [r.id, r.defaultAction, ...(withConfig ? [r.action] : []), r.severity, r.help]);
  const header = ['rule', 'default', ...(withConfig ? ['configured'] : []), 'severity', 'help'];
  const fixed = header.length - 1;
  const widths = header.slice(0, fixed).map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i < fixed ? x.padEnd(widths[i]) : x)).join('  ');
  return [line(header), ...cells.map(line)].join('\n');
}
