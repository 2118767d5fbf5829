// Local, offline equivalents of Access Analyzer's CheckAccessNotGranted and CheckNoPublicAccess.
import { ActionSet, actionById } from '../catalog/catalog.js';
import type { NeverGrant } from '../config/types.js';
import type { ConditionClause, Finding, PrincipalEntry, SubjectRef } from '../model.js';
import { isBlanketDeny, type CompiledStatement } from './compile.js';
import { arnContains, arnMatches, globContainment } from './evaluate/match.js';

/**
 * CheckAccessNotGranted, locally: head grants one of the forbidden actions (through any wildcard or
 * NotAction) or any access to a forbidden resource. A grant whose resource might overlap a forbidden
 * resource pattern counts: "might" is enough to stop a merge.
 */
export function accessNotGranted(subject: SubjectRef, head: CompiledStatement[], rules: NeverGrant[]): Finding[] {
  const findings: Finding[] = [];
  const denied = head.filter(isBlanketDeny).reduce((acc, d) => acc.union(d.actions), ActionSet.empty());
  for (const rule of rules) {
    if (rule.subjects?.length && !rule.subjects.some((g) => arnMatches(g, subject.id) || g === subject.id)) continue;
    const forbidden = rule.actions.length ? ActionSet.fromPatterns(rule.actions).set : ActionSet.all();
    for (const s of head) {
      if (s.effect !== 'Allow') continue;
      const hit = s.actions.intersect(forbidden).minus(denied);
      if (hit.isEmpty()) continue;
      const resources = rule.resources.length ? s.resources.filter((r) => s.notResource || rule.resources.some((fr) => mayOverlap(r, fr))) : s.resources;
      if (rule.resources.length && resources.length === 0) continue;
      const ids = hit.indices().slice(0, 20).map((i) => actionById(i).id);
      const more = hit.size() > ids.length ? ` and ${hit.size() - ids.length} more` : '';
      findings.push({
        ruleId: 'access-not-granted',
        severity: 'high',
        subject: subject.id,
        location: s.loc,
        message: `${subject.id} is granted ${ids.join(', ')}${more}${rule.resources.length ? ` on ${resources.join(', ')}` : ''}, which never-grant forbids (computed locally)`,
        evidence: { actions: hit.indices().map((i) => actionById(i).id), resources, forbidden: rule },
        identity: `access-not-granted|${subject.id}|${s.doc.file}|${[...rule.actions, ...rule.resources].join(',')}|${s.stmt.sid ?? s.stmt.index}`,
        origin: 'local',
      });
    }
  }
  return findings;
}

/** Whether two resource patterns can match a common ARN (sound: when unsure, yes). */
function mayOverlap(a: string, b: string): boolean {
  if (a === '*' || b === '*') return true;
  if (arnMatches(a, b) || arnMatches(b, a)) return true;
  return globContainment(a, b) !== false || globContainment(b, a) !== false ? true : prefixCompatible(a, b);
}

function prefixCompatible(a: string, b: string): boolean {
  const lit = (p: string) => p.split(/[*?]/)[0];
  const pa = lit(a);
  const pb = lit(b);
  return pa.startsWith(pb) || pb.startsWith(pa);
}

/**
 * Condition keys that AWS treats as restricting who can use a public or cross-account grant, when
 * they are tested for fixed values (no wildcard, no policy variable): the S3 user guide's "The meaning
 * of public" list (access-control-block-public-access.md) plus the organisation and principal keys
 * IAM Access Analyzer recognises.
 */
export const RESTRICTING_KEYS = new Set(
  [
    'aws:SourceAccount',
    'aws:SourceArn',
    'aws:SourceOwner',
    'aws:SourceOrgID',
    'aws:SourceOrgPaths',
    'aws:PrincipalOrgID',
    'aws:PrincipalOrgPaths',
    'aws:PrincipalAccount',
    'aws:PrincipalArn',
    'aws:SourceVpce',
    'aws:SourceVpc',
    'aws:SourceIp',
    'aws:userid',
    'aws:PrincipalServiceName',
    's3:DataAccessPointAccount',
    's3:DataAccessPointArn',
    's3:x-amz-server-side-encryption-aws-kms-key-id',
    'kms:CallerAccount',
  ].map((k) => k.toLowerCase()),
);

