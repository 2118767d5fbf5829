// What the logs can show: data events seen per family and resource (from any principal), and what the
// sources said about trails. Event selectors are not in the logs themselves; we infer from what arrived.
import { arnMatches } from '../analysis/evaluate/match.js';
import type { UsageSourceReport, UsageSummary } from '../model.js';
import { dataFamily, dataResourceKey, type DataFamily } from './families.js';
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
    // An object call whose key is not known still shows that the bucket's data events were logged.
    const resource = r.resource ?? r.bucket;
    if (!family || !resource) continue;
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
 * the pattern names one resource (no wildcard in its name) and events for it arrived.
 */
export function dataEventsLoggedFor(index: DataEventIndex, family: DataFamily, pattern: string): boolean {
  const seen = index.seen.get(family);
  if (!seen || !seen.size) return false;
  if (family === 's3-object') {
    const bucket = /^arn:[^:]*:s3:::([^/]*)/.exec(pattern)?.[1];
    return !!bucket && !/[*?$]/.test(bucket) && seen.has(bucket);
  }
  const key = dataResourceKey(family, pattern);
  if (/[*?$]/.test(key)) return false;
  for (const k of seen) if (k === key || arnMatches(key, k)) return true;
  return false;
}

export function familyLabel(family: DataFamily): string {
  switch (family) {
    case 's3-object':
      return 'S3 object-level (data) events';
    case 'lambda-invoke':
      return 'Lambda Invoke (data) events';
    case 'dynamodb-item':
      return 'DynamoDB item-level (data) events';
    case 'sqs-message':
      return 'SQS message (data) events';
    case 'sns-publish':
      return 'SNS Publish (data) events';
  }
}
