// Which Access Analyzer calls answer the questions a change raises. Pure: documents and config in,
// a de-duplicated list of calls out. Nothing here talks to AWS.
import { createHash } from 'node:crypto';
import { arnMatches } from '../analysis/evaluate/match.js';
import type { GateConfig, NeverGrant } from '../config/types.js';
import type { PolicyDocument, PolicyKind, SubjectPolicies } from '../model.js';
import { emptyPolicy, policyText, type PolicyText } from './policy-text.js';
import type { AccessCheckPolicyType, AnalyzerPlan, CallSpec, PlannedQuestion, PolicyCheckName, ValidatePolicyType } from './types.js';

/** The API takes at most this many actions, and as many resources, in one access entry. */
export const MAX_ACCESS_ITEMS = 100;
/** Above this (characters without whitespace) the API rejects a policy; the local size check reports it. */
export const MAX_POLICY_CHARS = 32_768;

export interface PlanSources {
  /** File text by path and side, so that whole-file policies are sent verbatim. */
  text?: (side: 'base' | 'head', path: string) => string | undefined;
  /** Head path → base path of renamed files. */
  renamed?: Map<string, string>;
}

const CUSTOM_CHECK_KINDS: PolicyKind[] = ['identity', 'trust', 'bucket', 'resource'];

function accessPolicyType(kind: PolicyKind): AccessCheckPolicyType {
  return kind === 'identity' || kind === 'boundary' ? 'IDENTITY_POLICY' : 'RESOURCE_POLICY';
}

function validatePolicyType(kind: PolicyKind): ValidatePolicyType {
  if (kind === 'scp') return 'SERVICE_CONTROL_POLICY';
  if (kind === 'rcp') return 'RESOURCE_CONTROL_POLICY';
  return accessPolicyType(kind);
}

const resourcesOf = (doc: PolicyDocument): string[] => doc.statements.flatMap((s) => (s.resources ?? []).map((r) => r.value));

