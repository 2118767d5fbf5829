// Resource and principal containment for the new-access engine. Every "covers" answer must hold for
// every request: true only when proven under the evaluator's matching (evaluate/match.ts, principal.ts).

import type { PrincipalBlock, PrincipalEntry } from '../model.js';
import { arnContains, splitArn } from './evaluate/match.js';
import { hasVariables } from './evaluate/variables.js';

// ---------- resources ----------

/** What a statement's resource part admits: one pattern, or everything except some patterns. */
export type ResourceScope = { kind: 'in'; pattern: string } | { kind: 'not-in'; patterns: string[] };

/**
 * A pattern with policy variables as the widest pattern it can become: each `${...}` turned into `*`.
 * A substituted value is always literal (wildcards in it are escaped), so this contains every instance.
 */
export function widenVariables(pattern: string): string {
  return hasVariables(pattern) ? pattern.replace(/\$\{[^}]*\}/g, '*') : pattern;
}

/**
 * Does `outer` admit every resource `inner` admits? `sameVariables`: both come from documents whose
 * variables mean the same (same version), so identical text with variables is identical.
 */
export function resourceCovers(outer: ResourceScope, inner: ResourceScope, sameVariables: boolean): boolean {
  if (outer.kind === 'in') {
    if (outer.pattern === '*') return true;
    if (inner.kind === 'not-in') return false;
    if (hasVariables(outer.pattern)) return sameVariables && outer.pattern === inner.pattern;
    return contains(outer.pattern, widenVariables(inner.pattern));
  }
  // outer = everything but O. inner "in P": P must miss every O. inner "not in I": each O inside some I.
  if (outer.patterns.some(hasVariables)) {
    return sameVariables && inner.kind === 'not-in' && outer.patterns.every((o) => inner.patterns.includes(o));
  }
  if (inner.kind === 'in') return outer.patterns.every((o) => resourcesDisjoint(o, widenVariables(inner.pattern)));
  return outer.patterns.every((o) => inner.patterns.some((i) => !hasVariables(i) && contains(i, o)));
}

// Containment answers by pattern pair: the same patterns recur across statements, subjects and files.
const containsCache = new Map<string, boolean>();
function contains(outer: string, inner: string): boolean {
  if (outer === inner) return true;
  const key = `${outer}\u0000${inner}`;
  let hit = containsCache.get(key);
  if (hit === undefined) {
    if (containsCache.size > 50_000) containsCache.clear();
    hit = arnContains(outer, inner);
    containsCache.set(key, hit);
  }
  return hit;
}

/** Can some resource be admitted by both? Sound: true unless provably not. */
export function resourcesMayOverlap(a: ResourceScope, b: ResourceScope): boolean {
  if (a.kind === 'in' && b.kind === 'in') return !resourcesDisjoint(widenVariables(a.pattern), widenVariables(b.pattern));
  return true;
}

function literalPrefix(p: string): string {
  const i = p.search(/[*?]/);
  return i < 0 ? p : p.slice(0, i);
}

function literalSuffix(p: string): string {
  const i = Math.max(p.lastIndexOf('*'), p.lastIndexOf('?'));
  return i < 0 ? p : p.slice(i + 1);
}

/**
 * Provably no common string: the literal text before the first wildcard (or after the last) differs.
 * Applied to the whole pattern (an ARN match is also a whole-string glob match) and, for ARNs, to
 * each of the five leading parts, where wildcards cannot cross ':'.
 */
export function resourcesDisjoint(a: string, b: string): boolean {
  if (globsDisjoint(a, b)) return true;
  const sa = splitArn(a);
  const sb = splitArn(b);
  if (!sa || !sb) return false;
  for (let i = 0; i < 5; i++) if (globsDisjoint(sa[i], sb[i])) return true;
  return false;
}

function globsDisjoint(a: string, b: string): boolean {
  const [pa, pb] = [literalPrefix(a), literalPrefix(b)];
  if (!pa.startsWith(pb) && !pb.startsWith(pa)) return true;
  const [xa, xb] = [literalSuffix(a), literalSuffix(b)];
  if (!xa.endsWith(xb) && !xb.endsWith(xa)) return true;
  const wild = (p: string) => /[*?]/.test(p);
  return !wild(a) && !wild(b) && a !== b;
}

// ---------- principals ----------

