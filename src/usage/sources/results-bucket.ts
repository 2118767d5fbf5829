// Checks that CloudTrail Lake can deliver query results to a bucket: its policy must let the service principal
// cloudtrail.amazonaws.com put objects (and read the bucket ACL), for aws:SourceArn = the event data store, and
// the bucket must not be Requester Pays. Each gap is said exactly (which statement, which action, which ARN).
import { GetBucketPolicyCommand, GetBucketRequestPaymentCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3ErrorMessage } from './s3.js';

export interface BucketCheck {
  /** What stops delivery. */
  problems: string[];
  /** Weaknesses and what could not be verified. */
  notes: string[];
}

type Obj = Record<string, unknown>;
const list = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function glob(pattern: string, value: string, ignoreCase = false): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, ignoreCase ? 'i' : '').test(value);
}

function coversCloudTrail(st: Obj): boolean {
  const p = st.Principal;
  if (p === '*') return true;
  if (!p || typeof p !== 'object') return false;
  const o = p as Obj;
  return list(o.Service).some((s) => s === 'cloudtrail.amazonaws.com' || s === '*') || list(o.AWS).includes('*');
}

function covers(st: Obj, key: 'Action' | 'Resource', value: string): boolean {
  const ignoreCase = key === 'Action';
  if (st[key] !== undefined) return list(st[key]).some((p) => glob(p, value, ignoreCase));
  const not = st[`Not${key}`];
  return not !== undefined && !list(not).some((p) => glob(p, value, ignoreCase));
}

/** 'match' / 'absent' / the ARNs it names instead / 'other' (conditions this check cannot judge). */
function sourceArnOf(st: Obj, arn: string): { kind: 'match' | 'absent' | 'other-arn' | 'unverifiable'; values?: string[]; keys?: string[] } {
  const cond = st.Condition;
  if (!cond || typeof cond !== 'object') return { kind: 'absent' };
  const values: string[] = [];
  const others: string[] = [];
  let seen = false;
  for (const [op, block] of Object.entries(cond as Obj)) {
    if (!block || typeof block !== 'object') continue;
    for (const [key, v] of Object.entries(block as Obj)) {
      const k = key.toLowerCase();
      if (k === 'aws:sourcearn') {
        seen = true;
        const like = /Like/i.test(op);
        const vs = list(v);
        values.push(...vs);
        if (vs.some((x) => (like ? glob(x, arn) : x === arn))) return { kind: 'match' };
      } else if (k !== 'aws:sourceaccount') others.push(`${op} ${key}`);
    }
  }
  if (seen) return { kind: 'other-arn', values };
  return others.length ? { kind: 'unverifiable', keys: others } : { kind: 'absent' };
}

export function parseBucketTarget(target: string): { bucket: string; prefix: string } {
  const m = /^(?:s3:\/\/)?([^/]+)\/?(.*)$/.exec(target);
  const prefix = m?.[2] ? (m[2].endsWith('/') ? m[2] : `${m[2]}/`) : '';
  return { bucket: m?.[1] ?? target, prefix };
}

