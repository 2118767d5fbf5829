// Which actions a statement's resource can grant at all. `"Action": ["s3:ListBucket", "s3:GetObject"]` on
// `["arn:aws:s3:::b", "arn:aws:s3:::b/*"]` grants ListBucket on the bucket and GetObject on its objects, nothing
// more: IAM matches a request's resource, and GetObject's resource is always an object ARN. Counting GetObject "on
// the bucket" made merging the usual two S3 statements new access.
// Decided for S3 only, where the catalogue's resource types are exact and a bucket name cannot hold "/": an
// `arn:<p>:s3:::` resource is a bucket, an object, or (with a wildcard before any "/") either. Elsewhere every
// action counts as granted on every resource, as before: a wrong "cannot apply" would hide access.
import { ActionSet, actionById } from '../catalog/catalog.js';

type S3Class = 'bucket' | 'object' | 'either';

/** What an `arn:<partition>:s3:::…` pattern can name; undefined for anything else (all actions apply). */
export function s3ResourceClass(pattern: string): S3Class | undefined {
  const m = /^arn:[^:]*:s3:::(.*)$/.exec(pattern);
  if (!m) return undefined;
  const rest = m[1];
  // Policy variables can expand to anything, "/" included.
  const wild = rest.search(/[*?]|\$\{/);
  const literal = wild < 0 ? rest : rest.slice(0, wild);
  if (literal.includes('/')) return 'object';
  return wild < 0 ? 'bucket' : 'either';
}

const BUCKET_FORMAT = /^arn:\$\{Partition\}:s3:::\$\{BucketName\}$/;
const OBJECT_FORMAT = /^arn:\$\{Partition\}:s3:::\$\{BucketName\}\/.+$/;

/** Per S3 action index: 1 bucket, 2 object, 3 both, 0 neither (no resource type in the `s3:::` namespace). */
let kinds: Map<number, number> | undefined;
function s3Kind(index: number): number {
  kinds ??= new Map();
  let k = kinds.get(index);
  if (k === undefined) {
    k = 0;
    for (const rt of actionById(index).resourceTypes) {
      for (const f of rt.arnFormats) {
        if (BUCKET_FORMAT.test(f)) k |= 1;
        else if (OBJECT_FORMAT.test(f)) k |= 2;
      }
    }
    kinds.set(index, k);
  }
  return k;
}

const inertCache = new Map<string, ActionSet>();

/**
 * The S3 actions of `actions` that `pattern` cannot grant: object actions on a bucket ARN, bucket actions on an
 * object ARN, and actions with no resource type in the `s3:::` namespace (account-level ones such as
 * s3:ListAllMyBuckets, which IAM grants only on "*", access-point or job actions). Empty for other patterns.
 */
export function inertActions(actions: ActionSet, pattern: string): ActionSet {
  const cls = s3ResourceClass(pattern);
  if (cls === undefined || cls === 'either' || actions.isEmpty()) return ActionSet.empty();
  let inert = inertCache.get(cls);
  if (!inert) {
    inert = ActionSet.empty();
    const wanted = cls === 'bucket' ? 1 : 2;
    for (const i of ActionSet.fromPatterns(['s3:*']).set.indices()) if ((s3Kind(i) & wanted) === 0) inert.add(i);
    inertCache.set(cls, inert);
  }
  return actions.intersect(inert);
}
