import { inertActions } from './applicable.js';
import { ActionSet, actionById, allActionCount } from '../catalog/catalog.js';
import type { NewAccessItem, PolicyDocument, SubjectRef } from '../model.js';
import { compileDocuments, renderConditions, type CompiledStatement } from './compile.js';
import { parseOperator } from './evaluate/conditions.js';
import { RCP_SERVICES } from './evaluate/rcp-services.js';
import { hasWildcard } from './evaluate/glob.js';
import { actionMatches, arnMatches, globContains, splitArn } from './evaluate/match.js';
import { hasVariables } from './evaluate/variables.js';
import { conditionsImply } from './new-access-conditions.js';
import {
  accountOnlyCover,
  principalCovers,
  principalMayOverlap,
  principalScopes,
  resourceCovers,
  resourcesMayOverlap,
  widenVariables,
  type CoverContext,
  type PrincipalScope,
  type ResourceScope,
} from './new-access-scope.js';

/**
 * Upper bound on the comparisons one subject may cost: (head grants × their resources × their
 * principals) × (base and head statements compared with each). Beyond it the subject is undecided
 * and every head grant is reported as possibly new: the run never hangs and never passes on it.
 */
export const MAX_COMPARISONS = 250_000;
/** Wall-clock bound per subject, for patterns whose containment is costly (each test has its own budget too). */
export const MAX_MILLISECONDS = 2_000;

/** Context that can only narrow, compiled: one level each (the files of a level are alternatives). */
export interface CompiledGuards {
  scps: CompiledStatement[];
  rcps: CompiledStatement[];
  boundary: CompiledStatement[];
}

/**
 * Guard documents by kind; every file of a kind is taken as one level (the widest reading). RCPs
 * always carry the implicit RCPFullAWSAccess (Allow * on *, it cannot be detached), and an SCP level
 * without any Allow statement is read as also holding FullAWSAccess (the SCP AWS attaches by default,
 * usually kept outside the repository): see guardDenied.
 */
export function compileGuards(docs: PolicyDocument[]): CompiledGuards {
  const of = (kind: PolicyDocument['kind']) => compileDocuments(docs.filter((d) => d.kind === kind));
  return { scps: of('scp'), rcps: of('rcp'), boundary: of('boundary') };
}

export interface NewAccessResult {
  items: NewAccessItem[];
  /** What the guards removed, and whether the bound was hit. */
  notes: string[];
}

/** What head allows that base does not (see compareAccess). */
export function newAccess(base: CompiledStatement[], head: CompiledStatement[], guards?: CompiledGuards): NewAccessItem[] {
  return compareAccess(base, head, { guards }).items;
}

/** One head grant: a head Allow statement restricted to one of its resources and one of its principals. */
interface Grant {
  stmt: CompiledStatement;
  resource: ResourceScope;
  principal: PrincipalScope;
  /** Where the resource is, for whether a base Allow naming an account covers the grant's principal (CoverContext). */
  where: CoverContext;
}

/**
 * What head allows that base does not, symbolically. For every head grant and action:
 * - gone when a head Deny (or a guard) covers the whole grant, or no guard allow-list can allow it;
 * - covered when one base Allow covers it: its actions contain the action, its resource and
 *   principal contain the grant's, and the head conditions imply the base conditions, and no base
 *   Deny that head dropped could take part of it away;
 * - otherwise reported: "new", or "possibly new" when a base statement might cover it but
 *   containment could not be decided (conditions on other keys or operators, variables, a union of
 *   several base statements).
 * Covered is only ever said when proven; everything else is reported.
 */
