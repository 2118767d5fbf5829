// Condition operators (reference_policies_elements_condition_operators.md) and the rules for
// missing keys, IfExists, negation and the set qualifiers
// (reference_policies_condition-single-vs-multi-valued-context-keys.md, reference_policies_multi-value-conditions.md).
//
// A key absent from the request context is *missing*: AWS then treats the condition as false,
// except for ...IfExists, Null, negated operators and ForAllValues, which are true
// (reference_policies_elements_condition.md, "The condition block"; condition_operators.md#Conditions_IfExists).
// A key present with value `undefined` is *unknown*: the event did not record it, so we cannot say.

import { BlockList, isIP } from 'node:net';
import type { ConditionClause } from '../../model.js';
import { globMatch } from './glob.js';
import { arnMatches } from './match.js';
import { hasVariables, resolveVariables, type ContextValues } from './variables.js';

export type Tri = 'match' | 'no-match' | 'unknown';

export interface ConditionResult {
  result: Tri;
  reason?: string;
  /** A variable in the values names a key the request lacks: the whole statement is invalid. */
  invalidStatement?: boolean;
}

type Family = 'string' | 'string-ci' | 'string-like' | 'numeric' | 'date' | 'bool' | 'binary' | 'ip' | 'arn' | 'null';
type Compare = 'eq' | 'lt' | 'lte' | 'gt' | 'gte';

interface ParsedOperator {
  family: Family;
  compare: Compare;
  negated: boolean;
  ifExists: boolean;
  set?: 'all' | 'any';
}

const BASE_OPERATORS: Record<string, [Family, Compare, boolean]> = {
  stringequals: ['string', 'eq', false],
  stringnotequals: ['string', 'eq', true],
  stringequalsignorecase: ['string-ci', 'eq', false],
  stringnotequalsignorecase: ['string-ci', 'eq', true],
  stringlike: ['string-like', 'eq', false],
  stringnotlike: ['string-like', 'eq', true],
  numericequals: ['numeric', 'eq', false],
  numericnotequals: ['numeric', 'eq', true],
  numericlessthan: ['numeric', 'lt', false],
  numericlessthanequals: ['numeric', 'lte', false],
  numericgreaterthan: ['numeric', 'gt', false],
  numericgreaterthanequals: ['numeric', 'gte', false],
  dateequals: ['date', 'eq', false],
  datenotequals: ['date', 'eq', true],
  datelessthan: ['date', 'lt', false],
  datelessthanequals: ['date', 'lte', false],
  dategreaterthan: ['date', 'gt', false],
  dategreaterthanequals: ['date', 'gte', false],
  bool: ['bool', 'eq', false],
  binaryequals: ['binary', 'eq', false],
  ipaddress: ['ip', 'eq', false],
  notipaddress: ['ip', 'eq', true],
  arnequals: ['arn', 'eq', false],
  arnlike: ['arn', 'eq', false],
  arnnotequals: ['arn', 'eq', true],
  arnnotlike: ['arn', 'eq', true],
  null: ['null', 'eq', false],
};

const operatorCache = new Map<string, ParsedOperator | null>();

export function parseOperator(operator: string): ParsedOperator | null {
  let p = operatorCache.get(operator);
  if (p !== undefined) return p;
  let rest = operator.toLowerCase();
  let set: ParsedOperator['set'];
  if (rest.startsWith('forallvalues:')) {
    set = 'all';
    rest = rest.slice(13);
  } else if (rest.startsWith('foranyvalue:')) {
    set = 'any';
    rest = rest.slice(12);
  }
  const ifExists = rest.endsWith('ifexists') && rest !== 'ifexists';
  if (ifExists) rest = rest.slice(0, -8);
  const base = BASE_OPERATORS[rest];
  p = base ? { family: base[0], compare: base[1], negated: base[2], ifExists, set } : null;
  if (operatorCache.size < 1000) operatorCache.set(operator, p);
  return p;
}

// ---------- value parsing ----------

function parseNumber(s: string): number {
  const t = s.trim();
  return t === '' ? NaN : Number(t);
}

/** ISO 8601 dates or epoch seconds (reference_policies_elements_condition_operators.md#Conditions_Date). */
export function parseDate(s: string): number {
  const t = s.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  return t === '' ? NaN : Date.parse(t);
}

function normaliseBase64(s: string): string | undefined {
  const t = s.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return undefined;
  return Buffer.from(t, 'base64').toString('base64');
}

const blockListCache = new Map<string, BlockList>();

/** IPv4 and IPv6 CIDRs (a bare address is /32 or /128); invalid entries match nothing. */
function blockListFor(values: string[]): BlockList {
  const key = values.join('\n');
  let bl = blockListCache.get(key);
  if (bl) return bl;
  bl = new BlockList();
  for (const v of values) {
    const [addr, bits, extra] = v.trim().split('/');
    const family = isIP(addr ?? '');
    if (!family || extra !== undefined) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) bl.addAddress(addr, type);
    else {
      const prefix = /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
      if (prefix >= 0 && prefix <= (family === 4 ? 32 : 128)) bl.addSubnet(addr, prefix, type);
    }
  }
  if (blockListCache.size > 5000) blockListCache.clear();
  blockListCache.set(key, bl);
  return bl;
}

