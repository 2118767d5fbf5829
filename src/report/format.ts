// Small formatting helpers shared by the markdown renderers: source links, categories, ordering.
import type { Finding, RiskCategory, Severity, SourceLocation } from '../model.js';
import { clip, code, escapeMarkdown, plainText } from './markdown.js';

/** Longest text kept in one table cell or list item; whole rows are dropped, never cut. */
export const CELL_MAX = 300;

/** A repo-relative path with forward slashes, or null when it is absolute or climbs out (`..`). */
export function repoRelativePath(file: string): string | null {
  const path = plainText(file).replace(/\\/g, '/').replace(/^(\.\/)+/, '');
  if (path === '' || path.startsWith('/') || /^[A-Za-z]:/.test(path)) return null;
  if (path.split('/').some((segment) => segment === '..')) return null;
  return path;
}

/** Percent-encodes each segment of a repo-relative path for a URI (also `( ) ' ! * ~`, which markdown links mind). */
export function encodePath(path: string): string {
  return path
    .split('/')
    // encodeURIComponent throws on a lone surrogate: such a name gets U+FFFD in its link instead.
    .map((segment) => encodeURIComponent(segment.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')).replace(/[()'!*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/**
 * "path:line" for a location: a link to the line when a link base is given (a trusted URL such as
 * https://github.com/o/r/blob/<sha>/), otherwise inline code.
 */
export function sourceRef(loc: SourceLocation | undefined, linkBase?: string, context: 'table' | 'text' = 'table'): string {
  if (!loc) return '';
  const line = Number.isInteger(loc.line) && loc.line > 0 ? loc.line : 1;
  const label = `${clip(plainText(loc.file), 200)}:${line}`;
  const path = repoRelativePath(loc.file);
  if (!linkBase || path === null) return code(label, context);
  const base = linkBase.endsWith('/') ? linkBase : `${linkBase}/`;
  return `[${escapeMarkdown(label)}](${base}${encodePath(path)}#L${line})`;
}

/** Escaped text clipped to a cell. */
export function cellText(text: unknown, max = CELL_MAX): string {
  return escapeMarkdown(clip(plainText(text), max));
}

/** Inline code clipped to a cell. */
export function cellCode(text: unknown, max = CELL_MAX): string {
  return code(clip(plainText(text), max));
}

const CATEGORY_LABELS: Record<RiskCategory, string> = {
  'privilege-escalation': 'privilege escalation',
  'permissions-management': 'permissions management',
  'resource-exposure': 'resource exposure',
  'credentials-exposure': 'credentials exposure',
  'data-access': 'data access',
};

export function categoryLabel(category: string): string {
  return CATEGORY_LABELS[category as RiskCategory] ?? plainText(category);
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

export function severityRank(severity: string): number {
  return SEVERITY_RANK[severity as Severity] ?? 5;
}

/** Plain string comparison (not locale-dependent), for deterministic ordering. */
export function compareText(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

export function compareLocations(a: SourceLocation | undefined, b: SourceLocation | undefined): number {
  if (!a || !b) return a ? -1 : b ? 1 : 0;
  return compareText(a.file, b.file) || a.line - b.line || a.column - b.column;
}

/** Whole days between two ISO timestamps, or null when either is missing or invalid. */
export function daysBetween(start?: string, end?: string): number | null {
  if (!start || !end) return null;
  const ms = Date.parse(end) - Date.parse(start);
  if (!Number.isFinite(ms) || ms < 0) return null;
  return Math.max(1, Math.round(ms / 86_400_000));
}

/** An accepted waiver recorded on a finding as `evidence.waiver = { reason, expires? }`. */
export function waiverOf(finding: Finding): { reason: string; expires?: string } | null {
  const waiver = finding.evidence?.waiver;
  if (!waiver || typeof waiver !== 'object') return null;
  const { reason, expires } = waiver as { reason?: unknown; expires?: unknown };
  if (typeof reason !== 'string' || reason.trim() === '') return null;
  const cleanReason = clip(plainText(reason), 1000);
  return typeof expires === 'string' && expires.trim() ? { reason: cleanReason, expires: clip(plainText(expires), 40) } : { reason: cleanReason };
}
