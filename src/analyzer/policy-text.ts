// The JSON text of a policy document as AWS is to see it. A whole-file JSON policy is sent as the file
// itself (what will be deployed, and ValidatePolicy positions are then file positions); any other
// document (wrapped, embedded, from a template) is rebuilt from the parsed statements.
import type { PolicyDocument, PrincipalBlock, Statement } from '../model.js';

export interface PolicyText {
  text: string;
  /** The text is the file verbatim. */
  verbatim: boolean;
}

/** A policy that grants nothing, for the base side of a new document. A Principal keeps it valid as a resource policy. */
export function emptyPolicy(resource: boolean): string {
  const statement = resource ? { Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' } : { Effect: 'Deny', Action: '*', Resource: '*' };
  return JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
}

export function policyText(doc: PolicyDocument, fileText?: string): PolicyText {
  if (doc.pointer === '' && fileText !== undefined && fileText.trim().startsWith('{')) return { text: fileText, verbatim: true };
  return { text: JSON.stringify(serialise(doc)), verbatim: false };
}

function one<T>(list: T[]): T | T[] {
  return list.length === 1 ? list[0] : list;
}

function principal(p: PrincipalBlock): unknown {
  if (p.entries.length === 0) return p.any ? '*' : {};
  const byType: Record<string, string[]> = {};
  for (const e of p.entries) (byType[e.type] ??= []).push(e.value);
  return Object.fromEntries(Object.entries(byType).map(([k, v]) => [k, one(v)]));
}

function statement(s: Statement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.sid !== undefined) out.Sid = s.sid;
  out.Effect = s.effect;
  if (s.principal) out.Principal = principal(s.principal);
  if (s.notPrincipal) out.NotPrincipal = principal(s.notPrincipal);
  if (s.actions) out.Action = one(s.actions.map((a) => a.value));
  if (s.notActions) out.NotAction = one(s.notActions.map((a) => a.value));
  if (s.resources) out.Resource = one(s.resources.map((r) => r.value));
  if (s.notResources) out.NotResource = one(s.notResources.map((r) => r.value));
  if (s.conditions.length) {
    const cond: Record<string, Record<string, string | string[]>> = {};
    for (const c of s.conditions) (cond[c.operator] ??= {})[c.key] = one(c.values);
    out.Condition = cond;
  }
  return out;
}

export function serialise(doc: PolicyDocument): Record<string, unknown> {
  return { Version: doc.version ?? '2012-10-17', Statement: doc.statements.map(statement) };
}
