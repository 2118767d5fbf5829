// The services whose resources resource control policies (RCPs) govern. The one list every part of the
// gate uses (evaluator, explain, replay, the new-access guards).
//
// Source: AWS Organizations User Guide, "Resource control policies (RCPs)", "List of AWS services that
// support RCPs" (orgs_manage_policies_rcps.md), as launched in November 2024: Amazon S3, AWS STS, AWS KMS,
// Amazon SQS and AWS Secrets Manager. An RCP has no effect on a request to any other service.
//
// AWS has added services to that list since. Only services known to be on it belong here: listing a
// service RCPs do not cover would let an RCP Deny hide access the gate must report, while leaving out one
// they cover only makes the gate report more (and `explain` answer without that RCP). Add a service only
// with the AWS page that lists it.
export const RCP_SERVICES: readonly string[] = ['s3', 'sts', 'kms', 'sqs', 'secretsmanager'];

const SET = new Set(RCP_SERVICES);

/** The service prefix of an action ("s3" for "s3:GetObject"), lower-cased; undefined for a malformed action. */
export function serviceOf(action: string): string | undefined {
  const i = action.indexOf(':');
  return i > 0 ? action.slice(0, i).toLowerCase() : undefined;
}

/** Whether RCPs govern a request for this action (its service is in RCP_SERVICES). */
export function rcpAppliesTo(action: string): boolean {
  const s = serviceOf(action);
  return s !== undefined && SET.has(s);
}

/** Why RCPs were not applied to a request for this action, for reasons and notes. */
export function rcpNotAppliedReason(action: string): string {
  return `RCPs not applied: ${serviceOf(action) ?? action} is not among the services RCPs apply to (${RCP_SERVICES.join(', ')})`;
}
