// Resource policies of services other than S3 and IAM, shared by the CloudFormation and Terraform extractors:
// subjects named after the resource, the one-statement policy a permission (Lambda, layer, EventBridge) amounts
// to, and API Gateway's shorthand resources.
import type { Finding, SourceLocation, SubjectRef } from '../model.js';
import type { LEntry, LNode } from '../policies/located.js';

/** A located scalar read from a template or plan. */
export interface LocatedText {
  value: string;
  loc: SourceLocation;
}

/** Largest key policy KMS accepts (characters). Other services' quotas are left to the generic resource kind. */
export const KMS_KEY_POLICY_SIZE = 32768;

/**
 * ECR repository policies name no Resource (the repository is implied); the generic grammar check requires one.
 * Drops that finding from `findings[from..]`; the statements are analysed with Resource "*" (the repository).
 */
export function dropImpliedResourceFindings(findings: Finding[], from: number): void {
  for (let i = findings.length - 1; i >= from; i--) {
    const f = findings[i];
    if (f.ruleId === 'invalid-grammar' && f.identity.endsWith('|Resource|missing')) findings.splice(i, 1);
  }
}

/** A resource-policy subject: the ARN when it is known exactly, else the fallback id. */
export function resourceSubject(arn: string | undefined, fallbackId: string): SubjectRef {
  if (arn && isExactArn(arn)) return { type: 'resource', arn, id: arn };
  return { type: 'resource', id: fallbackId };
}