export function compareAccess(
  base: CompiledStatement[],
  head: CompiledStatement[],
  opts: {
    guards?: CompiledGuards;
    /**
     * Head's version of the guards. When given, an action is left out of new access only when both
     * `guards` (base's version) and these deny it: after merge head's version applies, and a change
     * must not hide its new access behind a guard it adds or widens either.
     */
    headGuards?: CompiledGuards;
    maxComparisons?: number;
    maxMilliseconds?: number;
    /**
     * The subject the documents belong to: a trust policy is in its role's account, a resource policy
     * bound to a resource ARN with an account is in that account. Without it (or for an S3 bucket,
     * whose ARN has no account) only a statement's own Resource can tell the account.
     */
    subject?: SubjectRef;
  } = {},
): NewAccessResult {
  const baseAllows = base.filter((s) => s.effect === 'Allow');
  const baseDenies = base.filter((s) => s.effect === 'Deny');
  const headAllows = head.filter((s) => s.effect === 'Allow');
  const headDenies = head.filter((s) => s.effect === 'Deny');
  const guardVersions = opts.headGuards ? [opts.guards ?? noGuards, opts.headGuards] : opts.guards ? [opts.guards] : [];
  const guardSize = (g: CompiledGuards) => g.scps.length + g.rcps.length + g.boundary.length;
  // A version with no guard at all denies nothing: then nothing is left out.
  const guards = guardVersions.length && guardVersions.every((g) => guardSize(g) > 0) ? guardVersions : undefined;
  const guardCount = guardVersions.reduce((n, g) => n + guardSize(g), 0);
  // Base's guards, when head's differ (and base had any): what they denied may be let through by the change.
  const baseGuard = opts.headGuards && guardSize(opts.guards ?? noGuards) > 0 ? (opts.guards ?? noGuards) : undefined;

  const grants = headAllows.flatMap((stmt) => grantsOf(stmt, opts.subject));
  // Uncatalogued action names are compared by text, per grant, against base and head (unknownActionItems).
  const unknownNames = new Set([...base, ...head].flatMap((s) => s.unknownActions.map((a) => a.toLowerCase()))).size;
  const cost =
    grants.length * (base.length + headDenies.length + guardCount + baseDenies.length * headDenies.length) +
    unknownNames * grants.length * (base.length + headDenies.length * (1 + baseDenies.length));
  const bound = opts.maxComparisons ?? MAX_COMPARISONS;
  const undecided = (why: string): NewAccessResult => {
    const text = `undecided, treated as new access: ${why}`;
    return { items: headAllows.map((s) => undecidedItem(s, text)), notes: [text] };
  };
  if (cost > bound) return undecided(`comparing would take ${cost} statement comparisons, over the bound of ${bound}`);
  const deadline = Date.now() + (opts.maxMilliseconds ?? MAX_MILLISECONDS);

  const items: NewAccessItem[] = [];
  const notes: string[] = [];
  if (guards && guards.some((v) => v.scps.length > 0 && !v.scps.some((x) => x.effect === 'Allow')) && grants.some((g) => ownGrant(g))) {
    notes.push('the SCP files of the context hold no Allow statement: read as also holding FullAWSAccess (Allow * on *), the SCP AWS attaches by default, so only their Deny statements narrow new access');
  }
  for (const g of grants) {
    if (Date.now() > deadline) return undecided(`comparing took longer than ${opts.maxMilliseconds ?? MAX_MILLISECONDS} ms`);
    const c = g.stmt;
    const denied = coveringDenies(headDenies, g);
    let live = isEmptySet(denied) ? c.actions : c.actions.minus(denied);
    // Actions the grant's resource cannot name (s3:GetObject on a bucket ARN) grant nothing there (applicable.ts).
    if (g.resource.kind === 'in') live = live.minus(inertActions(live, g.resource.pattern));
    if (isEmptySet(live)) continue;
    if (guards) {
      let blocked = live;
      for (const v of guards) blocked = blocked.intersect(guardDenied(v, g));
      if (!blocked.isEmpty()) {
        live = live.minus(blocked);
        notes.push(`${c.doc.file}:${c.loc.line}: ${blocked.size()} action(s) on ${describe(g.resource)} are not counted as new: the SCP/RCP/permissions-boundary context denies them (${compressActions(blocked).slice(0, 5).join(', ')})`);
      }
      if (live.isEmpty()) continue;
    }
    // A guard the change removes or widens: what base's guards denied and head's do not is new access whatever
    // base's own statements grant (an AdministratorAccess role losing its permissions boundary).
    const unblocked = baseGuard ? unblockedActions(baseGuard, opts.headGuards!, g, live) : undefined;
    if (unblocked && !unblocked.isEmpty()) {
      live = live.minus(unblocked);
      const certainty = guardSize(opts.headGuards!) === 0 ? 'new' : 'possibly-new';
      items.push(makeItem(g, unblocked, certainty, `base's permissions boundary, SCP or RCP denied it and ${guardSize(opts.headGuards!) === 0 ? 'the change removes that guard' : "head's version of the guard no longer denies it for every request"}`));
      if (live.isEmpty()) continue;
    }
    // A guard statement removed or changed that denied part of the grant (a resource or a condition), or an allow-list
    // widened: what it let through cannot be told exactly, so it is possibly new, whatever base's statements grant.
    if (opts.headGuards) {
      const touched = guardChangeTouches(opts.guards ?? noGuards, opts.headGuards, g).intersect(live);
      if (!touched.isEmpty()) {
        live = live.minus(touched);
        items.push(makeItem(g, touched, 'possibly-new', "a permissions boundary, SCP or RCP statement that restricted it in base is removed or changed in head (by resource, condition or allow-list): what head's guards let through is not compared exactly"));
        if (live.isEmpty()) continue;
      }
    }
    items.push(...compareGrant(g, live, baseAllows, baseDenies, headDenies));
  }
  const unknown = unknownActionItems(base, head, deadline, opts.subject);
  if (!unknown) return undecided(`comparing took longer than ${opts.maxMilliseconds ?? MAX_MILLISECONDS} ms`);
  items.push(...unknown);
  return { items: dedupe(items), notes };
}

function grantsOf(stmt: CompiledStatement, subject?: SubjectRef): Grant[] {
  const resources: ResourceScope[] = stmt.notResource ? [{ kind: 'not-in', patterns: stmt.resources }] : stmt.resources.map((pattern) => ({ kind: 'in', pattern }));
  const principals = principalScopes(stmt.principal, stmt.notPrincipal);
  return resources.flatMap((resource) => {
    const where: CoverContext = { resourceAccounts: resourceAccounts(stmt, resource, subject) };
    return principals.map((principal) => ({ stmt, resource, principal, where }));
  });
}

const ACCOUNT_ID = /^\d{12}$/;

/** The account in an ARN (a literal 12-digit account part), else undefined. */
function arnAccount(arn: string | undefined): string | undefined {
  const parts = arn ? splitArn(arn) : undefined;
  return parts && parts[0] === 'arn' && ACCOUNT_ID.test(parts[4]) ? parts[4] : undefined;
}

