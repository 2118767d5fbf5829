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
  if (listed) return { actions: listed.slice() };
  const found = lookup(`${prefix}:${name}`);
  return found ? { actions: [found.id] } : { unmapped: true };
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
