import type { RuleAction, Severity } from '../model.js';

export interface RuleInfo {
  id: string;
  name: string;
  shortDescription: string;
  help: string;
  severity: Severity;
  /** GitHub code scanning's security-severity (0.0–10.0). */
  securitySeverity: number;
  defaultAction: RuleAction;
}

/** Every rule the gate reports. SARIF rules, `iam-policy-gate rules` and README are views of this table. */
export const RULES: RuleInfo[] = [
  {
    id: 'new-access',
    name: 'NewAccess',
    shortDescription: 'The change grants access that the base policies did not grant.',
    help: 'Head allows a request (action, resource, principal, conditions) that no base statement allows. Narrow the statement to what was granted before, or get the new access reviewed and approved. "Possibly new" means the engine could not prove containment (e.g. different conditions) and errs toward reporting.',
    severity: 'high',
    securitySeverity: 7.5,
    defaultAction: 'fail',
  },
  {
    id: 'high-risk-added',
    name: 'HighRiskPermissionAdded',
    shortDescription: 'A high-risk permission (privilege escalation, permissions management, exposure, credentials, data access) is granted where it was not before.',
    help: 'The action is on one or more public high-risk lists (see README, "The four metrics, defined": "High-risk changes"). Scope it to concrete resources, add conditions, or remove it.',
    severity: 'high',
    securitySeverity: 8.0,
    defaultAction: 'fail',
  },
  {
    id: 'data-access-added',
    name: 'ScopedDataAccessAdded',
    shortDescription: 'A data-access permission is granted on a concrete or scoped resource where it was not before.',
    help: 'Reading secrets, keys or data from named resources is a normal need but worth a reviewer\'s look. On a wildcard resource the same grant is reported as high-risk-added.',
    severity: 'low',
    securitySeverity: 3.5,
    defaultAction: 'warn',
  },
  {
    id: 'privilege-escalation-path',
    name: 'PrivilegeEscalationPath',
    shortDescription: 'The change completes a known privilege-escalation combination of permissions.',
    help: 'Together these permissions let the principal obtain more privileges than it was granted (e.g. iam:PassRole with lambda:CreateFunction runs code as another role). Remove one of them or scope them to concrete resources.',
    severity: 'critical',
    securitySeverity: 9.0,
    defaultAction: 'fail',
  },
  {
    id: 'access-not-granted',
    name: 'ForbiddenAccessGranted',
    shortDescription: 'A policy grants an action or resource that the config says must never be granted.',
    help: 'The config file lists actions and resources under never-grant (the local equivalent of Access Analyzer CheckAccessNotGranted). Remove the grant or change the config through review.',
    severity: 'high',
    securitySeverity: 8.5,
    defaultAction: 'fail',
  },
  {
    id: 'public-access',
    name: 'PublicOrCrossAccountAccess',
    shortDescription: 'A bucket or trust policy grants access to anyone or to an untrusted account without a restricting condition.',
    help: 'Principal "*" or an account outside trusted-accounts is allowed without a condition AWS treats as restricting (aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, aws:SourceVpce ...). Restrict the principal or add such a condition.',
    severity: 'critical',
    securitySeverity: 9.3,
    defaultAction: 'fail',
  },
  {
    id: 'public-access-existing',
    name: 'PublicOrCrossAccountAccessUnchanged',
    shortDescription: 'A policy the change touches still grants access to anyone or to an untrusted account, as base already did.',
    help: 'The exposure is not new: base granted it to the same principals. It is reported so the reviewer sees it; new exposure is public-access. Restrict it, add the account to trusted-accounts, or set this rule to off.',
    severity: 'medium',
    securitySeverity: 5.0,
    defaultAction: 'warn',
  },
  {
    id: 'access-key-added',
    name: 'AccessKeyCreated',
    shortDescription: 'A template or plan creates (or activates) a long-term access key for an IAM user.',
    help: 'An access key signs requests as its user from anywhere and does not expire; it sits outside every policy, so no policy comparison shows it. Prefer a role with short-term credentials (OIDC for CI, IAM Identity Center for people); if a key is needed, keep its secret out of outputs and state and plan its rotation.',
    severity: 'medium',
    securitySeverity: 5.0,
    defaultAction: 'warn',
  },
  {
    id: 'iac-plan-missing',
    name: 'TerraformPlanMissing',
    shortDescription: 'Terraform sources changed and no plan was given: IAM policies in them were not analysed.',
    help: 'The gate reads Terraform through a plan (terraform show -json <planfile>), never from the HCL. Give the plan (--plan, or the action\'s plan input), or set this rule to off when the Terraform in the repository manages no IAM.',
    severity: 'medium',
    securitySeverity: 4.0,
    defaultAction: 'warn',
  },
  {
    id: 'access-denied-predicted',
    name: 'PredictedAccessDenied',
    shortDescription: 'An action the principal used in the CloudTrail window would be denied by the new policy.',
    help: 'CloudTrail shows calls that base allows and head does not: merging will break them. Keep the permission or confirm the caller no longer needs it.',
    severity: 'medium',
    securitySeverity: 5.0,
    defaultAction: 'warn',
  },
  {
    id: 'replay-undecided',
    name: 'ReplayUndecided',
    shortDescription: 'Some CloudTrail calls could not be decided against the new policy.',
    help: 'A condition key the log does not record, or an unknown resource, keeps the local evaluator from deciding. These calls are counted apart, never as allowed.',
    severity: 'low',
    securitySeverity: 3.0,
    defaultAction: 'warn',
  },
  {
    id: 'check-not-run',
    name: 'CheckNotRun',
    shortDescription: 'A check that was asked for could not run or ran only in part.',
    help: 'The gate fails closed by default when it cannot complete a check (a CloudTrail source failed, AWS did not answer). Fix the cause, or set the rule to warn if you accept the gap.',
    severity: 'high',
    securitySeverity: 7.0,
    defaultAction: 'fail',
  },
  {
    id: 'parse-error',
    name: 'PolicyParseError',
    shortDescription: 'A policy file could not be parsed, so it could not be analysed.',
    help: 'Malformed JSON or YAML, a binary or non-UTF-8 file, a file over the size limit. The gate cannot tell what it grants, so it fails closed.',
    severity: 'high',
    securitySeverity: 7.0,
    defaultAction: 'fail',
  },
  {
    id: 'invalid-grammar',
    name: 'InvalidPolicyGrammar',
    shortDescription: 'The policy does not follow the IAM policy grammar.',
    help: 'IAM would reject the policy or read it differently than written (missing Effect, Principal in an identity policy, unknown condition operator, wrong value type). Fix the element named in the message.',
    severity: 'medium',
    securitySeverity: 5.5,
    defaultAction: 'fail',
  },
  {
    id: 'unknown-action',
    name: 'UnknownAction',
    shortDescription: 'An action or action pattern matches nothing in the IAM action catalogue.',
    help: 'A typo, a retired action or an unknown service. In an Allow it grants nothing; in a Deny it protects nothing. The message suggests the closest known action.',
    severity: 'medium',
    securitySeverity: 4.0,
    defaultAction: 'warn',
  },
  {
    id: 'policy-too-large',
    name: 'PolicyTooLarge',
    shortDescription: 'The policy exceeds the size quota of its policy type.',
    help: 'IAM counts characters without whitespace. Split the policy or shorten it (wildcards, fewer statements).',
    severity: 'medium',
    securitySeverity: 4.0,
    defaultAction: 'fail',
  },
  {
    id: 'duplicate-key',
    name: 'DuplicateJsonKey',
    shortDescription: 'A JSON object has the same key twice.',
    help: 'Parsers disagree on which value wins. The gate reads the last one; AWS does not document which one IAM keeps, so `"Effect": "Allow", "Effect": "Deny"` may grant what the gate read as denied. It fails until the duplicate is removed, so the policy means one thing.',
    severity: 'high',
    securitySeverity: 7.0,
    defaultAction: 'fail',
  },
  {
    id: 'unsupported-file',
    name: 'UnsupportedFile',
    shortDescription: 'A file named as a policy by the config could not be read as one.',
    help: 'The config globs say the file is a policy, but it is not one the gate can read (symlink out of the workspace, not a policy document).',
    severity: 'medium',
    securitySeverity: 5.0,
    defaultAction: 'fail',
  },
  {
    id: 'iac-unresolved',
    name: 'UnresolvedTemplateValue',
    shortDescription: 'A template or plan value could not be resolved offline and is analysed as "could be anything".',
    help: 'A parameter without a value or default, Fn::ImportValue, a dynamic reference, a custom resource attribute, or a Terraform value known only after apply. It is treated as * for concreteness and new access. Give the value in the config (cloudformation.parameters) to analyse it exactly.',
    severity: 'low',
    securitySeverity: 3.0,
    defaultAction: 'warn',
  },
  {
    id: 'iac-unattached',
    name: 'UnattachedPolicy',
    shortDescription: 'A managed policy in a template or plan is attached to no principal in it.',
    help: 'The policy is still analysed on its own; per-principal checks (replay, aggregation) cannot run for it. Attach it in the same template, or map it to a subject in the config.',
    severity: 'info',
    securitySeverity: 1.0,
    defaultAction: 'off',
  },
  {
    id: 'iac-external-policy',
    name: 'ExternalManagedPolicy',
    shortDescription: 'A principal attaches a managed policy whose content the gate does not have.',
    help: 'An AWS-managed or customer-managed policy attached by ARN and not defined in the change. Its grants are not part of the comparison; review it separately or define it in the repository.',
    severity: 'medium',
    securitySeverity: 4.0,
    defaultAction: 'warn',
  },
  {
    id: 'iac-external-policy-added',
    name: 'ExternalManagedPolicyAttached',
    shortDescription: 'The change attaches a managed policy whose content the gate does not have.',
    help: 'A managed policy attached by ARN in this change (not in base) that is neither defined in the change nor among the AWS-managed policies the gate carries: what it grants cannot be compared, so the gate fails closed. Define the policy in the repository, or waive this finding for that ARN after review.',
    severity: 'high',
    securitySeverity: 7.0,
    defaultAction: 'fail',
  },
  {
    id: 'iac-not-analysed',
    name: 'TemplateNotAnalysed',
    shortDescription: 'Part of a template could not be analysed (e.g. a SAM or other Transform).',
    help: 'The gate cannot tell what these resources grant, so it fails closed. Run it on the expanded output (sam build, cdk synth) instead.',
    severity: 'medium',
    securitySeverity: 5.0,
    defaultAction: 'fail',
  },
  {
    id: 'access-analyzer/no-new-access',
    name: 'AccessAnalyzerNewAccess',
    shortDescription: 'IAM Access Analyzer CheckNoNewAccess: the changed policy grants access its base version did not.',
    help: 'AWS compared this policy with its base version (a new policy with an empty one) and found new access in the statement named. When the local engine disagrees, both answers are shown and the gate keeps the stricter one: AWS judges each policy alone, the local engine the subject\'s policies together (a statement moved between two policies of one role is new to AWS, not to the role).',
    severity: 'high',
    securitySeverity: 7.5,
    defaultAction: 'fail',
  },
  {
    id: 'access-analyzer/access-not-granted',
    name: 'AccessAnalyzerForbiddenAccess',
    shortDescription: 'IAM Access Analyzer CheckAccessNotGranted: the policy grants an action or resource that never-grant forbids.',
    help: 'AWS checked the never-grant actions and resources of the config (in batches of 100, the API limit) against the policy. Remove the grant or change the config through review.',
    severity: 'high',
    securitySeverity: 8.5,
    defaultAction: 'fail',
  },
  {
    id: 'access-analyzer/public-access',
    name: 'AccessAnalyzerPublicAccess',
    shortDescription: 'IAM Access Analyzer CheckNoPublicAccess: the resource policy can grant public access.',
    help: 'AWS found that the bucket, trust or other resource policy grants access to anyone for its resource type. Restrict the principal or add a condition AWS treats as restricting (aws:SourceAccount, aws:PrincipalOrgID, aws:SourceVpce ...).',
    severity: 'critical',
    securitySeverity: 9.3,
    defaultAction: 'fail',
  },
  {
    id: 'waiver-expired',
    name: 'WaiverExpired',
    shortDescription: 'A waiver in the config is past its expiry date and no longer applies.',
    help: 'Waivers are temporary by design: after the expires date the findings they covered count again. Renew the waiver through review (a new expires date and reason) or fix what it covered, then remove it.',
    severity: 'high',
    securitySeverity: 6.0,
    defaultAction: 'fail',
  },
  {
    id: 'waiver-expiring',
    name: 'WaiverExpiring',
    shortDescription: 'A waiver in the config expires soon.',
    help: 'The waiver still applies but expires within the warning window (waiver-expiry.warn-days, default 7). Renew it through review or fix what it covers before it lapses and the gate fails.',
    severity: 'low',
    securitySeverity: 2.0,
    defaultAction: 'warn',
  },
  {
    id: 'waiver-unused',
    name: 'WaiverUnused',
    shortDescription: 'A waiver matched nothing although the files or subject it names were part of the change.',
    help: 'A stale waiver silently covers whatever matches it later. Remove it, or narrow it to what still needs an exception.',
    severity: 'low',
    securitySeverity: 2.0,
    defaultAction: 'warn',
  },
  {
    id: 'config-invalid',
    name: 'ChangedConfigInvalid',
    shortDescription: 'The change edits the gate config into a file that does not load.',
    help: 'The gate judges a change with the config of its base, so this run used the old one; once merged, every run would stop with a configuration error. Fix the lines named in the message.',
    severity: 'high',
    securitySeverity: 5.0,
    defaultAction: 'fail',
  },
];

