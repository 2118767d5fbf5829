import type { AccessAnalyzerCheck } from './analyzer/types.js';
import type { SuggestedPolicy, UnusedAccessReport } from './leastpriv/types.js';
import type { WaiverStatus } from './review/types.js';

// The data that flows through the pipeline. Every stage takes and returns these plain shapes;
// nothing here touches git, AWS, GitHub or the file system.

/** A place in a file. Lines and columns are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

/** A value from a file together with where it was written. */
export interface Located<T> {
  value: T;
  loc: SourceLocation;
}

export type PolicyKind =
  | 'identity' // attached to a user, role or group
  | 'trust' // a role's assume-role policy
  | 'bucket' // an S3 bucket policy
  | 'resource' // another resource policy (queue, key, topic ...)
  | 'scp'
  | 'rcp'
  | 'boundary'; // a permissions boundary

export type Effect = 'Allow' | 'Deny';

export type PrincipalType = 'AWS' | 'Service' | 'Federated' | 'CanonicalUser';

export interface PrincipalEntry {
  type: PrincipalType;
  /** "*" or an ARN, account id, service name, provider. */
  value: string;
  loc: SourceLocation;
}

/** Principal or NotPrincipal. `"Principal": "*"` is `{ any: true, entries: [] }`. */
export interface PrincipalBlock {
  any: boolean;
  entries: PrincipalEntry[];
  loc: SourceLocation;
}

export interface ConditionClause {
  /** As written, e.g. "ForAnyValue:StringLikeIfExists". */
  operator: string;
  /** As written; condition keys are case-insensitive, compare lower-cased. */
  key: string;
  values: string[];
  loc: SourceLocation;
}

export interface Statement {
  /** Index of the statement in its document (0-based). */
  index: number;
  sid?: string;
  effect: Effect;
  actions?: Located<string>[];
  notActions?: Located<string>[];
  resources?: Located<string>[];
  notResources?: Located<string>[];
  principal?: PrincipalBlock;
  notPrincipal?: PrincipalBlock;
  conditions: ConditionClause[];
  loc: SourceLocation;
}

/** One policy document, from a raw JSON file, a wrapper, a template or a plan. */
export interface PolicyDocument {
  /** Stable id: `<file>` or `<file>#<pointer or logical id>`. */
  id: string;
  file: string;
  /** JSON pointer (or template path) of the document inside its file; "" for a whole-file policy. */
  pointer: string;
  kind: PolicyKind;
  version?: string;
  statements: Statement[];
  loc: SourceLocation;
  /** Characters without whitespace, as IAM counts them for size quotas. */
  size: number;
  /** A human name, e.g. "iam/app-worker.json" or "AppRole inline policy S3Access". */
  label: string;
  /** Subject hint set by an extractor that knows it (a template's logical role, a plan's bucket). */
  subjectHint?: SubjectRef;
}

export type SubjectType = 'role' | 'user' | 'group' | 'bucket' | 'resource' | 'unbound';

export interface SubjectRef {
  type: SubjectType;
  /** The principal or bucket ARN, when known. */
  arn?: string;
  /** Display name and grouping key: the ARN when known, else a logical name or the file path. */
  id: string;
}

export type ChangeStatus = 'added' | 'deleted' | 'modified' | 'renamed' | 'unchanged';

/** A file's two versions as read by the changes stage. Content is raw bytes (may be binary). */
export interface FileChange {
  path: string;
  /** For renames: the base path. */
  basePath?: string;
  status: ChangeStatus;
  base?: Uint8Array;
  head?: Uint8Array;
  /** A problem reading either side (symlink out of the workspace, too large, unreadable). */
  error?: string;
}

export interface ChangeSet {
  baseLabel: string;
  headLabel: string;
  files: FileChange[];
  /** Files listed by the change that were not read at all (e.g. deleted symlinks), with the reason. */
  notes: string[];
  /** Changed Terraform sources (.tf, .tfvars, .tofu; git mode): read only through a plan. */
  terraformSources?: string[];
  /** Plans given by the workflow (--plan, the action's plan input): not a plan the pull request commits. */
  plansGiven?: number;
}

