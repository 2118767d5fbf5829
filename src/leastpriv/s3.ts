// S3 unused access by class (read, list, write, delete, permissions): per bucket for identity policies,
// and per bucket and principal for bucket policies (stale principals).
import { actionById } from '../catalog/catalog.js';
import type { CompiledStatement } from '../analysis/compile.js';
import type { PrincipalEntry, SubjectRef, UsageRecord } from '../model.js';
import { eventKind, type DataEventIndex } from './coverage.js';
import { bucketOf, dataFamily, s3Class, sortClasses } from './families.js';
import type { S3AccessClass, S3BucketUse, S3PrincipalUse, S3UnusedReport } from './types.js';

const MAX_BUCKETS = 200;
const MAX_PRINCIPALS = 200;

interface Tally {
  granted: Map<S3AccessClass, Set<string>>;
  used: Set<S3AccessClass>;
  calls: number;
  lastSeen?: string;
}

const newTally = (): Tally => ({ granted: new Map(), used: new Set(), calls: 0 });

function grant(t: Tally, s: CompiledStatement): void {
  for (const i of s.actions.indices()) {
    const id = idOf(i);
    if (!id) continue;
    const cls = s3Class(id);
    if (!cls) continue;
    let set = t.granted.get(cls);
    if (!set) t.granted.set(cls, (set = new Set()));
    set.add(id);
  }
}

function idOf(index: number): string | undefined {
  const a = actionById(index);
  return a.service === 's3' ? a.id : undefined;
}

function use(t: Tally, r: UsageRecord): void {
  const cls = s3Class(r.action);
  if (cls) t.used.add(cls);
  t.calls += r.count;
  if (!t.lastSeen || r.lastSeen > t.lastSeen) t.lastSeen = r.lastSeen;
}

/** Absence of calls means something only when every one of them would have been logged. */
/** Whether the logs can show `actions` unused: no data-event action among them, or data events of its kind seen. */
function claimable(actions: Iterable<string>, seenKinds: number): boolean {
  for (const a of actions) if (dataFamily(a) && (seenKinds & eventKind(a)) === 0) return false;
  return true;
}

function bucketUse(bucket: string, t: Tally, seenKinds: number): S3BucketUse {
  const dataSeen = seenKinds !== 0;
  const granted = sortClasses(t.granted.keys());
  const used = sortClasses(t.used);
  const unusedClasses = granted.filter((c) => !t.used.has(c) && claimable(t.granted.get(c)!, seenKinds));
  const allGranted = [...t.granted.values()].flatMap((s) => [...s]);
  const writes = [...(t.granted.get('write') ?? []), ...(t.granted.get('delete') ?? [])];
  return {
    bucket,
    granted,
    used,
    unusedClasses,
    calls: t.calls,
    ...(t.lastSeen ? { lastSeen: t.lastSeen } : {}),
    dataEvents: dataSeen ? 'seen' : 'not-seen',
    neverAccessed: t.calls === 0 && claimable(allGranted, seenKinds),
    onlyReadsUsed: writes.length > 0 && used.length > 0 && used.every((c) => c === 'read' || c === 'list') && claimable(writes, seenKinds),
  };
}

/** Identity policies: every bucket named literally in an S3 grant. */
export function s3IdentityUse(grants: CompiledStatement[], records: UsageRecord[], index: DataEventIndex): S3UnusedReport | undefined {
  const tallies = new Map<string, Tally>();
  for (const s of grants) {
    if (s.effect !== 'Allow' || s.notResource) continue;
    for (const pattern of s.resources) {
      const bucket = bucketOf(pattern);
      if (!bucket || /[*?$]/.test(bucket)) continue;
      if (!tallies.has(bucket) && tallies.size >= MAX_BUCKETS) continue;
      const t = tallies.get(bucket) ?? newTally();
      tallies.set(bucket, t);
      grant(t, s);
    }
  }
  for (const r of records) {
    const bucket = r.resource ? bucketOf(r.resource) : r.bucket ? bucketOf(r.bucket) : undefined;
    const t = bucket ? tallies.get(bucket) : undefined;
    if (t) use(t, r);
  }
  const buckets = [...tallies.entries()]
    .filter(([, t]) => t.granted.size > 0)
    .map(([b, t]) => bucketUse(b, t, s3Kinds(index, b)))
    .sort((a, b) => a.bucket.localeCompare(b.bucket));
  return buckets.length ? { buckets } : undefined;
}

function accountOf(value: string): string | undefined {
  if (/^\d{12}$/.test(value)) return value;
  return /^arn:[^:]*:iam::(\d{12}):root$/.exec(value)?.[1];
}