/**
 * The accounts the resource a grant is on is known to be in: the account of a Resource ARN that
 * names one (a resource policy statement applies only to its own resource), and the subject's
 * account when the document is the subject's own (a role's trust policy; a resource policy bound
 * to that resource's ARN). Empty: unknown (S3 bucket ARNs name no account).
 */
function resourceAccounts(stmt: CompiledStatement, resource: ResourceScope, subject?: SubjectRef): string[] {
  const out = new Set<string>();
  const fromResource = resource.kind === 'in' ? arnAccount(resource.pattern) : undefined;
  if (fromResource) out.add(fromResource);
  const service = subject?.arn ? splitArn(subject.arn)?.[2] : undefined;
  const own =
    stmt.doc.kind === 'trust'
      ? service === 'iam'
      : (stmt.doc.kind === 'bucket' || stmt.doc.kind === 'resource') && !!service && service !== 'iam' && service !== 'sts';
  const fromSubject = own ? arnAccount(subject?.arn) : undefined;
  if (fromSubject) out.add(fromSubject);
  return [...out];
}

function scopesOf(s: CompiledStatement): ResourceScope[] {
  return s.notResource ? [{ kind: 'not-in', patterns: s.resources }] : s.resources.map((pattern) => ({ kind: 'in', pattern }));
}

// ---------- fast action-set tests ----------
// ActionSet tests walk every word of the catalogue bitset; most statements name a few services, so a
// sparse copy (the non-empty 32-action words, in order) answers "do these meet?" in a few steps.
interface Sparse {
  at: Int32Array;
  bits: Uint32Array;
}
const sparseCache = new WeakMap<ActionSet, Sparse>();
function sparse(set: ActionSet): Sparse {
  let sp = sparseCache.get(set);
  if (!sp) {
    const at: number[] = [];
    const bits: number[] = [];
    for (const i of set.indices()) {
      const w = i >>> 5;
      if (at[at.length - 1] !== w) {
        at.push(w);
        bits.push(0);
      }
      bits[bits.length - 1] |= 1 << (i & 31);
    }
    sp = { at: Int32Array.from(at), bits: Uint32Array.from(bits.map((b) => b >>> 0)) };
    sparseCache.set(set, sp);
  }
  return sp;
}

/** a ∩ b ≠ ∅, by a merge over the sparse words. The sparse copy is cached: never pass a set mutated later. */
function meets(a: ActionSet, b: ActionSet): boolean {
  const x = sparse(a);
  const y = sparse(b);
  let i = 0;
  let j = 0;
  while (i < x.at.length && j < y.at.length) {
    if (x.at[i] < y.at[j]) i++;
    else if (x.at[i] > y.at[j]) j++;
    else if (x.bits[i++] & y.bits[j++]) return true;
  }
  return false;
}

function isEmptySet(a: ActionSet): boolean {
  return sparse(a).at.length === 0;
}

/** a ⊆ b, by the sparse words. */
function within(a: ActionSet, b: ActionSet): boolean {
  const x = sparse(a);
  const y = sparse(b);
  let j = 0;
  for (let i = 0; i < x.at.length; i++) {
    while (j < y.at.length && y.at[j] < x.at[i]) j++;
    if (j === y.at.length || y.at[j] !== x.at[i] || (x.bits[i] & ~y.bits[j]) !== 0) return false;
  }
  return true;
}

/** Policy variables mean the same on both sides only under the same policy version. */
const sameVariables = (a: CompiledStatement, b: CompiledStatement) => a.doc.version === b.doc.version;

/**
 * A statement whose Resource or NotResource uses a variable does not apply at all when the request
 * lacks the key (reference_policies_variables.md): it covers another statement only when that one
 * can only apply with those keys present.
 */
function keysSatisfied(cover: CompiledStatement, inner: CompiledStatement): boolean {
  const needed = resourceVariableKeys(cover);
  if (!needed.length) return true;
  const present = presentKeys(inner);
  return needed.every((k) => present.has(k));
}

const variableKeyCache = new WeakMap<CompiledStatement, string[]>();
function resourceVariableKeys(s: CompiledStatement): string[] {
  let keys = variableKeyCache.get(s);
  if (!keys) {
    keys = s.doc.version === '2012-10-17' ? s.resources.flatMap(variableKeysOf) : [];
    variableKeyCache.set(s, keys);
  }
  return keys;
}

function variableKeysOf(text: string): string[] {
  return [...text.matchAll(/\$\{\s*([^},\s]+)\s*\}/g)].map((m) => m[1].toLowerCase()).filter((k) => k !== '*' && k !== '?' && k !== '$');
}

/** Keys every request the statement applies to carries: its resource variables, its positive condition keys. */
function presentKeys(s: CompiledStatement): Set<string> {
  const keys = new Set(resourceVariableKeys(s));
  for (const c of s.stmt.conditions) {
    const op = parseOperator(c.operator);
    if (!op) continue;
    const absentMatches = op.family === 'null' ? c.values.some((v) => v.trim().toLowerCase() !== 'false') : op.ifExists || op.set === 'all' || (op.set === undefined && op.negated);
    if (!absentMatches) keys.add(c.key.toLowerCase());
  }
  return keys;
}

/**
 * How statement `s` is matched against the grant's principal: a Deny applies to every caller it
 * matches (an account matches its own principals); an Allow as a grant (see CoverContext).
 */
const coverContext = (s: CompiledStatement, g: Grant): CoverContext => (s.effect === 'Deny' ? { match: true } : g.where);

