// Builds the parts of diff.md from a Report: the header (verdict, metrics, why), one folded block
// per subject, high-risk reductions, findings by rule, and the closing checks line.
import { reasonRank } from '../verdict/decide.js';
import type { AccessLevel, ActionGrant, Finding, ReplayItem, Report, RiskChange, SubjectAnalysis, Totals, VerdictReason } from '../model.js';
import { clip, code, escapeHtml, escapeMarkdown, formatCount, htmlCode, isoDate, percent, plainText, plural } from './markdown.js';
import type { Block, Cell, Part } from './md-blocks.js';
import { renderTable } from './md-blocks.js';
import {
  categoryLabel,
  cellCode,
  cellText,
  compareLocations,
  compareText,
  daysBetween,
  severityRank,
  sourceRef,
  waiverOf,
} from './format.js';
import { leastPrivilegeParts } from '../leastpriv/render.js';

/** At most this many verdict reasons are listed in the header; the findings blocks hold the rest. */
export const MAX_WHY = 30;
/** Findings of one rule are folded into `<details>` above this count. */
export const FOLD_FINDINGS_ABOVE = 5;

const STATUS_TITLE = {
  pass: { icon: '✅', word: 'passed' },
  warn: { icon: '⚠️', word: 'passed with warnings' },
  fail: { icon: '❌', word: 'failed' },
} as const;

export function heading(report: Report): string {
  const status = STATUS_TITLE[report.verdict.status] ?? STATUS_TITLE.fail;
  const headline = escapeMarkdown(clip(plainText(report.verdict.headline), 200));
  return `### ${status.icon} IAM policy gate ${status.word}${headline ? `: ${headline}` : ''}`;
}

// ---------- metrics ----------

function signed(n: number, bold: boolean): string {
  const text = n > 0 ? `+${formatCount(n)}` : n < 0 ? `−${formatCount(-n)}` : '±0';
  return bold ? `**${text}**` : text;
}

/**
 * Grants per category; `total` grants in all. An action can be in two categories (iam:PassRole is privilege
 * escalation and permissions management), so when the categories add up to more than the total the reader is told,
 * rather than left to wonder which number is wrong.
 */
function categoryCounts(counts: Partial<Record<string, number>>, total: number): string {
  const entries = Object.entries(counts)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .sort(([a, x], [b, y]) => (y as number) - (x as number) || compareText(a, b));
  const sum = entries.reduce((a, [, n]) => a + (n as number), 0);
  const text = entries.map(([category, n]) => `${formatCount(n as number)} ${escapeMarkdown(categoryLabel(category))}`).join(', ');
  return sum > total && text ? `${text}; a grant can be in more than one` : text;
}

function concretenessMetric(totals: Totals): string {
  const base = totals.concreteness.base.ratio;
  const head = totals.concreteness.head.ratio;
  const change =
    base === null || head === null || !Number.isFinite(base) || !Number.isFinite(head)
      ? ''
      : (() => {
          const pp = Math.round(head * 100) - Math.round(base * 100);
          return ` (${pp < 0 ? `**−${-pp} pp**` : pp > 0 ? `+${pp} pp` : '±0 pp'})`;
        })();
  return `${percent(base)} → ${percent(head)}${change}`;
}

function windowText(report: Report): string {
  const days = daysBetween(report.usage?.window.start, report.usage?.window.end);
  return days === null ? '' : ` in ${plural(days, 'day')}`;
}

