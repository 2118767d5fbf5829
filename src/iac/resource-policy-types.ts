// Which resource policies of services other than S3 and IAM the extractors read, and where: one table per source.
import { KMS_KEY_POLICY_SIZE } from './resource-policies.js';

export interface CfnResourcePolicySpec {
  /** The property holding the document; `/` for one nested in wrappers (`ResourcePolicy/PolicyDocument`). */
  doc: string;
  what: string;
  /** Where the resources it governs are named (a list property, or one), with the type a reference must have. */
  targets?: { prop: string; list: boolean; type: string };
  /** The resource is the policy (it must carry the document), although it names no target. */
  required?: boolean;
  /** Missing under a present wrapper is normal (an OpenAPI Body without a policy). */
  optional?: boolean;
  /** Governs a part of the resource (a table's stream): the subject is `<file>#<LogicalId><subjectSuffix>`. */
  subjectSuffix?: string;
  /** Resources written as `execute-api:/…` (API Gateway). */
  executeApi?: boolean;
  sizeLimit?: number;
}

/** CloudFormation: resource type -> the policies it carries (most carry one). */
export const RESOURCE_POLICY_TYPES: Readonly<Record<string, readonly CfnResourcePolicySpec[]>> = {
  'AWS::KMS::Key': [{ doc: 'KeyPolicy', what: 'key policy', sizeLimit: KMS_KEY_POLICY_SIZE }],
  'AWS::KMS::ReplicaKey': [{ doc: 'KeyPolicy', what: 'key policy', sizeLimit: KMS_KEY_POLICY_SIZE }],
  'AWS::ECR::Repository': [{ doc: 'RepositoryPolicyText', what: 'repository policy' }],
  'AWS::SQS::QueuePolicy': [{ doc: 'PolicyDocument', what: 'queue policy', targets: { prop: 'Queues', list: true, type: 'AWS::SQS::Queue' } }],
  'AWS::SNS::TopicPolicy': [{ doc: 'PolicyDocument', what: 'topic policy', targets: { prop: 'Topics', list: true, type: 'AWS::SNS::Topic' } }],
  'AWS::SQS::QueueInlinePolicy': [{ doc: 'PolicyDocument', what: 'queue policy', targets: { prop: 'Queue', list: false, type: 'AWS::SQS::Queue' } }],
  'AWS::SNS::TopicInlinePolicy': [{ doc: 'PolicyDocument', what: 'topic policy', targets: { prop: 'TopicArn', list: false, type: 'AWS::SNS::Topic' } }],
  'AWS::SecretsManager::ResourcePolicy': [{ doc: 'ResourcePolicy', what: 'secret policy', targets: { prop: 'SecretId', list: false, type: 'AWS::SecretsManager::Secret' } }],
  'AWS::OpenSearchService::Domain': [{ doc: 'AccessPolicies', what: 'domain access policy' }],
  'AWS::Elasticsearch::Domain': [{ doc: 'AccessPolicies', what: 'domain access policy' }],
  'AWS::Backup::BackupVault': [{ doc: 'AccessPolicy', what: 'backup vault policy' }],
  'AWS::S3::AccessPoint': [{ doc: 'Policy', what: 'access point policy' }],
  'AWS::EFS::FileSystem': [{ doc: 'FileSystemPolicy', what: 'file system policy' }],
  'AWS::DynamoDB::Table': [
    { doc: 'ResourcePolicy/PolicyDocument', what: 'table policy' },
    { doc: 'StreamSpecification/ResourcePolicy/PolicyDocument', what: 'stream policy', subjectSuffix: '.StreamArn' },
  ],
  'AWS::Kinesis::ResourcePolicy': [{ doc: 'ResourcePolicy', what: 'stream policy', targets: { prop: 'ResourceArn', list: false, type: 'AWS::Kinesis::Stream' } }],
  'AWS::ECR::RegistryPolicy': [{ doc: 'PolicyText', what: 'registry policy', required: true }],
  'AWS::CodeArtifact::Domain': [{ doc: 'PermissionsPolicyDocument', what: 'domain policy' }],
  'AWS::CodeArtifact::Repository': [{ doc: 'PermissionsPolicyDocument', what: 'repository policy' }],
  'AWS::Logs::ResourcePolicy': [{ doc: 'PolicyDocument', what: 'log resource policy', required: true }],
  'AWS::ApiGateway::RestApi': [
    { doc: 'Policy', what: 'API policy', executeApi: true },
    { doc: 'Body/x-amazon-apigateway-policy', what: 'API policy (OpenAPI Body)', executeApi: true, optional: true },
  ],
};

