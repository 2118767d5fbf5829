// What the logs can show: data events seen per family and resource (from any principal), and what the
// sources said about trails. Event selectors are not in the logs themselves; we infer from what arrived.
import { arnMatches } from '../analysis/evaluate/match.js';
import { lookupAction } from '../catalog/catalog.js';
import type { UsageSourceReport, UsageSummary } from '../model.js';
import { accountWide, dataFamily, dataResourceKey, isDataEvent, loggedBy, type DataFamily } from './families.js';
import type { LogCoverage } from './types.js';

/**
 * Optional trail facts a source may report (proposed UsageSourceReport field `trails`); read defensively
 * because no source fills it yet.
 */
interface TrailFacts {
  trails?: Array<{ name?: string; arn?: string; dataEventSelectors?: string[] }>;
}

export interface DataEventIndex {
  /** family → resource keys seen (bucket names for S3, ARNs otherwise). */
  seen: Map<DataFamily, Set<string>>;
  /**
   * family → the kinds of its data events seen anywhere: READ_EVENTS and/or WRITE_EVENTS. A trail's selectors can log
   * only read-only or only write events (ReadWriteType, or `readOnly` in advanced selectors): when no write event
   * of a family arrived at all, the logs show nothing about writes, and the other way round.
   */
  kinds: Map<DataFamily, number>;
  coverage: LogCoverage;
  /** Records naming none of the change's names were skipped (UsageSummary.scope): events for others may be missing. */
  scoped: boolean;
}

const MAX_LISTED = 50;

export const READ_EVENTS = 1;
export const WRITE_EVENTS = 2;

/** Whether CloudTrail logs a call of `action` as a read-only event (Read and List access) or not. */
export function eventKind(action: string): number {
  const level = lookupAction(action)?.accessLevel;
  return level === 'Read' || level === 'List' ? READ_EVENTS : WRITE_EVENTS;
}

export function indexDataEvents(usage: UsageSummary): DataEventIndex {
  const seen = new Map<DataFamily, Set<string>>();
  const kinds = new Map<DataFamily, number>();
  for (const r of usage.records) {
    const family = dataFamily(r.action);
    if (!family || !isDataEvent(family, r.eventName)) continue;
    // An object call whose key is not known still shows that the bucket's data events were logged.
    const resource = accountWide(family) ? '*' : (r.resource ?? r.bucket);
    if (!resource) continue;
    let set = seen.get(family);
    if (!set) seen.set(family, (set = new Set()));
    set.add(dataResourceKey(family, resource));
    kinds.set(family, (kinds.get(family) ?? 0) | eventKind(r.action));
  }
  const dataEvents = [...seen.entries()]
    .map(([family, set]) => ({ family, resources: [...set].sort().slice(0, MAX_LISTED) }))
    .sort((a, b) => a.family.localeCompare(b.family));
  const scoped = usage.sources.some((s) => (s.skipped ?? 0) > 0);
  const trails = trailLines(usage.sources);
  if (scoped) trails.push('records naming none of the change\'s subjects or data resources were read but not mapped (cloudtrail.scope: subjects): data events seen are those on the change\'s resources');
  return { seen, kinds, coverage: { sources: usage.sources.map((s) => s.id), dataEvents, trails }, scoped };
}

function trailLines(sources: UsageSourceReport[]): string[] {
  const lines: string[] = [];
  for (const s of sources) {
    const facts = (s as UsageSourceReport & TrailFacts).trails;
    if (Array.isArray(facts) && facts.length) {
      for (const t of facts.slice(0, MAX_LISTED)) {
        const selectors = Array.isArray(t.dataEventSelectors) ? (t.dataEventSelectors.length ? t.dataEventSelectors.join(', ') : 'no data event selectors') : 'selectors unknown';
        lines.push(`${s.id}: trail ${t.name ?? t.arn ?? '(unnamed)'} (${selectors})`);
      }
    } else {
      lines.push(`${s.id}: trail names and event selectors are not in the log files; data-event coverage is inferred from the events that arrived`);
    }
    for (const b of s.blindSpots ?? []) lines.push(`${s.id}: ${b}`);
  }
  if (!lines.length) lines.push('no usage source reported its trails');
  return lines;
}

/**
 * Whether data events of `family` were logged for everything a grant pattern names: true only when
 * the pattern names one resource (no wildcard in its name) and events for it arrived (or, for types without
 * resource ARNs, when any event of the family arrived).
 */
export function dataEventsLoggedFor(index: DataEventIndex, family: DataFamily, pattern: string, kind?: number): boolean {
  // With `kind`, events of that kind (read-only or not) must have arrived for the family somewhere.
  const families = loggedBy(family).filter((f) => index.seen.get(f)?.size && (kind === undefined || ((index.kinds.get(f) ?? 0) & kind) !== 0));
  if (!families.length) return false;
  if (accountWide(family)) return true;
  if (family === 's3-object') {
    const bucket = /^arn:[^:]*:s3:::([^/]*)/.exec(pattern)?.[1];
    return !!bucket && !/[*?$]/.test(bucket) && families.some((f) => index.seen.get(f)!.has(bucket));
  }
  const key = dataResourceKey(family, pattern);
  if (/[*?$]/.test(key)) return false;
  for (const f of families) for (const k of index.seen.get(f)!) if (k === key || arnMatches(key, k)) return true;
  return false;
}

export { familyLabel } from './families.js';
