// Source specs from the command line / action input (one string each) and from the config file.
//   <path>                                   local file or folder
//   s3://bucket[/prefix][?accounts=..&regions=..&organization=o-..]
//   lookup-events[:region,region]
//   arn:aws:cloudtrail:<region>:<account>:eventdatastore/<id>[?results-bucket=..]   (or lake:<arn>)
//   athena:[catalog.]database.table[?workgroup=..&output-location=s3://..]
import type { CloudTrailSourceConfig } from '../../config/types.js';
import type { UsageSourceSpec } from './index.js';

export interface SpecDefaults {
  /** Accounts and regions for S3 (and regions for lookup-events) when the source names none. */
  accounts?: string[];
  regions?: string[];
}

const csv = (v: string | null | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

function splitQuery(value: string): { head: string; params: URLSearchParams } {
  const q = value.indexOf('?');
  return q < 0 ? { head: value, params: new URLSearchParams() } : { head: value.slice(0, q), params: new URLSearchParams(value.slice(q + 1)) };
}

const KNOWN: Record<string, string[]> = {
  s3: ['accounts', 'regions', 'organization'],
  lake: ['results-bucket'],
  athena: ['workgroup', 'output-location', 'catalog'],
};

function unknownParams(kind: string, params: URLSearchParams): string | undefined {
  const bad = [...params.keys()].filter((k) => !KNOWN[kind].includes(k));
  return bad.length ? `unknown option ${bad.map((b) => `"${b}"`).join(', ')} (known: ${KNOWN[kind].join(', ')})` : undefined;
}

/** One --cloudtrail value (or action input line) -> a source, or a message saying what is wrong with it. */
export function parseSourceArg(value: string, defaults: SpecDefaults = {}): UsageSourceSpec | { error: string } {
  const v = value.trim();
  if (v.startsWith('s3://')) {
    const { head, params } = splitQuery(v);
    const bad = unknownParams('s3', params);
    if (bad) return { error: `${value}: ${bad}` };
    if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(head)) return { error: `${value}: not a valid s3://bucket[/prefix]` };
    const accounts = csv(params.get('accounts')) ?? defaults.accounts;
    const regions = csv(params.get('regions')) ?? defaults.regions;
    for (const a of accounts ?? []) if (!/^\d{12}$/.test(a)) return { error: `${value}: account "${a}" is not 12 digits` };
    const organization = params.get('organization') ?? undefined;
    if (organization && !/^o-[a-z0-9]{10,32}$/.test(organization)) return { error: `${value}: organization "${organization}" is not an o-... id` };
    return { kind: 's3', uri: head, accounts, regions, organization };
  }
  if (v === 'lookup-events' || v.startsWith('lookup-events:')) {
    const regions = csv(v.slice('lookup-events:'.length)) ?? defaults.regions;
    return { kind: 'lookup-events', regions };
  }
  if (v.startsWith('lake:') || /^arn:aws[a-z-]*:cloudtrail:/.test(v)) {
    const { head, params } = splitQuery(v.replace(/^lake:/, ''));
    const bad = unknownParams('lake', params);
    if (bad) return { error: `${value}: ${bad}` };
    if (!/^arn:aws[a-z-]*:cloudtrail:[a-z0-9-]+:\d{12}:eventdatastore\/.+$/.test(head)) return { error: `${value}: not an event data store ARN` };
    return { kind: 'lake', eventDataStore: head, resultsBucket: params.get('results-bucket') ?? undefined };
  }
  if (v.startsWith('athena:')) {
    const { head, params } = splitQuery(v.slice('athena:'.length));
    const bad = unknownParams('athena', params);
    if (bad) return { error: `${value}: ${bad}` };
    const parts = head.split('.');
    if (parts.length < 1 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return { error: `${value}: expected athena:[catalog.]database.table` };
    const [catalog, database, table] = parts.length === 3 ? parts : parts.length === 2 ? [undefined, ...parts] : [undefined, undefined, parts[0]];
    const outputLocation = params.get('output-location') ?? undefined;
    if (outputLocation && !outputLocation.startsWith('s3://')) return { error: `${value}: output-location must be an s3:// URI` };
    return { kind: 'athena', table: table!, database, catalog: params.get('catalog') ?? catalog, workgroup: params.get('workgroup') ?? undefined, outputLocation };
  }
  if (v === '') return { error: 'empty CloudTrail source' };
  return { kind: 'file', path: v };
}

/** The config file's cloudtrail.sources (already schema-checked). */
export function specsFromConfig(sources: CloudTrailSourceConfig[]): UsageSourceSpec[] {
  return sources.map((s): UsageSourceSpec => {
    if ('path' in s) return { kind: 'file', path: s.path };
    if ('s3' in s) return { kind: 's3', uri: s.s3, accounts: s.accounts, regions: s.regions, organization: s.organization };
    if ('lookup-events' in s) {
      const le = s['lookup-events'];
      return { kind: 'lookup-events', regions: le === true ? undefined : le.regions };
    }
    if ('lake' in s) return { kind: 'lake', eventDataStore: s.lake, resultsBucket: s['results-bucket'] };
    const a = s.athena;
    return { kind: 'athena', table: a.table, database: a.database, workgroup: a.workgroup, outputLocation: a['output-location'], catalog: a.catalog };
  });
}
