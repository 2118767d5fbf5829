// Which log records a change's usage analysis can need: those naming one of its subjects (a role's or user's own
// calls, calls on a bucket) or one of the data resources its grants name (data-event coverage, leastpriv/coverage.ts).
// Every consumer of usage picks records by these (analysis/replay.ts recordsFor, leastpriv, analyzer answers), and
// a record about any of them carries the name in its text: the principal's ARN or session issuer, requestParameters
// or resources. The reader skips the mapping of the others (ProcessorOptions.scope), which is most of an
// organization trail.
import type { PolicyDocument, SubjectPolicies } from '../model.js';

/** A name with a wildcard, a policy variable or an unresolved template placeholder (`{StackName}`) is not known. */
const WILDCARD = /[*?${}]/;

/**
 * The names to read records for, sorted; undefined when a subject's name cannot be told (then every record is
 * mapped, as without a scope).
 */
export function usageScope(subjects: SubjectPolicies[]): string[] | undefined {
  const names = new Set<string>();
  for (const s of subjects) {
    const { type, arn } = s.subject;
    if (arn && (type === 'role' || type === 'user' || type === 'bucket' || type === 'resource')) {
      const name = subjectName(type, arn);
      if (name === undefined) return undefined;
      names.add(name);
    }
    // Groups have no calls of their own (records are keyed by the caller) and unbound policies no usage checks.
    for (const d of [...s.base, ...s.head]) for (const n of dataResourceNames(d)) names.add(n);
  }
  return [...names].sort();
}

/** The name a subject's records carry: a role's or user's name (without path), a bucket's, a resource's last part. */
export function subjectName(type: 'role' | 'user' | 'bucket' | 'resource', arn: string): string | undefined {
  let name: string | undefined;
  if (type === 'role' || type === 'user') name = /^arn:[^:]+:iam::[^:]*:(?:role|user)\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
  else if (type === 'bucket') name = /^arn:[^:]+:s3:::([^/]+)/.exec(arn)?.[1];
  else name = /^arn:[^:]+:[^:]+:[^:]*:[^:]*:(?:.*[:/])?([^:/]+)$/.exec(arn)?.[1];
  return name && !WILDCARD.test(name) ? name : undefined;
}

/**
 * Names of the data resources (S3 buckets, Lambda functions, DynamoDB tables, SQS queues, SNS topics) that a
 * document's Allow statements name without a wildcard: "unused" is claimed for a data action only where events for
 * its resource were seen (by anyone), so those records must be read too. Wildcard names are never claimed.
 */
export function dataResourceNames(doc: PolicyDocument): string[] {
  const out: string[] = [];
  for (const st of doc.statements) {
    if (st.effect !== 'Allow') continue;
    for (const r of st.resources ?? []) {
      const name = dataResourceName(r.value);
      if (name) out.push(name);
    }
  }
  return out;
}

function dataResourceName(arn: string): string | undefined {
  const m = /^arn:[^:]+:(s3|lambda|dynamodb|sqs|sns):([^:]*):([^:]*):(.*)$/.exec(arn);
  if (!m) return undefined;
  const [, service, , , rest] = m;
  let name: string | undefined;
  if (service === 's3') name = rest.split('/')[0];
  else if (service === 'lambda') name = /^function:([^:]+)/.exec(rest)?.[1];
  else if (service === 'dynamodb') name = /^table\/([^/]+)/.exec(rest)?.[1];
  else name = rest;
  return name && !WILDCARD.test(name) ? name : undefined;
}
