import type { Decision, PolicyDocument, ReplayItem, ReplaySummary, SubjectRef, UsageRecord } from '../model.js';
import { evaluate, type EvaluationInput, type EvaluationResult, type RequestContext, type StatementHit } from './evaluate/evaluate.js';
import { arnMatches } from './evaluate/match.js';

/** The usage records that concern a subject: a principal's own calls, or calls on a bucket's ARNs. */
export function recordsFor(subject: SubjectRef, records: UsageRecord[]): UsageRecord[] {
  if (!subject.arn) return [];
  if (subject.type === 'bucket') {
    const bucket = subject.arn;
    // Object calls whose key is not known count for their bucket too: replayed with no resource, undecided.
    return records.filter((r) => (r.resource !== undefined ? r.resource === bucket || r.resource.startsWith(bucket + '/') : r.bucket === bucket));
  }
  // A role is its name within its account (IAM names are unique whatever the path): a session logged without its
  // sessionIssuer gives the role without its path (`role/app` for `role/svc/app`), and is still this role's.
  const key = roleKey(subject.arn);
  return records.filter((r) => r.principal === subject.arn || (key !== undefined && roleKey(r.principal) === key));
}

function roleKey(arn: string): string | undefined {
  const m = /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m ? `${m[1]}:${m[2]}:${m[3]}` : undefined;
}

/** Lower-cased condition keys the documents use: the only context worth carrying through aggregation. */
export function conditionKeysOf(docs: PolicyDocument[]): string[] {
  const keys = new Set<string>();
  for (const d of docs) for (const s of d.statements) for (const c of s.conditions) keys.add(c.key.toLowerCase());
  return [...keys].sort();
}

/**
 * The policy AWS attaches to every RCP level (RCPFullAWSAccess, cannot be detached) and, by default,
 * to every SCP level (FullAWSAccess): Allow * on *. Read into a level whose files hold no Allow.
 */
export function fullAccessDocument(kind: 'scp' | 'rcp'): PolicyDocument {
  const name = kind === 'rcp' ? 'RCPFullAWSAccess' : 'FullAWSAccess';
  const loc = { file: `<implicit ${name}>`, line: 1, column: 1 };
  return {
    id: loc.file,
    file: loc.file,
    pointer: '',
    kind,
    version: '2012-10-17',
    statements: [
      {
        index: 0,
        sid: name,
        effect: 'Allow',
        actions: [{ value: '*', loc }],
        resources: [{ value: '*', loc }],
        ...(kind === 'rcp' ? { principal: { any: true, entries: [], loc } } : {}),
        conditions: [],
        loc,
      },
    ],
    loc,
    size: 0,
    label: name,
  };
}

function inputFor(subject: SubjectRef, docs: PolicyDocument[], record: UsageRecord, guards: PolicyDocument[] = []): EvaluationInput {
  // Guards (config context): RCPs narrow access to the bucket; SCPs and a boundary narrow the principal's own calls.
  // An RCP level always holds RCPFullAWSAccess; an SCP level without any Allow is read as holding FullAWSAccess.
  const level = (kind: 'scp' | 'rcp') => {
    const l = guards.filter((d) => d.kind === kind);
    if (!l.length) return undefined;
    const implicit = kind === 'rcp' || !l.some((d) => d.statements.some((st) => st.effect === 'Allow'));
    return [implicit ? [...l, fullAccessDocument(kind)] : l];
  };
  if (subject.type === 'bucket') {
    const bucketAccount = subject.arn?.split(':')[4] || undefined;
    // The caller's permissions boundary is not known here (a Deny with NotPrincipal always denies a caller with one).
    return { identity: [], resource: docs, rcps: level('rcp'), principalAccount: record.account, resourceAccount: bucketAccount || record.account, callerBoundary: 'unknown' };
  }
  return { identity: docs, scps: level('scp'), boundary: guards.filter((d) => d.kind === 'boundary') };
}