/** Does statement `s` apply to every request of the grant (for the actions it names)? */
function statementCovers(s: CompiledStatement, g: Grant): boolean {
  const same = sameVariables(s, g.stmt);
  return (
    keysSatisfied(s, g.stmt) &&
    scopesOf(s).some((r) => resourceCovers(r, g.resource, same)) &&
    principalCovers(s.principal, s.notPrincipal, g.principal, coverContext(s, g)) &&
    conditionsImply(g.stmt.stmt.conditions, s.stmt.conditions, same) === true
  );
}

/** Could statement `s` apply to some request of the grant? */
function statementMayOverlap(s: CompiledStatement, g: Grant): boolean {
  return scopesOf(s).some((r) => resourcesMayOverlap(r, g.resource)) && principalMayOverlap(s.principal, s.notPrincipal, g.principal);
}

function coveringDenies(denies: CompiledStatement[], g: Grant): ActionSet {
  const out = ActionSet.empty();
  for (const d of denies) if (meets(g.stmt.actions, d.actions) && statementCovers(d, g)) out.addAll(d.actions);
  return out;
}

/** Does Deny `outer` apply whenever Deny `inner` does? */
function denyContains(outer: CompiledStatement, inner: CompiledStatement): boolean {
  const same = sameVariables(outer, inner);
  const resources = scopesOf(inner).every((r) => scopesOf(outer).some((o) => resourceCovers(o, r, same)));
  const principals = principalScopes(inner.principal, inner.notPrincipal).every((p) => principalCovers(outer.principal, outer.notPrincipal, p, { match: true }));
  return keysSatisfied(outer, inner) && resources && principals && conditionsImply(inner.stmt.conditions, outer.stmt.conditions, same) === true;
}

function compareGrant(g: Grant, live: ActionSet, baseAllows: CompiledStatement[], baseDenies: CompiledStatement[], headDenies: CompiledStatement[]): NewAccessItem[] {
  const covered = ActionSet.empty();
  const maybe = ActionSet.empty();
  const partial: CompiledStatement[] = [];
  const dropped: CompiledStatement[] = [];
  // Base Allows that would cover the grant but name only the account of its role or user (accountGap).
  const viaAccount = ActionSet.empty();
  const accountOnly: CompiledStatement[] = [];
  for (const b of baseAllows) {
    if (!meets(g.stmt.actions, b.actions)) continue;
    const same = sameVariables(b, g.stmt);
    const resourceOk = keysSatisfied(b, g.stmt) && scopesOf(b).some((r) => resourceCovers(r, g.resource, same));
    const principalOk = principalCovers(b.principal, b.notPrincipal, g.principal, g.where);
    if (resourceOk && principalOk) {
      const implied = conditionsImply(g.stmt.stmt.conditions, b.stmt.conditions, same);
      if (implied === true) covered.addAll(b.actions);
      else if (implied === undefined) {
        maybe.addAll(b.actions);
        partial.push(b);
      } else dropped.push(b);
    } else if (resourceOk && accountGap(b, g)) {
      viaAccount.addAll(b.actions);
      accountOnly.push(b);
    } else if (statementMayOverlap(b, g)) partial.push(b);
  }
  const out: NewAccessItem[] = [];
  const item = (actions: ActionSet, certainty: NewAccessItem['certainty'], reason: string) => out.push(makeItem(g, actions, certainty, reason));
  const touching = (list: CompiledStatement[], set: ActionSet) => list.filter((b) => meets(b.actions, set));
  const refs = (list: CompiledStatement[]) => `${list.slice(0, 2).map(ref).join(' and ')}${list.length > 2 ? ` and ${list.length - 2} more` : ''}`;

  // From here on `covered` and `maybe` are final (the sparse copies cached below stay valid).
  const allCovered = within(live, covered);
  const fresh = allCovered ? ActionSet.empty() : live.minus(covered).minus(maybe).minus(viaAccount);
  if (!isEmptySet(fresh)) {
    const near = touching(partial, fresh);
    const loosened = touching(dropped, fresh);
    const example = witness(g.resource, near);
    if (near.length && example !== undefined) item(fresh, 'new', `no base statement grants it on ${example}, for example`);
    else if (near.length === 1) item(fresh, 'possibly-new', `no base statement covers it; ${refs(near)} grants part of it (another resource, principal or condition)`);
    else if (near.length) item(fresh, 'possibly-new', `no single base statement covers it; ${refs(near)} grant parts of it (another resource, principal or condition), and unions of base statements are not compared`);
    else if (loosened.length) item(fresh, 'new', `${refs(loosened)} ${loosened.length === 1 ? 'grants' : 'grant'} it only under conditions on keys that head does not constrain`);
    else item(fresh, 'new', 'no base statement grants this');
  }
  const undecided = allCovered || isEmptySet(maybe) ? ActionSet.empty() : live.intersect(maybe).minus(covered);
  if (!isEmptySet(undecided)) {
    item(undecided, 'possibly-new', `${refs(touching(partial, undecided))} grant it under other conditions; whether the head conditions imply them could not be decided`);
  }
  const accountPart = allCovered || isEmptySet(viaAccount) ? ActionSet.empty() : live.intersect(viaAccount).minus(covered).minus(maybe);
  if (!isEmptySet(accountPart)) {
    const by = touching(accountOnly, accountPart);
    item(accountPart, 'possibly-new', accountOnlyReason(g, by[0], refs(by)));
  }

  // A base Deny that head dropped took part of a covering base Allow away: that part is new.
  const coveredLive = allCovered ? live : live.intersect(covered);
  for (const d of baseDenies) {
    if (!meets(g.stmt.actions, d.actions)) continue;
    if (!meets(coveredLive, d.actions) || !statementMayOverlap(d, g)) continue;
    let reopened = coveredLive.intersect(d.actions);
    for (const hd of headDenies) if (meets(d.actions, hd.actions) && meets(reopened, hd.actions) && denyContains(hd, d)) reopened = reopened.minus(hd.actions);
    if (isEmptySet(reopened)) continue;
    const whole = !d.conditional && statementCovers(d, g) && !headDenies.some((hd) => meets(hd.actions, reopened));
    item(reopened, whole ? 'new' : 'possibly-new', `base grants it only with ${ref(d)} (a Deny${d.conditional ? ' with conditions' : ''}) in force, and head has no Deny that covers it`);
  }
  return out;
}

