// Condition implication for the new-access engine: does every request that satisfies the head
// statement's conditions satisfy the base statement's? Only 'true' lets a base statement cover a
// head grant, so every rule here must hold under the evaluator's semantics (evaluate/conditions.ts):
// missing keys, IfExists, set qualifiers, multivalued keys, variables.

import { BlockList, isIP } from 'node:net';
import type { ConditionClause } from '../model.js';
import { parseDate, parseOperator } from './evaluate/conditions.js';
import { globMatch } from './evaluate/glob.js';
import { arnContains, globContains } from './evaluate/match.js';
import { hasVariables } from './evaluate/variables.js';

/** 'false' = a base clause constrains a key that head leaves free; 'undefined' = not decided. */
export type Implication = true | false | undefined;

/**
 * True when the head clauses imply every base clause. `sameVariables` says whether policy variables
 * mean the same on both sides (same policy version); without it, clauses with variables never imply.
 */
export function conditionsImply(head: ConditionClause[], base: ConditionClause[], sameVariables = true): Implication {
  let result: Implication = true;
  for (const bc of base) {
    const key = bc.key.toLowerCase();
    const sameKey = head.filter((hc) => hc.key.toLowerCase() === key);
    if (sameKey.some((hc) => clauseImplies(hc, bc, sameVariables))) continue;
    if (sameKey.length === 0) {
      if (result === true) result = false;
    } else result = undefined;
  }
  return result;
}

function clauseText(c: ConditionClause): string {
  return `${c.operator.toLowerCase()}|${c.key.toLowerCase()}|${[...new Set(c.values)].sort().join('\u0000')}`;
}

const hasVars = (c: ConditionClause) => c.values.some(hasVariables);

/** One head clause implies one base clause (same key assumed). */
export function clauseImplies(h: ConditionClause, b: ConditionClause, sameVariables = true): boolean {
  const varying = hasVars(h) || hasVars(b);
  if (varying && !sameVariables) return false;
  // The same clause is the same function of the request, whatever the operator means.
  if (clauseText(h) === clauseText(b)) return true;
  const ho = parseOperator(h.operator);
  const bo = parseOperator(b.operator);
  if (!ho || !bo) return false;
  if (bo.family === 'null') return nullImplied(h, ho, b);
  if (ho.family === 'null') return false;
  if (ho.negated !== bo.negated) return false;
  // Absent key: head must not match where base does not.
  const headAbsent = ho.ifExists || ho.set === 'all' || (ho.set === undefined && ho.negated);
  const baseAbsent = bo.ifExists || bo.set === 'all' || (bo.set === undefined && bo.negated);
  if (headAbsent && !baseAbsent) return false;
  // Present key: the quantifier over request values must be the same. Unqualified positive operators
  // test "some value", like ForAnyValue; unqualified negated ones test "every value", like ForAllValues.
  const quant = (o: NonNullable<typeof ho>) => (o.set === 'all' || (o.set === undefined && o.negated) ? 'every' : 'some');
  if (quant(ho) !== quant(bo)) return false;
  // With variables the values are only comparable as text.
  if (varying) return sameValueSets(h.values, b.values, ho.negated);
  // Positive: what each head value accepts lies inside what some base value accepts.
  // Negated: what each base value excludes lies inside what some head value excludes.
  if (!ho.negated) {
    const inc = valueInclusion(ho.family, ho.compare, bo.family, bo.compare);
    return !!inc && h.values.every((hv) => b.values.some((bv) => inc(hv, bv)));
  }
  const inc = valueInclusion(bo.family, bo.compare, ho.family, ho.compare);
  return !!inc && b.values.every((bv) => h.values.some((hv) => inc(bv, hv)));
}

/**
 * Values with variables compared as text. A base value whose variable head does not use could make
 * the base clause invalid (missing key) where head's is not, so such values must appear in head too.
 */
function sameValueSets(h: string[], b: string[], negated: boolean): boolean {
  if (negated) return b.every((v) => h.includes(v));
  return h.every((v) => b.includes(v)) && b.every((v) => !hasVariables(v) || h.includes(v));
}

