// One CloudTrail record -> the IAM actions, resources, principal, outcome and context it stands for. Pure.
import { lookupAction } from '../catalog/catalog.js';
import { partiqlAction, resolveActions, type ActionLookup, type ActionResolution } from './event-actions.js';
import { normalisePrincipal, roleArnFromSessionArn, type CallerType, type NormalisedPrincipal } from './principal.js';
import { objectBucketArn, resourcesFor } from './resources.js';
import type { UsageRecord } from '../model.js';

export type DeniedBy = NonNullable<UsageRecord['deniedBy']>;

/** One action of an event with the resources it was performed on (empty = unknown). */
export interface ActionTarget {
  action: string;
  resources: string[];
  /** With no resources: the bucket ARN of an S3 object call whose key is not known (see objectBucketArn). */
  bucket?: string;
}

export interface MappedEvent {
  eventId?: string;
  /** ISO 8601, UTC. */
  time: string;
  principal: string;
  principalType: CallerType;
  /** The caller's account. */
  account?: string;
  actions: string[];
  /** Every resource of every action (see `targets` for which goes with which). */
  resources: string[];
  /** Action-by-action resources: kms ReEncrypt's From/To keys and a copy's source differ from the rest. */
  targets: ActionTarget[];
  outcome: 'allowed' | 'denied' | 'error';
  errorCode?: string;
  /** A denial: the policy type its message says denied it (UsageRecord.deniedBy). */
  deniedBy?: DeniedBy;
  eventSource: string;
  eventName: string;
  /** Condition-key values derivable from the event; keys lower-cased. */
  context: Record<string, string>;
  recipientAccountId?: string;
  region?: string;
  /** Something lost while normalising the principal. */
  note?: string;
}

export type MapResult =
  | MappedEvent
  | { unmapped: { eventSource: string; eventName: string } }
  | { permissionless: true }
  | { bad: string };

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

const DENIED_CODES = new Set([
  'Client.UnauthorizedOperation',
  'UnauthorizedOperation',
  'AuthorizationError', // SNS
  'AuthorizationErrorException',
]);

export function outcomeOf(errorCode: string | undefined, errorMessage?: string): MappedEvent['outcome'] {
  if (!errorCode) return 'allowed';
  if (DENIED_CODES.has(errorCode) || /AccessDenied/i.test(errorCode)) return 'denied';
  if (errorMessage && /\bis not authorized to perform\b/i.test(errorMessage)) return 'denied';
  return 'error';
}

/** S3 object actions and the action IAM checks instead when the call names a version of the object. */
export const S3_VERSION_ACTIONS: Readonly<Record<string, string>> = {
  's3:GetObject': 's3:GetObjectVersion',
  's3:GetObjectAcl': 's3:GetObjectVersionAcl',
  's3:GetObjectTagging': 's3:GetObjectVersionTagging',
  's3:GetObjectAttributes': 's3:GetObjectVersionAttributes',
  's3:PutObjectAcl': 's3:PutObjectVersionAcl',
  's3:PutObjectTagging': 's3:PutObjectVersionTagging',
  's3:DeleteObject': 's3:DeleteObjectVersion',
  's3:DeleteObjectTagging': 's3:DeleteObjectVersionTagging',
};

/** requestParameters names an object version (any non-empty versionId, "null", the unversioned one, included). */
export function hasVersionId(rp: Record<string, unknown> | undefined): boolean {
  const v = rp?.versionId;
  return typeof v === 'string' && v !== '';
}

/** An S3 call that names a version: its own `versionId`, or a copy source with `?versionId=`. */
export function namesVersion(eventName: string, rp: Record<string, unknown> | undefined): boolean {
  if (hasVersionId(rp)) return true;
  const source = rp?.['x-amz-copy-source'];
  return (eventName === 'CopyObject' || eventName === 'UploadPartCopy') && typeof source === 'string' && /[?&]versionId=[^&]/.test(source);
}

