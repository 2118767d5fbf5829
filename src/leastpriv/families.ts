// Which actions CloudTrail records only as data events (off by default, per trail and per resource),
// which it never records, and the S3 action classes. Unused access is only claimed for what the logs can show.
import { isS3ObjectAction } from '../usage/event-actions.js';
import { lookupAction } from '../catalog/catalog.js';
import type { S3AccessClass } from './types.js';

export type DataFamily = 's3-object' | 'lambda-invoke' | 'dynamodb-item' | 'sqs-message' | 'sns-publish';

const S3_DATA_BUCKET_ACTIONS = new Set(['s3:listbucket', 's3:listbucketversions', 's3:listbucketmultipartuploads']);
const DATA_ACTIONS: Record<Exclude<DataFamily, 's3-object'>, Set<string>> = {
  'lambda-invoke': new Set(['lambda:invokefunction', 'lambda:invokeasync']),
  'dynamodb-item': new Set(
    [
      'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem', 'ConditionCheckItem',
      'PartiQLSelect', 'PartiQLInsert', 'PartiQLUpdate', 'PartiQLDelete', 'GetRecords', 'GetShardIterator',
    ].map((a) => `dynamodb:${a.toLowerCase()}`),
  ),
  'sqs-message': new Set(['sqs:sendmessage', 'sqs:receivemessage', 'sqs:deletemessage', 'sqs:changemessagevisibility']),
  'sns-publish': new Set(['sns:publish']),
};

/** Actions that no CloudTrail event ever carries: never "unused", always "unknown". */
const NEVER_RECORDED = new Map([['iam:passrole', 'iam:PassRole is authorised inside other calls and never logged as an event']]);

const s3ObjectLower = new Set<string>();
/** The data-event family of an action, or undefined for management events. */
export function dataFamily(action: string): DataFamily | undefined {
  const lower = action.toLowerCase();
  if (lower.startsWith('s3:')) {
    if (S3_DATA_BUCKET_ACTIONS.has(lower)) return 's3-object';
    if (s3ObjectLower.has(lower)) return 's3-object';
    const canonical = lookupAction(action)?.id ?? action;
    if (isS3ObjectAction(canonical)) {
      s3ObjectLower.add(lower);
      return 's3-object';
    }
    return undefined;
  }
  for (const [family, set] of Object.entries(DATA_ACTIONS)) if (set.has(lower)) return family as DataFamily;
  return undefined;
}

export function neverRecorded(action: string): string | undefined {
  return NEVER_RECORDED.get(action.toLowerCase());
}

/**
 * The resource a data event is logged for, as trails select it: the bucket for S3, the function
 * (without qualifier) for Lambda, the table (without index) for DynamoDB, else the ARN itself.
 */
export function dataResourceKey(family: DataFamily, resource: string): string {
  if (family === 's3-object') {
    const m = /^arn:[^:]*:s3:::([^/]+)/.exec(resource);
    return m ? m[1] : resource;
  }
  if (family === 'lambda-invoke') {
    const m = /^(arn:[^:]*:lambda:[^:]*:[^:]*:function:[^:]+)/.exec(resource);
    return m ? m[1] : resource;
  }
  if (family === 'dynamodb-item') {
    const m = /^(arn:[^:]*:dynamodb:[^:]*:[^:]*:table\/[^/]+)/.exec(resource);
    return m ? m[1] : resource;
  }
  return resource;
}

/**
 * S3 classes: permissions = the catalogue's "Permissions management" level (policies, ACLs);
 * delete = Delete* actions; list = the List level; read = Read; write = Write and Tagging.
 */
export function s3Class(action: string): S3AccessClass | undefined {
  const a = lookupAction(action);
  if (!a || a.service !== 's3') return undefined;
  if (a.accessLevel === 'Permissions management') return 'permissions';
  if (a.name.startsWith('Delete')) return 'delete';
  if (a.accessLevel === 'List') return 'list';
  if (a.accessLevel === 'Read') return 'read';
  return 'write';
}

export const S3_CLASS_ORDER: S3AccessClass[] = ['read', 'list', 'write', 'delete', 'permissions'];

export function sortClasses(classes: Iterable<S3AccessClass>): S3AccessClass[] {
  const set = new Set(classes);
  return S3_CLASS_ORDER.filter((c) => set.has(c));
}

/** The bucket name an S3 ARN or ARN pattern names ("*" when it is a wildcard), or undefined when not S3. */
export function bucketOf(resource: string): string | undefined {
  if (resource === '*') return '*';
  const m = /^arn:[^:]*:s3:::([^/]*)/.exec(resource);
  return m ? m[1] : undefined;
}
