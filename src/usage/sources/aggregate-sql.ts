// One aggregate query for CloudTrail Lake and Athena: the grouping happens where the events are, so the answer is
// O(principals x actions x resources), never O(events). Each result row is turned back into a minimal event and
// mapped by the same code as a log record (mapEvent), then added with its count and first/last seen.
import { UsageAggregator } from '../aggregator.js';
import { MAX_CONTEXT_VALUES } from '../event-batch.js';
import { isoTime, mapEvent } from '../map-event.js';

export type Dialect = 'lake' | 'athena';

/** A column of the result: its alias and the SQL for each dialect. */
interface Column {
  alias: string;
  lake: string;
  athena: string;
}

const rp = (key: string): Column => {
  const lake = `element_at(requestParameters, '${key}')`;
  const athena = `json_extract_scalar(requestparameters, '$.${key}')`;
  // A PartiQL statement carries values: only its verb decides the action (dynamodb:PartiQLSelect ...).
  const verb = (x: string) => `regexp_extract(${x}, '^\\s*([A-Za-z]+)', 1)`;
  return { alias: `rp_${key.replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}`, lake: key === 'statement' ? verb(lake) : lake, athena: key === 'statement' ? verb(athena) : athena };
};

/** Request parameters the resource mapping reads (resources.ts), object keys excepted: those are O(objects). */
export const RESOURCE_PARAMETERS = ['bucketName', 'tableName', 'indexName', 'functionName', 'queueUrl', 'topicArn', 'secretId', 'destinationKeyId', 'statement'];

/**
 * The part of a denial's message that the mapping reads (map-event.ts: "is not authorized to perform: <action> on
 * resource: <arn>"), not the message: it also names the caller's session ("assumed-role/app/i-0abc..."), and
 * grouping by it would make a row per session (an ECS task, an instance) for every denied call.
 */
export const NOT_AUTHORIZED = `is not authorized to perform(?::? [a-z0-9-]+:[A-Za-z0-9*]+(?: on resource:? arn:[^\\s"]+)?)?`;

/**
 * The part of a denial's message that names the policy type that denied it (map-event.ts, deniedBy): "because no
 * <type> allows" or "with an explicit deny in a <type>" (SCPs: "due to an explicit deny in a Service Control
 * Policy"). A column of its own: the denials of one call by an SCP and by the identity policy are different rows.
 */
export const DENIED_BY = `(because no [A-Za-z -]+ allows|(with|due to) an explicit deny in [A-Za-z -]*([Pp]olicy|[Bb]oundary))`;

/**
 * The identity columns: enough to normalise any principal type (principal.ts) without grouping by session:
 * an assumed-role session ARN is cut to its role when the sessionIssuer is missing.
 */
const IDENTITY: Column[] = [
  { alias: 'ui_type', lake: 'userIdentity.type', athena: 'useridentity.type' },
  {
    alias: 'ui_arn',
    lake: `CASE WHEN userIdentity.sessionContext.sessionIssuer.arn IS NULL THEN regexp_replace(userIdentity.arn, '^(arn:[^:]+:sts::[0-9]+:assumed-role/[^/]+)/.*$', '$1') END`,
    athena: `CASE WHEN useridentity.sessioncontext.sessionissuer.arn IS NULL THEN regexp_replace(useridentity.arn, '^(arn:[^:]+:sts::[0-9]+:assumed-role/[^/]+)/.*$', '$1') END`,
  },
  { alias: 'ui_account', lake: 'userIdentity.accountId', athena: 'useridentity.accountid' },
  { alias: 'ui_issuer', lake: 'userIdentity.sessionContext.sessionIssuer.arn', athena: 'useridentity.sessioncontext.sessionissuer.arn' },
  { alias: 'ui_invokedby', lake: 'userIdentity.invokedBy', athena: 'useridentity.invokedby' },
  {
    alias: 'ui_provider',
    lake: `CASE WHEN userIdentity.type IN ('SAMLUser', 'WebIdentityUser') THEN userIdentity.principalId END`,
    athena: `CASE WHEN useridentity.type IN ('SAMLUser', 'WebIdentityUser') THEN useridentity.principalid END`,
  },
];

