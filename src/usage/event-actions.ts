// eventSource + eventName -> IAM action(s), checked against the catalogue.
import eventMap from './event-map.generated.js';

/** Looks an action up case-insensitively; returns it in the catalogue's casing. */
export type ActionLookup = (id: string) => { id: string } | undefined;

export type ActionResolution =
  | { actions: string[] }
  | { permissionless: true }
  | { unmapped: true };

/** API-version suffixes: Lambda `…20150331`, `…20150331v2`; CloudFront `…2016_11_25`, `…2020_05_31`. */
const VERSION_SUFFIX = /(?:\d{8}|\d{4}_\d\d_\d\d)(?:v\d+)?$/;

export function stripVersionSuffix(eventName: string): string {
  const stripped = eventName.replace(VERSION_SUFFIX, '');
  return stripped === '' ? eventName : stripped;
}

/** The IAM prefix for an eventSource: the table, else the host's first label (validated later by the catalogue). */
export function prefixForSource(eventSource: string): string | undefined {
  const known = eventMap.sourcePrefixes[eventSource];
  if (known) return known;
  const m = /^([a-z0-9-]+)\.amazonaws\.com$/.exec(eventSource);
  return m?.[1];
}

const permissionless = new Map<string, Set<string>>(
  Object.entries(eventMap.permissionless).map(([source, names]) => [source, new Set(names)]),
);

export function isPermissionless(eventSource: string, eventName: string): boolean {
  return permissionless.get(eventSource)?.has(eventName) ?? false;
}

export function resolveActions(eventSource: string, eventName: string, lookup: ActionLookup): ActionResolution {
  if (isPermissionless(eventSource, eventName)) return { permissionless: true };
  const prefix = prefixForSource(eventSource);
  if (!prefix) return { unmapped: true };
  const exceptions = eventMap.actionExceptions[prefix];
  const name = stripVersionSuffix(eventName);
  const listed = exceptions?.[eventName] ?? exceptions?.[name];
  const found = listed ? undefined : lookup(`${prefix}:${name}`);
  const actions = listed ? listed.slice() : found ? [found.id] : undefined;
  if (!actions) return { unmapped: true };
  // The iam:PassRole IAM checks inside the call: an action of its own, on the roles the call names (see resources.ts).
  if (passedRoleParams(prefix, name) && !actions.includes('iam:PassRole')) actions.push(lookup('iam:PassRole')?.id ?? 'iam:PassRole');
  return { actions };
}

/**
 * Calls that pass a role to a service, and where their request parameters (as CloudTrail logs them) name it. IAM
 * authorises iam:PassRole on that role inside the call, and CloudTrail never logs it as an event of its own. Written
 * here: the event-to-action sources (iam-dataset, TrailScraper, CloudTracker) map each event to its own action only.
 * Paths: `a.b` for nested objects, `a[].b` for every item of a list.
 */
const PASSED_ROLE_PARAMS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  lambda: { CreateFunction: ['role'], UpdateFunctionConfiguration: ['role'] },
  ecs: { RegisterTaskDefinition: ['taskRoleArn', 'executionRoleArn'], RunTask: ['overrides.taskRoleArn', 'overrides.executionRoleArn'] },
  glue: { CreateJob: ['role'], UpdateJob: ['jobUpdate.role'], CreateCrawler: ['role'], UpdateCrawler: ['role'], CreateDevEndpoint: ['roleArn'] },
  cloudformation: { CreateStack: ['roleARN'], UpdateStack: ['roleARN'], CreateChangeSet: ['roleARN'] },
  codebuild: { CreateProject: ['serviceRole'], UpdateProject: ['serviceRole'] },
  sagemaker: { CreateTrainingJob: ['roleArn'], CreateProcessingJob: ['roleArn'], CreateNotebookInstance: ['roleArn'], CreateModel: ['executionRoleArn'] },
  states: { CreateStateMachine: ['roleArn'], UpdateStateMachine: ['roleArn'] },
  events: { PutTargets: ['targets[].roleArn'] },
  batch: { CreateComputeEnvironment: ['serviceRole'], RegisterJobDefinition: ['containerProperties.jobRoleArn', 'containerProperties.executionRoleArn'] },
};

/** Where a call names the roles it passes, or undefined when it passes none (by IAM prefix and unversioned name). */
export function passedRoleParams(prefix: string, name: string): readonly string[] | undefined {
  return Object.hasOwn(PASSED_ROLE_PARAMS, prefix) && Object.hasOwn(PASSED_ROLE_PARAMS[prefix], name) ? PASSED_ROLE_PARAMS[prefix][name] : undefined;
}

/** DynamoDB PartiQL: the action depends on the statement's verb. */
export function partiqlAction(statement: unknown): string | undefined {
  if (typeof statement !== 'string') return undefined;
  const verb = /^\s*(select|insert|update|delete)\b/i.exec(statement)?.[1]?.toLowerCase();
  if (!verb) return undefined;
  return `dynamodb:PartiQL${verb[0].toUpperCase()}${verb.slice(1)}`;
}

export function isS3ObjectAction(action: string): boolean {
  return s3ObjectActions.has(action);
}
const s3ObjectActions = new Set(eventMap.s3ObjectActions);

/** Every action the table can emit, for checking the table against the catalogue. */
export function allTableActions(): string[] {
  const out = new Set<string>();
  for (const table of Object.values(eventMap.actionExceptions)) for (const list of Object.values(table)) for (const a of list) out.add(a);
  return [...out].sort();
}
