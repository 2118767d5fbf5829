// Local, offline equivalents of Access Analyzer's CheckAccessNotGranted and CheckNoPublicAccess.
import { ActionSet, actionById } from '../catalog/catalog.js';
import type { NeverGrant } from '../config/types.js';
import type { ConditionClause, Finding, PrincipalEntry, SubjectRef } from '../model.js';
import { isBlanketDeny, type CompiledStatement } from './compile.js';
import { arnMatches, globContainment } from './evaluate/match.js';

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
        message: `${subject.id} is granted ${ids.join(', ')}${more}${rule.resources.length ? ` on ${resources.join(', ')}` : ''}, which never-grant forbids`,
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

/** Condition keys that AWS treats as restricting who can use a public or cross-account grant. */
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
    'aws:username',
    'aws:PrincipalServiceName',
    's3:DataAccessPointAccount',
    's3:DataAccessPointArn',
    'kms:CallerAccount',
    'lambda:FunctionArn',
  ].map((k) => k.toLowerCase()),
);

const PRIVATE_V4 = [/^10\./, /^172\.(1[6-9]|2\d|3[01])\./, /^192\.168\./, /^127\./];

function restricts(c: ConditionClause): boolean {
  const key = c.key.toLowerCase();
  const op = c.operator.toLowerCase();
  if (op.includes('not') || op.includes('ifexists') || op.startsWith('forallvalues:')) return false; // these let requests without the key through
  if (c.values.length === 0 || c.values.some((v) => v === '*')) return false;
  if (key === 'aws:sourceip') return c.values.every((v) => PRIVATE_V4.some((r) => r.test(v)) || /^f[cd]/i.test(v));
  return RESTRICTING_KEYS.has(key);
}

/**
 * CheckNoPublicAccess, locally, for bucket and trust policies: an Allow to anyone, to an account
 * outside the trusted ones, or to a web-identity provider without a condition on the token's claims,
 * that no restricting condition narrows.
 */
export function publicAccess(subject: SubjectRef, head: CompiledStatement[], trustedAccounts: string[]): Finding[] {
  const own = subject.arn?.split(':')[4];
  const trusted = new Set([...trustedAccounts, ...(own ? [own] : [])]);
  const findings: Finding[] = [];
  for (const s of head) {
    if (s.effect !== 'Allow' || (s.doc.kind !== 'bucket' && s.doc.kind !== 'trust' && s.doc.kind !== 'resource')) continue;
    const restricted = s.stmt.conditions.some(restricts);
    const exposures: string[] = [];
    if (s.notPrincipal) exposures.push('everyone except the NotPrincipal list');
    if (s.principal?.any) exposures.push('anyone ("*")');
    for (const e of s.principal?.entries ?? []) {
      const why = exposure(e, trusted, s.stmt.conditions);
      if (why) exposures.push(why);
    }
    const federatedOnly = exposures.length > 0 && exposures.every((x) => x.startsWith('any identity of'));
    if (exposures.length === 0 || (restricted && !federatedOnly)) continue;
    findings.push({
      ruleId: 'public-access',
      severity: 'critical',
      subject: subject.id,
      location: s.loc,
      message: `${subject.id}: ${s.doc.kind} policy allows ${exposures.join('; ')}${s.stmt.conditions.length ? ' (its conditions do not restrict the caller)' : ' without a condition'}`,
      evidence: { exposures, sid: s.stmt.sid },
      identity: `public-access|${subject.id}|${s.doc.file}|${exposures.join(',')}|${s.stmt.sid ?? s.stmt.index}`,
      origin: 'local',
    });
  }
  return findings;
}

function exposure(e: PrincipalEntry, trusted: Set<string>, conditions: ConditionClause[]): string | undefined {
  if (e.type === 'AWS') {
    if (e.value === '*') return 'anyone ("AWS": "*")';
    const account = /^\d{12}$/.test(e.value) ? e.value : e.value.split(':')[4];
    if (account && !trusted.has(account)) return `account ${account}, which is not in trusted-accounts`;
    return undefined;
  }
  if (e.type === 'Federated' && !e.value.startsWith('arn:') && !e.value.includes('cognito')) {
    // Web identity (OIDC) providers: without a condition on the token's subject, any identity of the provider can assume.
    const host = e.value.toLowerCase();
    const claims = conditions.filter((c) => c.key.toLowerCase().startsWith(host + ':'));
    if (!claims.some((c) => /:(sub|amr)$/i.test(c.key) && !c.values.some((v) => v === '*'))) return `any identity of ${e.value} (no condition on its sub claim)`;
  }
  if (e.type === 'Federated' && e.value.startsWith('arn:') && e.value.includes(':oidc-provider/')) {
    const host = e.value.split(':oidc-provider/')[1].toLowerCase();
    const claims = conditions.filter((c) => c.key.toLowerCase().startsWith(host + ':'));
    if (!claims.some((c) => /:sub$/i.test(c.key) && !c.values.every((v) => v === '*' || /^repo:\*/.test(v)))) return `any identity of ${host} (no condition on its sub claim)`;
  }
  return undefined;
}
