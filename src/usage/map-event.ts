// One CloudTrail record -> the IAM actions, resources, principal, outcome and context it stands for. Pure.
import { lookupAction } from '../catalog/catalog.js';
import { partiqlAction, resolveActions, type ActionLookup } from './event-actions.js';
import { normalisePrincipal, type CallerType } from './principal.js';
import { resourcesFor } from './resources.js';

/** One action of an event with the resources it was performed on (empty = unknown). */
export interface ActionTarget {
  action: string;
  resources: string[];
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

/** "... is not authorized to perform: iam:DeleteRole on resource: arn:... because ..." */
function deniedDetails(message: string | undefined): { action?: string; resource?: string } {
  if (!message) return {};
  const m = /not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)(?: on resource:? (arn:[^\s"]+?))?(?:[\s.,;]|$)/.exec(message);
  return m ? { action: m[1], resource: m[2] } : {};
}

/** CloudTrail writes "2024-05-01T10:00:00Z"; re-exported logs may use a space and nanoseconds. */
const CANONICAL_TIME = /^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-6]\dZ$/;

export function isoTime(value: unknown): string | undefined {
  const s = str(value);
  if (!s) return undefined;
  // Fast path for CloudTrail's own format (the hot loop): no Date round trip.
  if (s.length === 20 && CANONICAL_TIME.test(s)) return `${s.slice(0, 19)}.000Z`;
  const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$/.exec(s.trim());
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}${m[4] ?? 'Z'}`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

const IP = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]+)$/i;

const PRINCIPAL_TYPE_KEY: Partial<Record<CallerType, string>> = {
  IAMUser: 'User',
  AssumedRole: 'AssumedRole',
  Root: 'Account',
  FederatedUser: 'FederatedUser',
};

function contextOf(ev: Obj, ui: Obj, principal: ReturnType<typeof normalisePrincipal> & object): Record<string, string> {
  const ctx: Record<string, string> = {};
  const set = (k: string, v: string | undefined) => {
    if (v !== undefined) ctx[k] = v;
  };
  const source = str(ev.sourceIPAddress);
  if (source && IP.test(source)) set('aws:sourceip', source);
  set('aws:requestedregion', str(ev.awsRegion));
  set('aws:principalarn', principal.principalArn);
  set('aws:principalaccount', principal.account);
  set('aws:principaltype', PRINCIPAL_TYPE_KEY[principal.type]);
  set('aws:userid', str(ui.principalId));
  if (principal.type === 'IAMUser') set('aws:username', str(ui.userName));
  set('aws:sourcevpce', str(ev.vpcEndpointId));
  if (obj(ev.tlsDetails)) set('aws:securetransport', 'true');
  const sc = obj(ui.sessionContext);
  const mfa = obj(sc?.attributes)?.mfaAuthenticated;
  if (mfa === 'true' || mfa === 'false' || typeof mfa === 'boolean') set('aws:multifactorauthpresent', String(mfa));
  set('aws:sourceidentity', str(sc?.sourceIdentity));
  if (principal.type === 'AWSService') set('aws:principalservicename', principal.principal);
  else if (str(ui.invokedBy)?.endsWith('.amazonaws.com')) set('aws:viaawsservice', 'true');
  const rp = obj(ev.requestParameters);
  if (str(ev.eventSource) === 's3.amazonaws.com' && typeof rp?.prefix === 'string') set('s3:prefix', rp.prefix);
  return ctx;
}

function partitionOf(region: string | undefined, arn: string | undefined): string {
  const fromArn = arn ? /^arn:([^:]+):/.exec(arn)?.[1] : undefined;
  if (fromArn) return fromArn;
  if (region?.startsWith('cn-')) return 'aws-cn';
  if (region?.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Maps one record. `lookup` defaults to the IAM catalogue; tests may pass another. */
export function mapEvent(record: unknown, lookup: ActionLookup = lookupAction): MapResult {
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

  const resolved = resolveActions(eventSource, eventName, lookup);
  if ('permissionless' in resolved) return resolved;

  const ui = obj(ev.userIdentity);
  const principal = ui ? normalisePrincipal(ui) : undefined;
  if (!ui || !principal) return { bad: `${eventSource} ${eventName}: userIdentity missing or without an identifiable principal` };

  const errorCode = str(ev.errorCode);
  const errorMessage = str(ev.errorMessage);
  const outcome = outcomeOf(errorCode, errorMessage);
  const rp = obj(ev.requestParameters);

  let actions: string[] | undefined = 'actions' in resolved ? resolved.actions : undefined;
  if (eventSource === 'dynamodb.amazonaws.com' && eventName === 'ExecuteStatement') {
    const a = partiqlAction(rp?.statement);
    actions = a ? [lookup(a)?.id ?? a] : undefined;
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
  const targets: ActionTarget[] = actions.map((action, i) => ({
    action,
    resources: deniedAction && denied.resource ? [denied.resource] : resourcesFor(rctx, action, i),
  }));

  const mapped: MappedEvent = {
    eventId: str(ev.eventID),
    time,
    principal: principal.principal,
    principalType: principal.type,
    account: principal.account,
    actions,
    resources: [...new Set(targets.flatMap((t) => t.resources))],
    targets,
    outcome,
    errorCode,
    eventSource,
    eventName,
    context: contextOf(ev, ui, principal),
    recipientAccountId: str(ev.recipientAccountId),
    region,
  };
  if (principal.note) mapped.note = principal.note;
  return mapped;
}
