// `iam-policy-gate explain`: one request (or a file of cases) judged against base and head.
import type { Decision, Effect, PolicyDocument, SourceLocation, SubjectPolicies } from '../model.js';

/** A condition value as given: a string, several, or null for "known to exist but unknown". */
export type CaseContextValue = string | string[] | null;

export interface ExplainCase {
  name?: string;
  /** The subject whose policies decide: a principal ARN, or a bucket ARN. */
  subject?: string;
  /** The caller; defaults to the subject when the subject is a principal. */
  principal?: string;
  action: string;
  resource?: string;
  /** Condition keys (any case) and their values; null = unknown. Keys the policies test and the case does not give are unknown. */
  context: Record<string, CaseContextValue>;
  /** Keys the request certainly does not carry (missing, not unknown). */
  absent?: string[];
  /** Expected decisions; `deny` accepts either kind of deny. */
  expect?: { base?: ExpectedDecision; head?: ExpectedDecision };
  /** Where the case is written, for messages. */
  loc?: SourceLocation;
}

export type ExpectedDecision = Decision | 'deny';

export interface ExplainStatement {
  layer: string;
  document: string;
  sid?: string;
  effect: Effect;
  loc: SourceLocation;
}

export interface ExplainCondition extends ExplainStatement {
  operator: string;
  key: string;
  values: string[];
  result: 'match' | 'no-match' | 'unknown';
  reason?: string;
  conditionLoc: SourceLocation;
}

export interface ExplainSide {
  decision: Decision;
  reason: string;
  /** The statements that decided (the denies, the allows, or those that may apply). */
  deciding: ExplainStatement[];
  /** Every condition of every statement that applies to the request apart from its conditions. */
  conditions: ExplainCondition[];
  /** The layers evaluated, with their document counts, e.g. "identity (2)"; "rcp:0 (2, not applied)" for a service RCPs do not govern. */
  layers: string[];
  /** What the evaluator left out and why, e.g. RCPs for an action of a service they do not govern. */
  notes?: string[];
}

export interface ExplainOutcome {
  case: ExplainCase;
  subject: string;
  base: ExplainSide;
  head: ExplainSide;
  /** One line: what the change does to this request. */
  change: string;
  /** Expectations that did not hold, e.g. "head: expected allow, got implicit-deny". */
  mismatches: string[];
}

/** Everything explain needs, already extracted: the subjects of both sides, and the guard files. */
export interface ExplainWorld {
  subjects: SubjectPolicies[];
  /** Documents by file path, per side (for SCP, RCP and boundary files named in the config). */
  documents: { base: Map<string, PolicyDocument[]>; head: Map<string, PolicyDocument[]> };
  context: { scps: string[]; rcps: string[]; boundaries: Array<{ subject: string; file: string }> };
}

export interface ExplainOptions {
  /** Add the bucket policy of a bucket in the repository that holds the resource (default true). */
  repoResourcePolicies?: boolean;
}