/** Policies extracted from one side of one file. */
export interface ExtractedFile {
  path: string;
  /** 'policy' when at least one document was found, 'not-policy' when the file is ignored. */
  status: 'policy' | 'not-policy' | 'error';
  format?: 'json' | 'cloudformation' | 'terraform-plan' | 'wrapper';
  documents: PolicyDocument[];
  /** Located problems found while parsing or validating (each a finding). */
  findings: Finding[];
}

/** A changed policy file with both sides extracted. */
export interface PolicyFileChange {
  path: string;
  basePath?: string;
  status: ChangeStatus;
  base: PolicyDocument[];
  head: PolicyDocument[];
  findings: Finding[];
}

/** All policies governing one subject, on both sides. */
export interface SubjectPolicies {
  subject: SubjectRef;
  base: PolicyDocument[];
  head: PolicyDocument[];
  /** Files that contribute (head path names). */
  files: string[];
  /** Context that can only narrow: SCPs, RCPs, boundaries, for this subject. */
  guards?: { base: PolicyDocument[]; head: PolicyDocument[] };
  /** Files whose head version could not be read: compared as their base version (the parse error fails the run). */
  unreadableHead?: string[];
}

// ---------- CloudTrail usage ----------

/** One aggregated line of usage: a principal calling one action on one resource with one outcome. */
export interface UsageRecord {
  /** Normalised principal ARN (assumed-role sessions become their role). */
  principal: string;
  principalType: string;
  /** IAM action, "service:Action" in the catalogue's casing. */
  action: string;
  /** Resource ARN when known from the event, else undefined. */
  resource?: string;
  /**
   * With no resource: the bucket ARN of S3 object calls whose keys are not known (Lake and Athena do not group by
   * key; a local or S3 read keeps 1,000 distinct keys per principal and action in each worker and folds the rest).
   */
  bucket?: string;
  /** The caller's account (for cross-account bucket access). */
  account?: string;
  /** 'allowed', or 'denied' for AccessDenied and friends, or 'error' for other errors. */
  outcome: 'allowed' | 'denied' | 'error';
  errorCode?: string;
  /**
   * A denial: the policy type its error message says denied it — `identity` ("because no identity-based policy
   * allows"), `scp`, `rcp`, `boundary`, `session`, `resource` (resource-based, a role's trust policy), `vpce` (VPC
   * endpoint policy) — with `-explicit` for "with an explicit deny in …". Absent when the message does not say
   * (older messages, most S3 ones, rows without a message). Records of different kinds are never merged.
   */
  deniedBy?:
    | 'identity'
    | 'identity-explicit'
    | 'scp'
    | 'scp-explicit'
    | 'rcp'
    | 'rcp-explicit'
    | 'boundary'
    | 'boundary-explicit'
    | 'session'
    | 'session-explicit'
    | 'resource'
    | 'resource-explicit'
    | 'vpce'
    | 'vpce-explicit';
  count: number;
  firstSeen: string; // ISO
  lastSeen: string; // ISO
  /** Context keys that the policies use and the events carried (lower-cased keys). */
  context: Record<string, string>;
  /** The eventSource and eventName it came from (first seen). */
  eventSource: string;
  eventName: string;
}

export interface UnmappedEvent {
  eventSource: string;
  eventName: string;
  count: number;
}

