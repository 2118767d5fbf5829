// Resource ARNs an event acted on, per action. Only where the event says so reliably; otherwise none
// (the caller treats "none" as "resource unknown", never as "*").
import { isS3ObjectAction, passedRoleParams, prefixForSource, stripVersionSuffix } from './event-actions.js';

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

export interface ResourceContext {
  eventSource: string;
  eventName: string;
  partition: string;
  region?: string;
  /** The caller's account: a resource named without an ARN lives there. */
  account?: string;
  requestParameters?: Obj;
  /** The event's `resources[]` array, raw. */
  resources?: unknown;
}

const ARN_RE = /^arn:[^:]+:([^:]+):/;
const serviceOfArn = (arn: string): string | undefined => ARN_RE.exec(arn)?.[1];

/** `resources[].ARN` values (also `arn`/`Arn`, seen in re-exported logs), access keys left out. */
function eventResourceArns(resources: unknown): string[] {
  if (!Array.isArray(resources)) return [];
  const out: string[] = [];
  for (const r of resources) {
    const o = obj(r);
    const arn = str(o?.ARN) ?? str(o?.arn) ?? str(o?.Arn);
    if (!arn || !arn.startsWith('arn:') || o?.type === 'AWS::IAM::AccessKey' || arn.includes(':accesskey/')) continue;
    out.push(arn);
  }
  return out;
}