/** A usage record as a request to the evaluator, with the condition keys `keys` carried or marked unknown. */
export function requestFor(record: UsageRecord, keys: string[]): RequestContext {
  const context: RequestContext['context'] = {};
  // Keys the policies test that the event did not carry are unknown, not absent: the log cannot tell.
  for (const k of keys) context[k] = Object.prototype.hasOwnProperty.call(record.context, k) ? record.context[k] : undefined;
  const service = record.principalType === 'AWSService';
  return {
    action: record.action,
    resource: record.resource,
    principal: { arn: record.principal, account: record.account, type: service ? 'Service' : 'AWS', ...(service ? {} : { caller: callerOf(record) }) },
    context,
  };
}

/**
 * Whether the record's principal is the caller itself, for NotPrincipal: a user or the root is; an assumed-role
 * record is normalised to its role, which the evaluator reads as a session of the role with an unknown name (the
 * caller NotPrincipal must name). Any other record (federated, cross-account, unknown) only stands for its caller.
 */
function callerOf(record: UsageRecord): 'exact' | 'unknown' {
  return record.principalType === 'IAMUser' || record.principalType === 'Root' || record.principalType === 'AssumedRole' ? 'exact' : 'unknown';
}

/**
 * Replays a subject's usage against its base and head policies.
 * - allowed calls that base allows and head does not: predicted new AccessDenied;
 * - denied calls that head allows: fixed denials, unless the denial's message names a policy type the subject's
 *   policies are not (an SCP, a permissions boundary ...: see unfixableDenial), which are said as undecided;
 * - either side undecided (a condition the log cannot evaluate, an unknown resource): undecided, never "allowed".
 * For a bucket policy, a same-account caller may also be allowed by its own identity policy, which
 * the gate does not see: such predictions are marked as depending on it.
 */
