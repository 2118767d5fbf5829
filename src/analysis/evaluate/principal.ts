// Principal / NotPrincipal in resource policies (reference_policies_elements_principal.md,
// reference_policies_elements_notprincipal.md).

import type { PrincipalBlock, PrincipalEntry, PrincipalType } from '../../model.js';
import type { Tri } from './conditions.js';
import { splitArn } from './match.js';

export interface RequestPrincipal {
  arn: string;
  account?: string;
  type?: PrincipalType;
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

/** NotPrincipal: applies to everyone the block does not name. */
export function matchNotPrincipal(block: PrincipalBlock, p: RequestPrincipal | undefined): PrincipalMatch {
  if (block.any) return { result: 'no-match' };
  if (!p) return { result: 'unknown' };
  return matchBlock(block, p) ? { result: 'no-match' } : { result: 'match', via: 'not-principal' };
}