export interface UsageSourceReport {
  /** e.g. "file:logs/", "s3://bucket/prefix", "lookup-events:us-east-1", "lake:<arn>", "athena:<table>". */
  id: string;
  kind: 'file' | 's3' | 'lookup-events' | 'lake' | 'athena';
  status: 'ran' | 'partial' | 'failed';
  /** Records read. */
  events: number;
  /** Records read but not mapped: they name none of the change's subjects or data resources (`cloudtrail.scope`). */
  skipped?: number;
  /**
   * Events on S3 objects counted for their bucket only (UsageRecord.bucket): the principal and action already held
   * 1,000 distinct keys in the worker that read them.
   */
  keysNotKept?: number;
  /**
   * Events with a condition-key value left unknown (a key the policies test, e.g. aws:SourceIp): the principal and
   * action already held 1,000 distinct values of that key in the worker that read them.
   */
  contextValuesNotKept?: number;
  objects?: number;
  bytes?: number;
  accounts?: string[];
  regions?: string[];
  /** What this source cannot see (e.g. LookupEvents: no data events). */
  blindSpots?: string[];
  /** Trails behind this source and their data-event selectors, when the source can know them. */
  trails?: Array<{ name?: string; arn?: string; dataEventSelectors?: string[] }>;
  errors: string[];
}

export interface UsageSummary {
  window: { start?: string; end?: string };
  sources: UsageSourceReport[];
  records: UsageRecord[];
  unmapped: UnmappedEvent[];
  /** Events that need no IAM permission (sts:GetCallerIdentity, console sign-in). */
  permissionless: number;
  totalEvents: number;
  duplicateEvents: number;
  /** Events dropped because the record was not an event. */
  badRecords: number;
  /** True when every source ran to completion. */
  complete: boolean;
  /**
   * The names records were read for (`cloudtrail.scope: subjects`): log records naming none of them were counted as
   * read and not mapped (sources' `skipped`), so totals cover the change's subjects, not the whole trail.
   */
  scope?: string[];
}

// ---------- Findings, checks, verdict ----------

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface Finding {
  /** Stable rule id, e.g. "new-access", "high-risk-added", "invalid-grammar". */
  ruleId: string;
  severity: Severity;
  /** Plain text; renderers escape it. */
  message: string;
  location?: SourceLocation;
  subject?: string;
  /** Machine-readable evidence (actions, resources, counts). */
  evidence?: Record<string, unknown>;
  /**
   * What identifies this finding independent of its line: rule, file, subject, and the essence
   * (e.g. the action and resource). Hashed into SARIF partialFingerprints.
   */
  identity: string;
  /** Where the finding came from: the local engine or an AWS service. */
  origin?: 'local' | 'access-analyzer' | 'cloudtrail';
}

export type CheckStatus = 'ran' | 'skipped' | 'not-run';

export interface CheckResult {
  id: string; // e.g. "policy-parse", "cloudtrail", "access-analyzer", "local-no-new-access"
  status: CheckStatus;
  detail: string;
}

export type RuleAction = 'fail' | 'warn' | 'off';

export interface VerdictReason {
  ruleId: string;
  action: RuleAction;
  message: string;
  location?: SourceLocation;
  count: number;
}

export interface Verdict {
  status: 'pass' | 'warn' | 'fail';
  headline: string;
  reasons: VerdictReason[];
}

// ---------- Analysis results ----------

export type AccessLevel = 'List' | 'Read' | 'Write' | 'Permissions management' | 'Tagging' | 'Unknown';

export type RiskCategory =
  | 'privilege-escalation'
  | 'permissions-management'
  | 'resource-exposure'
  | 'credentials-exposure'
  | 'data-access';

/**
 * Actions one side allows, grouped: the same access level, granted by the same statements on the same
 * resources (one group for the 700 actions of an `ec2:*` statement, not 700 entries).
 */
export interface ActionGrant {
  /** Catalogue ids, sorted. */
  actions: string[];
  accessLevel: AccessLevel;
  /** Resource patterns it is allowed on ("*" when the statement says so). */
  resources: string[];
  /** True when every statement granting it has a condition (the grant may not apply). */
  conditional: boolean;
  locations: SourceLocation[];
}

export interface ActionDelta {
  baseCount: number;
  headCount: number;
  /** Distinct actions in `added` / `removed`. */
  addedCount: number;
  removedCount: number;
  added: ActionGrant[];
  removed: ActionGrant[];
}