export function replay(
  subject: SubjectRef,
  base: PolicyDocument[],
  head: PolicyDocument[],
  records: UsageRecord[],
  guards?: { base: PolicyDocument[]; head: PolicyDocument[] },
): ReplaySummary {
  const keys = conditionKeysOf([...base, ...head, ...(guards?.base ?? []), ...(guards?.head ?? [])]);
  const summary: ReplaySummary = { eventsReplayed: 0, predicted: [], fixed: [], undecided: [] };
  const groups = new Map<string, ReplayItem & { resources: Set<string> }>();
  // Base and head versions of a file share a document id: each side's hits are read in that side's documents.
  const docs = { base: new Map(base.map((d) => [d.id, d])), head: new Map(head.map((d) => [d.id, d])) };
  // Calls are grouped by the statement resource pattern that decided them (e.g. one row for
  // s3:PutObject on arn:aws:s3:::reports/* rather than one per object key).
  const patternOf = (hits: StatementHit[], resource: string | undefined, side: 'base' | 'head'): string | undefined => {
    if (!resource) return undefined;
    for (const h of hits) {
      const st = docs[side].get(h.documentId)?.statements[h.statementIndex];
      const match = st?.resources?.find((r) => r.value === resource || arnMatches(r.value, resource));
      if (match) return match.value;
    }
    return resource;
  };
  const add = (list: ReplayItem[], it: ReplayItem, pattern: string | undefined, apart = '') => {
    const key = `${it.kind}|${it.principal}|${it.action}|${pattern ?? ''}|${it.base}|${it.head}|${apart}`;
    const g = groups.get(key);
    if (!g) {
      const entry = { ...it, resource: pattern, resources: new Set(it.resource ? [it.resource] : []) };
      groups.set(key, entry);
      list.push(entry);
      return;
    }
    g.count += it.count;
    if (it.firstSeen < g.firstSeen) g.firstSeen = it.firstSeen;
    if (it.lastSeen > g.lastSeen) g.lastSeen = it.lastSeen;
    if (it.resource) g.resources.add(it.resource);
  };
  for (const record of records) {
    summary.eventsReplayed += record.count;
    // A call that failed after authorisation (NoSuchKey, ConditionalCheckFailedException ...) was allowed: replayed
    // as allowed. Failures before it (credentials, throttling, validation) say nothing about the policy.
    const authorisedError = record.outcome === 'error' && record.errorCode !== undefined && !PRE_AUTHORISATION_ERROR.test(record.errorCode);
    if (record.outcome === 'error' && !authorisedError) continue;
    const request = requestFor(record, keys);
    const b = base.length ? evaluate(request, inputFor(subject, base, record, guards?.base)) : implicit();
    const h = head.length ? evaluate(request, inputFor(subject, head, record, guards?.head)) : implicit();
    const item = (kind: ReplayItem['kind'], note?: string): ReplayItem => ({
      kind,
      principal: record.principal,
      action: record.action,
      resource: record.resource,
      count: record.count,
      firstSeen: record.firstSeen,
      lastSeen: record.lastSeen,
      base: b.decision,
      head: h.decision,
      location: (kind === 'fixed-denied' ? h.deciding : h.deciding.length ? h.deciding : b.deciding)[0]?.loc,
      note,
    });
    const errorNote = authorisedError ? `these calls failed with ${record.errorCode}, after authorisation` : undefined;
    const withError = (note?: string) => [errorNote, note].filter(Boolean).join('; ') || undefined;
    if (record.outcome === 'allowed' || authorisedError) {
      if (b.decision !== 'allow') {
        if (record.resource === undefined && record.bucket) {
          // Object calls whose keys are not known (Lake and Athena rows, keys not kept) cannot be decided one by one;
          // "some object of the bucket" can be asked: when the base allowed every object and the head does not,
          // some of these calls may now be denied. Never a certain prediction: the keys may all still be allowed.
          const probe = { ...request, resource: `${record.bucket}/*` };
          const pb = base.length ? evaluate(probe, inputFor(subject, base, record, guards?.base)) : implicit();
          const ph = head.length ? evaluate(probe, inputFor(subject, head, record, guards?.head)) : implicit();
          if (pb.decision === 'allow' && ph.decision !== 'allow') {
            const note = `object keys not known (an aggregate query, or more keys than were kept): the head no longer allows every object of ${record.bucket} that the base did`;
            add(summary.undecided, { ...item('undecided', withError(note)), base: pb.decision, head: ph.decision, location: (ph.deciding.length ? ph.deciding : pb.deciding)[0]?.loc }, patternOf(pb.deciding, probe.resource, 'base'));
          }
        } else if (b.decision === 'undecided' && h.decision !== 'allow') {
          // The call succeeded and base may be what allowed it; head does not: said, never dropped (unless head is
          // undecided on the very statements base was: the same doubt, unchanged).
          const why = `base could not decide this call (${b.reason}); head ${h.decision === 'undecided' ? `cannot either (${h.reason})` : 'denies it'}`;
          // The same statements by content (moved, reordered, renamed files or Sids change nothing).
          const text = (side: 'base' | 'head', x: StatementHit) => statementText(docs[side].get(x.documentId)?.statements[x.statementIndex]);
          const baseTexts = new Set(b.deciding.map((y) => text('base', y)));
          const sameDoubt = h.decision === 'undecided' && h.deciding.every((x) => baseTexts.has(text('head', x)));
          if (!sameDoubt) add(summary.undecided, item('undecided', withError(why)), patternOf(b.deciding, record.resource, 'base'));
        }
        continue; // not granted by these policies before: nothing to predict
      }
      if (h.decision === 'allow') continue;
      const pattern = patternOf(b.deciding, record.resource, 'base');
      if (h.decision === 'undecided') add(summary.undecided, item('undecided', withError(h.reason)), pattern);
      else add(summary.predicted, item('predicted-denied', withError(sameAccountNote(subject, record, h.decision))), pattern);
    } else if (record.outcome === 'denied') {
      const pattern = patternOf(h.deciding, record.resource, 'head');
      if (b.decision === 'allow' || (h.decision !== 'allow' && h.decision !== 'undecided')) continue;
      // The message names the policy type that denied the call: one this change does not touch (an SCP, a
      // permissions boundary ...) denies it still, whatever head allows. Said, never counted as fixed.
      const notFixable = unfixableDenial(subject, record.deniedBy);
      if (notFixable) add(summary.undecided, item('undecided', notFixable), pattern, record.deniedBy);
      else if (h.decision === 'allow') add(summary.fixed, item('fixed-denied'), pattern);
      else add(summary.undecided, item('undecided', h.reason), pattern);
    }
  }
  for (const g of groups.values()) {
    if (g.resources.size > 1) g.note = [g.note, `${g.resources.size} distinct resources`].filter(Boolean).join('; ');
    delete (g as Partial<typeof g>).resources;
  }
  const order = (x: ReplayItem, y: ReplayItem) => y.count - x.count || x.action.localeCompare(y.action) || (x.resource ?? '').localeCompare(y.resource ?? '');
  summary.predicted.sort(order);
  summary.fixed.sort(order);
  summary.undecided.sort(order);
  return summary;
}

