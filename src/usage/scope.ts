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
 * A name found as text must not hold `"`, `{` or `}`: then one occurrence always lies within one record, as the text
 * between two records is a separator made of them (log-object.ts marks the record a match ends in).
 */
const PLAIN = /^[^"{}]+$/;

/**
 * Names beyond which the reader maps everything: all names are one regular expression (log-object.ts), whose search
 * measured 0.3-0.8 µs per record for 1 to 400 names (mapping a record costs ~2 µs); this bounds its size.
 */
export const MAX_SCOPE_NAMES = 1000;

/** The scope to read with: usageScope's, unless it cannot be told or has too many names (then every record). */
export function readerScope(subjects: SubjectPolicies[]): { scope?: string[]; note?: string } {
  const scope = usageScope(subjects);
  if (!scope) return { note: 'cloudtrail: a subject\'s name is not known (wildcard, unresolved placeholder, quote or brace): every log record is mapped' };
  if (scope.length > MAX_SCOPE_NAMES) return { note: `cloudtrail: the change names ${scope.length} subjects and data resources (more than ${MAX_SCOPE_NAMES}): every log record is mapped` };
  return { scope };
}

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
  for (const n of names) if (!PLAIN.test(n)) return undefined;
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