const EVENT: Column[] = [
  { alias: 'event_source', lake: 'eventSource', athena: 'eventsource' },
  { alias: 'event_name', lake: 'eventName', athena: 'eventname' },
  { alias: 'event_type', lake: 'eventType', athena: 'eventtype' },
  { alias: 'error_code', lake: 'errorCode', athena: 'errorcode' },
  // Only what a denial's message says of the action IAM checked. Other messages would split rows for nothing.
  { alias: 'error_message', lake: `regexp_extract(errorMessage, '${NOT_AUTHORIZED}')`, athena: `regexp_extract(errormessage, '${NOT_AUTHORIZED}')` },
  { alias: 'denied_by', lake: `regexp_extract(errorMessage, '${DENIED_BY}')`, athena: `regexp_extract(errormessage, '${DENIED_BY}')` },
  { alias: 'region', lake: 'awsRegion', athena: 'awsregion' },
  { alias: 'recipient_account', lake: 'recipientAccountId', athena: 'recipientaccountid' },
  // The first resource, except an object's: S3 data events list the object first ("AWS::S3::Object", its ARN
  // naming the key), and grouping by it would make one row per object. The bucket comes from bucketName.
  {
    alias: 'resource_arn',
    lake: `CASE WHEN element_at(resources, 1).type LIKE 'AWS::S3%::Object' THEN NULL ELSE element_at(resources, 1).arn END`,
    athena: `CASE WHEN element_at(resources, 1).type LIKE 'AWS::S3%::Object' THEN NULL ELSE element_at(resources, 1).arn END`,
  },
  ...RESOURCE_PARAMETERS.map(rp),
];

/** Condition keys a query can carry, when the policies use them (each may multiply the rows). */
const CONTEXT: Record<string, Column> = {
  'aws:sourceip': { alias: 'ctx_sourceip', lake: 'sourceIPAddress', athena: 'sourceipaddress' },
  'aws:sourcevpce': { alias: 'ctx_sourcevpce', lake: 'vpcEndpointId', athena: 'vpcendpointid' },
  'aws:multifactorauthpresent': {
    alias: 'ctx_mfa',
    lake: 'userIdentity.sessionContext.attributes.mfaAuthenticated',
    athena: 'useridentity.sessioncontext.attributes.mfaauthenticated',
  },
  'aws:username': { alias: 'ctx_username', lake: `CASE WHEN userIdentity.type = 'IAMUser' THEN userIdentity.userName END`, athena: `CASE WHEN useridentity.type = 'IAMUser' THEN useridentity.username END` },
  's3:prefix': rp('prefix'),
};

export interface AggregateQuery {
  sql: string;
  /** Condition keys the policies use that the query cannot carry (said in the report). */
  uncarried: string[];
}

export interface QueryOptions {
  dialect: Dialect;
  /** Lake: the event data store id; Athena: "catalog"."database"."table" already quoted, or a plain name. */
  from: string;
  since: Date;
  until?: Date;
  contextKeys: string[];
  /** Extra WHERE conditions (Athena partition pruning). */
  where?: string[];
}

const CARRIED_ELSEWHERE = new Set(['aws:requestedregion', 'aws:principalarn', 'aws:principalaccount', 'aws:principaltype', 'aws:principalservicename', 'aws:viaawsservice']);

