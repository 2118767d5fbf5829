// What the logs can show: data events seen per family and resource (from any principal), and what the
// sources said about trails. Event selectors are not in the logs themselves; we infer from what arrived.
import { arnMatches } from '../analysis/evaluate/match.js';
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
  coverage: LogCoverage;
  /** Records naming none of the change's names were skipped (UsageSummary.scope): events for others may be missing. */
  scoped: boolean;
}

const MAX_LISTED = 50;

export function indexDataEvents(usage: UsageSummary): DataEventIndex {
  const seen = new Map<DataFamily, Set<string>>();
  for (const r of usage.records) {
    const family = dataFamily(r.action);
    if (!family || !isDataEvent(family, r.eventName)) continue;
    // An object call whose key is not known still shows that the bucket's data events were logged.
    const resource = accountWide(family) ? '*' : (r.resource ?? r.bucket);
    if (!resource) continue;
    let set = seen.get(family);
    if (!set) seen.set(family, (set = new Set()));
    set.add(dataResourceKey(family, resource));
  }
  const dataEvents = [...seen.entries()]
    .map(([family, set]) => ({ family, resources: [...set].sort().slice(0, MAX_LISTED) }))
    .sort((a, b) => a.family.localeCompare(b.family));
  const scoped = usage.sources.some((s) => (s.skipped ?? 0) > 0);
  const trails = trailLines(usage.sources);
  if (scoped) trails.push('records naming none of the change\'s subjects or data resources were read but not mapped (cloudtrail.scope: subjects): data events seen are those on the change\'s resources');
  return { seen, coverage: { sources: usage.sources.map((s) => s.id), dataEvents, trails }, scoped };
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
export function dataEventsLoggedFor(index: DataEventIndex, family: DataFamily, pattern: string): boolean {
  const sets = loggedBy(family)
    .map((f) => index.seen.get(f))
    .filter((s): s is Set<string> => !!s?.size);
  if (!sets.length) return false;
  if (accountWide(family)) return true;
  if (family === 's3-object') {
    const bucket = /^arn:[^:]*:s3:::([^/]*)/.exec(pattern)?.[1];
    return !!bucket && !/[*?$]/.test(bucket) && sets.some((s) => s.has(bucket));
  }
  const key = dataResourceKey(family, pattern);
  if (/[*?$]/.test(key)) return false;
  for (const seen of sets) for (const k of seen) if (k === key || arnMatches(key, k)) return true;
  return false;
}

export { familyLabel } from './families.js';