/**
 * Base Allow `b` would cover the grant if naming an account covered the account's roles and users,
 * and does not only because the grant names a principal of the resource's own account (or of an
 * account when the resource's is unknown). Its resource is checked by the caller.
 */
function accountGap(b: CompiledStatement, g: Grant): boolean {
  return !!accountOnlyCover(b.principal, g.principal, g.where) && conditionsImply(g.stmt.stmt.conditions, b.stmt.conditions, sameVariables(b, g.stmt)) === true;
}

/** Why a grant that base reached only through the account root is possibly new. */
function accountOnlyReason(g: Grant, b: CompiledStatement, refsText: string): string {
  const gap = accountOnlyCover(b.principal, g.principal, g.where)!;
  const where = g.where.match ? [] : g.where.resourceAccounts ?? [];
  const kind = g.stmt.doc.kind;
  const effect =
    kind === 'trust'
      ? `within an account a trust policy naming a ${gap.what} lets it assume the role without an identity policy`
      : `within an account a ${kind === 'bucket' ? 'bucket' : 'resource'} policy naming a ${gap.what} grants it without an identity policy`;
  const noun = kind === 'trust' ? 'role' : kind === 'bucket' ? 'bucket' : 'resource';
  const own = where.includes(gap.account);
  return own
    ? `names a ${gap.what} of the account itself (${gap.account}), which base granted only through the account root (${refsText}): ${effect}`
    : `names a ${gap.what} of account ${gap.account}, which base granted only through the account root (${refsText}), and the ${noun}'s account is not known: ${effect} (across accounts the root covers it)`;
}

/**
 * A concrete resource inside the grant's pattern that none of `near` can apply to: the wildcards
 * filled with a character none of the patterns names. Its existence makes the access certainly new.
 */
function witness(resource: ResourceScope, near: CompiledStatement[]): string | undefined {
  if (resource.kind !== 'in' || hasVariables(resource.pattern)) return undefined;
  const patterns = [resource.pattern, ...near.flatMap((b) => b.resources)];
  // Readable fills first (a reviewer reads "role/example"); odd characters no pattern names as a last resort.
  const fills = ['other-1', 'x', ...['~', '#', '^', '|', '§'].filter((ch) => !patterns.some((p) => p.includes(ch)))];
  for (const fill of fills) {
    const example = resource.pattern.replace(/\*/g, fill).replace(/\?/g, fill[0]);
    const admits = (b: CompiledStatement) =>
      b.notResource ? b.resources.some(hasVariables) || !b.resources.some((p) => arnMatches(p, example)) : b.resources.some((p) => arnMatches(widenVariables(p), example));
    if (!near.some(admits)) return example;
  }
  return undefined;
}

const noGuards: CompiledGuards = { scps: [], rcps: [], boundary: [] };

/** The catalogue actions of the services RCPs govern (rcp-services.ts): an RCP denies nothing else. */
let rcpActionSet: ActionSet | undefined;
function rcpActions(): ActionSet {
  return (rcpActionSet ??= ActionSet.fromPatterns(RCP_SERVICES.map((s) => `${s}:*`)).set);
}

/** A grant of an identity policy (no principal): the subject's own requests, which SCPs and boundaries govern. */
function ownGrant(g: Grant): boolean {
  return !g.principal.any && !g.principal.entry && !g.principal.except;
}

/**
 * Guards (SCPs, RCPs, permissions boundary) deny an action of the grant for every request.
 * Allow-lists: a boundary allows only what its Allows name; an SCP level too, but one with no Allow
 * at all is read as holding FullAWSAccess; an RCP level always holds RCPFullAWSAccess (customer
 * RCPs can only Deny), so only its Denies count, and only on the services RCPs govern (RCP_SERVICES).
 */