const lakeTime = (d: Date) => d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
const athenaTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function aggregateQuery(opts: QueryOptions): AggregateQuery {
  const d = opts.dialect;
  const ctxColumns: Column[] = [];
  const uncarried: string[] = [];
  for (const k of [...new Set(opts.contextKeys.map((x) => x.toLowerCase()))].sort()) {
    const c = CONTEXT[k];
    if (c) ctxColumns.push(c);
    else if (!CARRIED_ELSEWHERE.has(k)) uncarried.push(k);
  }
  const groups = [...IDENTITY, ...EVENT, ...ctxColumns];
  const time = d === 'lake' ? 'eventTime' : 'eventtime';
  const fmt = d === 'lake' ? lakeTime : athenaTime;
  const where = [`${time} >= '${fmt(opts.since)}'`];
  if (opts.until) where.push(`${time} <= '${fmt(opts.until)}'`);
  where.push(...(opts.where ?? []));
  // Lake keeps each event once; a trail bucket behind Athena can hold an event twice (org and account trails).
  const count = d === 'lake' ? 'count(*)' : 'count(DISTINCT eventid)';
  const sql = [
    'SELECT',
    groups.map((c) => `  ${c[d]} AS ${c.alias},`).join('\n'),
    `  ${count} AS event_count,`,
    `  min(${time}) AS first_seen,`,
    `  max(${time}) AS last_seen`,
    `FROM ${opts.from}`,
    `WHERE ${where.join('\n  AND ')}`,
    `GROUP BY ${groups.map((_, i) => i + 1).join(', ')}`,
  ].join('\n');
  if (ctxColumns.length === 0) return { sql, uncarried };
  const others = [...IDENTITY, ...EVENT].map((c) => c.alias);
  return { sql: boundContextValues(sql, others, ctxColumns.map((c) => c.alias), MAX_CONTEXT_VALUES), uncarried };
}

/**
 * Bounds how far condition-key columns multiply the rows: a function outside a VPC calls from ever new addresses
 * (aws:SourceIp), a crawler lists ever new prefixes (s3:prefix), and grouping by them made the answer O(events).
 * Within each group of the other columns (principal, action, resource, outcome ...) the first `max` distinct values
 * of each condition-key column, in sort order, are kept; later ones become NULL, the key unknown for those events
 * (as the log reader's MAX_CONTEXT_VALUES), and their rows merge. `values_not_kept` counts the events so folded.
 * Plain SQL (a subquery, a window function, CASE, ordinals): the same text runs in Trino (Lake, Athena) and, in the
 * tests, in SQLite.
 */
export function boundContextValues(inner: string, others: string[], ctx: string[], max: number): string {
  const rank = (c: string) => `r_${c}`;
  const folded = ctx.map((c) => `(${c} IS NOT NULL AND ${rank(c)} > ${max})`).join(' OR ');
  return [
    'SELECT',
    others.map((c) => `  ${c},`).join('\n'),
    ctx.map((c) => `  CASE WHEN ${rank(c)} <= ${max} THEN ${c} END AS ${c},`).join('\n'),
    '  sum(event_count) AS event_count,',
    '  min(first_seen) AS first_seen,',
    '  max(last_seen) AS last_seen,',
    `  sum(CASE WHEN ${folded} THEN event_count ELSE 0 END) AS values_not_kept`,
    'FROM (',
    '  SELECT g.*,',
    ctx.map((c) => `    dense_rank() OVER (PARTITION BY ${others.join(', ')} ORDER BY ${c} NULLS LAST) AS ${rank(c)}`).join(',\n'),
    '  FROM (',
    inner,
    '  ) AS g',
    ') AS ranked',
    `GROUP BY ${[...others, ...ctx].map((_, i) => i + 1).join(', ')}`,
  ].join('\n');
}

/** What adding the rows found. */
export interface RowsOutcome {
  rows: number;
  events: number;
  /** Events whose condition-key value the query left unknown (boundContextValues). */
  valuesNotKept: number;
  bad: string[];
  accounts: Set<string>;
  regions: Set<string>;
}

const val = (row: Record<string, string | undefined>, k: string): string | undefined => {
  const v = row[k];
  return v === undefined || v === null || v === '' ? undefined : String(v);
};

