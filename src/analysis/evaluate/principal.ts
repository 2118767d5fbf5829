// Principal / NotPrincipal in resource policies (reference_policies_elements_principal.md,
// reference_policies_elements_notprincipal.md).

import type { PrincipalBlock, PrincipalEntry, PrincipalType } from '../../model.js';
import type { Tri } from './conditions.js';
import { splitArn } from './match.js';

export interface RequestPrincipal {
  arn: string;
  account?: string;
  type?: PrincipalType;
  /**
   * Whether `arn` is the caller's own ARN, which NotPrincipal needs (Principal does not). 'exact' (the default):
   * a user, root or session ARN is the caller itself, and a role ARN stands for a session of the role whose name
   * is not known (roles act only through sessions). 'unknown': `arn` only stands for the caller (a CloudTrail
   * record normalised to its account or its issuer, or not saying what kind of caller it was).
   */
  caller?: 'exact' | 'unknown';
}

/**
 * How the principal was named, which matters for combining
 * (reference_policies_evaluation-logic.md#policies_evaluation_resource-based):
 * - direct: the user ARN or the role-session ARN itself;
 * - role: the role ARN, which covers all sessions of the role;
 * - account: the account (id or :root), which delegates to the account's identity policies;
 * - wildcard: "*" or {"AWS":"*"};
 * - service / federated / canonical: the other principal types;
 * - not-principal: the statement applies because the principal is not listed in NotPrincipal.
 */
export type PrincipalVia = 'direct' | 'role' | 'account' | 'wildcard' | 'service' | 'federated' | 'canonical' | 'not-principal';

export interface PrincipalMatch {
  result: Tri;
  via?: PrincipalVia;
  /** Why it is unknown, or a match worth explaining. */
  reason?: string;
}

const RANK: Record<PrincipalVia, number> = {
  direct: 0,
  service: 0,
  federated: 0,
  canonical: 0,
  role: 1,
  wildcard: 2,
  'not-principal': 2,
  account: 3,
};

export function principalAccount(p: RequestPrincipal): string | undefined {
  if (p.account) return p.account;
  const parts = splitArn(p.arn);
  return parts && /^\d{12}$/.test(parts[4]) ? parts[4] : undefined;
}

function inferType(p: RequestPrincipal): PrincipalType {
  if (p.type) return p.type;
  if (p.arn.startsWith('arn:')) return 'AWS';
  if (p.arn.endsWith('.amazonaws.com') || p.arn.endsWith('.amazonaws.com.cn')) return 'Service';
  return 'AWS';
}