export function metricsTable(report: Report): string {
  const t = report.totals;
  const actions = `${formatCount(t.actions.base)} → ${formatCount(t.actions.head)} (${signed(t.actions.added, t.actions.added > 0)}, ${signed(-t.actions.removed, false)})`;
  const predicted = !report.usage && t.predictedDenied.actions === 0
    ? 'not checked (no CloudTrail data)'
    : (() => {
        const text = `${plural(t.predictedDenied.actions, 'action')}, ${plural(t.predictedDenied.calls, 'call')}${windowText(report)}`;
        return t.predictedDenied.actions > 0 ? `**${text}**` : text;
      })();
  const fixed = !report.usage && t.fixedDenied.actions === 0
    ? 'not checked (no CloudTrail data)'
    : `${plural(t.fixedDenied.actions, 'action')}, ${plural(t.fixedDenied.denials, 'denial')}`;
  const addedCats = categoryCounts(t.risk.byCategoryAdded, t.risk.added);
  const removedCats = categoryCounts(t.risk.byCategoryRemoved, t.risk.removed);
  const risk = `${signed(t.risk.added, t.risk.added > 0)}${addedCats ? ` (${addedCats})` : ''}, ${signed(-t.risk.removed, false)}${removedCats ? ` (${removedCats})` : ''}`;
  const rows: Cell[][] = [
    ['allowed actions', actions],
    ['resource concreteness', concretenessMetric(t)],
    ['predicted AccessDenied', predicted],
    ['fixed AccessDenied', fixed],
    ['high-risk grants', risk],
  ];
  const count = (ruleId: string, waived: boolean) => report.findings.filter((f) => f.ruleId === ruleId && !!f.evidence?.waiver === waived).length;
  const exposed = count('public-access', false);
  const stillExposed = count('public-access-existing', false);
  if (exposed || stillExposed) {
    const known = stillExposed ? `${plural(stillExposed, 'statement')} already in base` : '';
    rows.push(['public or cross-account grants', exposed ? `**${plural(exposed, 'new statement')}**${known ? `, ${known}` : ''}` : known]);
  }
  if (t.newAccess > 0) {
    const waived = count('new-access', true);
    rows.push(['new access', waived >= t.newAccess ? `${plural(t.newAccess, 'item')} (all waived)` : `**${plural(t.newAccess, 'item')}**${waived ? ` (${waived} waived)` : ''}`]);
  }
  return renderTable(['metric', 'base → head'], rows, undefined);
}

// ---------- why ----------

const ACTION_RANK = { fail: 0, warn: 1, off: 2 } as const;

export function sortedReasons(reasons: VerdictReason[]): VerdictReason[] {
  return reasons
    .filter((r) => r.action !== 'off')
    .slice()
    .sort(
      (a, b) =>
        (ACTION_RANK[a.action] ?? 3) - (ACTION_RANK[b.action] ?? 3) ||
        reasonRank(a.ruleId) - reasonRank(b.ruleId) ||
        compareText(a.ruleId, b.ruleId) ||
        compareLocations(a.location, b.location) ||
        compareText(a.message, b.message),
    );
}

export function whyItems(report: Report, linkBase?: string): string[] {
  return sortedReasons(report.verdict.reasons).map((r) => {
    const count = r.count > 1 ? ` (×${formatCount(r.count)})` : '';
    const where = r.location ? ` — ${sourceRef(r.location, linkBase, 'text')}` : '';
    return `${code(clip(plainText(r.ruleId), 80), 'text')} (${escapeMarkdown(r.action)}): ${cellText(r.message)}${count}${where}`;
  });
}

// ---------- per subject ----------

const LEVEL_ORDER: AccessLevel[] = ['Permissions management', 'Write', 'Tagging', 'Read', 'List', 'Unknown'];

function serviceOf(action: string): string {
  const i = action.indexOf(':');
  return i > 0 ? action.slice(0, i).toLowerCase() : '';
}

/** One action of a grant group, as a table item. */
interface ActionItem {
  action: string;
  conditional: boolean;
}

function actionItem(item: ActionItem): string {
  const i = item.action.indexOf(':');
  const name = i > 0 ? item.action.slice(i + 1) : item.action;
  return `${cellCode(name, 120)}${item.conditional ? ' (conditional)' : ''}`;
}

function deltaRows(added: ActionGrant[], removed: ActionGrant[]): Cell[][] {
  const groups = new Map<string, { service: string; level: string; added: ActionItem[]; removed: ActionItem[] }>();
  const put = (grant: ActionGrant, side: 'added' | 'removed'): void => {
    const level = LEVEL_ORDER.includes(grant.accessLevel) ? grant.accessLevel : 'Unknown';
    for (const action of grant.actions) {
      const service = serviceOf(action);
      const key = `${service}\u0000${level}`;
      const group = groups.get(key) ?? { service, level, added: [], removed: [] };
      group[side].push({ action, conditional: grant.conditional });
      groups.set(key, group);
    }
  };
  for (const g of added) put(g, 'added');
  for (const g of removed) put(g, 'removed');
  const byAction = (a: ActionItem, b: ActionItem): number => compareText(a.action, b.action);
  return [...groups.values()]
    .sort((a, b) => compareText(a.service, b.service) || LEVEL_ORDER.indexOf(a.level as AccessLevel) - LEVEL_ORDER.indexOf(b.level as AccessLevel))
    .map((g) => [
      g.service ? cellCode(g.service, 60) : '(no service)',
      escapeMarkdown(g.level),
      listed(g.added.sort(byAction)),
      listed(g.removed.sort(byAction)),
    ]);
}