function guardDenied(guards: CompiledGuards, g: Grant): ActionSet {
  const identity = ownGrant(g);
  // SCPs and boundaries govern the subject's own (identity) requests; RCPs govern requests to the
  // resource by other principals, but never AWS service principals, which "*" and NotPrincipal include.
  const e = g.principal.entry;
  const rcpApplies = !!e && e.type !== 'Service' && !(e.type === 'AWS' && e.value.trim() === '*');
  const layers: Array<{ layer: CompiledStatement[]; allowList: boolean; only?: ActionSet }> = [
    ...(identity ? [{ layer: guards.scps, allowList: guards.scps.some((x) => x.effect === 'Allow') }, { layer: guards.boundary, allowList: true }] : []),
    ...(rcpApplies ? [{ layer: guards.rcps, allowList: false, only: rcpActions() }] : []),
  ].filter((l) => l.layer.length > 0);
  let denied = ActionSet.empty();
  for (const { layer, allowList, only } of layers) {
    // An explicit Deny in the layer that covers the grant; an RCP's only on the services RCPs govern.
    for (const d of layer) {
      if (d.effect !== 'Deny' || !meets(d.actions, g.stmt.actions) || !guardStatementCovers(d, g)) continue;
      denied = denied.union(only ? d.actions.intersect(only) : d.actions);
    }
    // An allow-list layer: what no Allow of the layer might allow is denied.
    if (!allowList) continue;
    let mayAllow = ActionSet.empty();
    for (const a of layer) if (a.effect === 'Allow' && scopesOf(a).some((r) => resourcesMayOverlap(r, g.resource))) mayAllow = mayAllow.union(a.actions);
    denied = denied.union(g.stmt.actions.minus(mayAllow));
  }
  return denied;
}

/** Actions of `live` that base's guards deny for every request of the grant and head's guards do not. */
function unblockedActions(baseGuard: CompiledGuards, headGuard: CompiledGuards, g: Grant, live: ActionSet): ActionSet {
  const before = live.intersect(guardDenied(baseGuard, g));
  if (before.isEmpty()) return before;
  const headSize = headGuard.scps.length + headGuard.rcps.length + headGuard.boundary.length;
  return headSize === 0 ? before : before.minus(guardDenied(headGuard, g));
}

/** A guard statement's meaning, without its place: two versions of a guard are compared statement by statement. */
function guardText(st: CompiledStatement): string {
  const v = (xs?: Array<{ value: string }>) => xs?.map((x) => x.value);
  const s = st.stmt;
  return JSON.stringify([s.effect, v(s.actions), v(s.notActions), v(s.resources), v(s.notResources), s.principal ?? null, s.notPrincipal ?? null, s.conditions.map((c) => [c.operator, c.key.toLowerCase(), c.values])]);
}

/**
 * Actions of the grant that a guard change may let through, beyond what guardDenied proves: a Deny of base's version
 * (that may apply to the grant) which head's version does not hold word for word, an Allow of an allow-list that
 * head's version adds, or an allow-list layer that head's version drops (an SCP level left without Allow statements
 * is FullAWSAccess). Sound over-approximation: reported as possibly new.
 */
function guardChangeTouches(base: CompiledGuards, head: CompiledGuards, g: Grant): ActionSet {
  const identity = ownGrant(g);
  const e = g.principal.entry;
  const rcpApplies = !!e && e.type !== 'Service' && !(e.type === 'AWS' && e.value.trim() === '*');
  const layers: Array<{ b: CompiledStatement[]; h: CompiledStatement[]; allowList: (l: CompiledStatement[]) => boolean; only?: ActionSet }> = [
    ...(identity
      ? [
          { b: base.scps, h: head.scps, allowList: (l: CompiledStatement[]) => l.some((x) => x.effect === 'Allow') },
          { b: base.boundary, h: head.boundary, allowList: (l: CompiledStatement[]) => l.length > 0 },
        ]
      : []),
    ...(rcpApplies ? [{ b: base.rcps, h: head.rcps, allowList: () => false, only: rcpActions() }] : []),
  ];
  const mayApply = (d: CompiledStatement) => meets(d.actions, g.stmt.actions) && scopesOf(d).some((r) => resourcesMayOverlap(r, g.resource));
  let touched = ActionSet.empty();
  for (const { b, h, allowList, only } of layers) {
    if (b.length === 0) continue; // no guard in base: head's can only narrow
    const headTexts = new Set(h.map(guardText));
    const baseTexts = new Set(b.map(guardText));
    for (const d of b) {
      if (d.effect !== 'Deny' || headTexts.has(guardText(d)) || !mayApply(d)) continue;
      touched = touched.union(only ? d.actions.intersect(only) : d.actions);
    }
    if (!allowList(b)) continue;
    // What base's allow-list allowed for every request of the grant was allowed before: never new by this change.
    let fully = ActionSet.empty();
    for (const a of b) if (a.effect === 'Allow' && guardStatementCovers(a, g)) fully = fully.union(a.actions);
    if (!allowList(h)) {
      touched = touched.union(g.stmt.actions.minus(fully)); // the allow-list is gone: what it did not wholly allow may pass
      continue;
    }
    for (const a of h) if (a.effect === 'Allow' && !baseTexts.has(guardText(a)) && mayApply(a)) touched = touched.union(a.actions.minus(fully));
  }
  return touched.intersect(g.stmt.actions);
}

/** A guard statement applies to every request of the grant. Guard statements name no principal, or "*". */
function guardStatementCovers(d: CompiledStatement, g: Grant): boolean {
  const anyone = !d.notPrincipal && (!d.principal || d.principal.any || d.principal.entries.some((x) => x.type === 'AWS' && x.value.trim() === '*'));
  return (
    anyone &&
    keysSatisfied(d, g.stmt) &&
    scopesOf(d).some((r) => resourceCovers(r, g.resource, sameVariables(d, g.stmt))) &&
    conditionsImply(g.stmt.stmt.conditions, d.stmt.conditions, sameVariables(d, g.stmt)) === true
  );
}

