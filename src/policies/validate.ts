// IAM policy grammar checks on the located tree, so every finding points at the element it is about.
import type { Finding, PolicyDocument, PolicyKind, Severity, SourceLocation } from '../model.js';
import { defaultCatalog, type ActionCatalogPort } from './catalog-port.js';
import { entryOf, startOf, valueOf, type LEntry, type LNode } from './located.js';
import { CONDITION_OPERATORS } from './operators.js';

/**
 * Size quotas in characters without whitespace. Identity uses the managed-policy quota because the file
 * alone does not say managed or inline; callers that know pass `sizeLimit` (inline role 10,240, inline user
 * 2,048, inline group 5,120). Trust: 2,048 by default, raisable to 4,096 by a quota request.
 * Generic resource policies differ per service and get no default.
 */
export const DEFAULT_SIZE_LIMITS: Readonly<Record<PolicyKind, number | undefined>> = {
  identity: 6144,
  boundary: 6144,
  trust: 2048,
  bucket: 20480,
  resource: undefined,
  scp: 5120,
  rcp: 5120,
};

export interface ValidateOptions {
  sizeLimit?: number;
  catalog?: ActionCatalogPort;
}

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const TOP_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const PRINCIPAL_KEYS = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const ACTION_FORMAT = /^(\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?_.-]*)$/;
const ARN_FORMAT = /^arn:[^:]*:[^:]*:[^:]*:[^:]*:.+$/;
// "arn:aws:cloudfront:*": a trailing wildcard may stand for the remaining colon-separated parts.
const ARN_PREFIX_WILDCARD = /^arn:[^:]+:[^:]+:.*\*$/;
const IDENTITY_SID = /^[A-Za-z0-9]*$/;
const AWS_PRINCIPAL = /^(\*|\d{12}|arn:.+)$/;

const PRINCIPAL_REQUIRED: ReadonlySet<PolicyKind> = new Set(['trust', 'bucket', 'resource', 'rcp']);
const PRINCIPAL_FORBIDDEN: ReadonlySet<PolicyKind> = new Set(['identity', 'boundary', 'scp']);

class FindingSink {
  readonly findings: Finding[] = [];
  constructor(private readonly docId: string) {}

  add(ruleId: string, severity: Severity, message: string, loc: SourceLocation, what: string, evidence?: Record<string, unknown>): void {
    const f: Finding = { ruleId, severity, message, location: startOf(loc), identity: `${ruleId}|${this.docId}|${what}`, origin: 'local' };
    if (evidence) f.evidence = evidence;
    this.findings.push(f);
  }
  grammar(message: string, loc: SourceLocation, what: string): void {
    this.add('invalid-grammar', 'high', message, loc, what);
  }
}

/** A stable name for a statement in identities: its Sid when it has one, else its position. */
function statementName(node: LNode, index: number): string {
  const sid = valueOf(node, 'Sid');
  return sid?.kind === 'string' && sid.value !== '' ? `sid:${sid.value}` : `statement[${index}]`;
}

function describe(node: LNode): string {
  return node.kind === 'array' ? 'an array' : node.kind === 'object' ? 'an object' : `a ${node.kind}`;
}

/** Check a string-or-array-of-strings element; returns its string items. */
function stringItems(sink: FindingSink, e: LEntry, where: string): Array<{ value: string; loc: SourceLocation }> {
  const v = e.value;
  if (v.kind === 'string') return [{ value: v.value, loc: v.loc }];
  if (v.kind === 'array') {
    const out: Array<{ value: string; loc: SourceLocation }> = [];
    if (v.items.length === 0) sink.grammar(`${e.key} must not be an empty array.`, v.loc, `${where}|${e.key}|empty`);
    for (const item of v.items) {
      if (item.kind === 'string') out.push({ value: item.value, loc: item.loc });
      else sink.grammar(`${e.key} entries must be strings, found ${describe(item)}.`, item.loc, `${where}|${e.key}|type`);
    }
    return out;
  }
  sink.grammar(`${e.key} must be a string or an array of strings, found ${describe(v)}.`, v.loc, `${where}|${e.key}|type`);
  return [];
}