/** Keys whose values are accounts (or ARNs naming one): restricting only to trusted accounts, when any are known. */
const ACCOUNT_KEYS = new Set(['aws:sourceaccount', 'aws:principalaccount', 'aws:sourceowner', 'kms:calleraccount', 's3:dataaccesspointaccount']);
const ARN_KEYS = new Set(['aws:sourcearn', 'aws:principalarn', 's3:dataaccesspointarn']);

const PRIVATE_V4 = [/^10\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./, /^127\./];

/** A value AWS counts as fixed: no wildcard and no variable (org paths may end in "/*": they name a subtree). */
function fixedValue(key: string, v: string): boolean {
  const body = key.endsWith('orgpaths') ? v.replace(/\/\*$/, '') : key === 'aws:userid' ? v.replace(/:\*$/, '') : v;
  return body.length > 0 && !/[*?]/.test(body) && !body.includes('${');
}

function restricts(c: ConditionClause, trusted: Set<string>): boolean {
  const key = c.key.toLowerCase();
  const op = c.operator.toLowerCase();
  if (!RESTRICTING_KEYS.has(key)) return false;
  if (op.includes('not') || op.includes('ifexists') || op.startsWith('forallvalues:') || op === 'null') return false; // these let requests without the key through
  if (c.values.length === 0 || !c.values.every((v) => fixedValue(key, v))) return false;
  if (key === 'aws:sourceip') return c.values.every((v) => PRIVATE_V4.some((r) => r.test(v)) || /^f[cd]/i.test(v));
  // An account condition that names an untrusted account still lets that account in.
  if (trusted.size && ACCOUNT_KEYS.has(key)) return c.values.every((v) => trusted.has(v));
  if (trusted.size && ARN_KEYS.has(key)) return c.values.every((v) => !v.split(':')[4] || trusted.has(v.split(':')[4]));
  return true;
}

/**
 * A Deny for everyone that applies unless a restricting key matches (the data-perimeter pattern:
 * Deny * when aws:PrincipalOrgID is not o-...): the Allow it shadows is restricted too.
 */
function denyRestricts(deny: CompiledStatement, allow: CompiledStatement, trusted: Set<string>): boolean {
  if (deny.effect !== 'Deny' || deny.notPrincipal || (deny.principal && !isBlanketPrincipal(deny.principal))) return false;
  if (!allow.actions.isSubsetOf(deny.actions)) return false;
  if (deny.notResource || !allow.resources.every((r) => deny.resources.some((d) => d === '*' || arnContains(d, r)))) return false;
  if (allow.notResource && !deny.resources.includes('*')) return false;
  return deny.stmt.conditions.length > 0 && deny.stmt.conditions.every((c) => negatedRestriction(c, trusted));
}

function isBlanketPrincipal(p: NonNullable<CompiledStatement['principal']>): boolean {
  return p.any || p.entries.some((e) => e.type === 'AWS' && e.value === '*');
}

/** StringNotEquals / ArnNotLike / NotIpAddress (IfExists or not) on a restricting key: the positive form restricts. */
function negatedRestriction(c: ConditionClause, trusted: Set<string>): boolean {
  const op = c.operator.toLowerCase();
  if (op.startsWith('for')) return false;
  const positive = op.replace('ifexists', '').replace('stringnot', 'string').replace('arnnot', 'arn').replace('notipaddress', 'ipaddress');
  if (positive === op.replace('ifexists', '')) return false;
  return restricts({ ...c, operator: positive }, trusted);
}

/**
 * CheckNoPublicAccess, locally, for bucket and trust policies: an Allow to anyone, to an account
 * outside the trusted ones, or to a web-identity provider without a condition on the token's claims,
 * that no restricting condition narrows.
 */
export function publicAccess(subject: SubjectRef, head: CompiledStatement[], trustedAccounts: string[], base: CompiledStatement[] = []): Finding[] {
  const own = subject.arn?.split(':')[4];
  const trusted = new Set([...trustedAccounts, ...(own ? [own] : [])]);
  // The gate judges the change: an exposure base already had is reported apart (public-access-existing, a warning).
  const before = new Set(exposuresOf(base, trusted).flatMap((x) => x.exposures));
  const findings: Finding[] = [];
  for (const { s, exposures } of exposuresOf(head, trusted)) {
    const existing = exposures.every((e) => before.has(e));
    const ruleId = existing ? 'public-access-existing' : 'public-access';
    findings.push({
      ruleId,
      severity: existing ? 'medium' : 'critical',
      subject: subject.id,
      location: s.loc,
      message: `${subject.id}: ${s.doc.kind} policy allows ${exposures.join('; ')}${s.stmt.conditions.length ? ' (its conditions do not restrict the caller)' : ' without a condition'}${existing ? '; base already allowed it' : ''} (computed locally)`,
      evidence: { exposures, sid: s.stmt.sid },
      identity: `${ruleId}|${subject.id}|${s.doc.file}|${exposures.join(',')}|${s.stmt.sid ?? s.stmt.index}`,
      origin: 'local',
    });
  }
  return findings;
}