/** "... is not authorized to perform: iam:DeleteRole on resource: arn:... because ..." */
export function deniedDetails(message: string | undefined): { action?: string; resource?: string } {
  if (!message) return {};
  const m = /not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)(?: on resource:? (arn:[^\s"]+?))?(?:[\s.,;]|$)/.exec(message);
  return m ? { action: m[1], resource: m[2] } : {};
}

/**
 * The policy type an access-denied message names (IAM User Guide, "Troubleshoot access denied error messages"):
 * "... because no <type> allows the <action> action" (implicit) or "... with an explicit deny in a <type>"
 * (SCP denials may say "due to an explicit deny in a Service Control Policy"). Undefined when it names none.
 */
const DENIED_BY = /\b(?:because no ([a-z -]+?) allows\b|(?:with|due to) an explicit deny in (?:an? |the )?([a-z -]+?(?:policy|boundary))\b)/i;
const DENYING_POLICY: ReadonlyArray<[RegExp, string]> = [
  [/^identity-based policy$/, 'identity'],
  [/^service control policy$/, 'scp'],
  [/^resource control policy$/, 'rcp'],
  [/^permissions boundary$/, 'boundary'],
  [/^session policy$/, 'session'],
  // A role's trust policy is its resource-based policy.
  [/^(?:resource-based|(?:role )?trust) policy$/, 'resource'],
  [/^vpc endpoint policy$/, 'vpce'],
];

export function deniedBy(message: string | undefined): DeniedBy | undefined {
  const m = message ? DENIED_BY.exec(message) : null;
  if (!m) return undefined;
  const type = (m[1] ?? m[2]).toLowerCase();
  for (const [re, kind] of DENYING_POLICY) if (re.test(type)) return (m[1] === undefined ? `${kind}-explicit` : kind) as DeniedBy;
  return undefined;
}

/** S3 request headers that make a write also set the object's ACL (s3:PutObjectAcl) or tags (s3:PutObjectTagging). */
export const S3_ACL_HEADERS: readonly string[] = ['x-amz-acl', 'x-amz-grant-full-control', 'x-amz-grant-read', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp'];
export const S3_TAGGING_HEADER = 'x-amz-tagging';
/** The calls that take those headers on the object they write (S3 API Reference, "Permissions" of each). */
export function isS3WriteWithHeaders(eventName: string): boolean {
  return eventName === 'PutObject' || eventName === 'CopyObject' || eventName === 'CreateMultipartUpload';
}

/** A header as CloudTrail logs it: a string, or (re-exported logs) a list of them; '' and [] are none. */
export function s3HeaderSent(v: unknown): boolean {
  return typeof v === 'string' ? v !== '' : Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null;
}

/**
 * Which extra permissions an S3 write's headers need (1: s3:PutObjectAcl, 2: s3:PutObjectTagging; 0 none), for
 * isS3WriteWithHeaders's calls. Header names as CloudTrail logs them (lower case).
 */
export function s3HeaderBits(rp: Record<string, unknown>): number {
  let bits = s3HeaderSent(rp[S3_TAGGING_HEADER]) ? 2 : 0;
  for (let i = 0; i < S3_ACL_HEADERS.length; i++) {
    if (s3HeaderSent(rp[S3_ACL_HEADERS[i]])) return bits | 1;
  }
  return bits;
}

/** CloudTrail writes "2024-05-01T10:00:00Z"; re-exported logs may use a space and nanoseconds. */
export function isoTime(value: unknown): string | undefined {
  const s = str(value);
  if (!s) return undefined;
  // Fast path for CloudTrail's own format (the hot loop): no regular expression, no Date round trip.
  if (s.length === 20 && isCanonicalTime(s)) return `${s.slice(0, 19)}.000Z`;
  const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/.exec(s.trim());
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}${m[4] ?? 'Z'}`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Epoch milliseconds of a raw event time, or NaN when it is not a date. */
export function timeMs(value: unknown): number {
  if (typeof value === 'string' && value.length === 20 && isCanonicalTime(value)) return isoToMs(value);
  const iso = isoTime(value);
  return iso === undefined ? NaN : isoToMs(iso);
}

/** Epoch milliseconds of an isoTime() result ("YYYY-MM-DDTHH:MM:SS.mmmZ"), without Date.parse's generality. */
export function isoToMs(iso: string): number {
  // Also takes the canonical raw form (20 characters, no milliseconds).
  if (iso.length !== 24 && !(iso.length === 20 && iso.charCodeAt(19) === 90)) return Date.parse(iso);
  const n = (from: number, len: number) => {
    let v = 0;
    for (let i = from; i < from + len; i++) v = v * 10 + iso.charCodeAt(i) - 48;
    return v;
  };
  return Date.UTC(n(0, 4), n(5, 2) - 1, n(8, 2), n(11, 2), n(14, 2), n(17, 2), iso.length === 24 ? n(20, 3) : 0);
}

const digit = (s: string, i: number) => {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
};

/** "YYYY-MM-DDTHH:MM:SSZ" with plausible fields (month 01-12, day 01-31, hour 00-23, minute/second 00-59/60). */
function isCanonicalTime(s: string): boolean {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 90) return false;
  for (const i of DIGITS) if (!digit(s, i)) return false;
  const two = (i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;
  const month = two(5);
  const day = two(8);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && two(11) <= 23 && two(14) <= 59 && two(17) <= 60;
}
const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]+)$/i;

const PRINCIPAL_TYPE_KEY: Partial<Record<CallerType, string>> = {
  IAMUser: 'User',
  AssumedRole: 'AssumedRole',
  Root: 'Account',
  FederatedUser: 'FederatedUser',
};

/** Every condition key contextOf can derive. */
export const CONTEXT_KEYS: readonly string[] = [
  'aws:sourceip',
  'aws:requestedregion',
  'aws:principalarn',
  'aws:principalaccount',
  'aws:principaltype',
  'aws:userid',
  'aws:username',
  'aws:sourcevpce',
  'aws:securetransport',
  'aws:multifactorauthpresent',
  'aws:sourceidentity',
  'aws:principalservicename',
  'aws:viaawsservice',
  's3:prefix',
];

/** Condition-key values from the event, for the keys asked (the hot loop asks for few, often none). */
export function contextOf(ev: Obj, ui: Obj, principal: NormalisedPrincipal, keys: Iterable<string>): Record<string, string> {
  const ctx: Record<string, string> = {};
  for (const k of keys) {
    const v = contextValue(ev, ui, principal, k);
    if (v !== undefined) ctx[k] = v;
  }
  return ctx;
}

/** One condition key's value from the event (key lower-cased), or undefined. `ipMemo` caches the address check. */
export function contextValue(ev: Obj, ui: Obj, principal: NormalisedPrincipal, key: string, ipMemo?: Map<string, boolean>): string | undefined {
  switch (key) {
    case 'aws:sourceip': {
      const source = str(ev.sourceIPAddress);
      if (!source) return undefined;
      let ok = ipMemo?.get(source);
      if (ok === undefined) {
        ok = IP.test(source);
        if (ipMemo) {
          if (ipMemo.size >= MEMO_LIMIT) ipMemo.clear();
          ipMemo.set(source, ok);
        }
      }
      return ok ? source : undefined;
    }
    case 'aws:requestedregion':
      return str(ev.awsRegion);
    case 'aws:principalarn':
      return principal.principalArn;
    case 'aws:principalaccount':
      return principal.account;
    case 'aws:principaltype':
      return PRINCIPAL_TYPE_KEY[principal.type];
    case 'aws:userid':
      return str(ui.principalId);
    case 'aws:username':
      return principal.type === 'IAMUser' ? str(ui.userName) : undefined;
    case 'aws:sourcevpce':
      return str(ev.vpcEndpointId);
    case 'aws:securetransport':
      return obj(ev.tlsDetails) ? 'true' : undefined;
    case 'aws:multifactorauthpresent': {
      const mfa = obj(obj(ui.sessionContext)?.attributes)?.mfaAuthenticated;
      return mfa === 'true' || mfa === 'false' || typeof mfa === 'boolean' ? String(mfa) : undefined;
    }
    case 'aws:sourceidentity':
      return str(obj(ui.sessionContext)?.sourceIdentity);
    case 'aws:principalservicename':
      return principal.type === 'AWSService' ? principal.principal : undefined;
    case 'aws:viaawsservice':
      return principal.type !== 'AWSService' && str(ui.invokedBy)?.endsWith('.amazonaws.com') ? 'true' : undefined;
    case 's3:prefix': {
      const prefix = str(ev.eventSource) === 's3.amazonaws.com' ? obj(ev.requestParameters)?.prefix : undefined;
      return typeof prefix === 'string' ? prefix : undefined;
    }
  }
  return undefined;
}

export function partitionOf(region: string | undefined, arn: string | undefined): string {
  if (arn?.startsWith('arn:aws:')) return 'aws';
  const fromArn = arn ? /^arn:([^:]+):/.exec(arn)?.[1] : undefined;
  if (fromArn) return fromArn;
  if (region?.startsWith('cn-')) return 'aws-cn';
  if (region?.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

const MEMO_LIMIT = 20_000;

/**
 * `s` as one flat string, for a key kept for long. V8 keeps a string built with `+` as a tree of its pieces (32
 * bytes a node, and the pieces stay alive) until something reads it character by character, which replaces the
 * tree by one flat copy; a Map keeps its key as it is. A worker's keys measured 9.6 MB of such trees at 1M events.
 */
export function flatKey(s: string): string {
  s.charCodeAt(0);
  return s;
}

/**
 * Caches the parts of the mapping that repeat from event to event (the action of an eventSource/eventName, the
 * principal of an identity). Results are the same with or without it; it only saves time in bulk reading.
 */
export class MapMemo {
  private readonly actions = new Map<string, Map<string, ActionResolution>>();
  private readonly principals = new Map<string, NormalisedPrincipal | null>();
  /** AssumedRole by sessionIssuer ARN, IAMUser by ARN; then by accountId. */
  private readonly roles = new Map<string, Map<string, NormalisedPrincipal | null>>();
  private readonly users = new Map<string, Map<string, NormalisedPrincipal | null>>();
  /** One object per distinct result, so callers may key on identity (bounded by the principals, not sessions). */
  private readonly canonical = new Map<string, NormalisedPrincipal>();

  resolve(eventSource: string, eventName: string, lookup: ActionLookup): ActionResolution {
    let byName = this.actions.get(eventSource);
    if (!byName) {
      if (this.actions.size >= MEMO_LIMIT) this.actions.clear();
      this.actions.set(eventSource, (byName = new Map()));
    }
    let r = byName.get(eventName);
    if (r === undefined) {
      if (byName.size >= MEMO_LIMIT) byName.clear();
      r = resolveActions(eventSource, eventName, lookup);
      byName.set(eventName, r);
    }
    return r;
  }

  /**
   * resolve()'s answer when it is memoised already, else undefined; nothing is added. For keys sliced from a log's
   * text (record-scan.ts), which a memo must not keep: a slice holds its whole chunk of text alive.
   */
  knownActions(eventSource: string, eventName: string): ActionResolution | undefined {
    return this.actions.get(eventSource)?.get(eventName);
  }

  /**
   * principal()'s answer for the common shapes (AssumedRole by issuer ARN, IAMUser by ARN; a non-empty accountId)
   * when memoised, else undefined (null: memoised as not normalisable). Nothing is added, as for knownActions.
   */
  knownPrincipal(type: 'AssumedRole' | 'IAMUser', arn: string, accountId: string): NormalisedPrincipal | null | undefined {
    return (type === 'IAMUser' ? this.users : this.roles).get(arn)?.get(accountId);
  }

  /** principal()'s answer for an identity whose identityKey is `key` when memoised (nothing added). */
  knownPrincipalByKey(key: string): NormalisedPrincipal | null | undefined {
    return this.principals.get(key);
  }

  principal(ui: Obj): NormalisedPrincipal | undefined {
    // The common shapes depend on two strings only (see normalisePrincipal): two map levels, no key to build.
    const type = ui.type;
    const accountId = ui.accountId;
    if ((type === 'AssumedRole' || type === 'IAMUser') && typeof accountId === 'string' && accountId !== '') {
      const arn = type === 'IAMUser' ? ui.arn : obj(obj(ui.sessionContext)?.sessionIssuer)?.arn;
      if (typeof arn === 'string' && arn !== '') {
        const level = type === 'IAMUser' ? this.users : this.roles;
        let byAccount = level.get(arn);
        if (!byAccount) {
          if (level.size >= MEMO_LIMIT) level.clear();
          level.set(arn, (byAccount = new Map()));
        }
        let p = byAccount.get(accountId);
        if (p === undefined) byAccount.set(accountId, (p = this.canonicalise(normalisePrincipal(ui) ?? null)));
        return p ?? undefined;
      }
    }
    const key = identityKey(ui);
    let p = this.principals.get(key);
    if (p === undefined) {
      if (this.principals.size >= MEMO_LIMIT) this.principals.clear();
      p = this.canonicalise(normalisePrincipal(ui) ?? null);
      this.principals.set(flatKey(key), p);
    }
    return p ?? undefined;
  }

  private canonicalise(p: NormalisedPrincipal | null): NormalisedPrincipal | null {
    if (!p) return p;
    const c = `${p.principal}\u0000${p.type}\u0000${p.account ?? ''}\u0000${p.principalArn ?? ''}\u0000${p.note ?? ''}`;
    const known = this.canonical.get(c);
    if (known) return known;
    this.canonical.set(c, p);
    return p;
  }
}

/**
 * Every userIdentity field normalisePrincipal reads, so equal keys normalise equally. (event-batch.ts builds the
 * same key from a record's text for the types other than SAMLUser, WebIdentityUser and IdentityCenterUser: keep
 * them in step.)
 */
export function identityKey(ui: Obj): string {
  const type = ui.type;
  const sc = obj(ui.sessionContext);
  const issuer = obj(sc?.sessionIssuer)?.arn;
  const accountId = ui.accountId;
  // The common cases read only these (see normalisePrincipal): no session ARN in the key, so sessions share it.
  if (typeof accountId === 'string' && accountId !== '') {
    if (type === 'AssumedRole' && typeof issuer === 'string' && issuer !== '') return `R\u0000${issuer}\u0000${accountId}`;
    if (type === 'IAMUser' && typeof ui.arn === 'string' && ui.arn !== '') return `U\u0000${ui.arn}\u0000${accountId}`;
  }
  const k = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'undefined' ? '\u0001' : '\u0002');
  // A session without a usable issuer is its role, derived from the session ARN: keyed on the role, not the session
  // (each new session would otherwise be normalised anew). The account is accountId when it is a non-empty string,
  // else the ARN's, which the role ARN holds.
  if (type === 'AssumedRole' && !(typeof issuer === 'string' && issuer !== '') && typeof ui.arn === 'string') {
    const role = roleArnFromSessionArn(ui.arn);
    if (role) return `A\u0000${role}\u0000${k(accountId)}`;
  }
  return `*\u0000${k(type)}\u0000${k(ui.arn)}\u0000${k(accountId)}\u0000${k(issuer)}\u0000${k(ui.invokedBy)}\u0000${k(ui.identityProvider)}\u0000${
    type === 'SAMLUser' || type === 'WebIdentityUser' ? k(ui.principalId) : ''
  }\u0000${type === 'IdentityCenterUser' ? k(obj(ui.onBehalfOf)?.userId) : ''}`;
}

export interface MapOptions {
  /** Lower-cased condition keys to compute (default: all that the event can tell). */
  contextKeys?: ReadonlySet<string>;
  memo?: MapMemo;
}

/** Maps one record. `lookup` defaults to the IAM catalogue; tests may pass another. */
export function mapEvent(record: unknown, lookup: ActionLookup = lookupAction, opts: MapOptions = {}): MapResult {
  const ev = obj(record);
  if (!ev) return { bad: 'record is not a JSON object' };
  const eventSource = str(ev.eventSource);
  const eventName = str(ev.eventName);
  if (!eventSource || !eventName) return { bad: 'record has no eventSource/eventName (not a CloudTrail event)' };
  // Logstash-processed exports drop eventTime and keep @timestamp.
  const time = isoTime(ev.eventTime ?? ev['@timestamp']);
  if (!time) return { bad: `${eventSource} ${eventName}: eventTime missing or not a date` };

  // Sign-in and insight records are not API calls that a policy governs.
  const eventType = str(ev.eventType);
  if (eventType === 'AwsConsoleSignIn' || eventType === 'AwsCloudTrailInsight') return { permissionless: true };

  const memo = opts.memo;
  const resolved = memo ? memo.resolve(eventSource, eventName, lookup) : resolveActions(eventSource, eventName, lookup);
  if ('permissionless' in resolved) return resolved;

  const ui = obj(ev.userIdentity);
  const principal = ui ? (memo ? memo.principal(ui) : normalisePrincipal(ui)) : undefined;
  if (!ui || !principal) return { bad: `${eventSource} ${eventName}: userIdentity missing or without an identifiable principal` };

  // An errorCode that is there but not a string is a damaged record, not a successful call.
  if (ev.errorCode !== undefined && ev.errorCode !== null && typeof ev.errorCode !== 'string') return { bad: `${eventSource} ${eventName}: errorCode is not a string` };
  const errorCode = str(ev.errorCode);
  const errorMessage = str(ev.errorMessage);
  const outcome = outcomeOf(errorCode, errorMessage);
  const rp = obj(ev.requestParameters);

  let actions: string[] | undefined = 'actions' in resolved ? resolved.actions : undefined;
  if (eventSource === 'dynamodb.amazonaws.com' && eventName === 'ExecuteStatement') {
    const a = partiqlAction(rp?.statement);
    actions = a ? [lookup(a)?.id ?? a] : undefined;
  }
  // A call on one version of an object (`versionId`) is authorised as the *Version action (GetObject with a
  // versionId needs s3:GetObjectVersion, not s3:GetObject).
  if (actions && eventSource === 's3.amazonaws.com' && namesVersion(eventName, rp)) {
    const copy = eventName === 'CopyObject' || eventName === 'UploadPartCopy';
    const source = str(rp?.['x-amz-copy-source']) ?? '';
    // A copy reads its source (action 1) in the version the copy source names; anything else acts on `versionId`.
    actions = actions.map((a, i) => ((copy ? i === 1 && /[?&]versionId=[^&]/.test(source) : i === 0 && hasVersionId(rp)) ? (S3_VERSION_ACTIONS[a] ?? a) : a));
  }
  // A write that sets the new object's ACL or tags with a header is also authorised as s3:PutObjectAcl /
  // s3:PutObjectTagging on that object (S3 API Reference, PutObject "Permissions").
  if (actions && rp && eventSource === 's3.amazonaws.com' && isS3WriteWithHeaders(eventName)) {
    const bits = s3HeaderBits(rp);
    if (bits & 1) actions = [...actions, lookup('s3:PutObjectAcl')?.id ?? 's3:PutObjectAcl'];
    if (bits & 2) actions = [...actions, lookup('s3:PutObjectTagging')?.id ?? 's3:PutObjectTagging'];
  }
  // A denial names the action IAM checked: more precise than the event name (and maps events the table cannot).
  const denied = outcome === 'denied' ? deniedDetails(errorMessage) : {};
  const deniedAction = denied.action ? lookup(denied.action)?.id : undefined;
  if (deniedAction) actions = [deniedAction];
  if (!actions) return { unmapped: { eventSource, eventName } };

  const region = str(ev.awsRegion);
  const rctx = {
    eventSource,
    eventName,
    partition: partitionOf(region, str(ui.arn)),
    region,
    account: principal.account,
    requestParameters: rp,
    resources: ev.resources,
  };
  // A loop, not Array#map: V8's optimised map makes arrays of another elements kind than the unoptimised one, and the
  // code below, optimised for one, was thrown away at the first of the other (one compile of mapEvent a worker).
  let targets: ActionTarget[] = [];
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i];
    const resources = deniedAction && denied.resource ? [denied.resource] : resourcesFor(rctx, action, i);
    const bucket = resources.length ? undefined : objectBucketArn(rctx, action, i);
    targets.push(bucket ? { action, resources, bucket } : { action, resources });
  }
  // The iam:PassRole a call implies is used only when the call names a role ARN (an optional role left out passes
  // none; an aggregate row cannot say): never "PassRole on an unknown resource".
  if (!deniedAction && targets.length > 1 && targets.some((t) => t.action === 'iam:PassRole' && t.resources.length === 0)) {
    targets = targets.filter((t) => t.action !== 'iam:PassRole' || t.resources.length > 0);
    actions = targets.map((t) => t.action);
  }

  const mapped: MappedEvent = {
    eventId: str(ev.eventID),
    time,
    principal: principal.principal,
    principalType: principal.type,
    account: principal.account,
    actions,
    resources: targets.length === 1 ? targets[0].resources : [...new Set(targets.flatMap((t) => t.resources))],
    targets,
    outcome,
    errorCode,
    eventSource,
    eventName,
    context: opts.contextKeys?.size === 0 ? {} : contextOf(ev, ui, principal, opts.contextKeys ?? CONTEXT_KEYS),
    recipientAccountId: str(ev.recipientAccountId),
    region,
  };
  if (outcome === 'denied') {
    const by = deniedBy(errorMessage);
    if (by) mapped.deniedBy = by;
  }
  if (principal.note) mapped.note = principal.note;
  return mapped;
}