/** Past this many actions in one cell, the rest is counted, not listed (report.json has them all). */
export const MAX_ACTIONS_PER_CELL = 40;

function listed(items: ActionItem[]): string[] {
  const shown = items.slice(0, MAX_ACTIONS_PER_CELL).map(actionItem);
  if (items.length > MAX_ACTIONS_PER_CELL) shown.push(`… ${formatCount(items.length - MAX_ACTIONS_PER_CELL)} more`);
  return shown;
}

function concretenessRows(s: SubjectAnalysis): Cell[][] {
  return (['base', 'head'] as const).map((side) => {
    const c = s.concreteness[side];
    return [side, formatCount(c.concrete), formatCount(c.scoped), formatCount(c.wildcard), formatCount(c.noResourceLevel), percent(c.ratio)];
  });
}

function newAccessTable(s: SubjectAnalysis, linkBase?: string): Part | null {
  if (s.newAccess.length === 0) return null;
  const withPrincipal = s.newAccess.some((n) => n.principal);
  const withCondition = s.newAccess.some((n) => n.condition);
  const header = ['new access', 'actions', 'resource', ...(withPrincipal ? ['principal'] : []), ...(withCondition ? ['condition'] : []), 'line', 'reason'];
  const items = s.newAccess
    .slice()
    .sort((a, b) => compareLocations(a.location, b.location) || compareText(a.resource, b.resource) || compareText(a.actions.join(), b.actions.join()));
  const rows: Cell[][] = items.map((n) => [
    n.certainty === 'new' ? '**new**' : 'possibly new',
    n.actions.slice().sort(compareText).map((a) => cellCode(a, 120)),
    cellCode(n.resource),
    ...(withPrincipal ? [n.principal ? cellCode(n.principal) : ' '] : []),
    ...(withCondition ? [n.condition ? cellCode(n.condition) : ' '] : []),
    sourceRef(n.location, linkBase),
    cellText(n.reason),
  ]);
  return { kind: 'table', header, rows };
}

function byCalls(a: ReplayItem, b: ReplayItem): number {
  return b.count - a.count || compareText(a.action, b.action) || compareText(a.resource, b.resource) || compareText(a.principal, b.principal);
}

function decision(value: string, emphasise: boolean): string {
  const text = value === 'explicit-deny' ? 'deny (explicit)' : value === 'implicit-deny' ? 'deny' : escapeMarkdown(value);
  return emphasise && value.endsWith('deny') ? `**${text}**` : text;
}

function accessDeniedTable(s: SubjectAnalysis): Part | null {
  const replay = s.replay;
  if (!replay || replay.predicted.length + replay.fixed.length === 0) return null;
  const withPrincipal = s.subject.type === 'bucket' || s.subject.type === 'resource';
  const header = ['AccessDenied', ...(withPrincipal ? ['principal'] : []), 'action', 'resource', 'calls', 'last seen', 'base', 'head'];
  const row = (item: ReplayItem, kind: 'predicted' | 'fixed'): Cell[] => [
    kind === 'predicted' ? '**predicted**' : 'fixed',
    ...(withPrincipal ? [cellCode(item.principal)] : []),
    cellCode(item.action, 120),
    item.resource ? cellCode(item.resource) : '(any)',
    kind === 'fixed' ? `${formatCount(item.count)} denied` : formatCount(item.count),
    isoDate(item.lastSeen),
    decision(item.base, false),
    decision(item.head, kind === 'predicted'),
  ];
  const rows = [
    ...replay.predicted.slice().sort(byCalls).map((i) => row(i, 'predicted')),
    ...replay.fixed.slice().sort(byCalls).map((i) => row(i, 'fixed')),
  ];
  return { kind: 'table', header, rows };
}

