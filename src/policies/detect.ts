// Deciding by content whether a JSON file holds policies, and where: a bare policy or one of the wrapper
// shapes that AWS CLI output and IaC inputs use.
import type { PolicyKind } from '../model.js';
import { entryOf, valueOf, type LNode, type LString } from './located.js';

export interface PolicyWrapper {
  /** The shape, as shown in the README. */
  shape: string;
  description: string;
  /** JSON pointer of the document inside the file. */
  pointer: string;
  /** The kind the wrapper implies, when it implies one. */
  kind?: PolicyKind;
}

/** The file shapes recognised as policies, in the order they are tried. */
export const POLICY_WRAPPERS: readonly PolicyWrapper[] = [
  { shape: '{"Version": ..., "Statement": ...}', description: 'A bare policy document (any object with a Statement).', pointer: '' },
  {
    shape: '{"PolicyDocument": {...}}',
    description: 'A document under PolicyDocument, e.g. `aws iam get-role-policy` / `get-user-policy` output or a create-policy input skeleton.',
    pointer: '/PolicyDocument',
  },
  {
    shape: '{"Policy": "<policy JSON as a string>"}',
    description:
      '`aws s3api get-bucket-policy`, `aws kms get-key-policy` and `aws lambda get-policy` output: a resource policy serialised in a string; its kind (bucket or other resource policy) from its content. Findings point into the string on its line.',
    pointer: '/Policy',
  },
  {
    shape: '{"Attributes": {"Policy": "<policy JSON as a string>"}}',
    description: '`aws sqs get-queue-attributes` and `aws sns get-topic-attributes` output: the queue or topic policy.',
    pointer: '/Attributes/Policy',
  },
  {
    shape: '{"policyText": "<policy JSON as a string>"}',
    description: '`aws ecr get-repository-policy` output: the repository policy.',
    pointer: '/policyText',
  },
  {
    shape: '{"ResourcePolicy": "<policy JSON as a string>"}',
    description: '`aws secretsmanager get-resource-policy` output: the secret policy.',
    pointer: '/ResourcePolicy',
  },
  {
    shape: '{"PolicyVersion": {"Document": ...}}',
    description: '`aws iam get-policy-version` output (a managed policy); Document may be an object, a JSON string or a URL-encoded string.',
    pointer: '/PolicyVersion/Document',
    kind: 'identity',
  },
  {
    shape: '{"AssumeRolePolicyDocument": ...}',
    description: 'A role trust policy, e.g. a create-role input skeleton; object, JSON string or URL-encoded string.',
    pointer: '/AssumeRolePolicyDocument',
    kind: 'trust',
  },
  {
    shape: '{"Role": {"AssumeRolePolicyDocument": ...}}',
    description: '`aws iam get-role` output: the role trust policy.',
    pointer: '/Role/AssumeRolePolicyDocument',
    kind: 'trust',
  },
];

/** A place in the file where a policy document sits. */
export interface PolicyCandidate {
  pointer: string;
  /** The document itself, or a string that encodes it (JSON or URL-encoded JSON). */
  node: LNode;
  encoded: boolean;
  kind?: PolicyKind;
  wrapper: boolean;
}

export function isPolicyObject(node: LNode | undefined): boolean {
  return node?.kind === 'object' && entryOf(node, 'Statement') !== undefined;
}

/** A string that plausibly encodes a policy: JSON or URL-encoded JSON mentioning Statement. */
function isEncodedPolicy(node: LNode | undefined): node is LString {
  if (node?.kind !== 'string') return false;
  const s = node.value.trimStart();
  return (s.startsWith('{') && s.includes('Statement')) || (/^%7B/i.test(s) && s.includes('Statement'));
}

function resolve(root: LNode, pointer: string): LNode | undefined {
  let node: LNode | undefined = root;
  for (const part of pointer.split('/').slice(1)) node = node ? valueOf(node, part) : undefined;
  return node;
}

/** Where the policies in a parsed file are; empty when the file is not a policy. */
export function findPolicyCandidates(root: LNode): PolicyCandidate[] {
  if (root.kind !== 'object') return [];
  // A bare document is the file; otherwise every wrapper that holds one (a create-role skeleton carries both a
  // PolicyDocument and an AssumeRolePolicyDocument: reading only the first let the trust change pass unseen).
  if (isPolicyObject(root)) return [{ pointer: '', node: root, encoded: false, kind: POLICY_WRAPPERS[0].kind, wrapper: false }];
  const out: PolicyCandidate[] = [];
  for (const w of POLICY_WRAPPERS) {
    if (w.pointer === '') continue;
    const node = resolve(root, w.pointer);
    if (isPolicyObject(node)) out.push({ pointer: w.pointer, node: node as LNode, encoded: false, kind: w.kind, wrapper: true });
    else if (isEncodedPolicy(node)) out.push({ pointer: w.pointer, node, encoded: true, kind: w.kind, wrapper: true });
  }
  return out;
}

/** Wrapper and policy keys whose presence in unparseable text suggests the author meant a policy. */
const POLICY_MARKERS = /"(Statement|PolicyDocument|AssumeRolePolicyDocument|PolicyVersion|policyText|ResourcePolicy)"\s*:|\\"Statement\\"\s*:/;

/** A cheap text test for files that could not be parsed: does this look like it was meant to be a policy? */
export function looksLikePolicyText(text: string): boolean {
  return POLICY_MARKERS.test(text);
}