// ---------- actions the catalogue does not know ----------
// Action sets are bitsets over the catalogue, so a pattern that matches no catalogue action (an action
// newer than the catalogue, a new service) is compared here by its text, with the same rules as above:
// covered only by one base Allow whose actions contain it, whose resource and principal contain the
// grant's and whose conditions the head's imply, and only if no base Deny that may apply to it is gone
// or narrowed in head. Everything else is reported as possibly new.

/** Every action `inner` matches is matched by `outer` (case-insensitive glob containment). */
// Containment of action patterns, decided once per pair: the uncatalogued-action pass asks the same pairs for
// every grant of every statement (a 1,000-file change asked ~10^6 times, 2 s of glob automata).
const containsMemo = new Map<string, boolean>();

function actionContains(outer: string, inner: string): boolean {
  if (outer === '*' || outer === inner) return true;
  // A name without wildcards is contained where it matches.
  if (!hasWildcard(inner)) return actionMatches(outer, inner);
  const key = `${outer}\u0000${inner}`;
  let v = containsMemo.get(key);
  if (v === undefined) {
    if (containsMemo.size > 100_000) containsMemo.clear();
    containsMemo.set(key, (v = globContains(outer, inner, true)));
  }
  return v;
}

/** `a` and `b` may match a common action (over-approximated: two wildcards on a possibly shared service meet). */
function actionsMayMeet(a: string, b: string): boolean {
  // Two literal, different service prefixes never meet (most pairs: decided without a glob).
  const [ia, ib] = [a.indexOf(':'), b.indexOf(':')];
  if (ia > 0 && ib > 0) {
    const [pa, pb] = [a.slice(0, ia), b.slice(0, ib)];
    if (!hasWildcard(pa) && !hasWildcard(pb) && pa.toLowerCase() !== pb.toLowerCase()) return false;
  }
  if (actionContains(a, b) || actionContains(b, a)) return true;
  if (!hasWildcard(a) || !hasWildcard(b)) return false;
  const [sa, sb] = [a.split(':')[0].toLowerCase(), b.split(':')[0].toLowerCase()];
  return hasWildcard(sa) || hasWildcard(sb) || sa === sb;
}

const actionPatterns = (s: CompiledStatement) => (s.stmt.notActions ?? s.stmt.actions ?? []).map((a) => a.value);

// Per statement and uncatalogued pattern, asked again for every grant: answered once.
const namesAllMemo = new WeakMap<CompiledStatement, Map<string, boolean>>();
const namesSomeMemo = new WeakMap<CompiledStatement, Map<string, boolean>>();

function memoised(memo: WeakMap<CompiledStatement, Map<string, boolean>>, s: CompiledStatement, u: string, decide: () => boolean): boolean {
  let m = memo.get(s);
  if (!m) memo.set(s, (m = new Map()));
  let v = m.get(u);
  if (v === undefined) m.set(u, (v = decide()));
  return v;
}

/** The statement applies to every action the uncatalogued pattern `u` matches. */
function namesAll(s: CompiledStatement, u: string): boolean {
  return memoised(namesAllMemo, s, u, () => {
    const patterns = actionPatterns(s);
    return s.stmt.notActions ? !patterns.some((q) => actionsMayMeet(q, u)) : patterns.some((p) => actionContains(p, u));
  });
}

/** The statement may apply to some action the uncatalogued pattern `u` matches. */
function namesSome(s: CompiledStatement, u: string): boolean {
  return memoised(namesSomeMemo, s, u, () => {
    const patterns = actionPatterns(s);
    return s.stmt.notActions ? !patterns.some((q) => actionContains(q, u)) : patterns.some((p) => actionsMayMeet(p, u));
  });
}

/** Deny `outer` names every action Deny `inner` names among those `u` may match. */
function denyActionsContain(outer: CompiledStatement, inner: CompiledStatement, u: string): boolean {
  if (namesAll(outer, u)) return true;
  const o = actionPatterns(outer);
  const i = actionPatterns(inner);
  if (inner.stmt.notActions) return !!outer.stmt.notActions && o.every((q) => i.some((p) => actionContains(p, q)));
  const relevant = i.filter((p) => actionsMayMeet(p, u));
  return outer.stmt.notActions ? relevant.every((p) => !o.some((q) => actionsMayMeet(q, p))) : relevant.every((p) => o.some((q) => actionContains(q, p)));
}