const DENYING_POLICY: Record<string, string> = {
  identity: 'identity-based policy',
  scp: 'service control policy',
  rcp: 'resource control policy',
  boundary: 'permissions boundary',
  session: 'session policy',
  resource: 'resource-based policy',
  vpce: 'VPC endpoint policy',
};

/**
 * Why a past denial cannot be fixed by a change to this subject's policies, or undefined when it may be: the
 * denying policy type its message names is not the subject's kind. A principal's (identity) policies fix denials
 * by an identity-based policy; a bucket's (resource) policy fixes those by a resource-based policy and, for a caller
 * of its own account, "no identity-based policy allows" (the bucket policy alone can grant it). A denial whose
 * message names no type may be fixable (as before the type was read).
 */
export function unfixableDenial(subject: SubjectRef, deniedBy: UsageRecord['deniedBy']): string | undefined {
  if (deniedBy === undefined) return undefined;
  const explicit = deniedBy.endsWith('-explicit');
  const type = explicit ? deniedBy.slice(0, -'-explicit'.length) : deniedBy;
  const resourceSubject = subject.type === 'bucket' || subject.type === 'resource';
  if (resourceSubject ? type === 'resource' || deniedBy === 'identity' : type === 'identity') return undefined;
  const policy = DENYING_POLICY[type] ?? type;
  const why = explicit ? `with an explicit deny in a${/^[aeiou]/i.test(policy) ? 'n' : ''} ${policy}` : `because no ${policy} allows it`;
  return `denied ${why} (its error message says so): a change to this ${resourceSubject ? 'resource' : 'identity'} policy cannot fix it`;
}

/** A statement's meaning as text: positions, index and Sid left out. */
function statementText(st: unknown): string {
  if (st === undefined) return '\u0000missing';
  return JSON.stringify(st, (k, v) => (k === 'loc' || k === 'keyLoc' || k === 'index' || k === 'sid' ? undefined : v));
}

/** Errors raised before a request is authorised: they say nothing about what the policy allows. */
const PRE_AUTHORISATION_ERROR =
  /^(InvalidClientTokenId|UnrecognizedClient|InvalidAccessKeyId|SignatureDoesNotMatch|IncompleteSignature|MissingAuthenticationToken|InvalidToken|ExpiredToken|RequestExpired|AuthFailure|Throttl|TooManyRequests|RequestLimitExceeded|SlowDown|ServiceUnavailable|InternalError|InternalFailure|InternalServerError|Validation|InvalidParameter|InvalidRequest|MalformedPolicyDocument|MissingParameter|InvalidArgument|OptInRequired|UnsupportedOperation|RequestTimeout)/i;

function implicit(): EvaluationResult {
  return { decision: 'implicit-deny', reason: 'no policy', deciding: [], layers: {} };
}

function sameAccountNote(subject: SubjectRef, record: UsageRecord, head: Decision): string | undefined {
  if (subject.type !== 'bucket' || head === 'explicit-deny') return undefined;
  const bucketAccount = subject.arn?.split(':')[4];
  if (bucketAccount && record.account && bucketAccount !== record.account) return undefined;
  return 'unless the caller’s own identity policy grants it (same account)';
}