function riskTable(title: string, changes: RiskChange[], linkBase?: string): Part | null {
  if (changes.length === 0) return null;
  const rows: Cell[][] = sortRisk(changes).map((r) => [
    escapeMarkdown(r.direction),
    cellCode(r.action, 120),
    r.categories.slice().sort(compareText).map((c) => escapeMarkdown(categoryLabel(c))),
    r.direction === 'narrowed' && r.from ? `${cellCode(r.from)} → ${cellCode(r.resource)}` : cellCode(r.resource),
    sourceRef(r.location, linkBase) || ' ',
  ]);
  return { kind: 'table', header: [title, 'action', 'categories', 'resource', 'line'], rows };
}

function sortRisk(changes: RiskChange[]): RiskChange[] {
  return changes
    .slice()
    .sort((a, b) => compareText(a.action, b.action) || compareText(a.resource, b.resource) || compareLocations(a.location, b.location));
}

function subjectSummary(s: SubjectAnalysis): string {
  const bits = [
    `+${formatCount(s.delta.addedCount)} −${formatCount(s.delta.removedCount)} actions`,
    `concreteness ${percent(s.concreteness.base.ratio)} → ${percent(s.concreteness.head.ratio)}`,
  ];
  if (s.newAccess.length) bits.push(`${plural(s.newAccess.length, 'new access item')}`);
  if (s.replay?.predicted.length) bits.push(`${formatCount(s.replay.predicted.length)} predicted AccessDenied`);
  return `${htmlCode(clip(plainText(s.subject.id), 150))}: ${escapeHtml(bits.join(', '))}`;
}

// Access Analyzer ([analyzer]): AWS's answer beside the local engine's, one row per question.
function analyzerResult(result: string): string {
  return result === 'FAIL' ? '**FAIL**' : result === 'not-run' ? '**not run**' : escapeMarkdown(result);
}

function analyzerDetails(c: NonNullable<SubjectAnalysis['accessAnalyzer']>[number], linkBase?: string): Cell {
  const items: string[] = [];
  if (c.disagreement) items.push(`**disagrees with the local engine: gated on the stricter (FAIL)**`);
  if (c.findings?.length) {
    for (const f of c.findings) items.push(`${cellCode(f.issueCode, 80)} ${escapeMarkdown(f.findingType)}${f.location ? ` ${sourceRef(f.location, linkBase)}` : ''}`);
    return items;
  }
  if (c.unused) {
    if (c.unused.length === 0) items.push(cellText(c.message));
    for (const u of c.unused) {
      const what = u.kind === 'UnusedPermission' ? `${cellCode(u.service ?? '?', 60)} unused` : escapeMarkdown(u.kind);
      const last = u.lastAccessed ? `last used ${isoDate(u.lastAccessed)}` : 'never used in the tracking period';
      const trail = u.cloudTrail ? `; CloudTrail: ${plural(u.cloudTrail.calls, 'call')}${u.cloudTrail.lastSeen ? `, last ${isoDate(u.cloudTrail.lastSeen)}` : ''}` : '';
      items.push(`${what} (${last}${trail})`);
    }
    return items;
  }
  const refs = (c.reasons ?? []).flatMap((r) => (r.location ? [sourceRef(r.location, linkBase)] : [])).slice(0, 10);
  items.push(`${cellText(c.message, 200)}${refs.length ? ` (${refs.join(', ')})` : ''}`);
  return items;
}

function accessAnalyzerTable(s: SubjectAnalysis, linkBase?: string): Part | null {
  const checks = s.accessAnalyzer ?? [];
  if (checks.length === 0) return null;
  const rows: Cell[][] = checks.map((c) => [
    escapeMarkdown(c.check),
    cellCode(c.document, 150),
    analyzerResult(c.result),
    c.local ? analyzerResult(c.local) : '—',
    analyzerDetails(c, linkBase),
  ]);
  return { kind: 'table', header: ['Access Analyzer', 'policy', 'AWS', 'local', 'details'], rows };
}