const ROOT_ARN = /^arn:[a-z-]+:iam::(\d{12}):root$/;
const ROLE_ARN = /^arn:([a-z-]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const SESSION_ARN = /^arn:([a-z-]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;
const USER_ARN = /^arn:[a-z-]+:iam::\d{12}:user\//;

function matchEntry(e: PrincipalEntry, p: RequestPrincipal, type: PrincipalType): PrincipalVia | undefined {
  const value = e.value.trim();
  if (e.type === 'AWS') {
    if (value === '*') return 'wildcard';
    if (type !== 'AWS') return undefined;
    const account = /^\d{12}$/.test(value) ? value : ROOT_ARN.exec(value)?.[1];
    if (account !== undefined) return principalAccount(p) === account ? 'account' : undefined;
    if (value === p.arn) return ROLE_ARN.test(value) ? 'role' : 'direct';
    // A role principal covers every session of the role; the session ARN drops the role's path.
    const role = ROLE_ARN.exec(value);
    const session = role && SESSION_ARN.exec(p.arn);
    if (role && session && role[1] === session[1] && role[2] === session[2] && role[3] === session[3]) return 'role';
    return undefined;
  }
  if (e.type !== type) return undefined;
  if (e.type === 'Service') return value.toLowerCase() === p.arn.toLowerCase() ? 'service' : undefined;
  if (e.type === 'Federated') return value === p.arn ? 'federated' : undefined;
  return value === p.arn ? 'canonical' : undefined;
}

function matchBlock(block: PrincipalBlock, p: RequestPrincipal): PrincipalVia | undefined {
  if (block.any) return 'wildcard';
  const type = inferType(p);
  let best: PrincipalVia | undefined;
  for (const e of block.entries) {
    const via = matchEntry(e, p, type);
    if (via && (best === undefined || RANK[via] < RANK[best])) best = via;
  }
  return best;
}

/** Principal: applies when an entry names the caller. Unknown caller: unknown, unless "*". */
export function matchPrincipal(block: PrincipalBlock, p: RequestPrincipal | undefined): PrincipalMatch {
  if (block.any) return { result: 'match', via: 'wildcard' };
  if (!p) return { result: 'unknown' };
  const via = matchBlock(block, p);
  return via ? { result: 'match', via } : { result: 'no-match' };
}

/** Whether the caller has a permissions boundary: true, false, or 'unknown'. */
export type BoundaryState = boolean | 'unknown';

function accountOfEntry(value: string): string | undefined {
  return /^\d{12}$/.test(value) ? value : ROOT_ARN.exec(value)?.[1];
}

/**
 * NotPrincipal: applies to everyone the block does not name, as AWS matches it
 * (reference_policies_elements_notprincipal.md, "Key points" and the role example):
 * - only the caller's own ARN exempts it: a role ARN does not exempt the role's sessions (the caller of
 *   every call a role makes is its `assumed-role/<role>/<session>` ARN, no wildcard), and an account
 *   exempts only its root user, not its users and roles;
 * - AWS may check the account first, then the role, then the session: a caller named without its account
 *   (and a session without its role) may still be denied, so that is unknown;
 * - with `"Effect": "Deny"` it always denies an IAM user or role that has a permissions boundary, whatever
 *   it names (`bounded`; access_policies_boundaries.md).
 * A role ARN as the caller is a session of the role with an unknown name: exempt by no entry (unknown
 * when the block names a session of that role).
 */
export function matchNotPrincipal(block: PrincipalBlock, p: RequestPrincipal | undefined, deny = true, bounded: BoundaryState = false): PrincipalMatch {
  if (block.any) return { result: 'no-match' };
  if (!p) return { result: 'unknown' };
  const applies: PrincipalMatch = { result: 'match', via: 'not-principal' };
  const type = inferType(p);
  if (block.entries.some((e) => e.type === 'AWS' && e.value.trim() === '*')) return { result: 'no-match' };
  if (type !== 'AWS') return matchBlock(block, p) ? { result: 'no-match' } : applies;
  const aws = block.entries.filter((e) => e.type === 'AWS').map((e) => e.value.trim());
  const account = principalAccount(p);
  if (p.caller === 'unknown') {
    // Some principal the ARN stands for: undecided when the block names anything of its account.
    const near = aws.some((v) => {
      const a = accountOfEntry(v) ?? (splitArn(v)?.[4] || undefined);
      return a === undefined || account === undefined || a === account;
    });
    return near ? { result: 'unknown', reason: `whether the caller behind ${p.arn} is one NotPrincipal names is not known` } : applies;
  }
  const accountListed = account !== undefined && aws.some((v) => accountOfEntry(v) === account);
  if (ROOT_ARN.test(p.arn)) return accountListed ? { result: 'no-match' } : applies;
  const role = ROLE_ARN.exec(p.arn);
  const session = SESSION_ARN.exec(p.arn);
  const sameRole = (v: string, r: RegExpExecArray) => {
    const x = ROLE_ARN.exec(v);
    return !!x && x[1] === r[1] && x[2] === r[2] && x[3] === r[3];
  };
  if (role) {
    // A session of this role, name unknown: exempt by no entry; a named session of the role makes it unknown.
    const named = aws.some((v) => {
      const s = SESSION_ARN.exec(v);
      return !!s && s[1] === role[1] && s[2] === role[2] && s[3] === role[3];
    });
    return named ? { result: 'unknown', reason: `NotPrincipal names a session of ${p.arn}; which session made the call is not known` } : applies;
  }
  if (!aws.includes(p.arn)) return applies;
  const missing: string[] = [];
  if (!accountListed) missing.push('its account');
  if (session && !aws.some((v) => sameRole(v, session))) missing.push('its role');
  if (missing.length) return { result: 'unknown', reason: `NotPrincipal names ${p.arn} but not ${missing.join(' or ')}, which AWS may check first` };
  // Only IAM users and roles (their sessions) have permissions boundaries.
  if (!session && !USER_ARN.test(p.arn)) bounded = false;
  if (deny && bounded === true) return { ...applies, reason: 'a Deny with NotPrincipal denies every IAM user or role with a permissions boundary, whatever NotPrincipal names' };
  if (deny && bounded === 'unknown') return { result: 'unknown', reason: 'whether the caller has a permissions boundary (a Deny with NotPrincipal denies every caller with one) is not known' };
  return { result: 'no-match' };
}