/** Possibly-new items for uncatalogued action names; undefined when past the deadline. */
function unknownActionItems(base: CompiledStatement[], head: CompiledStatement[], deadline: number, subject?: SubjectRef): NewAccessItem[] | undefined {
  const seen = new Map<string, string>();
  for (const s of [...head, ...base]) for (const a of s.unknownActions) if (!seen.has(a.toLowerCase())) seen.set(a.toLowerCase(), a);
  if (!seen.size) return [];
  const baseAllows = base.filter((s) => s.effect === 'Allow');
  const baseDenies = base.filter((s) => s.effect === 'Deny');
  const headDenies = head.filter((s) => s.effect === 'Deny');
  const out: NewAccessItem[] = [];
  const item = (g: Grant, u: string, reason: string) => {
    const notResource = g.resource.kind === 'not-in' ? ` (NotResource ${g.resource.patterns.join(', ')}: every resource but those)` : '';
    out.push({
      actions: [u],
      resource: g.resource.kind === 'in' ? g.resource.pattern : '*',
      ...(g.principal.label ? { principal: g.principal.label } : {}),
      ...(g.stmt.conditional ? { condition: renderConditions(g.stmt.stmt) } : {}),
      location: g.stmt.loc,
      certainty: 'possibly-new',
      reason: reason + notResource,
    });
  };
  for (const h of head) {
    if (h.effect !== 'Allow') continue;
    // The uncatalogued names h may grant: where h names a narrower pattern inside one, that pattern.
    const names = new Map<string, string>();
    for (const u of seen.values()) {
      if (!namesSome(h, u)) continue;
      const narrower = h.stmt.notActions ? [] : actionPatterns(h).filter((p) => actionContains(u, p));
      for (const n of narrower.length ? narrower : [u]) if (!names.has(n.toLowerCase())) names.set(n.toLowerCase(), n);
    }
    for (const u of names.values()) {
      for (const g of grantsOf(h, subject)) {
        if (Date.now() > deadline) return undefined;
        if (headDenies.some((d) => namesAll(d, u) && statementCovers(d, g))) continue;
        const named = baseAllows.filter((b) => namesAll(b, u));
        if (!named.some((b) => statementCovers(b, g))) {
          const viaRoot = named.find((b) => keysSatisfied(b, g.stmt) && scopesOf(b).some((r) => resourceCovers(r, g.resource, sameVariables(b, g.stmt))) && accountGap(b, g));
          item(
            g,
            u,
            viaRoot
              ? `the action catalogue does not know these actions; head ${accountOnlyReason(g, viaRoot, ref(viaRoot))}`
              : named.length
              ? `the action catalogue does not know these actions; ${named.slice(0, 2).map(ref).join(' and ')} ${named.length === 1 ? 'names' : 'name'} them but not on this resource, principal or conditions`
              : 'the action catalogue does not know these actions and base does not name them',
          );
          continue;
        }
        const reopened = baseDenies.filter((d) => namesSome(d, u) && statementMayOverlap(d, g) && !headDenies.some((hd) => denyActionsContain(hd, d, u) && denyContains(hd, d)));
        if (reopened.length) {
          item(g, u, `the action catalogue does not know these actions; base grants them only with ${ref(reopened[0])} (a Deny) in force, and head has no Deny that covers it`);
        }
      }
    }
  }
  return out;
}

function makeItem(g: Grant, actions: ActionSet, certainty: NewAccessItem['certainty'], reason: string): NewAccessItem {
  const notResource = g.resource.kind === 'not-in' ? ` (NotResource ${g.resource.patterns.join(', ')}: every resource but those)` : '';
  return {
    actions: compressActions(actions),
    resource: g.resource.kind === 'in' ? g.resource.pattern : '*',
    ...(g.principal.label ? { principal: g.principal.label } : {}),
    ...(g.stmt.conditional ? { condition: renderConditions(g.stmt.stmt) } : {}),
    location: g.stmt.loc,
    certainty,
    reason: reason + notResource,
  };
}

function undecidedItem(s: CompiledStatement, why: string): NewAccessItem {
  return {
    actions: compressActions(s.actions).concat(s.stmt.notActions ? [] : s.unknownActions),
    resource: s.notResource ? '*' : s.resources.length === 1 ? s.resources[0] : '*',
    ...(s.conditional ? { condition: renderConditions(s.stmt) } : {}),
    location: s.loc,
    certainty: 'possibly-new',
    reason: why,
  };
}

function describe(r: ResourceScope): string {
  return r.kind === 'in' ? r.pattern : `everything but ${r.patterns.join(', ')}`;
}

function ref(s: CompiledStatement): string {
  return `base statement ${s.stmt.sid ? `"${s.stmt.sid}"` : `#${s.stmt.index}`} (${s.doc.file}:${s.loc.line})`;
}

/** Same grant, same wording: one item (a statement listing a resource twice, a Principal listed twice). */
function dedupe(items: NewAccessItem[]): NewAccessItem[] {
  const seen = new Map<string, NewAccessItem>();
  for (const it of items) {
    const key = JSON.stringify([it.location.file, it.location.line, it.location.column, it.resource, it.principal ?? '', it.certainty, it.reason]);
    const prev = seen.get(key);
    if (!prev) seen.set(key, it);
    else prev.actions = [...new Set([...prev.actions, ...it.actions])].sort();
  }
  return [...seen.values()];
}

let serviceCounts: Map<string, number> | undefined;

/** Actions as readable patterns: a whole service becomes "svc:*", everything becomes "*". */
export function compressActions(set: ActionSet): string[] {
  if (set.size() === allActionCount()) return ['*'];
  if (!serviceCounts) {
    serviceCounts = new Map();
    for (let i = 0; i < allActionCount(); i++) {
      const s = actionById(i).service;
      serviceCounts.set(s, (serviceCounts.get(s) ?? 0) + 1);
    }
  }
  const byService = new Map<string, string[]>();
  for (const i of set.indices()) {
    const a = actionById(i);
    const list = byService.get(a.service) ?? [];
    list.push(a.id);
    byService.set(a.service, list);
  }
  const out: string[] = [];
  for (const [service, ids] of [...byService].sort(([a], [b]) => a.localeCompare(b))) {
    if (ids.length === serviceCounts.get(service) && ids.length > 1) out.push(`${service}:*`);
    else out.push(...ids.sort());
  }
  return out;
}