/** Judges a bucket policy document (text) for Lake result delivery. Pure. */
export function judgeResultsPolicy(policyText: string, bucket: string, prefix: string, eventDataStoreArn: string, partition = 'aws'): BucketCheck {
  const out: BucketCheck = { problems: [], notes: [] };
  let doc: Obj;
  try {
    doc = JSON.parse(policyText) as Obj;
  } catch {
    out.problems.push(`s3://${bucket}: the bucket policy is not valid JSON`);
    return out;
  }
  const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).filter((s): s is Obj => !!s && typeof s === 'object');
  const name = (st: Obj, i: number) => (typeof st.Sid === 'string' && st.Sid ? `statement "${st.Sid}"` : `statement ${i + 1}`);
  const needs: Array<[string, string]> = [
    ['s3:PutObject', `arn:${partition}:s3:::${bucket}/${prefix}*`],
    ['s3:GetBucketAcl', `arn:${partition}:s3:::${bucket}`],
  ];
  for (const [action, resource] of needs) {
    // The probe object: any key under the prefix.
    const probe = resource.endsWith('*') ? `${resource.slice(0, -1)}probe` : resource;
    const hits = statements.map((st, i) => ({ st, i })).filter(({ st }) => coversCloudTrail(st) && covers(st, 'Action', action) && covers(st, 'Resource', probe));
    for (const { st, i } of hits.filter((h) => h.st.Effect === 'Deny')) {
      const c = sourceArnOf(st, eventDataStoreArn);
      if (c.kind !== 'other-arn') out.problems.push(`s3://${bucket}: ${name(st, i)} denies cloudtrail.amazonaws.com ${action} on ${resource}`);
    }
    const allows = hits.filter((h) => h.st.Effect === 'Allow');
    if (allows.length === 0) {
      out.problems.push(
        `s3://${bucket}: no statement allows the service principal cloudtrail.amazonaws.com ${action} on ${resource} ` +
          `(add it with the condition aws:SourceArn = ${eventDataStoreArn})`,
      );
      continue;
    }
    const verdicts = allows.map(({ st, i }) => ({ st, i, c: sourceArnOf(st, eventDataStoreArn) }));
    if (verdicts.some((v) => v.c.kind === 'match')) continue;
    const open = verdicts.find((v) => v.c.kind === 'absent');
    if (open) {
      out.notes.push(`s3://${bucket}: ${name(open.st, open.i)} allows cloudtrail.amazonaws.com ${action} without an aws:SourceArn condition; any trail or data store could write there (add aws:SourceArn = ${eventDataStoreArn})`);
      continue;
    }
    const unverifiable = verdicts.find((v) => v.c.kind === 'unverifiable');
    if (unverifiable) {
      out.notes.push(`s3://${bucket}: ${name(unverifiable.st, unverifiable.i)} allows ${action} under conditions this check cannot judge (${unverifiable.c.keys!.join(', ')})`);
      continue;
    }
    const named = verdicts.flatMap((v) => v.c.values ?? []);
    out.problems.push(`s3://${bucket}: the statements that allow cloudtrail.amazonaws.com ${action} on ${resource} require aws:SourceArn ${named.join(' or ')}, not this event data store (${eventDataStoreArn})`);
  }
  return out;
}

/** Reads the bucket's policy and payment setting and judges them. */
export async function checkResultsBucket(s3: S3Client, target: string, eventDataStoreArn: string): Promise<BucketCheck> {
  const { bucket, prefix } = parseBucketTarget(target);
  const partition = /^arn:([^:]+):/.exec(eventDataStoreArn)?.[1] ?? 'aws';
  const out: BucketCheck = { problems: [], notes: [] };
  try {
    const payment = await s3.send(new GetBucketRequestPaymentCommand({ Bucket: bucket }));
    if (payment.Payer === 'Requester') out.problems.push(`s3://${bucket}: Requester Pays is on; CloudTrail cannot deliver query results to a Requester Pays bucket (turn it off or choose another bucket)`);
  } catch (e) {
    out.notes.push(`${s3ErrorMessage(e, `s3://${bucket}`)} (could not check Requester Pays: s3:GetBucketRequestPayment)`);
  }
  let policy: string | undefined;
  try {
    policy = (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy;
  } catch (e) {
    const code = (e as { name?: string; Code?: string }).Code ?? (e as { name?: string }).name;
    if (code === 'NoSuchBucketPolicy') {
      out.problems.push(
        `s3://${bucket}: the bucket has no policy; CloudTrail Lake needs one that allows cloudtrail.amazonaws.com s3:PutObject on arn:${partition}:s3:::${bucket}/${prefix}* and s3:GetBucketAcl on arn:${partition}:s3:::${bucket}, with aws:SourceArn = ${eventDataStoreArn}`,
      );
      return out;
    }
    if (code === 'NoSuchBucket') {
      out.problems.push(`s3://${bucket}: the results bucket does not exist`);
      return out;
    }
    out.notes.push(`${s3ErrorMessage(e, `s3://${bucket}`)} (could not read the bucket policy: s3:GetBucketPolicy)`);
    return out;
  }
  const judged = judgeResultsPolicy(policy ?? '{}', bucket, prefix, eventDataStoreArn, partition);
  out.problems.push(...judged.problems);
  out.notes.push(...judged.notes);
  return out;
}
