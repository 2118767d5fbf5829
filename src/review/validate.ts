// The checks a waiver must pass to be loaded at all. The JSON schema checks shape (required reason
// and expiry, types); these check meaning. Each problem is a located config error (exit 2).
import type { Waiver } from '../config/types.js';
import { globWithPlaceholders } from '../config/subjects.js';
import { expandActionPattern } from '../catalog/catalog.js';

const WILDCARD = /[*?]/;

/** A calendar date YYYY-MM-DD that exists (no 2026-02-30). */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

export function isWildcardWaiver(w: Pick<Waiver, 'actions' | 'resources' | 'principals'>): boolean {
  return [...(w.actions ?? []), ...(w.resources ?? []), ...(w.principals ?? [])].some((p) => WILDCARD.test(p));
}

/** Problems with one waiver, as messages without a location (the caller prefixes file:line). */
export function waiverProblems(w: Waiver): string[] {
  const problems: string[] = [];
  if (/^waiver-|^config-invalid$/.test(w.rule)) problems.push(`rule "${w.rule}" is about waivers themselves and cannot be waived`);
  if (!isCalendarDate(w.expires)) problems.push(`expires "${w.expires}" is not a calendar date (YYYY-MM-DD)`);
  if (!w.files && !w.subject) problems.push('says neither where it applies: give files (a path glob) and/or subject');
  const hasActions = (w.actions?.length ?? 0) > 0;
  const hasResources = (w.resources?.length ?? 0) > 0;
  if (!w.fingerprint && !(hasActions && hasResources)) {
    problems.push('says not exactly what it covers: give actions and resources, or the fingerprint of one finding');
  } else if (hasActions !== hasResources) {
    problems.push(`lists ${hasActions ? 'actions but no resources' : 'resources but no actions'}: a waiver covers both or only a fingerprint`);
  }
  if (w.files) {
    try {
      globWithPlaceholders(w.files);
    } catch {
      problems.push(`files "${w.files}" is not a valid glob`);
    }
  }
  for (const a of w.actions ?? []) {
    if (!/^[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+$/.test(a) && a !== '*') problems.push(`action "${a}" is not service:Action`);
    else if (!expandActionPattern(a).known) problems.push(`action "${a}" matches nothing in the IAM action catalogue`);
  }
  for (const r of w.resources ?? []) {
    if (r !== '*' && !r.startsWith('arn:')) problems.push(`resource "${r}" is not an ARN or "*"`);
  }
  if (isWildcardWaiver(w) && w['allow-wildcard'] !== true) {
    const wild = [...(w.actions ?? []), ...(w.resources ?? []), ...(w.principals ?? [])].filter((p) => WILDCARD.test(p));
    problems.push(`covers wildcard ${wild.map((p) => `"${p}"`).join(', ')}: set allow-wildcard: true to accept a wildcard waiver`);
  }
  return problems;
}