export interface ConcretenessCounts {
  concrete: number;
  scoped: number;
  wildcard: number;
  /** Actions that support no resource-level permission: counted apart, outside the ratio. */
  noResourceLevel: number;
  /** concrete+scoped over concrete+scoped+wildcard, 0..1; null when nothing counts. */
  ratio: number | null;
}

export interface RiskChange {
  action: string;
  categories: RiskCategory[];
  resource: string;
  direction: 'added' | 'removed' | 'narrowed';
  location?: SourceLocation;
  /** For 'narrowed': the resource it had on base. */
  from?: string;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny' | 'undecided';

export interface ReplayItem {
  kind: 'predicted-denied' | 'fixed-denied' | 'undecided';
  principal: string;
  action: string;
  resource?: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  base: Decision;
  head: Decision;
  /** The head statement that now decides (deny) or grants (fix), when there is one. */
  location?: SourceLocation;
  note?: string;
}

export interface ReplaySummary {
  eventsReplayed: number;
  predicted: ReplayItem[];
  fixed: ReplayItem[];
  undecided: ReplayItem[];
}

/** A piece of access head allows and base does not, as small and readable as possible. */
export interface NewAccessItem {
  actions: string[];
  resource: string;
  /** For resource policies: who gains it. */
  principal?: string;
  /** Conditions on the head statement, rendered. */
  condition?: string;
  location: SourceLocation;
  /** 'new' when no base statement covers it; 'possibly-new' when containment could not be decided. */
  certainty: 'new' | 'possibly-new';
  reason: string;
}

export interface SubjectAnalysis {
  subject: SubjectRef;
  files: string[];
  delta: ActionDelta;
  concreteness: { base: ConcretenessCounts; head: ConcretenessCounts };
  risk: { added: RiskChange[]; removed: RiskChange[] };
  newAccess: NewAccessItem[];
  replay?: ReplaySummary;
  /** Subject-level checks that could not run for this subject, with why. */
  limits: string[];
  /** Granted but unused in the CloudTrail window ([least-privilege]). */
  unused?: UnusedAccessReport;
  /** A least-privilege policy supported by the usage ([least-privilege]). */
  suggestion?: SuggestedPolicy;
  /** Access Analyzer answers for this subject's policies, beside the local ones ([analyzer]). */
  accessAnalyzer?: AccessAnalyzerCheck[];
}

export interface Totals {
  actions: { base: number; head: number; added: number; removed: number };
  concreteness: { base: ConcretenessCounts; head: ConcretenessCounts };
  predictedDenied: { actions: number; calls: number };
  fixedDenied: { actions: number; denials: number };
  risk: { added: number; removed: number; byCategoryAdded: Partial<Record<RiskCategory, number>>; byCategoryRemoved: Partial<Record<RiskCategory, number>> };
  newAccess: number;
}

export interface Report {
  schemaVersion: '1.0';
  tool: { name: string; version: string; catalog: { source: string; version: string; actions: number } };
  generatedAt: string;
  change: {
    base: string;
    head: string;
    policyFiles: number;
    ignoredFiles: number;
    /** Changed files the config's `policy-files.exclude` left out (never read). */
    excludedFiles?: string[];
    /** What reading the change noted (skipped files, no shared history, rename detection off ...), at most 50. */
    notes?: string[];
    files: Array<{ path: string; basePath?: string; status: ChangeStatus; documents: { base: number; head: number } }>;
  };
  subjects: SubjectAnalysis[];
  totals: Totals;
  findings: Finding[];
  checks: CheckResult[];
  usage?: Omit<UsageSummary, 'records'> & { records: number };
  /** Waivers from the config and what became of each ([review]). */
  waivers?: WaiverStatus[];
  /** An approval label that turned failing new access into a warning ([github]). */
  approval?: { label: string; by: string; at?: string };
  verdict: Verdict;
}