/**
 * Who a head grant reaches. `entry` undefined with `any` false: an identity statement (the subject
 * itself). `except`: a NotPrincipal statement (everyone but those).
 */
export interface PrincipalScope {
  any: boolean;
  entry?: PrincipalEntry;
  except?: PrincipalEntry[];
  label?: string;
}

const ACCOUNT = /^\d{12}$/;
const ROOT = /^arn:[a-z-]+:iam::(\d{12}):root$/;

/** The account an AWS principal entry stands for when it is an account (id or :root), else undefined. */
function accountEntry(value: string): string | undefined {
  return ACCOUNT.test(value) ? value : ROOT.exec(value)?.[1];
}

function accountOf(value: string): string | undefined {
  return accountEntry(value) ?? (splitArn(value)?.[4] || undefined);
}

/**
 * How an account principal (id or `:root`) covers a role, user, session or federated user of that
 * account. A statement that only decides whether it applies to the caller (a Deny) matches every
 * caller of the account: `match`. An Allow naming an account delegates to the account's
 * administrators: its identities still need identity-policy permission. Across accounts that is
 * all naming one of its roles gives too, so the account covers it; within the resource's own account
 * a resource policy (or trust policy) naming a role or user grants it directly, without any identity
 * policy, while naming the account grants nothing until an identity policy does (IAM User Guide,
 * Principal element and permissions boundaries). So an Allow's account covers a principal of that
 * account only when the resource is known to be in another account: `resourceAccounts` are the
 * accounts the resource is known to be in (none: unknown, so not covered).
 */
export type CoverContext = { match: true } | { match?: false; resourceAccounts?: readonly string[] };

/** Does base entry `outer` match every caller that head entry `inner` matches? */
function entryCovers(outer: PrincipalEntry, inner: PrincipalEntry, ctx: CoverContext): boolean {
  const ov = outer.value.trim();
  const iv = inner.value.trim();
  if (outer.type === 'AWS' && ov === '*') return true;
  if (inner.type === 'AWS' && iv === '*') return false;
  if (outer.type !== inner.type) return false;
  if (outer.type === 'Service') return ov.toLowerCase() === iv.toLowerCase();
  if (outer.type !== 'AWS') return ov === iv;
  if (ov === iv) return true;
  // An account covers the same account however written (id or :root); its principals as above.
  const acct = accountEntry(ov);
  if (acct === undefined || accountOf(iv) !== acct) return false;
  if (accountEntry(iv) !== undefined || ctx.match) return true;
  const where = ctx.resourceAccounts ?? [];
  return where.length > 0 && !where.includes(acct);
}

/**
 * The head entry is a principal (role, user, session) of an account that a base entry names only as
 * the account, and the resource is in that account or in no known account: what `match` would cover
 * and an Allow does not. Returns the principal's kind and account, for the reason shown.
 */
export function accountOnlyCover(principal: PrincipalBlock | undefined, head: PrincipalScope, ctx: CoverContext): { what: string; account: string } | undefined {
  if (!principal || isAnyone(principal) || !head.entry || head.entry.type !== 'AWS') return undefined;
  const e = head.entry;
  if (principal.entries.some((b) => entryCovers(b, e, ctx))) return undefined;
  if (!principal.entries.some((b) => entryCovers(b, e, { match: true }))) return undefined;
  const iv = e.value.trim();
  const account = accountOf(iv)!;
  const kind = splitArn(iv)?.[5]?.split('/')[0]?.toLowerCase() ?? '';
  const what = { role: 'role', user: 'user', 'assumed-role': 'role session', 'federated-user': 'federated user' }[kind] ?? 'principal';
  return { what, account };
}

/**
 * Does NotPrincipal entry `outer` leave out every caller `inner` leaves out? Only the same entry (an account
 * id and its `:root` ARN are the same) or "*": leaving out is by exact name, never by account or role.
 */
function sameNotPrincipalEntry(outer: PrincipalEntry, inner: PrincipalEntry): boolean {
  const ov = outer.value.trim();
  const iv = inner.value.trim();
  if (outer.type === 'AWS' && ov === '*') return true;
  if (outer.type !== inner.type) return false;
  if (outer.type === 'Service') return ov.toLowerCase() === iv.toLowerCase();
  if (ov === iv) return true;
  const acct = outer.type === 'AWS' ? accountEntry(ov) : undefined;
  return acct !== undefined && accountEntry(iv) === acct;
}