const byId = new Map(RULES.map((r) => [r.id, r]));

export function ruleInfo(id: string): RuleInfo {
  return (
    byId.get(id) ?? {
      id,
      name: id.replace(/(^|[-/_])(\w)/g, (_, __, c: string) => c.toUpperCase()),
      shortDescription: `Finding ${id}.`,
      help: `Reported by ${id}.`,
      severity: 'medium',
      securitySeverity: 5.0,
      defaultAction: 'warn',
    }
  );
}

const SEVERITY_ORDER: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

function globToRegex(glob: string): RegExp {
  return new RegExp('^' + glob.replace(/[.+^$()|[\]\\{}]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
}

/**
 * The action for a finding: an exact rule id in `rules` wins over a glob of ids (the longest glob
 * first), which wins over a severity threshold (`severity>=high: fail`), which wins over the rule's default.
 */
export function resolveAction(ruleId: string, severity: Severity, rules: Record<string, RuleAction>): RuleAction {
  if (rules[ruleId]) return rules[ruleId];
  const globs = Object.keys(rules)
    .filter((k) => /[*?]/.test(k) && !k.startsWith('severity>='))
    .sort((a, b) => b.length - a.length);
  for (const g of globs) if (globToRegex(g).test(ruleId)) return rules[g];
  const thresholds = Object.keys(rules)
    .filter((k) => k.startsWith('severity>='))
    .sort((a, b) => SEVERITY_ORDER.indexOf(b.slice(10) as Severity) - SEVERITY_ORDER.indexOf(a.slice(10) as Severity));
  for (const t of thresholds) {
    if (SEVERITY_ORDER.indexOf(severity) >= SEVERITY_ORDER.indexOf(t.slice(10) as Severity)) return rules[t];
  }
  // ValidatePolicy findings (validate/<issueCode>): ERROR and SECURITY_WARNING block, WARNING and SUGGESTION warn.
  if (ruleId.startsWith('validate/') && !byId.has(ruleId)) return SEVERITY_ORDER.indexOf(severity) >= SEVERITY_ORDER.indexOf('high') ? 'fail' : 'warn';
  return ruleInfo(ruleId).defaultAction;
}

/**
 * Why a key of the config's `rules:` names nothing (undefined when it is fine): an id of this table, an Access
 * Analyzer code (`validate/…`, `access-analyzer/…`: codes AWS adds), a glob of ids that matches something, or a
 * severity threshold. A typo would otherwise leave the rule at its default without a word.
 */
export function ruleKeyProblem(key: string): string | undefined {
  if (byId.has(key) || /^(validate|access-analyzer)\//.test(key)) return undefined;
  if (key.startsWith('severity>=')) return SEVERITY_ORDER.includes(key.slice(10) as Severity) ? undefined : `is not a severity threshold (severity>=${SEVERITY_ORDER.join('|')})`;
  if (/[*?]/.test(key)) {
    const re = globToRegex(key);
    return RULES.some((r) => re.test(r.id)) || re.test('validate/X') || re.test('access-analyzer/x') ? undefined : 'matches no rule id';
  }
  const near = RULES.map((r) => ({ id: r.id, d: editDistance(key, r.id) })).sort((a, b) => a.d - b.d)[0];
  return `is not a rule id${near && near.d <= 3 ? ` (did you mean ${near.id}?)` : ''}; see \`iam-policy-gate rules\``;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