/** Null base clause: "false" (key present) follows from any head clause that cannot match an absent key. */
function nullImplied(h: ConditionClause, ho: ReturnType<typeof parseOperator>, b: ConditionClause): boolean {
  if (!ho || ho.family === 'null') return false;
  const wantsPresent = b.values.length > 0 && b.values.every((v) => v.trim().toLowerCase() === 'false');
  const headAbsent = ho.ifExists || ho.set === 'all' || (ho.set === undefined && ho.negated);
  return wantsPresent && !headAbsent;
}

type Family = NonNullable<ReturnType<typeof parseOperator>>['family'];
type Compare = NonNullable<ReturnType<typeof parseOperator>>['compare'];
/** `inc(x, y)`: every request value that value x accepts (first operator) is accepted by value y (second operator). */
type Inclusion = (x: string, y: string) => boolean;

function valueInclusion(hf: Family, hc: Compare, bf: Family, bc: Compare): Inclusion | undefined {
  const literal = (p: string) => !p.includes('*') && !p.includes('?');
  if (hf === 'string' && bf === 'string') return (x, y) => x === y;
  if (hf === 'string' && bf === 'string-ci') return (x, y) => x.toLowerCase() === y.toLowerCase();
  if (hf === 'string-ci' && bf === 'string-ci') return (x, y) => x.toLowerCase() === y.toLowerCase();
  if (hf === 'string' && bf === 'string-like') return (x, y) => globMatch(y, x);
  if (hf === 'string-like' && bf === 'string-like') return (x, y) => globContains(y, x);
  if (hf === 'string-like' && bf === 'string') return (x, y) => literal(x) && x === y;
  if (hf === 'arn' && bf === 'arn') return (x, y) => arnContains(y, x);
  if (hf === 'bool' && bf === 'bool') return (x, y) => x.trim().toLowerCase() === y.trim().toLowerCase();
  if (hf === 'binary' && bf === 'binary') return (x, y) => x.trim() === y.trim();
  if (hf === 'ip' && bf === 'ip') return cidrInside;
  if (hf === 'numeric' && bf === 'numeric') return (x, y) => intervalInside(hc, Number(x.trim() || NaN), bc, Number(y.trim() || NaN));
  if (hf === 'date' && bf === 'date') return (x, y) => intervalInside(hc, parseDate(x), bc, parseDate(y));
  return undefined;
}

/** {v : v hc x} ⊆ {v : v bc y} over the reals. A NaN value matches nothing. */
function intervalInside(hc: Compare, x: number, bc: Compare, y: number): boolean {
  if (Number.isNaN(x)) return true;
  if (Number.isNaN(y)) return false;
  switch (hc) {
    case 'eq':
      return bc === 'eq' ? x === y : bc === 'lt' ? x < y : bc === 'lte' ? x <= y : bc === 'gt' ? x > y : x >= y;
    case 'lt':
      return bc === 'lt' || bc === 'lte' ? x <= y : false;
    case 'lte':
      return bc === 'lt' ? x < y : bc === 'lte' ? x <= y : false;
    case 'gt':
      return bc === 'gt' || bc === 'gte' ? x >= y : false;
    case 'gte':
      return bc === 'gt' ? x > y : bc === 'gte' ? x >= y : false;
  }
}

function parseCidr(v: string): { addr: string; bits: number; family: 4 | 6 } | undefined {
  const [addr, bits, extra] = v.trim().split('/');
  const family = isIP(addr ?? '');
  if (!family || extra !== undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  const n = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(n >= 0 && n <= max)) return undefined;
  return { addr, bits: n, family: family as 4 | 6 };
}

/** CIDR x inside CIDR y. An invalid x matches nothing (inside anything); an invalid y holds nothing. */
function cidrInside(x: string, y: string): boolean {
  const a = parseCidr(x);
  if (!a) return true;
  const b = parseCidr(y);
  if (!b || a.family !== b.family || a.bits < b.bits) return false;
  const bl = new BlockList();
  bl.addSubnet(b.addr, b.bits, b.family === 4 ? 'ipv4' : 'ipv6');
  return bl.check(a.addr, a.family === 4 ? 'ipv4' : 'ipv6');
}