function compare(c: Compare, a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return false;
  switch (c) {
    case 'eq':
      return a === b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
  }
}

/** Policy values prepared for repeated testing; string values are already variable-substituted. */
type Tester = (requestValue: string) => boolean;

function makeTester(op: ParsedOperator, values: string[]): Tester {
  switch (op.family) {
    case 'string': {
      const set = new Set(values);
      return (v) => set.has(v);
    }
    case 'string-ci': {
      const set = new Set(values.map((x) => x.toLowerCase()));
      return (v) => set.has(v.toLowerCase());
    }
    case 'string-like':
      return (v) => values.some((p) => globMatch(p, v));
    case 'arn':
      return (v) => values.some((p) => arnMatches(p, v));
    case 'numeric': {
      const nums = values.map(parseNumber);
      return (v) => {
        const n = parseNumber(v);
        return nums.some((p) => compare(op.compare, n, p));
      };
    }
    case 'date': {
      const dates = values.map(parseDate);
      return (v) => {
        const d = parseDate(v);
        return dates.some((p) => compare(op.compare, d, p));
      };
    }
    case 'bool': {
      const set = new Set(values.map((x) => x.trim().toLowerCase()));
      return (v) => set.has(v.trim().toLowerCase());
    }
    case 'binary': {
      const set = new Set(values.map(normaliseBase64).filter((x): x is string => x !== undefined));
      return (v) => {
        const b = normaliseBase64(v);
        return b !== undefined && set.has(b);
      };
    }
    case 'ip': {
      const bl = blockListFor(values);
      return (v) => {
        const family = isIP(v.trim());
        return family !== 0 && bl.check(v.trim(), family === 4 ? 'ipv4' : 'ipv6');
      };
    }
    case 'null':
      return () => false; // handled apart
  }
}

/** Variables are substituted only for string and ARN operators (reference_policies_variables.md#policy-vars-conditionelement). */
function takesVariables(f: Family): boolean {
  return f === 'string' || f === 'string-ci' || f === 'string-like' || f === 'arn';
}

function isPatternFamily(f: Family): boolean {
  return f === 'string-like' || f === 'arn';
}

// Testers for clauses without variables are kept per clause object (the replay reuses documents).
const testerCache = new WeakMap<ConditionClause, Tester>();

type Prepared = { tester: Tester } | { result: ConditionResult };

function prepare(clause: ConditionClause, op: ParsedOperator, ctx: ContextValues, variables: boolean): Prepared {
  const cachedTester = testerCache.get(clause);
  if (cachedTester) return { tester: cachedTester };
  const substitute = variables && takesVariables(op.family);
  let dynamic = false;
  const values: string[] = [];
  for (const raw of clause.values) {
    if (!substitute) {
      values.push(raw);
      continue;
    }
    const r = resolveVariables(raw, ctx, isPatternFamily(op.family));
    if (r.kind === 'missing')
      return { result: { result: 'no-match', invalidStatement: true, reason: `variable \${${r.key}} has no value in the request` } };
    if (r.kind === 'unknown') return { result: { result: 'unknown', reason: `variable \${${r.key}} was not recorded` } };
    if (hasVariables(raw)) dynamic = true;
    values.push(r.value);
  }
  const tester = makeTester(op, values);
  if (!dynamic) testerCache.set(clause, tester);
  return { tester };
}

/** Evaluate one condition clause (one operator, one key, its values) against the request context. */
export function evaluateCondition(clause: ConditionClause, ctx: ContextValues, variables: boolean): ConditionResult {
  const op = parseOperator(clause.operator);
  if (!op) return { result: 'unknown', reason: `unsupported operator ${clause.operator}` };
  const key = clause.key.toLowerCase();
  const has = Object.prototype.hasOwnProperty.call(ctx, key);
  const raw = has ? ctx[key] : undefined;
  if (has && raw === undefined) return { result: 'unknown', reason: `${clause.key} was not recorded` };
  const requestValues = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const present = requestValues.length > 0;

  if (op.family === 'null') {
    // Null: "true" matches when the key is absent (or an empty set), "false" when present.
    const hit = clause.values.some((v) => (v.trim().toLowerCase() === 'true' ? !present : v.trim().toLowerCase() === 'false' && present));
    return { result: hit ? 'match' : 'no-match', reason: present ? `${clause.key} is present` : `${clause.key} is absent` };
  }

  if (!present) {
    const absentMatches = op.ifExists || op.set === 'all' || (op.set === undefined && op.negated);
    return { result: absentMatches ? 'match' : 'no-match', reason: `${clause.key} is absent` };
  }

  const prepared = prepare(clause, op, ctx, variables);
  if ('result' in prepared) return prepared.result;
  const positive = prepared.tester;
  const satisfies = op.negated ? (v: string) => !positive(v) : positive;

  let ok: boolean;
  if (op.set === 'all') ok = requestValues.every(satisfies);
  else if (op.set === 'any') ok = requestValues.some(satisfies);
  // No qualifier on a multivalued key: a positive operator matches if any value does, a negated
  // one only if no value matches any policy value (NotEquals with several values = none match).
  else if (op.negated) ok = requestValues.every(satisfies);
  else ok = requestValues.some(satisfies);
  return { result: ok ? 'match' : 'no-match' };
}
