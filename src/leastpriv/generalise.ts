// Resource ARNs for a suggestion, from the resources the events named. The only generalisations:
// 1. S3 object keys become their folder followed by "*" (`bucket/daily/2026-09-01.csv` → `bucket/daily/*`);
//    keys at the bucket root stay exact. When one action touches more than MAX_PREFIXES folders of a
//    bucket, folders are cut one level shorter until it fits (at most down to `bucket/*`).
// 2. Secrets Manager secret ARNs drop their random suffix for "-??????" (AWS's own advice: the suffix
//    changes when a secret is re-created).
// Everything else (DynamoDB tables and indexes, Lambda functions and their qualifiers, KMS keys, SSM
// parameters, buckets) is kept exact. A generalised pattern is used only when a statement of the current
// policy that granted the call contains it; otherwise the exact ARNs are kept.
import { arnContains } from '../analysis/evaluate/match.js';

export const MAX_PREFIXES = 20;

const S3_OBJECT = /^(arn:[^:]*:s3:::[^/]+)\/(.+)$/;
const SECRET = /^(arn:[^:]*:secretsmanager:[^:]*:[^:]*:secret:.+)-[A-Za-z0-9]{6}$/;

/** Folder of a key ("a/b/c.txt" → "a/b/", "c.txt" → ""), cut to at most `depth` levels when given. */
function folder(key: string, depth?: number): string {
  const parts = key.split('/');
  parts.pop();
  const kept = depth === undefined ? parts : parts.slice(0, depth);
  return kept.length ? kept.join('/') + '/' : '';
}

/**
 * Generalises the resources one action was used on. `covered(pattern)` says whether the current
 * policy's granting statements contain a pattern. Returns resource patterns, sorted.
 */
export function generaliseResources(resources: Iterable<string>, covered: (pattern: string) => boolean): string[] {
  const out = new Set<string>();
  const objects = new Map<string, string[]>(); // bucket ARN → keys
  for (const r of resources) {
    const s3 = S3_OBJECT.exec(r);
    if (s3) {
      const keys = objects.get(s3[1]) ?? [];
      keys.push(s3[2]);
      objects.set(s3[1], keys);
      continue;
    }
    const secret = SECRET.exec(r);
    if (secret && covered(`${secret[1]}-??????`)) out.add(`${secret[1]}-??????`);
    else out.add(r);
  }
  for (const [bucket, keys] of objects) for (const p of objectPatterns(bucket, keys, covered)) out.add(p);
  return [...out].sort();
}

function objectPatterns(bucket: string, keys: string[], covered: (pattern: string) => boolean): string[] {
  let depth: number | undefined;
  let folders = new Set(keys.map((k) => folder(k)));
  const maxDepth = Math.max(...keys.map((k) => k.split('/').length - 1));
  for (depth = maxDepth; folders.size > MAX_PREFIXES && depth > 0; ) {
    depth--;
    folders = new Set(keys.map((k) => folder(k, depth)));
  }
  const out = new Set<string>();
  const byFolder = new Map<string, string[]>();
  for (const k of keys) {
    const f = folder(k, depth);
    const list = byFolder.get(f) ?? [];
    list.push(k);
    byFolder.set(f, list);
  }
  for (const [f, list] of byFolder) {
    // Root keys stay exact unless there are too many folders' worth of them.
    const pattern = `${bucket}/${f}*`;
    if ((f || folders.size > MAX_PREFIXES || list.length > MAX_PREFIXES) && covered(pattern)) out.add(pattern);
    else for (const k of list) out.add(`${bucket}/${k}`);
  }
  return [...out];
}

/** Whether one of the granting patterns contains `pattern` (exactly, under ARN matching). */
export function coveredBy(granting: Iterable<string>): (pattern: string) => boolean {
  const list = [...granting];
  return (pattern) => list.some((g) => arnContains(g, pattern));
}