/** An ARN with no wildcard and no stand-in (`{AccountId}`, `{LogicalId}`) in it. */
export function isExactArn(arn: string): boolean {
  return arn.startsWith('arn:') && !/[{}*?]/.test(arn) && arn.split(':').length >= 6;
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` (or the legacy `queue.amazonaws.com` form) -> queue ARN. */
export function sqsQueueArnFromUrl(url: string, partition = 'aws'): string | undefined {
  const m = /^https?:\/\/(?:sqs\.)?([a-z0-9-]+)\.(?:queue\.)?amazonaws\.com(?:\.cn)?\/(\d{12}|\{AccountId\})\/([^/?#]+)\/?$/.exec(url);
  if (m) return `arn:${partition}:sqs:${m[1]}:${m[2]}:${m[3]}`;
  const legacy = /^https?:\/\/queue\.amazonaws\.com\/(\d{12})\/([^/?#]+)\/?$/.exec(url);
  if (legacy) return `arn:${partition}:sqs:us-east-1:${legacy[1]}:${legacy[2]}`;
  return undefined;
}

/**
 * A Lambda function named as AddPermission accepts it (name, `name:qualifier`, `account:function:name`, or an
 * ARN) -> its ARN, with the qualifier when one is given, and the unqualified function ARN (the subject).
 */
export function lambdaFunctionArn(name: string, env: { partition: string; region: string; account: string }, qualifier?: string): { arn: string; functionArn: string } {
  let p = env.partition;
  let region = env.region;
  let account = env.account;
  let fn = name;
  let q = qualifier;
  const full = /^arn:([^:]+):lambda:([^:]*):([^:]*):function:([^:]+)(?::(.+))?$/.exec(name);
  const partial = /^(\d{12}):function:([^:]+)(?::(.+))?$/.exec(name);
  if (full) {
    [p, region, account, fn] = [full[1], full[2], full[3], full[4]];
    q = q ?? full[5];
  } else if (partial) {
    [account, fn] = [partial[1], partial[2]];
    q = q ?? partial[3];
  } else {
    const i = name.indexOf(':');
    if (i > 0) {
      fn = name.slice(0, i);
      q = q ?? name.slice(i + 1);
    }
  }
  const functionArn = `arn:${p}:lambda:${region}:${account}:function:${fn}`;
  return { arn: q ? `${functionArn}:${q}` : functionArn, functionArn };
}

/** Lambda's `Principal`: a service, an account id, an ARN or `*`, as the function policy writes it. */
export function lambdaPrincipal(value: string, partition: string): { type: 'AWS' | 'Service' | '*'; value: string } {
  if (value === '*') return { type: '*', value };
  if (/^\d{12}$/.test(value)) return { type: 'AWS', value: `arn:${partition}:iam::${value}:root` };
  if (value.startsWith('arn:') || value.includes('*')) return { type: 'AWS', value };
  return { type: 'Service', value };
}

export interface LambdaPermissionInput {
  /** Where the permission is written: the statement's location. */
  loc: SourceLocation;
  sid?: string;
  partition: string;
  principal: LocatedText;
  action: LocatedText;
  /** The function (or qualified) ARN, or `*` when it is not known. */
  resource: LocatedText;
  sourceAccount?: LocatedText;
  sourceArn?: LocatedText;
  principalOrgId?: LocatedText;
  functionUrlAuthType?: LocatedText;
  eventSourceToken?: LocatedText;
}

/** The function-policy statement one Lambda permission adds, as a located one-statement policy document. */
export function lambdaPermissionPolicy(p: LambdaPermissionInput): LNode {
  const action = p.action.value.includes(':') || p.action.value === '*' ? p.action.value : `lambda:${p.action.value}`;
  return oneStatementPolicy({
    loc: p.loc,
    sid: p.sid,
    principal: { ...lambdaPrincipal(p.principal.value, p.partition), loc: p.principal.loc },
    action: { value: action, loc: p.action.loc },
    resource: p.resource,
    conditions: [
      ['StringEquals', 'AWS:SourceAccount', p.sourceAccount],
      ['ArnLike', 'AWS:SourceArn', p.sourceArn],
      ['StringEquals', 'aws:PrincipalOrgID', p.principalOrgId],
      ['StringEquals', 'lambda:FunctionUrlAuthType', p.functionUrlAuthType],
      ['StringEquals', 'lambda:EventSourceToken', p.eventSourceToken],
    ],
  });
}

export interface OneStatementInput {
  loc: SourceLocation;
  sid?: string;
  principal: { type: 'AWS' | 'Service' | '*'; value: string; loc: SourceLocation };
  action: LocatedText;
  resource: LocatedText;
  /** [operator, key, value]; an absent or empty value adds no condition. */
  conditions: Array<[string, string, LocatedText | undefined]>;
}

/**
 * A permission written as fields rather than a document (Lambda and layer permissions, EventBridge PutPermission):
 * the one Allow statement the service adds to the resource's policy, as a located policy document.
 */
export function oneStatementPolicy(p: OneStatementInput): LNode {
  const s = (t: LocatedText): LNode => ({ kind: 'string', value: t.value, loc: t.loc });
  const entry = (key: string, value: LNode, keyLoc: SourceLocation = value.loc): LEntry => ({ key, keyLoc, value });
  const obj = (entries: LEntry[], loc: SourceLocation): LNode => ({ kind: 'object', entries, loc });
  const principalNode: LNode = p.principal.type === '*' ? s(p.principal) : obj([entry(p.principal.type, s(p.principal))], p.principal.loc);
  const entries: LEntry[] = [];
  if (p.sid) entries.push(entry('Sid', s({ value: p.sid, loc: p.loc })));
  entries.push(entry('Effect', s({ value: 'Allow', loc: p.loc })), entry('Principal', principalNode), entry('Action', s(p.action)), entry('Resource', s(p.resource)));
  const ops = new Map<string, LEntry[]>();
  for (const [op, key, t] of p.conditions) {
    if (t && t.value !== '') ops.set(op, [...(ops.get(op) ?? []), entry(key, s(t), t.loc)]);
  }
  if (ops.size) entries.push(entry('Condition', obj([...ops].map(([op, es]) => entry(op, obj(es, es[0].keyLoc), es[0].keyLoc)), p.loc), p.loc));
  const stmt = obj(entries, p.loc);
  return obj([entry('Version', s({ value: '2012-10-17', loc: p.loc })), entry('Statement', { kind: 'array', items: [stmt], loc: p.loc }, p.loc)], p.loc);
}

/**
 * API Gateway resource policies write `execute-api:/stage/METHOD/path` for "this API"; API Gateway expands it to
 * the API's ARN. Expanded here too (`apiArn` = `arn:<partition>:execute-api:<region>:<account>:<api-id>`), so the
 * grammar check and comparisons with ARNs written out see the same resource.
 */
export function expandExecuteApi(policy: LNode, apiArn: string): LNode {
  const fix = (n: LNode): LNode => {
    if (n.kind === 'string') return n.value.startsWith('execute-api:/') ? { ...n, value: `${apiArn}${n.value.slice('execute-api:'.length)}` } : n;
    return n.kind === 'array' ? { ...n, items: n.items.map(fix) } : n;
  };
  const statement = (st: LNode): LNode => (st.kind === 'object' ? { ...st, entries: st.entries.map((e) => (e.key === 'Resource' || e.key === 'NotResource' ? { ...e, value: fix(e.value) } : e)) } : st);
  if (policy.kind !== 'object') return policy;
  return {
    ...policy,
    entries: policy.entries.map((e) => (e.key !== 'Statement' ? e : { ...e, value: e.value.kind === 'array' ? { ...e.value, items: e.value.items.map(statement) } : statement(e.value) })),
  };
}