function s3Resources(ctx: ResourceContext, action: string, index: number): string[] {
  const rp = ctx.requestParameters;
  const bucket = str(rp?.bucketName);
  if (!bucket || bucket.includes('/') || bucket.startsWith('arn:')) return eventResourceArns(ctx.resources).filter((a) => serviceOfArn(a) === 's3');
  const bucketArn = `arn:${ctx.partition}:s3:::${bucket}`;
  if (!isS3ObjectAction(action)) return [bucketArn];
  // CopyObject / UploadPartCopy: the second action (s3:GetObject) reads the copy source "bucket/key[?versionId=]".
  if ((ctx.eventName === 'CopyObject' || ctx.eventName === 'UploadPartCopy') && index === 1) {
    const source = str(rp?.['x-amz-copy-source']);
    if (!source) return [];
    const path = decodeURIComponentSafe(source.replace(/^\//, '').split('?')[0]);
    return path && path.includes('/') ? [`arn:${ctx.partition}:s3:::${path}`] : [];
  }
  const key = str(rp?.key);
  return key ? [`${bucketArn}/${key}`] : [];
}

/**
 * The bucket of an S3 object call that names no key (CloudTrail Lake and Athena rows, which do not group by key,
 * and keys not kept, see event-batch.ts): the resource is unknown, but it is an object of this bucket.
 */
export function objectBucketArn(ctx: ResourceContext, action: string, index: number): string | undefined {
  if (!action.startsWith('s3:') || !isS3ObjectAction(action) || ((ctx.eventName === 'CopyObject' || ctx.eventName === 'UploadPartCopy') && index === 1)) return undefined;
  const bucket = str(ctx.requestParameters?.bucketName);
  return bucket && !bucket.includes('/') && !bucket.startsWith('arn:') ? `arn:${ctx.partition}:s3:::${bucket}` : undefined;
}

function decodeURIComponentSafe(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** A name or an ARN; names become ARNs in the caller's account and the event's region. */
function nameOrArn(value: unknown, ctx: ResourceContext, service: string, typePath: string): string | undefined {
  const v = str(value);
  if (!v) return undefined;
  if (v.startsWith('arn:')) return v;
  if (!ctx.region || !ctx.account || v.includes(':') || v.includes('/')) return undefined;
  return `arn:${ctx.partition}:${service}:${ctx.region}:${ctx.account}:${typePath}${v}`;
}

function kmsReEncrypt(ctx: ResourceContext, index: number): string[] {
  const keys = eventResourceArns(ctx.resources).filter((a) => serviceOfArn(a) === 'kms');
  const dest = str(ctx.requestParameters?.destinationKeyId);
  if (!dest) return [];
  const isDest = (arn: string) => arn === dest || arn.endsWith(`:key/${dest}`);
  const destKeys = keys.filter(isDest);
  // Only when the destination can be told apart from the source.
  if (destKeys.length !== 1) return [];
  return index === 1 ? destKeys : keys.filter((a) => !isDest(a));
}

/**
 * The role ARNs a call passes (event-actions.ts, passedRoleParams). Role names are left out: their path is not in
 * the call, and iam:PassRole is decided on the full ARN.
 */
function passedRoles(ctx: ResourceContext): string[] {
  const prefix = prefixForSource(ctx.eventSource);
  const paths = prefix ? passedRoleParams(prefix, stripVersionSuffix(ctx.eventName)) : undefined;
  if (!paths || !ctx.requestParameters) return [];
  const out = new Set<string>();
  const walk = (v: unknown, parts: string[]): void => {
    if (parts.length === 0) {
      const arn = str(v);
      if (arn && /^arn:[^:]+:iam::\d{12}:role\/./.test(arn)) out.add(arn);
      return;
    }
    const [head, ...rest] = parts;
    const list = head.endsWith('[]');
    const value = obj(v)?.[list ? head.slice(0, -2) : head];
    if (!list) return walk(value, rest);
    if (Array.isArray(value)) for (const item of value.slice(0, 100)) walk(item, rest);
  };
  for (const p of paths) walk(ctx.requestParameters, p.split('.'));
  return [...out];
}

/** DynamoDB calls that name a secondary index in `indexName` (the catalogue's actions with an `index` resource type). */
const INDEX_CALLS: ReadonlySet<string> = new Set(['Query', 'Scan', 'DescribeContributorInsights', 'UpdateContributorInsights']);
/** DynamoDB's pattern for index names, and a table's ARN (a tableName given as an ARN may name something else). */
const INDEX_NAME = /^[a-zA-Z0-9_.-]{1,255}$/;
const TABLE_ARN = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/[^/]+$/;

/** `<account>/<name>` after an SQS endpoint: queue names are 1-80 of [A-Za-z0-9_-], FIFO queues end in `.fifo`. */
const QUEUE_URL = /^https?:\/\/([A-Za-z0-9.-]+)(?::\d{1,5})?\/(\d{12})\/([A-Za-z0-9_-]{1,80}(?:\.fifo)?)$/;
const REGION = '([a-z]{2}(?:-[a-z]+)+-\\d{1,2})';
/**
 * The region of each SQS endpoint form (AWS General Reference, SQS endpoints; SQS Developer Guide, VPC endpoints):
 * `sqs.<region>.amazonaws.com` (`.com.cn` in China), `sqs-fips.<region>.amazonaws.com`, the dual-stack
 * `sqs[-fips].<region>.api.aws`, the legacy `<region>.queue.amazonaws.com`, and interface VPC endpoints
 * `vpce-<id>[-<zone>].sqs.<region>.vpce.amazonaws.com`. The legacy `queue.amazonaws.com` is us-east-1.
 */
const SQS_HOST = new RegExp(
  `^(?:sqs(?:-fips)?\\.${REGION}\\.(?:amazonaws\\.com(?:\\.cn)?|api\\.aws)|${REGION}\\.queue\\.amazonaws\\.com(?:\\.cn)?|vpce-[a-z0-9-]+\\.sqs\\.${REGION}\\.vpce\\.amazonaws\\.com(?:\\.cn)?)$`,
);

/**
 * A queue URL -> the queue's ARN, for every documented SQS endpoint form; undefined for any other host (a local
 * emulator, a proxy, a form not known here): the resource is then unknown, never a wrong region's queue.
 */
export function sqsQueueArn(url: string | undefined, partition: string): string | undefined {
  const m = url ? QUEUE_URL.exec(url) : null;
  if (!m) return undefined;
  const host = m[1].toLowerCase();
  let region: string | undefined;
  if (host === 'queue.amazonaws.com') region = 'us-east-1';
  else {
    const h = SQS_HOST.exec(host);
    region = h ? (h[1] ?? h[2] ?? h[3]) : undefined;
  }
  return region ? `arn:${partition}:sqs:${region}:${m[2]}:${m[3]}` : undefined;
}

/** Resource ARNs for the index-th action of an event (actions as returned by the mapping). */
export function resourcesFor(ctx: ResourceContext, action: string, index: number): string[] {
  const service = action.slice(0, action.indexOf(':'));
  const rp = ctx.requestParameters;
  if (action === 'iam:PassRole') return passedRoles(ctx);
  switch (service) {
    case 's3':
      return s3Resources(ctx, action, index);
    case 'kms':
      if (ctx.eventName === 'ReEncrypt') return kmsReEncrypt(ctx, index);
      break;
    case 'dynamodb': {
      const table = nameOrArn(rp?.tableName, ctx, 'dynamodb', 'table/');
      if (!table) break;
      // A call on a secondary index (Query and Scan with `indexName`, Contributor Insights of an index) is
      // authorised on the index's ARN, not the table's. A name that is not one leaves the resource unknown.
      const index = rp?.indexName;
      if (index === undefined || index === null || !INDEX_CALLS.has(ctx.eventName)) return [table];
      return typeof index === 'string' && INDEX_NAME.test(index) && TABLE_ARN.test(table) ? [`${table}/index/${index}`] : [];
    }
    case 'lambda': {
      const fn = nameOrArn(rp?.functionName, ctx, 'lambda', 'function:');
      if (fn) return [fn];
      break;
    }
    case 'sqs': {
      const queue = sqsQueueArn(str(rp?.queueUrl), ctx.partition);
      if (queue) return [queue];
      break;
    }
    case 'sns': {
      const topic = str(rp?.topicArn);
      if (topic?.startsWith('arn:')) return [topic];
      break;
    }
    case 'secretsmanager': {
      const secret = str(rp?.secretId);
      if (secret?.startsWith('arn:')) return [secret];
      break;
    }
    case 'cloudformation': {
      // Stack calls name the stack by ARN (or by name, which says nothing of its id: left unknown).
      const stack = str(rp?.stackName);
      if (stack?.startsWith(`arn:${ctx.partition}:cloudformation:`) && stack.includes(':stack/')) return [stack];
      break;
    }
  }
  // Single-action events: `resources[]` ARNs of the action's own service (sts:AssumeRole* acts on an IAM role).
  const wanted = service === 'sts' ? 'iam' : service;
  return eventResourceArns(ctx.resources).filter((a) => serviceOfArn(a) === wanted);
}
