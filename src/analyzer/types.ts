// IAM Access Analyzer results beside the local engine's ([analyzer]).
import type { PolicyDocument, SourceLocation, SubjectRef } from '../model.js';

export type PolicyCheckName = 'CheckNoNewAccess' | 'CheckAccessNotGranted' | 'CheckNoPublicAccess' | 'ValidatePolicy';
export type AnalyzerCheckName = PolicyCheckName | 'UnusedAccess' | 'PolicyGeneration';

/** One reason AWS gave for a FAIL, located at the statement it names. */
export interface AnalyzerReason {
  description: string;
  statementIndex?: number;
  statementId?: string;
  location?: SourceLocation;
  /** CheckAccessNotGranted: the listed actions/resources the statement grants. */
  access?: Array<{ actions?: string[]; resources?: string[] }>;
}

export type ValidateFindingType = 'ERROR' | 'SECURITY_WARNING' | 'WARNING' | 'SUGGESTION';

export interface ValidateFinding {
  findingType: ValidateFindingType;
  issueCode: string;
  details: string;
  learnMoreLink?: string;
  location?: SourceLocation;
}

/** One unused-access finding of the configured unused-access analyzer, beside the CloudTrail evidence. */
export interface UnusedAccessDetail {
  findingId: string;
  kind: 'UnusedIAMRole' | 'UnusedPermission' | 'UnusedIAMUserAccessKey' | 'UnusedIAMUserPassword';
  /** UnusedPermission: the service namespace. */
  service?: string;
  /** ISO date the role, key, password or service was last used (absent: never in the tracking period). */
  lastAccessed?: string;
  actions?: Array<{ action: string; lastAccessed?: string }>;
  /** What the gate's own CloudTrail data shows for the same principal and service. */
  cloudTrail?: { calls: number; lastSeen?: string };
}

export interface AccessAnalyzerCheck {
  check: AnalyzerCheckName;
  /** The policy document id (file#pointer) it was asked about; the subject id for UnusedAccess / PolicyGeneration. */
  document: string;
  result: 'PASS' | 'FAIL' | 'not-run';
  message: string;
  /** The local engine's answer to the same question, when there is one. */
  local?: 'PASS' | 'FAIL';
  /** AWS and the local engine answered differently; the gate keeps the stricter (FAIL) answer. */
  disagreement?: boolean;
  reasons?: AnalyzerReason[];
  /** ValidatePolicy: its findings, located in the file. */
  findings?: ValidateFinding[];
  /** UnusedAccess: the analyzer's findings for this principal. */
  unused?: UnusedAccessDetail[];
  /** PolicyGeneration: the policy AWS generated from CloudTrail. */
  generatedPolicy?: string;
  /** API calls made for this answer (after de-duplication: a shared call counts for each question). */
  calls?: number;
}

// ---------- the plan: which calls answer which question ----------

export type AccessCheckPolicyType = 'IDENTITY_POLICY' | 'RESOURCE_POLICY';
export type ValidatePolicyType = AccessCheckPolicyType | 'SERVICE_CONTROL_POLICY' | 'RESOURCE_CONTROL_POLICY';

export type CallSpec =
  | { op: 'CheckNoNewAccess'; input: { newPolicyDocument: string; existingPolicyDocument: string; policyType: AccessCheckPolicyType } }
  | {
      op: 'CheckAccessNotGranted';
      input: { policyDocument: string; policyType: AccessCheckPolicyType; access: Array<{ actions?: string[]; resources?: string[] }> };
    }
  | { op: 'CheckNoPublicAccess'; input: { policyDocument: string; resourceType: string } }
  | { op: 'ValidatePolicy'; input: { policyDocument: string; policyType: ValidatePolicyType; validatePolicyResourceType?: string; locale: 'EN' } };

/** One question about one head document, answered by one call or (batched CheckAccessNotGranted) several. */
export interface PlannedQuestion {
  subject: string;
  check: PolicyCheckName;
  document: PolicyDocument;
  /** The text sent is the file itself, so ValidatePolicy spans are file positions. */
  verbatim: boolean;
  /** Keys into AnalyzerPlan.calls. */
  calls: string[];
}

export interface AnalyzerPlan {
  questions: PlannedQuestion[];
  /** De-duplicated calls by key: identical (operation, policy type, documents) are asked once. */
  calls: Map<string, CallSpec>;
  /** What the plan left out and why (no resource type for CheckNoPublicAccess, over the size limit ...). */
  notes: string[];
  /** Principals to look up on the unused-access analyzer. */
  unusedAccess?: { analyzerArn: string; subjects: SubjectRef[] };
}

// ---------- what came back ----------

export type AnalyzerErrorKind = 'access-denied' | 'throttled' | 'timeout' | 'malformed' | 'invalid-input' | 'credentials' | 'budget' | 'other';

export interface AnalyzerError {
  kind: AnalyzerErrorKind;
  message: string;
  /** The IAM action the credentials lack (access-denied). */
  action?: string;
}

export type CallOutcome = { ok: true; response: Record<string, unknown> } | { ok: false; error: AnalyzerError };

/** Everything the Access Analyzer stage hands to the pure pipeline. */
export interface AnalyzerOutcome {
  status: 'ran' | 'skipped' | 'not-run';
  detail: string;
  /** Answers per subject id, before comparison with the local engine. */
  bySubject: Record<string, AccessAnalyzerCheck[]>;
  /** Distinct failures (one per kind and action), for the not-run findings. */
  errors: AnalyzerError[];
  callsMade: number;
  /** Questions that shared an identical call with another one. */
  deduplicated: number;
}
