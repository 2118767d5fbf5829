import type { RuleAction } from '../model.js';

/** Maps files to the principal or bucket they govern. `{name}` placeholders are taken from the path. */
export interface SubjectMapping {
  files: string;
  principal?: string;
  bucket?: string;
  /** Policy kind for files matched here, when content alone cannot tell (e.g. a permissions boundary). */
  kind?: 'identity' | 'trust' | 'bucket' | 'resource' | 'boundary';
}

export type CloudTrailSourceConfig =
  | { path: string }
  | { s3: string; accounts?: string[]; regions?: string[]; organization?: string }
  | { 'lookup-events': { regions?: string[] } | true }
  | { lake: string; 'results-bucket'?: string }
  | { athena: { table: string; database?: string; workgroup?: string; 'output-location'?: string; catalog?: string } };

export interface NeverGrant {
  actions: string[];
  resources: string[];
  /** Limit to subjects whose id matches one of these globs (default: all). */
  subjects?: string[];
}

export interface Waiver {
  rule: string;
  files?: string;
  subject?: string;
  actions?: string[];
  resources?: string[];
  /** For findings about a caller (resource and trust policies): the principals it covers, as the finding names them. */
  principals?: string[];
  fingerprint?: string;
  reason: string;
  expires: string;
  approvedBy?: string;
  'allow-wildcard'?: boolean;
  /** Line of the waiver in the config file (1-based). */
  line?: number;
}

export interface GateConfig {
  /** Globs of files that are policies whatever their content says; others are detected by content. */
  policyFiles: { include: string[]; exclude: string[] };
  subjects: SubjectMapping[];
  /** Rule id (or glob of ids) → action. */
  rules: Record<string, RuleAction>;
  neverGrant: NeverGrant[];
  /** Accounts whose principals are not "public/cross-account" for the no-public-access check. */
  trustedAccounts: string[];
  /**
   * `scope`: which log records are mapped. `subjects` (default): only records naming one of the change's subjects or
   * the data resources they grant (everything the usage checks read, see usage/scope.ts); `all`: every record.
   */
  cloudtrail: { since: string; until?: string; scope: 'subjects' | 'all'; sources: CloudTrailSourceConfig[] };
  limits: { maxFileBytes: number; maxChangedFiles: number };
  /** Guards that can only narrow: SCPs, RCPs, permission boundaries per subject glob. */
  context: { scps: string[]; rcps: string[]; boundaries: Array<{ subject: string; file: string }> };
  waivers: Waiver[];
  /** Days before a waiver's expiry in which `waiver-expiring` warns. */
  waiverExpiry: { warnDays: number };
  approvals: { label?: string };
  accessAnalyzer: { enabled: 'auto' | 'on' | 'off'; region?: string; unusedAccessAnalyzer?: string };
  cloudformation: { account?: string; region?: string; partition?: string; parameters: Record<string, string> };
  /** Suggested policies: action patterns always kept as granted (allow) or never suggested (exclude). */
  leastPrivilege: { allow: string[]; exclude: string[] };
  /** Where the config came from ("defaults" or a path), for messages. */
  source: string;
}

export const DEFAULT_RULES: Record<string, RuleAction> = {};

export function defaultConfig(): GateConfig {
  return {
    policyFiles: { include: [], exclude: ['node_modules/**', '.git/**'] },
    subjects: [],
    rules: {},
    neverGrant: [],
    trustedAccounts: [],
    cloudtrail: { since: '90d', scope: 'subjects', sources: [] },
    limits: { maxFileBytes: 2 * 1024 * 1024, maxChangedFiles: 5000 },
    context: { scps: [], rcps: [], boundaries: [] },
    waivers: [],
    waiverExpiry: { warnDays: 7 },
    approvals: {},
    accessAnalyzer: { enabled: 'auto' },
    cloudformation: { parameters: {} },
    leastPrivilege: { allow: [], exclude: [] },
    source: 'defaults',
  };
}