/** Whether a usage record's caller is the principal a bucket policy names. */
function callerIs(entry: PrincipalEntry, r: UsageRecord): boolean {
  if (entry.type === 'Service') return r.principal === entry.value;
  if (entry.type !== 'AWS') return false;
  const account = accountOf(entry.value);
  if (account) return r.account === account || r.principal.split(':')[4] === account;
  return r.principal === entry.value;
}

/**
 * The account of a caller known only by its account: cross-account events whose `userIdentity.type` is
 * "AWSAccount" carry no ARN and are read as the account root (usage/principal.ts). Such a caller may be any role
 * or user of that account. A real root caller (type "Root") is not one.
 */
function accountOnlyCaller(r: UsageRecord): string | undefined {
  if (r.principalType === 'Root' || !r.principal.endsWith(':root')) return undefined;
  return accountOf(r.principal);
}

/** The account of a role or user ARN a bucket policy names (not an account or its root). */
function principalAccount(entry: PrincipalEntry): string | undefined {
  if (entry.type !== 'AWS' || accountOf(entry.value)) return undefined;
  return /^arn:[^:]*:(?:iam|sts)::(\d{12}):/.exec(entry.value)?.[1];
}

/** Bucket policies: the bucket itself, and each principal the Allow statements name. */
export function s3BucketPolicyUse(subject: SubjectRef, grants: CompiledStatement[], records: UsageRecord[], index: DataEventIndex): S3UnusedReport | undefined {
  const bucket = subject.arn ? bucketOf(subject.arn) : undefined;
  if (!bucket) return undefined;
  const seenKinds = s3Kinds(index, bucket);
  const dataSeen = seenKinds !== 0;
  const whole = newTally();
  const byPrincipal = new Map<string, { entry: PrincipalEntry; tally: Tally }>();
  for (const s of grants) {
    if (s.effect !== 'Allow') continue;
    grant(whole, s);
    for (const entry of s.principal?.entries ?? []) {
      if (entry.value === '*' || (entry.type !== 'AWS' && entry.type !== 'Service')) continue;
      const key = `${entry.type}|${entry.value}`;
      if (!byPrincipal.has(key) && byPrincipal.size >= MAX_PRINCIPALS) continue;
      const p = byPrincipal.get(key) ?? { entry, tally: newTally() };
      byPrincipal.set(key, p);
      grant(p.tally, s);
    }
  }
  // Calls by callers known only by their account: each may be any principal of that account.
  const byAccount = new Map<string, Tally>();
  for (const r of records) {
    use(whole, r);
    for (const p of byPrincipal.values()) if (callerIs(p.entry, r)) use(p.tally, r);
    const account = accountOnlyCaller(r);
    if (account) {
      const t = byAccount.get(account) ?? newTally();
      byAccount.set(account, t);
      use(t, r);
    }
  }
  const principals: S3PrincipalUse[] = [...byPrincipal.values()]
    .map(({ entry, tally }) => {
      const granted = [...tally.granted.values()].flatMap((s) => [...s]);
      const account = principalAccount(entry);
      const byItsAccount = account ? byAccount.get(account) : undefined;
      let status: S3PrincipalUse['status'] = tally.calls > 0 ? 'active' : dataSeen || granted.every((a) => !dataFamily(a)) ? 'stale' : 'unknown';
      let why = status === 'unknown' ? `no S3 object-level (data) events were seen for ${bucket}: its object calls cannot be known` : undefined;
      if (status !== 'active' && byItsAccount) {
        // Never stale: the calls its account made may be its own.
        status = 'unknown';
        const classes = sortClasses(byItsAccount.used);
        why =
          `account ${account} made ${byItsAccount.calls} call(s) on ${bucket}${classes.length ? ` (${classes.join(', ')})` : ''}` +
          `${byItsAccount.lastSeen ? `, last ${byItsAccount.lastSeen.slice(0, 10)}` : ''}, logged by account only (userIdentity type AWSAccount): they may be this principal's`;
      }
      return {
        principal: entry.value,
        granted: sortClasses(tally.granted.keys()),
        used: sortClasses(tally.used),
        calls: tally.calls,
        ...(tally.lastSeen ? { lastSeen: tally.lastSeen } : {}),
        status,
        ...(why ? { why } : {}),
      };
    })
    .sort((a, b) => a.principal.localeCompare(b.principal));
  return { buckets: whole.granted.size ? [bucketUse(bucket, whole, seenKinds)] : [], principals };
}

/** The kinds of S3 object data event the logs show (READ_EVENTS, WRITE_EVENTS), when the bucket's were seen; else 0. */
function s3Kinds(index: DataEventIndex, bucket: string): number {
  return index.seen.get('s3-object')?.has(bucket) ? (index.kinds.get('s3-object') ?? 0) : 0;
}
