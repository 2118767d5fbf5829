// Located tree -> PolicyDocument. Tolerant: parts it cannot read are left out here and reported by
// validateDocument, so a document is always produced for an object and the caller never sees an exception.
import type {
  ConditionClause,
  Effect,
  Located,
  PolicyDocument,
  PolicyKind,
  PrincipalBlock,
  PrincipalEntry,
  PrincipalType,
  Statement,
  SubjectRef,
  Finding,
} from '../model.js';
import { startOf, toPlain, valueOf, type LNode } from './located.js';
import { validateDocument, type ValidateOptions } from './validate.js';

export interface DocumentMeta {
  file: string;
  /** JSON pointer (or template path) of the document in its file; "" for a whole-file policy. */
  pointer: string;
  label: string;
  /** Wins over the kind inferred from content. */
  kindHint?: PolicyKind;
  subjectHint?: SubjectRef;
  /** Overrides the default size quota for the kind (see DEFAULT_SIZE_LIMITS). */
  sizeLimit?: number;
  /** Run validateDocument (default true). */
  validate?: boolean;
}

const PRINCIPAL_TYPES: readonly PrincipalType[] = ['AWS', 'Service', 'Federated', 'CanonicalUser'];

/** The strings of a string-or-array element, each with its own location; other values are skipped. */
export function locatedStrings(node: LNode | undefined): Located<string>[] | undefined {
  if (!node) return undefined;
  if (node.kind === 'string') return [{ value: node.value, loc: node.loc }];
  if (node.kind === 'array') {
    const out: Located<string>[] = [];
    for (const item of node.items) if (item.kind === 'string') out.push({ value: item.value, loc: item.loc });
    return out;
  }
  return [];
}

function principalBlock(node: LNode | undefined): PrincipalBlock | undefined {
  if (!node) return undefined;
  if (node.kind === 'string') return { any: node.value === '*', entries: [], loc: node.loc };
  const entries: PrincipalEntry[] = [];
  if (node.kind === 'object') {
    for (const e of node.entries) {
      const type = PRINCIPAL_TYPES.find((t) => t === e.key);
      if (!type) continue;
      for (const s of locatedStrings(e.value) ?? []) entries.push({ type, value: s.value, loc: s.loc });
    }
  }
  // {"AWS": "*"} grants everyone just as "*" does (IAM documents them as equivalent for resource policies).
  const any = entries.some((e) => e.type === 'AWS' && e.value === '*');
  return { any, entries, loc: node.loc };
}

function scalarText(node: LNode): string | undefined {
  if (node.kind === 'string') return node.value;
  if (node.kind === 'number' || node.kind === 'boolean') return String(node.value);
  return undefined;
}

function conditionClauses(node: LNode | undefined): ConditionClause[] {
  const clauses: ConditionClause[] = [];
  if (node?.kind !== 'object') return clauses;
  for (const op of node.entries) {
    if (op.value.kind !== 'object') continue;
    for (const k of op.value.entries) {
      const raw = k.value.kind === 'array' ? k.value.items : [k.value];
      const values = raw.map(scalarText).filter((v): v is string => v !== undefined);
      clauses.push({ operator: op.key, key: k.key, values, loc: k.keyLoc });
    }
  }
  return clauses;
}

function statementFrom(node: LNode, index: number): Statement | undefined {
  if (node.kind !== 'object') return undefined;
  const effectNode = valueOf(node, 'Effect');
  const effect: Effect | undefined =
    effectNode?.kind === 'string' && (effectNode.value === 'Allow' || effectNode.value === 'Deny') ? effectNode.value : undefined;
  // Without a valid Effect IAM rejects the whole policy; validateDocument says so, and the statement is left out.
  if (!effect) return undefined;
  const sid = valueOf(node, 'Sid');
  const st: Statement = { index, effect, conditions: conditionClauses(valueOf(node, 'Condition')), loc: node.loc };
  if (sid?.kind === 'string') st.sid = sid.value;
  const actions = locatedStrings(valueOf(node, 'Action'));
  if (actions) st.actions = actions;
  const notActions = locatedStrings(valueOf(node, 'NotAction'));
  if (notActions) st.notActions = notActions;
  const resources = locatedStrings(valueOf(node, 'Resource'));
  if (resources) st.resources = resources;
  const notResources = locatedStrings(valueOf(node, 'NotResource'));
  if (notResources) st.notResources = notResources;
  const principal = principalBlock(valueOf(node, 'Principal'));
  if (principal) st.principal = principal;
  const notPrincipal = principalBlock(valueOf(node, 'NotPrincipal'));
  if (notPrincipal) st.notPrincipal = notPrincipal;
  return st;
}

