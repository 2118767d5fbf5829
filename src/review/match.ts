// Whether one waiver covers one finding. Narrow by construction: the finding's rule must be the
// waiver's, it must sit where the waiver says, and every action and resource it carries must lie
// inside what the waiver lists (actions as they expand against today's catalogue).
import { arnContains } from '../analysis/evaluate/match.js';
import { ActionSet } from '../catalog/catalog.js';
import { globWithPlaceholders } from '../config/subjects.js';
import type { Waiver } from '../config/types.js';
import type { Finding } from '../model.js';
import { fingerprint } from '../report/sarif.js';

/** A waiver compiled once: its globs and its action set. */
export interface CompiledWaiver {
  waiver: Waiver;
  files?: RegExp;
  subject?: RegExp;
  actions?: ActionSet;
  resources?: string[];
  principals?: string[];
  fingerprint?: string;
}

/** `*` any run of characters (ARNs hold slashes), `?` one character; case-sensitive like ARNs. */
export function subjectGlob(glob: string): RegExp {
  return new RegExp('^' + glob.replace(/[.+^$()|[\]\\{}]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

export function compileWaiver(waiver: Waiver): CompiledWaiver {
  return {
    waiver,
    files: waiver.files ? globWithPlaceholders(waiver.files) : undefined,
    subject: waiver.subject ? subjectGlob(waiver.subject) : undefined,
    actions: waiver.actions?.length ? ActionSet.fromPatterns(waiver.actions).set : undefined,
    resources: waiver.resources?.length ? waiver.resources : undefined,
    principals: waiver.principals?.length ? waiver.principals : undefined,
    fingerprint: waiver.fingerprint?.toLowerCase(),
  };
}

/** Whether a waiver's principal entry names the finding's (`AWS:arn:aws:iam::1:role/x`, or `arn:aws:iam::1:role/x`). */
function principalNamed(entry: string, label: string): boolean {
  return entry === label || entry === label.slice(label.indexOf(':') + 1);
}

export type Coverage =
  | { kind: 'none' }
  | { kind: 'full' }
  /** Same rule and place, but some of the finding's actions or resources lie outside the waiver. */
  | { kind: 'partial'; uncovered: string[] };

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The actions a finding is about: evidence.actions or evidence.action. */
export function findingActions(f: Finding): string[] {
  return [...stringsOf(f.evidence?.actions), ...stringsOf(f.evidence?.action)];
}

/** The resources a finding is about: evidence.resource or evidence.resources. */
export function findingResources(f: Finding): string[] {
  return [...stringsOf(f.evidence?.resource), ...stringsOf(f.evidence?.resources)];
}

/** Actions of `patterns` outside `allowed`, as written (an unknown action is compared by name). */
function uncoveredActions(patterns: string[], allowed: ActionSet, listed: string[]): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    const { set, unknown } = ActionSet.fromPatterns([p]);
    if (unknown.length) {
      if (!listed.some((l) => l.toLowerCase() === p.toLowerCase())) out.push(p);
    } else if (!set.isSubsetOf(allowed)) out.push(p);
  }
  return out;
}

export function coverage(c: CompiledWaiver, f: Finding): Coverage {
  if (f.ruleId !== c.waiver.rule) return { kind: 'none' };
  if (c.files && !(f.location && c.files.test(f.location.file))) return { kind: 'none' };
  if (c.subject && !(f.subject && c.subject.test(f.subject))) return { kind: 'none' };
  if (c.fingerprint && !fingerprint(f).startsWith(c.fingerprint)) return { kind: 'none' };
  // A finding about a caller (a resource or trust policy granting someone) is waived only for that caller: by
  // fingerprint (which holds it), or by a waiver listing it in `principals` ("AWS:arn:..." or the bare value).
  const principal = typeof f.evidence?.principal === 'string' && f.evidence.principal !== '' ? f.evidence.principal : undefined;
  if (principal !== undefined && !c.fingerprint && !(c.principals ?? []).some((p) => principalNamed(p, principal))) return { kind: 'none' };
  const uncovered: string[] = [];
  if (c.actions) {
    const actions = findingActions(f);
    if (actions.length === 0) return { kind: 'none' };
    uncovered.push(...uncoveredActions(actions, c.actions, c.waiver.actions ?? []));
    if (uncovered.length === actions.length) return { kind: 'none' };
  }
  if (c.resources) {
    const resources = findingResources(f);
    if (resources.length === 0) return { kind: 'none' };
    const outside = resources.filter((r) => !c.resources!.some((w) => w === r || arnContains(w, r)));
    if (outside.length === resources.length) return { kind: 'none' };
    uncovered.push(...outside);
  }
  return uncovered.length ? { kind: 'partial', uncovered } : { kind: 'full' };
}