export function subjectBlock(s: SubjectAnalysis, linkBase?: string): Block {
  const parts: Part[] = [];
  const delta = deltaRows(s.delta.added, s.delta.removed);
  if (delta.length) parts.push({ kind: 'table', header: ['service', 'access level', 'added', 'removed'], rows: delta });
  else parts.push({ kind: 'text', text: 'No allowed actions added or removed.' });
  parts.push({
    kind: 'table',
    header: ['concreteness', 'concrete', 'scoped', 'wildcard', 'no resource-level', 'ratio'],
    rows: concretenessRows(s),
    whole: true,
  });
  for (const part of [
    newAccessTable(s, linkBase),
    riskTable('high-risk', s.risk.added.filter((r) => r.direction === 'added'), linkBase),
    accessDeniedTable(s),
    accessAnalyzerTable(s, linkBase),
  ]) {
    if (part) parts.push(part);
  }
  const undecided = s.replay?.undecided ?? [];
  if (undecided.length) {
    const calls = undecided.reduce((sum, i) => sum + (Number.isFinite(i.count) ? i.count : 0), 0);
    parts.push({
      kind: 'text',
      text: `Undecided: ${plural(undecided.length, 'action')} (${plural(calls, 'call')}) could not be decided from the logs.`,
    });
  }
  parts.push(...leastPrivilegeParts(s)); // unused access and the suggested policy ([least-privilege])
  const files = s.files.slice().sort(compareText);
  if (files.length) parts.push({ kind: 'text', text: `Files: ${files.slice(0, 20).map((f) => cellCode(f, 200)).join(', ')}${files.length > 20 ? ` … +${files.length - 20} more` : ''}` });
  if (s.limits.length) parts.push({ kind: 'list', items: s.limits.slice().sort(compareText).map((l) => `not checked: ${cellText(l)}`) });
  return { name: plainText(s.subject.id), summary: subjectSummary(s), parts };
}

// ---------- reductions, findings ----------

export function reductionsBlock(report: Report, linkBase?: string): Block | null {
  const rows: Cell[][] = [];
  const subjects = report.subjects.slice().sort((a, b) => compareText(a.subject.id, b.subject.id));
  for (const s of subjects) {
    const reductions = [...s.risk.removed, ...s.risk.added].filter((r) => r.direction === 'removed' || r.direction === 'narrowed');
    for (const r of sortRisk(reductions)) {
      rows.push([
        cellCode(s.subject.id, 150),
        escapeMarkdown(r.direction),
        cellCode(r.action, 120),
        r.categories.slice().sort(compareText).map((c) => escapeMarkdown(categoryLabel(c))),
        r.direction === 'narrowed' && r.from ? `${cellCode(r.from)} → ${cellCode(r.resource)}` : cellCode(r.resource),
        sourceRef(r.location, linkBase) || ' ',
      ]);
    }
  }
  if (rows.length === 0) return null;
  return {
    name: 'high-risk reductions',
    summary: `High-risk reductions (${formatCount(rows.length)})`,
    parts: [{ kind: 'table', header: ['subject', 'change', 'action', 'categories', 'resource', 'line'], rows }],
  };
}

function waivedNote(f: Finding): string {
  const waiver = waiverOf(f);
  if (!waiver) return '';
  return ` (waived: ${cellText(waiver.reason, 200)}${waiver.expires ? `, expires ${isoDate(waiver.expires)}` : ''})`;
}

export function findingBlocks(findings: Finding[], linkBase?: string): Block[] {
  const byRule = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byRule.get(f.ruleId) ?? [];
    list.push(f);
    byRule.set(f.ruleId, list);
  }
  const worst = (list: Finding[]): number => list.reduce((rank, f) => Math.min(rank, severityRank(f.severity)), 9);
  return [...byRule.entries()]
    .sort(([a, x], [b, y]) => worst(x) - worst(y) || compareText(a, b))
    .map(([ruleId, list]) => {
      const sorted = list
        .slice()
        .sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || compareLocations(a.location, b.location) || compareText(a.message, b.message));
      const withSubject = sorted.some((f) => f.subject);
      const rows: Cell[][] = sorted.map((f) => [
        escapeMarkdown(f.severity),
        cellText(f.message) + waivedNote(f),
        ...(withSubject ? [f.subject ? cellCode(f.subject, 150) : ' '] : []),
        sourceRef(f.location, linkBase) || ' ',
      ]);
      const table: Part = { kind: 'table', header: ['severity', 'message', ...(withSubject ? ['subject'] : []), 'line'], rows };
      const name = `findings of ${plainText(ruleId)}`;
      if (list.length > FOLD_FINDINGS_ABOVE) {
        return { name, summary: `Findings: ${htmlCode(clip(plainText(ruleId), 80))} (${formatCount(list.length)})`, parts: [table] };
      }
      return { name, title: `**Findings: ${code(clip(plainText(ruleId), 80), 'text')}** (${formatCount(list.length)})`, parts: [table] };
    });
}