/** validatePolicyResourceType: the service-specific checks ValidatePolicy runs for these policies. */
export function validateResourceType(doc: PolicyDocument): string | undefined {
  if (doc.kind === 'bucket') return resourcesOf(doc).some((r) => /^arn:[^:]+:s3:[^:]*:[^:]*:accesspoint\//.test(r)) ? 'AWS::S3::AccessPoint' : 'AWS::S3::Bucket';
  if (doc.kind === 'trust') return 'AWS::IAM::AssumeRolePolicyDocument';
  if (doc.kind !== 'resource') return undefined;
  const rs = resourcesOf(doc);
  if (rs.length && rs.every((r) => /^arn:[^:]+:s3:[^:]*:[^:]*:accesspoint\//.test(r))) return 'AWS::S3::AccessPoint';
  if (rs.length && rs.every((r) => /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/[^/]+$/.test(r))) return 'AWS::DynamoDB::Table';
  return undefined;
}

/** ARN shapes → CheckNoPublicAccess resource types. The first match wins, so specific shapes come first. */
const PUBLIC_ACCESS_TYPES: Array<[RegExp, string]> = [
  [/^arn:[^:]+:s3:[^:]*:[^:]*:accesspoint\//, 'AWS::S3::AccessPoint'],
  [/^arn:[^:]+:s3:::[^/]+/, 'AWS::S3::Bucket'],
  [/^arn:[^:]+:s3express:[^:]*:[^:]*:accesspoint\//, 'AWS::S3Express::AccessPoint'],
  [/^arn:[^:]+:s3express:/, 'AWS::S3Express::DirectoryBucket'],
  [/^arn:[^:]+:s3-outposts:.*:accesspoint\//, 'AWS::S3Outposts::AccessPoint'],
  [/^arn:[^:]+:s3-outposts:/, 'AWS::S3Outposts::Bucket'],
  [/^arn:[^:]+:s3tables:[^:]*:[^:]*:bucket\/[^/]+\/table\//, 'AWS::S3Tables::Table'],
  [/^arn:[^:]+:s3tables:/, 'AWS::S3Tables::TableBucket'],
  [/^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/[^/]+\/stream\//, 'AWS::DynamoDB::Stream'],
  [/^arn:[^:]+:dynamodb:/, 'AWS::DynamoDB::Table'],
  [/^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/[^/]+\/consumer\//, 'AWS::Kinesis::StreamConsumer'],
  [/^arn:[^:]+:kinesis:/, 'AWS::Kinesis::Stream'],
  [/^arn:[^:]+:sqs:/, 'AWS::SQS::Queue'],
  [/^arn:[^:]+:sns:/, 'AWS::SNS::Topic'],
  [/^arn:[^:]+:kms:/, 'AWS::KMS::Key'],
  [/^arn:[^:]+:lambda:/, 'AWS::Lambda::Function'],
  [/^arn:[^:]+:secretsmanager:/, 'AWS::SecretsManager::Secret'],
  [/^arn:[^:]+:elasticfilesystem:/, 'AWS::EFS::FileSystem'],
  [/^arn:[^:]+:es:/, 'AWS::OpenSearchService::Domain'],
  [/^arn:[^:]+:glacier:/, 'AWS::S3::Glacier'],
  [/^arn:[^:]+:execute-api:/, 'AWS::ApiGateway::RestApi'],
  [/^arn:[^:]+:codeartifact:/, 'AWS::CodeArtifact::Domain'],
  [/^arn:[^:]+:backup:/, 'AWS::Backup::BackupVault'],
  [/^arn:[^:]+:cloudtrail:[^:]*:[^:]*:dashboard\//, 'AWS::CloudTrail::Dashboard'],
  [/^arn:[^:]+:cloudtrail:[^:]*:[^:]*:eventdatastore\//, 'AWS::CloudTrail::EventDataStore'],
];

/** CheckNoPublicAccess resourceType for a resource policy, when its ARNs name one supported type. */
export function publicAccessResourceType(doc: PolicyDocument): string | undefined {
  if (doc.kind === 'trust') return 'AWS::IAM::AssumeRolePolicyDocument';
  if (doc.kind === 'bucket') return validateResourceType(doc);
  if (doc.kind !== 'resource') return undefined;
  const types = new Set<string>();
  for (const r of resourcesOf(doc)) {
    const hit = PUBLIC_ACCESS_TYPES.find(([re]) => re.test(r));
    if (hit) types.add(hit[1]);
  }
  return types.size === 1 ? [...types][0] : undefined;
}

export function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Access entries for one never-grant rule, each within the API's 100 actions × 100 resources. */
export function accessBatches(rule: NeverGrant): Array<{ actions?: string[]; resources?: string[] }> {
  const actions = chunk([...new Set(rule.actions)], MAX_ACCESS_ITEMS);
  const resources = chunk([...new Set(rule.resources)], MAX_ACCESS_ITEMS);
  if (actions.length === 0) return resources.map((r) => ({ resources: r }));
  if (resources.length === 0) return actions.map((a) => ({ actions: a }));
  // Both given: the question is "any listed action on any listed resource", so every pair of slices.
  return actions.flatMap((a) => resources.map((r) => ({ actions: a, resources: r })));
}

export function callKey(spec: CallSpec): string {
  return createHash('sha256').update(`${spec.op}\u0000${JSON.stringify(spec.input)}`).digest('hex').slice(0, 32);
}

function ruleApplies(rule: NeverGrant, subjectId: string): boolean {
  return !rule.subjects?.length || rule.subjects.some((g) => g === subjectId || arnMatches(g, subjectId));
}

/** The calls for every changed document of the changed subjects. */
export function planAnalyzerCalls(subjects: SubjectPolicies[], config: GateConfig, sources: PlanSources = {}): AnalyzerPlan {
  const plan: AnalyzerPlan = { questions: [], calls: new Map(), notes: [] };
  const textOf = (doc: PolicyDocument, side: 'base' | 'head'): PolicyText => policyText(doc, sources.text?.(side, doc.file));
  const ask = (subject: string, check: PolicyCheckName, document: PolicyDocument, verbatim: boolean, specs: CallSpec[]): void => {
    const keys = specs.map((spec) => {
      const key = callKey(spec);
      if (!plan.calls.has(key)) plan.calls.set(key, spec);
      return key;
    });
    plan.questions.push({ subject, check, document, verbatim, calls: keys });
  };

  for (const s of subjects) {
    const id = s.subject.id;
    for (const head of s.head) {
      const baseFile = sources.renamed?.get(head.file) ?? head.file;
      const base = s.base.find((d) => d.file === baseFile && d.pointer === head.pointer);
      const headText = textOf(head, 'head');
      const baseText = base ? textOf(base, 'base') : undefined;
      if (baseText && baseText.text === headText.text) continue; // unchanged document: nothing to ask
      if (head.size > MAX_POLICY_CHARS) {
        plan.notes.push(`${head.id}: ${head.size} characters, over the ${MAX_POLICY_CHARS} Access Analyzer accepts; not sent`);
        continue;
      }
      const policyDocument = headText.text;
      const verbatim = headText.verbatim;
      const vType = validateResourceType(head);
      ask(id, 'ValidatePolicy', head, verbatim, [
        { op: 'ValidatePolicy', input: { policyDocument, policyType: validatePolicyType(head.kind), ...(vType ? { validatePolicyResourceType: vType } : {}), locale: 'EN' } },
      ]);
      if (!CUSTOM_CHECK_KINDS.includes(head.kind)) continue;
      const policyType = accessPolicyType(head.kind);
      // AWS compares meaning, not text: a verbatim base against a rebuilt head is a fair question.
      const existing = baseText?.text ?? emptyPolicy(policyType === 'RESOURCE_POLICY');
      ask(id, 'CheckNoNewAccess', head, verbatim, [{ op: 'CheckNoNewAccess', input: { newPolicyDocument: policyDocument, existingPolicyDocument: existing, policyType } }]);
      if (head.kind !== 'trust') {
        for (const rule of config.neverGrant.filter((r) => ruleApplies(r, id))) {
          const batches = accessBatches(rule);
          if (batches.length === 0) continue;
          ask(id, 'CheckAccessNotGranted', head, verbatim, batches.map((access) => ({ op: 'CheckAccessNotGranted' as const, input: { policyDocument, policyType, access: [access] } })));
        }
      }
      if (head.kind !== 'identity') {
        const resourceType = publicAccessResourceType(head);
        if (resourceType) ask(id, 'CheckNoPublicAccess', head, verbatim, [{ op: 'CheckNoPublicAccess', input: { policyDocument, resourceType } }]);
        else plan.notes.push(`${head.id}: no single resource type that CheckNoPublicAccess supports could be told from its ARNs; not checked for public access by AWS`);
      }
    }
  }
  const analyzerArn = config.accessAnalyzer.unusedAccessAnalyzer;
  if (analyzerArn) {
    const principals = subjects.map((s) => s.subject).filter((r) => (r.type === 'role' || r.type === 'user') && r.arn);
    if (principals.length) plan.unusedAccess = { analyzerArn, subjects: principals };
  }
  return plan;
}
