// Policy JSON for suggestions: statements as written, IAM's size count, and splitting into documents
// that fit the size quota of the policy type.
import type { ConditionClause, Statement } from '../model.js';
import type { SuggestedDocument, SuggestedPolicyType, SuggestedStatement } from './types.js';

/** Characters without whitespace (reference_iam-quotas.html: "IAM does not count white space"). */
export function policySizeOf(value: unknown): number {
  return JSON.stringify(value).replace(/\s/g, '').length;
}

export const SIZE_LIMITS: Record<SuggestedPolicyType, number> = {
  managed: 6144,
  'inline-role': 10240,
  'inline-user': 2048,
  'inline-group': 5120,
};

/** Managed policies a role or user may have attached by default (quota raisable to 20). */
export const MANAGED_PER_PRINCIPAL = 10;

export function conditionJson(clauses: ConditionClause[]): SuggestedStatement['Condition'] {
  if (!clauses.length) return undefined;
  const out: Record<string, Record<string, string | string[]>> = {};
  for (const c of clauses) {
    const op = (out[c.operator] ??= {});
    op[c.key] = c.values.length === 1 ? c.values[0] : [...c.values];
  }
  return out;
}

const SID = /^[A-Za-z0-9]+$/;

/** A statement of the current policy, as written, for keeping in the suggestion. */
export function statementJson(st: Statement, fallbackSid: string): SuggestedStatement {
  const out: SuggestedStatement = { Sid: st.sid && SID.test(st.sid) ? st.sid : fallbackSid, Effect: st.effect };
  if (st.actions) out.Action = st.actions.map((a) => a.value);
  if (st.notActions) out.NotAction = st.notActions.map((a) => a.value);
  if (st.resources) out.Resource = st.resources.map((r) => r.value);
  if (st.notResources) out.NotResource = st.notResources.map((r) => r.value);
  if (!st.resources && !st.notResources) out.Resource = ['*'];
  const condition = conditionJson(st.conditions);
  if (condition) out.Condition = condition;
  return out;
}

const EMPTY_DOC_SIZE = policySizeOf({ Version: '2012-10-17', Statement: [] });

/** Splits a statement whose Resource or Action list alone exceeds `budget` into several. */
function splitStatement(st: SuggestedStatement, budget: number): SuggestedStatement[] {
  if (policySizeOf(st) <= budget) return [st];
  const field: 'Resource' | 'Action' | undefined = (st.Resource?.length ?? 0) > 1 ? 'Resource' : (st.Action?.length ?? 0) > 1 ? 'Action' : undefined;
  if (!field) return [st]; // one action on one resource: cannot be smaller; reported by the caller
  const list = st[field]!;
  const half = Math.ceil(list.length / 2);
  const parts = [list.slice(0, half), list.slice(half)].map((chunk, i) => ({ ...st, Sid: `${st.Sid}${i + 1}`, [field]: chunk }));
  return parts.flatMap((p) => splitStatement(p, budget));
}

/** Packs statements into as few documents as fit `limit` (first fit, in order). */
export function packDocuments(statements: SuggestedStatement[], limit: number): SuggestedDocument[] {
  const budget = limit - EMPTY_DOC_SIZE;
  const docs: Array<{ doc: SuggestedDocument; size: number }> = [];
  for (const st of statements.flatMap((s) => splitStatement(s, budget))) {
    const size = policySizeOf(st);
    const fit = docs.find((d) => d.size + size + (d.doc.Statement.length ? 1 : 0) <= limit);
    if (fit) {
      fit.doc.Statement.push(st);
      fit.size += size + (fit.doc.Statement.length > 1 ? 1 : 0);
    } else {
      docs.push({ doc: { Version: '2012-10-17', Statement: [st] }, size: EMPTY_DOC_SIZE + size });
    }
  }
  for (const { doc } of docs) uniqueSids(doc.Statement);
  return docs.map((d) => d.doc);
}

/** Sids must be unique within a document; later duplicates get a letter suffix. */
function uniqueSids(statements: SuggestedStatement[]): void {
  const seen = new Set<string>();
  for (const st of statements) {
    let sid = st.Sid;
    for (let n = 0; seen.has(sid); n++) sid = `${st.Sid}X${n}`;
    st.Sid = sid;
    seen.add(sid);
  }
}