function levenshtein(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/** The closest known action of the same service within edit distance 2, for a typo'd action name. */
export function suggestAction(action: string, catalog: ActionCatalogPort): string | undefined {
  const [prefix, name] = action.split(':');
  if (!name || /[*?]/.test(name)) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of catalog.serviceActions(prefix.toLowerCase())) {
    const d = levenshtein(name.toLowerCase(), candidate.toLowerCase(), 2);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? undefined : `${prefix.toLowerCase()}:${best}`;
}

function checkActions(sink: FindingSink, e: LEntry, where: string, catalog: ActionCatalogPort): void {
  for (const a of stringItems(sink, e, where)) {
    if (!ACTION_FORMAT.test(a.value)) {
      sink.grammar(`"${a.value}" is not an action: expected "service:Action" (wildcards * and ? allowed) or "*".`, a.loc, `${where}|action-format|${a.value}`);
      continue;
    }
    if (a.value === '*' || catalog.isKnown(a.value)) continue;
    const suggestion = suggestAction(a.value, catalog);
    const hint = suggestion ? ` Did you mean "${suggestion}"?` : '';
    sink.add(
      'unknown-action',
      'medium',
      `"${a.value}" matches no action in the IAM action catalogue.${hint}`,
      a.loc,
      a.value.toLowerCase(),
      suggestion ? { action: a.value, suggestion } : { action: a.value },
    );
  }
}

function checkResources(sink: FindingSink, e: LEntry, where: string): void {
  for (const r of stringItems(sink, e, where)) {
    if (r.value === '*' || ARN_FORMAT.test(r.value) || ARN_PREFIX_WILDCARD.test(r.value)) continue;
    sink.grammar(`"${r.value}" is not a resource: expected "*" or "arn:partition:service:region:account:resource".`, r.loc, `${where}|resource-format|${r.value}`);
  }
}

function checkPrincipal(sink: FindingSink, e: LEntry, where: string): void {
  const v = e.value;
  if (v.kind === 'string') {
    if (v.value !== '*') sink.grammar(`${e.key} as a string must be "*"; use {"AWS": "${v.value}"} for an account or ARN.`, v.loc, `${where}|${e.key}|string`);
    return;
  }
  if (v.kind !== 'object') {
    sink.grammar(`${e.key} must be "*" or an object such as {"AWS": ...}, found ${describe(v)}.`, v.loc, `${where}|${e.key}|type`);
    return;
  }
  if (v.entries.length === 0) sink.grammar(`${e.key} must name at least one principal.`, v.loc, `${where}|${e.key}|empty`);
  for (const p of v.entries) {
    if (!PRINCIPAL_KEYS.has(p.key)) {
      sink.grammar(`Unknown principal type "${p.key}": expected AWS, Service, Federated or CanonicalUser.`, p.keyLoc, `${where}|${e.key}|type:${p.key}`);
      continue;
    }
    for (const s of stringItems(sink, p, `${where}|${e.key}`)) {
      if (p.key === 'AWS' && !AWS_PRINCIPAL.test(s.value)) {
        sink.grammar(`"${s.value}" is not an AWS principal: expected "*", a 12-digit account id or an ARN.`, s.loc, `${where}|${e.key}|aws:${s.value}`);
      }
    }
  }
}

/** Split "ForAnyValue:StringLikeIfExists" into its parts; undefined when the operator is unknown. */
export function parseOperator(op: string): { set?: 'ForAllValues' | 'ForAnyValue'; base: string; ifExists: boolean } | undefined {
  let rest = op;
  let set: 'ForAllValues' | 'ForAnyValue' | undefined;
  const m = /^(ForAllValues|ForAnyValue):/i.exec(rest);
  if (m) {
    set = m[1].toLowerCase() === 'forallvalues' ? 'ForAllValues' : 'ForAnyValue';
    rest = rest.slice(m[0].length);
  }
  let ifExists = false;
  if (/IfExists$/i.test(rest)) {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const base = CONDITION_OPERATORS.find((o) => o.toLowerCase() === rest.toLowerCase());
  if (!base) return undefined;
  if (base === 'Null' && (ifExists || set)) return undefined; // Null takes neither a set prefix nor IfExists
  return set ? { set, base, ifExists } : { base, ifExists };
}

const NUMBER_TEXT = /^-?\d+(\.\d+)?$/;
const DATE_TEXT = /^(\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?|-?\d+)$/;

/** Does a scalar condition value suit the operator family? Policy variables (${...}) are accepted. */
function valueFits(base: string, v: LNode): boolean {
  if (v.kind === 'object' || v.kind === 'array' || v.kind === 'null') return false;
  const text = String(v.value);
  if (text.includes('${')) return true;
  if (base === 'Bool' || base === 'Null') return /^(true|false)$/i.test(text);
  if (base.startsWith('Numeric')) return NUMBER_TEXT.test(text);
  if (base.startsWith('Date')) return DATE_TEXT.test(text);
  return true;
}

function checkCondition(sink: FindingSink, e: LEntry, where: string): void {
  if (e.value.kind !== 'object') {
    sink.grammar(`Condition must be an object of operators, found ${describe(e.value)}.`, e.value.loc, `${where}|Condition|type`);
    return;
  }
  for (const op of e.value.entries) {
    const parsed = parseOperator(op.key);
    if (!parsed) sink.grammar(`Unknown condition operator "${op.key}".`, op.keyLoc, `${where}|operator|${op.key}`);
    if (op.value.kind !== 'object') {
      sink.grammar(`Condition operator ${op.key} must map condition keys to values, found ${describe(op.value)}.`, op.value.loc, `${where}|${op.key}|type`);
      continue;
    }
    for (const k of op.value.entries) {
      const values = k.value.kind === 'array' ? k.value.items : [k.value];
      if (k.value.kind === 'array' && values.length === 0) sink.grammar(`Condition key ${k.key} has no values.`, k.value.loc, `${where}|${op.key}|${k.key}|empty`);
      for (const v of values) {
        if (v.kind === 'object' || v.kind === 'array' || v.kind === 'null') {
          sink.grammar(`Condition values must be strings, numbers or booleans; ${k.key} has ${describe(v)}.`, v.loc, `${where}|${op.key}|${k.key}|type`);
        } else if (parsed && !valueFits(parsed.base, v)) {
          sink.grammar(`"${String(v.value)}" is not a valid value for ${parsed.base} (key ${k.key}).`, v.loc, `${where}|${op.key}|${k.key}|value`);
        }
      }
    }
  }
}

function checkStatement(sink: FindingSink, node: LNode, index: number, kind: PolicyKind, catalog: ActionCatalogPort): void {
  const where = statementName(node, index);
  if (node.kind !== 'object') {
    sink.grammar(`Statement ${index + 1} must be an object, found ${describe(node)}.`, node.loc, `${where}|type`);
    return;
  }
  for (const e of node.entries) {
    if (!STATEMENT_KEYS.has(e.key)) sink.grammar(`Unknown statement element "${e.key}".`, e.keyLoc, `${where}|key|${e.key}`);
  }
  const effect = entryOf(node, 'Effect');
  if (!effect) sink.grammar(`Statement ${index + 1} has no Effect; it must be "Allow" or "Deny".`, node.loc, `${where}|Effect|missing`);
  else if (effect.value.kind !== 'string' || (effect.value.value !== 'Allow' && effect.value.value !== 'Deny')) {
    const got = effect.value.kind === 'string' ? JSON.stringify(effect.value.value) : `a ${effect.value.kind}`;
    sink.grammar(`Effect must be "Allow" or "Deny", not ${got}${effect.value.kind === 'string' && /^(allow|deny)$/i.test(effect.value.value) ? ' (the value is case-sensitive)' : ''}.`, effect.value.loc, `${where}|Effect|value`);
  }
  const sid = entryOf(node, 'Sid');
  if (sid && sid.value.kind !== 'string') sink.grammar('Sid must be a string.', sid.value.loc, `${where}|Sid|type`);
  else if (sid && sid.value.kind === 'string' && (kind === 'identity' || kind === 'boundary') && !IDENTITY_SID.test(sid.value.value)) {
    sink.grammar(`Sid "${sid.value.value}" may contain only letters and digits in an identity policy.`, sid.value.loc, `${where}|Sid|charset`);
  }

  const exactlyOne = (a: string, b: string, required: boolean): void => {
    const ea = entryOf(node, a);
    const eb = entryOf(node, b);
    if (ea && eb) sink.grammar(`A statement may have ${a} or ${b}, not both.`, eb.keyLoc, `${where}|${a}+${b}`);
    else if (!ea && !eb && required) sink.grammar(`Statement ${index + 1} needs ${a} or ${b}.`, node.loc, `${where}|${a}|missing`);
  };
  exactlyOne('Action', 'NotAction', true);
  exactlyOne('Resource', 'NotResource', kind !== 'trust');
  const hasPrincipal = entryOf(node, 'Principal') ?? entryOf(node, 'NotPrincipal');
  if (PRINCIPAL_FORBIDDEN.has(kind) && hasPrincipal) {
    sink.grammar(`${hasPrincipal.key} is not allowed in ${kind === 'scp' ? 'a service control' : `an ${kind}`} policy.`, hasPrincipal.keyLoc, `${where}|principal|forbidden`);
  } else if (PRINCIPAL_REQUIRED.has(kind)) {
    exactlyOne('Principal', 'NotPrincipal', true);
  }

  for (const e of node.entries) {
    if (e.key === 'Action' || e.key === 'NotAction') checkActions(sink, e, where, catalog);
    else if (e.key === 'Resource' || e.key === 'NotResource') checkResources(sink, e, where);
    else if (e.key === 'Principal' || e.key === 'NotPrincipal') checkPrincipal(sink, e, where);
    else if (e.key === 'Condition') checkCondition(sink, e, where);
  }
}

/** Grammar, catalogue and size findings for one document; `raw` is the located tree it was built from. */
export function validateDocument(doc: PolicyDocument, raw: LNode, opts: ValidateOptions = {}): Finding[] {
  const sink = new FindingSink(doc.id);
  const catalog = opts.catalog ?? defaultCatalog;
  if (raw.kind !== 'object') {
    sink.grammar(`The policy document must be a JSON object, found ${describe(raw)}.`, raw.loc, 'not-object');
    return sink.findings;
  }
  for (const e of raw.entries) {
    if (!TOP_KEYS.has(e.key)) sink.grammar(`Unknown top-level element "${e.key}": a policy has only Version, Id and Statement.`, e.keyLoc, `key|${e.key}`);
  }
  const version = entryOf(raw, 'Version');
  // Without a Version IAM reads the policy as 2008-10-17: the same meaning unless it uses policy variables.
  if (!version) {
    if (mentionsVariable(raw)) sink.add('invalid-grammar', 'medium', 'The policy has no Version; without "2012-10-17" policy variables such as ${aws:username} are not substituted.', raw.loc, 'Version|missing');
  } else if (version.value.kind !== 'string' || !VERSIONS.has(version.value.value)) {
    sink.grammar('Version must be "2012-10-17" (or the legacy "2008-10-17").', version.value.loc, 'Version|value');
  }
  const statement = entryOf(raw, 'Statement');
  if (!statement) sink.grammar('The policy has no Statement.', raw.loc, 'Statement|missing');
  else if (statement.value.kind !== 'object' && statement.value.kind !== 'array') {
    sink.grammar(`Statement must be an object or an array of objects, found ${describe(statement.value)}.`, statement.value.loc, 'Statement|type');
  } else {
    const nodes = statement.value.kind === 'array' ? statement.value.items : [statement.value];
    const sids = new Map<string, number>();
    nodes.forEach((node, i) => {
      checkStatement(sink, node, i, doc.kind, catalog);
      const sid = valueOf(node, 'Sid');
      if (sid?.kind === 'string' && sid.value !== '') {
        const first = sids.get(sid.value);
        if (first !== undefined) sink.grammar(`Sid "${sid.value}" is already used by statement ${first + 1}; Sids must be unique.`, sid.loc, `sid:${sid.value}|duplicate`);
        else sids.set(sid.value, i);
      }
    });
  }
  const limit = opts.sizeLimit ?? DEFAULT_SIZE_LIMITS[doc.kind];
  if (limit !== undefined && doc.size > limit) {
    sink.add(
      'policy-too-large',
      'high',
      `The ${doc.kind} policy is ${doc.size} characters without whitespace, over the quota of ${limit}.`,
      raw.loc,
      'size',
      { size: doc.size, limit },
    );
  }
  return sink.findings;
}

/** Whether a `${...}` policy variable appears in any string of the document. */
function mentionsVariable(node: LNode): boolean {
  if (node.kind === 'string') return node.value.includes('${');
  if (node.kind === 'array') return node.items.some(mentionsVariable);
  if (node.kind === 'object') return node.entries.some((e) => e.key.includes('${') || mentionsVariable(e.value));
  return false;
}