/** The statement objects of a document node ("Statement" may be one object or an array). */
export function statementNodes(doc: LNode): LNode[] {
  const s = valueOf(doc, 'Statement');
  if (!s) return [];
  return s.kind === 'array' ? s.items : [s];
}

/** Characters without whitespace, as IAM counts them: the length of the minified JSON. */
export function policySize(node: LNode): number {
  return [...JSON.stringify(toPlain(node))].length;
}

const TRUST_ACTION = /^sts:(assumerole[a-z]*\*?|tagsession|setsourceidentity|setcontext)$/i;
const S3_ARN = /^arn:[^:]*:s3:::/;

/** Infer the kind from content and path; see README "Policy kinds". */
export function inferKind(statements: Statement[], file: string): PolicyKind {
  const withPrincipal = statements.filter((s) => s.principal || s.notPrincipal);
  if (withPrincipal.length === 0) return 'identity';
  const actions = withPrincipal.flatMap((s) => [...(s.actions ?? []), ...(s.notActions ?? [])].map((a) => a.value));
  if (actions.length > 0 && actions.every((a) => TRUST_ACTION.test(a)) && actions.some((a) => /^sts:assumerole/i.test(a))) return 'trust';
  const resources = withPrincipal.flatMap((s) => [...(s.resources ?? []), ...(s.notResources ?? [])].map((r) => r.value));
  if (/bucket[-_]?policy/i.test(file)) return 'bucket';
  if (resources.length > 0 && resources.every((r) => S3_ARN.test(r))) return 'bucket';
  return 'resource';
}

/** Documents larger than this (characters without whitespace) are refused, not analysed. */
export const MAX_ANALYSED_SIZE = 128 * 1024;

/**
 * Build a PolicyDocument from a located subtree (from JSON, YAML or a plan) and validate it.
 * Returns no document only when the value is not an object.
 */
export function documentFromValue(value: LNode, meta: DocumentMeta): { document?: PolicyDocument; findings: Finding[] } {
  const id = meta.pointer ? `${meta.file}#${meta.pointer}` : meta.file;
  if (value.kind !== 'object') {
    return {
      findings: [
        {
          ruleId: 'invalid-grammar',
          severity: 'high',
          message: `The policy document must be a JSON object, not ${value.kind === 'array' ? 'an array' : `a ${value.kind}`}.`,
          location: startOf(value.loc),
          identity: `invalid-grammar|${id}|not-object`,
          origin: 'local',
        },
      ],
    };
  }
  const size = policySize(value);
  if (size > MAX_ANALYSED_SIZE) {
    // Beyond every AWS policy quota (the largest is a few tens of kB): it cannot be deployed, and expanding
    // thousands of wildcards in it would only let a change stall the gate.
    const message = `The policy document is ${size} characters without whitespace, far over every AWS policy quota; it is not analysed.`;
    return { findings: [{ ruleId: 'policy-too-large', severity: 'high', message, location: startOf(value.loc), identity: `policy-too-large|${id}|unanalysable`, origin: 'local', evidence: { size, limit: MAX_ANALYSED_SIZE } }] };
  }
  const statements: Statement[] = [];
  statementNodes(value).forEach((n, i) => {
    const st = statementFrom(n, i);
    if (st) statements.push(st);
  });
  const version = valueOf(value, 'Version');
  const document: PolicyDocument = {
    id,
    file: meta.file,
    pointer: meta.pointer,
    kind: meta.kindHint ?? inferKind(statements, meta.file),
    statements,
    loc: value.loc,
    size,
    label: meta.label,
  };
  if (version?.kind === 'string') document.version = version.value;
  if (meta.subjectHint) document.subjectHint = meta.subjectHint;
  const opts: ValidateOptions = {};
  if (meta.sizeLimit !== undefined) opts.sizeLimit = meta.sizeLimit;
  const findings = meta.validate === false ? [] : validateDocument(document, value, opts);
  return { document, findings };
}

