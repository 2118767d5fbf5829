// Unused access and least-privilege suggestions ([least-privilege]): the shapes in SubjectAnalysis.unused
// and SubjectAnalysis.suggestion, described field by field in schemas/report.schema.json.
import type { AccessLevel } from '../model.js';

/** S3 action classes: what a grant on a bucket lets a principal do. */
export type S3AccessClass = 'read' | 'write' | 'delete' | 'list' | 'permissions';

export interface UnusedActionGroup {
  service: string;
  accessLevel: AccessLevel;
  /** Granted actions of this service and level never called in the window. */
  actions: string[];
}

export interface UnusedService {
  service: string;
  /** How many of its actions are granted. */
  actions: number;
}

/** Granted actions whose use the logs cannot show: unknown, never reported as unused. */
export interface UnknownUse {
  service: string;
  actions: string[];
  why: string;
}

/** One bucket named by a grant (identity policy) or the bucket of a bucket policy. */
export interface S3BucketUse {
  bucket: string;
  granted: S3AccessClass[];
  used: S3AccessClass[];
  /** Granted classes with no call in the window (classes whose data events were not seen are left out). */
  unusedClasses: S3AccessClass[];
  calls: number;
  lastSeen?: string;
  /** Whether object-level (data) events were seen for this bucket in the window, from any principal. */
  dataEvents: 'seen' | 'not-seen';
  /** No call at all on the bucket by the subject (or, for a bucket policy, by anyone). */
  neverAccessed: boolean;
  /** Write or delete granted, but only read or list used. */
  onlyReadsUsed: boolean;
}

/** A principal named in a bucket policy's Allow statements, and its activity on the bucket. */
export interface S3PrincipalUse {
  principal: string;
  granted: S3AccessClass[];
  used: S3AccessClass[];
  calls: number;
  lastSeen?: string;
  /** stale: no call in the window; unknown: its grants are data actions whose events were not logged. */
  status: 'active' | 'stale' | 'unknown';
  why?: string;
}

export interface S3UnusedReport {
  buckets: S3BucketUse[];
  /** Bucket policies only. */
  principals?: S3PrincipalUse[];
}

/** What the logs could and could not show. */
export interface LogCoverage {
  /** Usage source ids that contributed. */
  sources: string[];
  /** Data-event families seen in the window (any principal), with the resources they were seen on. */
  dataEvents: Array<{ family: string; resources: string[] }>;
  /** Trails and event selectors, when a source reported them; otherwise a sentence saying they cannot be known. */
  trails: string[];
}

export interface UnusedAccessReport {
  window: { start?: string; end?: string };
  grantedActions: number;
  /** Granted actions called at least once in the window (whatever the outcome). */
  usedActions: number;
  /** Unused actions of services with some use, grouped by service and access level. */
  unusedActions: UnusedActionGroup[];
  /** Services granted and never touched (their unknown actions aside). */
  unusedServices: UnusedService[];
  unknown: UnknownUse[];
  s3?: S3UnusedReport;
  coverage: LogCoverage;
  notes: string[];
}

/** A suggested IAM statement, in policy JSON shape. */
export interface SuggestedStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface SuggestedDocument {
  Version: '2012-10-17';
  Statement: SuggestedStatement[];
}

export type SuggestedPolicyType = 'managed' | 'inline-role' | 'inline-user' | 'inline-group';

export interface SuggestedPolicy {
  policyType: SuggestedPolicyType;
  /** Characters without whitespace a document of this type may hold. */
  sizeLimit: number;
  /** One or more documents, split to fit the size limit. */
  documents: SuggestedDocument[];
  /** Size of each document, counted like IAM (characters without whitespace). */
  sizes: number[];
  /** Distinct (action, resource) pairs in the usage that the suggestion had to cover. */
  usedPairs: number;
  /** Grant-level diff against the current policy: "- ", "+ " and "  " prefixed lines. */
  diff: string[];
  notes: string[];
}
