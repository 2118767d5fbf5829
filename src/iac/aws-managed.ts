// AWS-managed policies whose content is short, stable and decisive for a gate. Any other AWS-managed policy
// attached in a template or plan is reported as unresolved (iac-external-policy) rather than guessed.
// Contents as published in the AWS Managed Policy Reference Guide.

const ALL = ['*'];

export const AWS_MANAGED_POLICIES: Readonly<Record<string, { Version: string; Statement: Array<Record<string, unknown>> }>> = {
  AdministratorAccess: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  PowerUserAccess: {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', NotAction: ['iam:*', 'organizations:*', 'account:*'], Resource: '*' },
      {
        Effect: 'Allow',
        Action: ['account:GetAccountInformation', 'account:GetPrimaryEmail', 'account:ListRegions', 'iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole', 'iam:ListRoles', 'organizations:DescribeOrganization'],
        Resource: ALL,
      },
    ],
  },
  AmazonS3FullAccess: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 's3-object-lambda:*'], Resource: '*' }] },
  AmazonS3ReadOnlyAccess: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*'], Resource: '*' }],
  },
};

/** The policy name of an AWS-managed policy ARN (`arn:aws:iam::aws:policy/[path/]Name`), else undefined. */
export function awsManagedName(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m?.[1];
}
