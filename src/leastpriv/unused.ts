// Granted but unused access over the CloudTrail window, per subject. An action counts as used when the
// subject called it at least once, whatever the outcome (a denied call still shows the need). Actions the
// logs cannot show (data events not seen, never-logged actions) are "unknown", not "unused"; so is everything a
// group grants, since its members make the calls and membership is not known.
import { actionById, lookupAction } from '../catalog/catalog.js';
import { allowedActions, type CompiledStatement } from '../analysis/compile.js';
import type { AccessLevel, SubjectRef, UsageRecord, UsageSummary } from '../model.js';
import { dataEventsLoggedFor, eventKind, familyLabel, READ_EVENTS, type DataEventIndex } from './coverage.js';
import { dataFamily, neverRecorded } from './families.js';
import { s3BucketPolicyUse, s3IdentityUse } from './s3.js';
import type { UnknownUse, UnusedAccessReport, UnusedActionGroup, UnusedService } from './types.js';

const LEVELS: AccessLevel[] = ['Permissions management', 'Write', 'Tagging', 'Read', 'List', 'Unknown'];

/** Resource patterns each granted action is allowed on (NotResource grants count as "*"). */
export function grantedResources(stmts: CompiledStatement[]): Map<number, Set<string>> {
  const granted = allowedActions(stmts);
  const out = new Map<number, Set<string>>();
  for (const s of stmts) {
    if (s.effect !== 'Allow') continue;
    const patterns = s.notResource ? ['*'] : s.resources;
    for (const i of s.actions.indices()) {
      if (!granted.has(i)) continue;
      let set = out.get(i);
      if (!set) out.set(i, (set = new Set()));
      for (const p of patterns) set.add(p);
    }
  }
  return out;
}

/** Why a group's grants are all unknown. */
export const GROUP_WHY =
  'a group makes no calls of its own: its members do, under their own user ARNs, and group membership is not known here, so this access may be in use';

/** Why a granted, never-called action may still be in use, or undefined when "unused" is a fair claim. */
function unknownWhy(action: string, patterns: Iterable<string>, index: DataEventIndex, subject: SubjectRef): string | undefined {
  if (subject.type === 'group') return GROUP_WHY;
  const never = neverRecorded(action);
  if (never) return never;
  const family = dataFamily(action);
  if (!family) return undefined;
  const list = subject.type === 'bucket' && subject.arn ? [subject.arn] : [...patterns];
  const kind = eventKind(action);
  const blind = list.filter((p) => !dataEventsLoggedFor(index, family, p, kind));
  if (!blind.length) return undefined;
  const shown = blind.slice(0, 3).join(', ') + (blind.length > 3 ? ` and ${blind.length - 3} more` : '');
  // A scoped read mapped only the records naming the change's resources: it cannot say whether others were seen.
  if (index.scoped) return `no ${familyLabel(family)} for ${shown} in the window (not logged by the trail?)`;
  if (list.some((p) => dataEventsLoggedFor(index, family, p))) return `no ${kind === READ_EVENTS ? 'read-only' : 'write'} ${familyLabel(family)} arrived at all, only ${kind === READ_EVENTS ? 'write' : 'read-only'} ones (the trail may log one kind only): ${shown}`;
  return index.seen.get(family)?.size
    ? `${familyLabel(family)} were seen, but not for ${shown}`
    : `no ${familyLabel(family)} in the window (not logged by the trail?) for ${shown}`;
}

export function unusedAccess(subject: SubjectRef, grants: CompiledStatement[], records: UsageRecord[], usage: UsageSummary, index: DataEventIndex): UnusedAccessReport {
  const resources = grantedResources(grants);
  const used = new Set<number>();
  for (const r of records) {
    const a = lookupAction(r.action);
    if (a) used.add(a.index);
  }
  const unusedBy = new Map<string, Map<AccessLevel, string[]>>();
  const unknownBy = new Map<string, UnknownUse>();
  const usedServices = new Set<string>();
  const grantedServices = new Map<string, number>();
  let usedCount = 0;
  for (const [i, patterns] of resources) {
    const a = actionById(i);
    grantedServices.set(a.service, (grantedServices.get(a.service) ?? 0) + 1);
    if (used.has(i)) {
      usedCount++;
      usedServices.add(a.service);
      continue;
    }
    const why = unknownWhy(a.id, patterns, index, subject);
    if (why) {
      const key = `${a.service}\u0000${why}`;
      const entry = unknownBy.get(key) ?? { service: a.service, actions: [], why };
      entry.actions.push(a.id);
      unknownBy.set(key, entry);
      continue;
    }
    let levels = unusedBy.get(a.service);
    if (!levels) unusedBy.set(a.service, (levels = new Map()));
    const list = levels.get(a.accessLevel) ?? [];
    list.push(a.id);
    levels.set(a.accessLevel, list);
  }
  const unusedActions: UnusedActionGroup[] = [];
  const unusedServices: UnusedService[] = [];
  for (const [service, levels] of [...unusedBy.entries()].sort(([x], [y]) => x.localeCompare(y))) {
    if (!usedServices.has(service)) {
      unusedServices.push({ service, actions: [...levels.values()].reduce((n, l) => n + l.length, 0) });
      continue;
    }
    for (const level of LEVELS) {
      const actions = levels.get(level);
      if (actions?.length) unusedActions.push({ service, accessLevel: level, actions: actions.sort() });
    }
  }
  const notes: string[] = [];
  if (subject.type === 'group') notes.push("the subject is a group: its members' calls are not attributed to it (membership is not known), so none of its access is reported unused");
  if (!usage.complete) notes.push('the usage is incomplete (a source failed or was cut short): unused may be overstated');
  const window = usage.window;
  const s3 =
    subject.type === 'bucket' ? s3BucketPolicyUse(subject, grants, records, index) : subject.type === 'group' ? undefined : s3IdentityUse(grants, records, index);
  return {
    window: { ...(window.start ? { start: window.start } : {}), ...(window.end ? { end: window.end } : {}) },
    grantedActions: resources.size,
    usedActions: usedCount,
    unusedActions,
    unusedServices,
    unknown: [...unknownBy.values()].map((u) => ({ ...u, actions: u.actions.sort() })).sort((a, b) => a.service.localeCompare(b.service) || a.why.localeCompare(b.why)),
    ...(s3 && (s3.buckets.length || s3.principals?.length) ? { s3 } : {}),
    coverage: index.coverage,
    notes,
  };
}