/** Allow statements of resource, bucket and trust policies that expose the resource, with what they expose. */
function exposuresOf(stmts: CompiledStatement[], trustedAccounts: Set<string>): Array<{ s: CompiledStatement; exposures: string[] }> {
  const out: Array<{ s: CompiledStatement; exposures: string[] }> = [];
  for (const s of stmts) {
    if (s.effect !== 'Allow' || (s.doc.kind !== 'bucket' && s.doc.kind !== 'trust' && s.doc.kind !== 'resource')) continue;
    // A resource policy statement applies only to its own resources: the account their ARNs name is the owner's.
    const owners = s.notResource ? [] : [...new Set(s.resources.map((r) => /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/.exec(r)?.[1]))];
    const trusted = owners.length === 1 && owners[0] ? new Set([...trustedAccounts, owners[0]]) : trustedAccounts;
    const restricted = s.stmt.conditions.some((c) => restricts(c, trusted)) || stmts.some((d) => d.doc === s.doc && denyRestricts(d, s, trusted));
    const exposures: string[] = [];
    if (s.notPrincipal) exposures.push('everyone except the NotPrincipal list');
    if (s.principal?.any) exposures.push('anyone ("*")');
    for (const e of s.principal?.entries ?? []) {
      if (s.principal?.any && e.type === 'AWS' && e.value === '*') continue; // said once, as anyone ("*")
      const why = exposure(e, trusted, s.stmt.conditions);
      if (why) exposures.push(why);
    }
    const federatedOnly = exposures.length > 0 && exposures.every((x) => x.startsWith('any identity of'));
    if (exposures.length === 0 || (restricted && !federatedOnly)) continue;
    out.push({ s, exposures });
  }
  return out;
}

/**
 * Whether a sub-claim value names an owner: no wildcard, or a literal start that pins a path (`repo:acme/…`,
 * `project_path:group/…`) or two fields (`organization:acme:…`). `*`, `*:*`, `repo*`, `repo:*` and `repo:a*` name
 * nobody: anyone can register a repository or an organisation that matches them.
 */
function pinsIdentity(value: string): boolean {
  const wild = value.search(/[*?]/);
  if (wild < 0) return value !== '';
  const prefix = value.slice(0, wild);
  return /[^:/]\//.test(prefix) || /^[^:]+:[^:]+:/.test(prefix);
}

function exposure(e: PrincipalEntry, trusted: Set<string>, conditions: ConditionClause[]): string | undefined {
  if (e.type === 'AWS') {
    if (e.value === '*') return 'anyone ("AWS": "*")';
    const account = /^\d{12}$/.test(e.value) ? e.value : e.value.split(':')[4];
    if (account && !trusted.has(account)) return `account ${account} (not in trusted-accounts)`;
    return undefined;
  }
  if (e.type === 'Federated' && !e.value.startsWith('arn:') && !e.value.includes('cognito')) {
    // Web identity (OIDC) providers: without a condition on the token's subject, any identity of the provider can assume.
    const host = e.value.toLowerCase();
    const claims = conditions.filter((c) => c.key.toLowerCase().startsWith(host + ':'));
    if (!claims.some((c) => /:(sub|amr)$/i.test(c.key) && c.values.every(pinsIdentity))) return `any identity of ${e.value} (no condition on its sub claim that names one)`;
  }
  if (e.type === 'Federated' && e.value.startsWith('arn:') && e.value.includes(':oidc-provider/')) {
    const host = e.value.split(':oidc-provider/')[1].toLowerCase();
    const claims = conditions.filter((c) => c.key.toLowerCase().startsWith(host + ':'));
    if (!claims.some((c) => /:sub$/i.test(c.key) && c.values.every(pinsIdentity))) return `any identity of ${host} (no condition on its sub claim that names one)`;
  }
  return undefined;
}