const ROLE_ENTRY = /^arn:([a-z-]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const SESSION_ENTRY = /^arn:([a-z-]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/**
 * A role ARN in a NotPrincipal that names no session of the role leaves no caller out: every call a role makes
 * is made by one of its sessions, which only its own ARN leaves out (the role is only checked beside it).
 */
function idleRoleEntry(e: PrincipalEntry, all: PrincipalEntry[]): boolean {
  const r = e.type === 'AWS' ? ROLE_ENTRY.exec(e.value.trim()) : null;
  if (!r) return false;
  return !all.some((x) => {
    const m = x.type === 'AWS' ? SESSION_ENTRY.exec(x.value.trim()) : null;
    return !!m && m[1] === r[1] && m[2] === r[2] && m[3] === r[3];
  });
}

/** Could one caller match both entries? Sound: true unless provably not. */
function entriesMayOverlap(a: PrincipalEntry, b: PrincipalEntry): boolean {
  if ((a.type === 'AWS' && a.value.trim() === '*') || (b.type === 'AWS' && b.value.trim() === '*')) return true;
  if (a.type !== b.type) return false;
  if (a.type !== 'AWS') return a.value.trim().toLowerCase() === b.value.trim().toLowerCase();
  const [x, y] = [accountOf(a.value.trim()), accountOf(b.value.trim())];
  return x === undefined || y === undefined || x === y;
}

const isAnyone = (block: PrincipalBlock) => block.any || block.entries.some((e) => e.type === 'AWS' && e.value.trim() === '*');

/**
 * Does a base statement's Principal/NotPrincipal reach every caller of the head grant? `ctx`: see
 * CoverContext; without it, an Allow on a resource in no known account (an account covers none of
 * its own principals).
 */
export function principalCovers(principal: PrincipalBlock | undefined, notPrincipal: PrincipalBlock | undefined, head: PrincipalScope, ctx: CoverContext = {}): boolean {
  const identity = !head.any && !head.entry && !head.except;
  if (identity) return !principal && !notPrincipal;
  if (principal) {
    if (isAnyone(principal)) return true;
    if (head.any || head.except || !head.entry) return false;
    return principal.entries.some((e) => entryCovers(e, head.entry!, ctx));
  }
  if (notPrincipal) {
    if (notPrincipal.any) return false;
    // Everyone but N covers the head's callers when none of them can be in N. A NotPrincipal leaves out
    // only the callers it names themselves (an account only its root, a role none of its sessions:
    // evaluate/principal.ts matchNotPrincipal), so everyone but N covers everyone but H only when H
    // names every entry of N that can leave someone out (a role ARN does only beside a session of it).
    if (head.any || head.except) {
      const n = notPrincipal.entries;
      return !!head.except && n.every((e) => idleRoleEntry(e, n) || head.except!.some((x) => sameNotPrincipalEntry(x, e)));
    }
    return !!head.entry && notPrincipal.entries.every((n) => !entriesMayOverlap(n, head.entry!));
  }
  return false;
}

/** Could a statement with this Principal/NotPrincipal apply to some caller of the head grant? */
export function principalMayOverlap(principal: PrincipalBlock | undefined, notPrincipal: PrincipalBlock | undefined, head: PrincipalScope): boolean {
  const identity = !head.any && !head.entry && !head.except;
  if (identity) return !principal && !notPrincipal;
  if (!principal && !notPrincipal) return false; // a resource-policy statement without Principal names nobody
  if (principal) {
    if (isAnyone(principal) || head.any || head.except || !head.entry) return true;
    return principal.entries.some((e) => entriesMayOverlap(e, head.entry!));
  }
  return !notPrincipal!.any;
}

/** The callers a head statement grants to, one scope per entry. */
export function principalScopes(principal: PrincipalBlock | undefined, notPrincipal: PrincipalBlock | undefined): PrincipalScope[] {
  if (notPrincipal) return [{ any: false, except: notPrincipal.entries, label: `everyone except ${notPrincipal.entries.map(principalLabel).join(', ')}` }];
  if (!principal) return [{ any: false }];
  if (isAnyone(principal)) return [{ any: true, label: '*' }];
  return principal.entries.map((entry) => ({ any: false, entry, label: principalLabel(entry) }));
}

export function principalLabel(e: PrincipalEntry): string {
  return `${e.type}:${e.value}`;
}