/**
 * CloudFormation: the policies each item of a global table's `Replicas` carries (relative to the item), each bound to
 * that replica's table (or stream) in the item's Region.
 */
export const GLOBAL_TABLE_REPLICA_POLICIES: readonly CfnResourcePolicySpec[] = [
  { doc: 'ResourcePolicy/PolicyDocument', what: 'table policy' },
  { doc: 'ReplicaStreamSpecification/ResourcePolicy/PolicyDocument', what: 'stream policy', subjectSuffix: '.StreamArn' },
];

/** Terraform: a resource's own policy attribute (Optional + Computed when a separate `…_policy` resource can set it). */
export const OWN_POLICIES: Readonly<Record<string, { attr: string; what: string; sizeLimit?: number; executeApi?: boolean; openApiBody?: string }>> = {
  aws_kms_key: { attr: 'policy', what: 'key policy', sizeLimit: KMS_KEY_POLICY_SIZE },
  aws_sqs_queue: { attr: 'policy', what: 'queue policy' },
  aws_sns_topic: { attr: 'policy', what: 'topic policy' },
  aws_secretsmanager_secret: { attr: 'policy', what: 'secret policy' },
  aws_opensearch_domain: { attr: 'access_policies', what: 'domain access policy' },
  aws_elasticsearch_domain: { attr: 'access_policies', what: 'domain access policy' },
  aws_s3_access_point: { attr: 'policy', what: 'access point policy' },
  // `openApiBody`: an OpenAPI definition whose x-amazon-apigateway-policy is the policy when `attr` is not set (the
  // provider's `policy` overrides it).
  aws_api_gateway_rest_api: { attr: 'policy', what: 'API policy', executeApi: true, openApiBody: 'body' },
};

export interface TfPolicyResourceSpec {
  /** The policy attribute (default `policy`). */
  doc?: string;
  /** The attribute naming the resource governed, and that resource's type; none for account-level policies. */
  attr?: string;
  target?: string;
  /** A second attribute the target must match too (a CodeArtifact repository is named within its domain). */
  also?: string;
  /** The resource's ARN, computed by the provider on the policy resource itself. */
  arnAttr?: string;
  executeApi?: boolean;
  sizeLimit?: number;
}

/** Terraform: policy resources of other services. */
export const RESOURCE_POLICY_RESOURCES: Readonly<Record<string, TfPolicyResourceSpec>> = {
  aws_kms_key_policy: { attr: 'key_id', target: 'aws_kms_key', sizeLimit: KMS_KEY_POLICY_SIZE },
  aws_sqs_queue_policy: { attr: 'queue_url', target: 'aws_sqs_queue' },
  aws_sns_topic_policy: { attr: 'arn', target: 'aws_sns_topic' },
  aws_secretsmanager_secret_policy: { attr: 'secret_arn', target: 'aws_secretsmanager_secret' },
  aws_ecr_repository_policy: { attr: 'repository', target: 'aws_ecr_repository' },
  aws_opensearch_domain_policy: { doc: 'access_policies', attr: 'domain_name', target: 'aws_opensearch_domain' },
  aws_elasticsearch_domain_policy: { doc: 'access_policies', attr: 'domain_name', target: 'aws_elasticsearch_domain' },
  aws_backup_vault_policy: { attr: 'backup_vault_name', target: 'aws_backup_vault' },
  aws_s3control_access_point_policy: { attr: 'access_point_arn', target: 'aws_s3_access_point' },
  aws_efs_file_system_policy: { attr: 'file_system_id', target: 'aws_efs_file_system' },
  aws_dynamodb_resource_policy: { attr: 'resource_arn', target: 'aws_dynamodb_table' },
  aws_kinesis_resource_policy: { attr: 'resource_arn', target: 'aws_kinesis_stream' },
  aws_ecr_registry_policy: {},
  aws_codeartifact_domain_permissions_policy: { doc: 'policy_document', attr: 'domain', target: 'aws_codeartifact_domain', arnAttr: 'resource_arn' },
  aws_codeartifact_repository_permissions_policy: { doc: 'policy_document', attr: 'repository', target: 'aws_codeartifact_repository', also: 'domain', arnAttr: 'resource_arn' },
  aws_cloudwatch_log_resource_policy: { doc: 'policy_document' },
  aws_api_gateway_rest_api_policy: { attr: 'rest_api_id', target: 'aws_api_gateway_rest_api', executeApi: true },
  aws_cloudwatch_event_bus_policy: { attr: 'event_bus_name', target: 'aws_cloudwatch_event_bus' },
};