// ---------- checks ----------

/** " (N other records read, not mapped)" for a scoped read (cloudtrail.scope: subjects), else "". */
function scopeSkipped(sources: Array<{ skipped?: number }>): string {
  const skipped = sources.reduce((n, s) => n + (s.skipped ?? 0), 0);
  return skipped ? ` (${plural(skipped, 'other record')} read, not mapped)` : '';
}

/** ", N on S3 objects whose keys were not kept" (and condition-key values) when a principal and action held too many. */
function keysNotKept(sources: Array<{ keysNotKept?: number; contextValuesNotKept?: number }>): string {
  const n = sources.reduce((k, s) => k + (s.keysNotKept ?? 0), 0);
  const a = sources.reduce((k, s) => k + (s.contextValuesNotKept ?? 0), 0);
  return (
    (n ? `, ${plural(n, 'event')} on S3 objects whose keys were not kept (over ${formatCount(1000)} per principal and action: counted for the bucket)` : '') +
    (a ? `, ${plural(a, 'event')} with a condition-key value not kept (over ${formatCount(1000)} per key, principal and action: left unknown)` : '')
  );
}

export function checksLine(report: Report): string {
  const items = report.checks.slice(0, 40).map((c) => {
    const id = code(clip(plainText(c.id), 60), 'text');
    const detail = c.detail ? ` (${escapeMarkdown(clip(plainText(c.detail), 160))})` : '';
    if (c.status === 'ran') return `${id} ran`;
    if (c.status === 'skipped') return `${id} skipped${detail}`;
    return `**${id} not run**${detail}`;
  });
  if (report.checks.length > 40) items.push(`… +${report.checks.length - 40} more`);
  const usage = report.usage;
  if (usage) {
    const failed = usage.sources.filter((s) => s.status !== 'ran').length;
    const window = usage.window.start && usage.window.end ? `, ${isoDate(usage.window.start)} to ${isoDate(usage.window.end)}` : '';
    items.push(
      `CloudTrail: ${plural(usage.sources.length, 'source')}${failed ? ` (${formatCount(failed)} partial or failed)` : ''}, ` +
        `${plural(usage.totalEvents, 'event')}${usage.scope ? ` about the change's subjects${scopeSkipped(usage.sources)}` : ''}${window}, ${plural(usage.unmapped.length, 'unmapped event name')}` +
        `${keysNotKept(usage.sources)}` +
        `${usage.complete ? '' : ', **incomplete**'}`,
    );
  }
  const excluded = report.change.excludedFiles ?? [];
  if (excluded.length) {
    const names = excluded.slice(0, 5).map((p) => code(clip(plainText(p), 120), 'text'));
    if (excluded.length > 5) names.push(`… +${excluded.length - 5} more`);
    items.push(`not read: ${plural(excluded.length, 'changed file')} in \`policy-files.exclude\` (${names.join(', ')})`);
  }
  const lines = [`Checks: ${items.join(' · ') || 'none recorded'}`];
  const cat = report.tool.catalog;
  lines.push(
    `<sub>${escapeMarkdown(clip(plainText(report.tool.name), 60))} ${escapeMarkdown(clip(plainText(report.tool.version), 40))} · ` +
      `IAM catalog ${escapeMarkdown(clip(plainText(`${cat.source} ${cat.version}`), 80))} (${plural(cat.actions, 'action')}) · ` +
      `${escapeMarkdown(clip(plainText(report.change.base), 60))} → ${escapeMarkdown(clip(plainText(report.change.head), 60))}</sub>`,
  );
  return lines.join('\n\n');
}