/** Turns an aggregate row back into the fields of an event that mapEvent reads. */
export function eventFromRow(row: Record<string, string | undefined>): Record<string, unknown> {
  const v = (k: string) => val(row, k);
  let arn = v('ui_arn');
  // The query cut assumed-role session ARNs to the role; give principal.ts the shape it expects.
  if (arn && /:assumed-role\/[^/]+$/.test(arn)) arn = `${arn}/session`;
  const userIdentity: Record<string, unknown> = { type: v('ui_type'), arn, accountId: v('ui_account'), invokedBy: v('ui_invokedby') };
  if (v('ui_issuer') || v('ctx_mfa')) userIdentity.sessionContext = { sessionIssuer: v('ui_issuer') ? { arn: v('ui_issuer') } : undefined, attributes: { mfaAuthenticated: v('ctx_mfa') } };
  if (v('ui_provider')) userIdentity.identityProvider = v('ui_provider');
  if (v('ctx_username')) userIdentity.userName = v('ctx_username');
  const requestParameters: Record<string, string> = {};
  for (const key of [...RESOURCE_PARAMETERS, 'prefix']) {
    const p = v(rp(key).alias);
    if (p !== undefined) requestParameters[key] = p;
  }
  return {
    eventSource: v('event_source'),
    eventName: v('event_name'),
    eventType: v('event_type'),
    eventTime: v('first_seen'),
    errorCode: v('error_code'),
    // What the query kept of a denial's message: the action and resource, then the policy type that denied it.
    errorMessage: [v('error_message'), v('denied_by')].filter((x) => x !== undefined).join(' ') || undefined,
    awsRegion: v('region'),
    recipientAccountId: v('recipient_account'),
    sourceIPAddress: v('ctx_sourceip'),
    vpcEndpointId: v('ctx_sourcevpce'),
    userIdentity,
    requestParameters,
    resources: v('resource_arn') ? [{ ARN: v('resource_arn') }] : undefined,
  };
}

/** Adds aggregate rows to `agg`; rows that do not map are returned as messages (they name the row). */
export function addRows(agg: UsageAggregator, rows: Iterable<Record<string, string | undefined>>, contextKeys: string[], label: string): RowsOutcome {
  const out: RowsOutcome = { rows: 0, events: 0, valuesNotKept: 0, bad: [], accounts: new Set(), regions: new Set() };
  const keys = new Set(contextKeys.map((k) => k.toLowerCase()));
  for (const row of rows) {
    out.rows++;
    const count = Number(val(row, 'event_count') ?? 0);
    if (!Number.isFinite(count) || count <= 0) {
      out.bad.push(`${label}: row ${out.rows}: event_count ${JSON.stringify(row.event_count)} is not a positive number`);
      continue;
    }
    out.events += count;
    const notKept = Number(val(row, 'values_not_kept') ?? 0);
    if (Number.isFinite(notKept) && notKept > 0) out.valuesNotKept += Math.min(notKept, count);
    const ev = eventFromRow(row);
    const acct = val(row, 'recipient_account');
    const region = val(row, 'region');
    if (acct && out.accounts.size < 1000) out.accounts.add(acct);
    if (region && out.regions.size < 1000) out.regions.add(region);
    const mapped = mapEvent(ev, undefined, { contextKeys: keys });
    if ('bad' in mapped) {
      agg.addBad(count);
      out.bad.push(`${label}: row ${out.rows} (${count} events): ${mapped.bad}`);
    } else if ('unmapped' in mapped) agg.addUnmapped(mapped.unmapped.eventSource, mapped.unmapped.eventName, undefined, count);
    else if ('permissionless' in mapped) agg.addPermissionless(count);
    else {
      const last = isoTime(val(row, 'last_seen'));
      agg.addCounted(mapped, count, mapped.time, last && last > mapped.time ? last : mapped.time);
    }
  }
  return out;
}
