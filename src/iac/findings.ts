// Finding helpers shared by the CloudFormation and Terraform extractors.
import type { Finding, Severity, SourceLocation } from '../model.js';

/**
 * Rule ids this folder reports beside the shared ones (parse-error, unsupported-file):
 * - iac-unresolved: a template value or plan value is not known; it is analysed as "*" (could be anything).
 * - iac-unattached: a policy attached to nothing in the template or plan; analysed on its own.
 * - iac-external-policy: a managed policy named by ARN whose content is not in the input (the pipeline makes it
 *   iac-external-policy-added when base did not attach it).
 * - iac-not-analysed: a construct read but not expanded (SAM transform, nested stacks, stack sets, group membership,
 *   custom resources naming IAM, permission sets, organization policies).
 */
export const IAC_RULES = ['iac-unresolved', 'iac-unattached', 'iac-external-policy', 'iac-not-analysed'] as const;

export function iacFinding(
  ruleId: string,
  severity: Severity,
  message: string,
  location: SourceLocation,
  what: string,
  evidence?: Record<string, unknown>,
  subject?: string,
): Finding {
  const f: Finding = {
    ruleId,
    severity,
    message,
    location: { file: location.file, line: location.line, column: location.column },
    identity: `${ruleId}|${location.file}|${what}`,
    origin: 'local',
  };
  if (evidence) f.evidence = evidence;
  if (subject) f.subject = subject;
  return f;
}

/**
 * What a template holds that the gate cannot read (an API definition in S3, a user's group membership, a stack set,
 * a nested stack, a permission set, a custom resource naming IAM) is iac-not-analysed, with an identity that names
 * the thing exactly (its location, its user and group, a digest of its whole definition). Only the change's own are
 * reported: these kinds, when base had the very same, are dropped (unchangedOpaque).
 */
export const OPAQUE_KINDS = ['openapi-s3', 'membership', 'opaque'] as const;

/** The identity's part after the rule and file (`<kind>|…`) when it is one of OPAQUE_KINDS, else undefined. */
function opaqueKey(f: Finding): string | undefined {
  if (f.ruleId !== 'iac-not-analysed' || !f.location) return undefined;
  const prefix = `${f.ruleId}|${f.location.file}|`;
  if (!f.identity.startsWith(prefix)) return undefined;
  const key = f.identity.slice(prefix.length);
  return OPAQUE_KINDS.some((k) => key.startsWith(`${k}|`)) ? key : undefined;
}

/** Head findings without the opaque ones base had too (the same thing, unchanged: not the change's). */
export function unchangedOpaque(head: Finding[], base: Finding[]): Finding[] {
  const before = new Set(base.map(opaqueKey).filter((k) => k !== undefined));
  if (before.size === 0) return head;
  return head.filter((f) => {
    const key = opaqueKey(f);
    return key === undefined || !before.has(key);
  });
}

export const at = (file: string, line = 1, column = 1): SourceLocation => ({ file, line, column });

/** Canned ACLs that open a bucket to everyone or to every AWS account. */
export const PUBLIC_ACLS: Readonly<Record<string, string>> = {
  'public-read': 'anyone can read it',
  'public-read-write': 'anyone can read and write it',
  'authenticated-read': 'every AWS account can read it',
  publicread: 'anyone can read it',
  publicreadwrite: 'anyone can read and write it',
  authenticatedread: 'every AWS account can read it',
};

/**
 * A long-term access key for an IAM user (`AWS::IAM::AccessKey`, `aws_iam_access_key`), active: a credential that
 * signs requests as the user from anywhere and never expires, created outside every policy the gate compares.
 * Reported as access-key-added on the head side; the pipeline drops it when base had the same active key
 * (identity `access-key|<key resource>|<user>`), so only a key the change creates, activates or moves is reported.
 */
export function accessKeyFinding(keyResource: string, user: string | undefined, location: SourceLocation): Finding {
  const who = user ? `IAM user ${user}` : 'an IAM user the gate cannot name';
  return {
    ruleId: 'access-key-added',
    severity: 'medium',
    subject: keyResource,
    message: `${keyResource}: a long-term access key for ${who}: it signs requests as the user from anywhere and does not expire (prefer roles and short-term credentials)`,
    location: { file: location.file, line: location.line, column: location.column },
    evidence: { resource: keyResource, ...(user ? { user } : {}) },
    identity: `access-key|${keyResource}|${user ?? ''}`,
    origin: 'local',
  };
}

/**
 * A setting outside any policy that exposes a resource (a public canned ACL, a public access block turned off, a
 * function URL without authentication): reported as public-access on the head side; the pipeline makes it
 * public-access-existing when base had the same setting (identity `public-setting|<subject>|<setting>`).
 */
export function exposureFinding(_file: string, subject: string, setting: string, message: string, location: SourceLocation): Finding {
  return {
    ruleId: 'public-access',
    severity: 'critical',
    subject,
    message: `${subject}: ${message}`,
    location: { file: location.file, line: location.line, column: location.column },
    evidence: { setting },
    identity: `public-setting|${subject}|${setting}`,
    origin: 'local',
  };
}
