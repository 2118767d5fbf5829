// The record scanner's slots as paths in a parsed record, for the scanner tests (usage-record-scan*.test.ts): what
// each slot must find, read the way JSON.parse leaves a record.
import * as F from '../../src/usage/record-scan.js';

type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Each slot's path in a record (the inner slots under their parents). */
export const SLOT_PATHS: [number, string[]][] = [
  ...F.FIELD_NAMES.map((name, slot): [number, string[]] => [slot, [name]]),
  [F.UI_TYPE, ['userIdentity', 'type']],
  [F.UI_ACCOUNT_ID, ['userIdentity', 'accountId']],
  [F.UI_ARN, ['userIdentity', 'arn']],
  [F.UI_SESSION_CONTEXT, ['userIdentity', 'sessionContext']],
  [F.UI_ISSUER, ['userIdentity', 'sessionContext', 'sessionIssuer']],
  [F.UI_ISSUER_ARN, ['userIdentity', 'sessionContext', 'sessionIssuer', 'arn']],
  [F.UI_INVOKED_BY, ['userIdentity', 'invokedBy']],
  [F.UI_IDENTITY_PROVIDER, ['userIdentity', 'identityProvider']],
  [F.RP_BUCKET_NAME, ['requestParameters', 'bucketName']],
  [F.RP_KEY, ['requestParameters', 'key']],
  [F.RP_VERSION_ID, ['requestParameters', 'versionId']],
  [F.RP_ACL, ['requestParameters', 'x-amz-acl']],
  [F.RP_GRANT_FULL_CONTROL, ['requestParameters', 'x-amz-grant-full-control']],
  [F.RP_GRANT_READ, ['requestParameters', 'x-amz-grant-read']],
  [F.RP_GRANT_READ_ACP, ['requestParameters', 'x-amz-grant-read-acp']],
  [F.RP_GRANT_WRITE_ACP, ['requestParameters', 'x-amz-grant-write-acp']],
  [F.RP_TAGGING, ['requestParameters', 'x-amz-tagging']],
];

/** The value at `path` when every parent is an object (as JSON.parse leaves it: last duplicate wins). */
export function valueAt(v: unknown, path: string[]): { found: boolean; value?: unknown } {
  for (const k of path) {
    if (!isObj(v) || !Object.prototype.hasOwnProperty.call(v, k)) return { found: false };
    v = v[k];
  }
  return { found: true, value: v };
}
