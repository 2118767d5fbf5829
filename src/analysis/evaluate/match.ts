// Action and ARN matching as IAM does it, plus exact pattern containment.
// Compiled patterns are cached by their text: the replay calls these ~1e5 times.

import { globMatch } from './glob.js';

const CACHE_LIMIT = 50_000;

function cached<T>(cache: Map<string, T>, key: string, make: (k: string) => T): T {
  let v = cache.get(key);
  if (v === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    v = make(key);
    cache.set(key, v);
  }
  return v;
}

// ---------- actions ----------

interface CompiledAction {
  lower: string;
  wild: boolean;
}
const actionCache = new Map<string, CompiledAction>();

function compileAction(pattern: string): CompiledAction {
  const lower = pattern.toLowerCase();
  return { lower, wild: lower.includes('*') || lower.includes('?') };
}

/** Action match: case-insensitive, `*` and `?` (reference_policies_elements_action.md). */
export function actionMatches(pattern: string, action: string): boolean {
  return actionMatchesLower(pattern, action.toLowerCase());
}

/** As actionMatches, with the action already lower-cased (the evaluator does that once per request). */
export function actionMatchesLower(pattern: string, lowerAction: string): boolean {
  const c = cached(actionCache, pattern, compileAction);
  return c.wild ? globMatch(c.lower, lowerAction) : c.lower === lowerAction;
}

// ---------- ARNs ----------

/**
 * An ARN pattern split into its six colon-separated parts (arn:partition:service:region:account:resource).
 * A pattern with fewer than five colons (e.g. "*") is matched as one glob over the whole string.
 */
export interface CompiledArn {
  whole: string;
  segments?: string[];
  wild: boolean;
}
const arnCache = new Map<string, CompiledArn>();

export function compileArnPattern(pattern: string): CompiledArn {
  // Literal markers from ${*} / ${?} also need the glob path, which decodes them.
  const wild = /[*?\uE000\uE001]/.test(pattern);
  return { whole: pattern, segments: splitArn(pattern) ?? splitShortArn(pattern), wild };
}

/** "arn:aws:*" and other patterns with fewer parts: parts up to the last, which takes the rest. */
function splitShortArn(pattern: string): string[] | undefined {
  return pattern.startsWith('arn:') ? pattern.split(':') : undefined;
}

/** The six parts of an ARN, the last one keeping its ':' and '/'; undefined with fewer than five colons. */
export function splitArn(text: string): string[] | undefined {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < 5; i++) {
    const at = text.indexOf(':', start);
    if (at < 0) return undefined;
    out.push(text.slice(start, at));
    start = at + 1;
  }
  out.push(text.slice(start));
  return out;
}

/**
 * ARN match: case-sensitive; a wildcard in the first five parts stays inside its part, a wildcard
 * in the resource part matches anything including ':' and '/'. A shorter "arn:" pattern is matched
 * part by part with its last part taking the rest; a pattern not starting "arn:" ("*") is one glob
 * (reference_policies_elements_condition_operators.md#Conditions_ARN: "Each of the six
 * colon-delimited components of the ARN is checked separately").
 */
export function arnMatches(pattern: string, arn: string): boolean {
  return arnMatchesCompiled(cached(arnCache, pattern, compileArnPattern), arn);
}

export function arnMatchesCompiled(c: CompiledArn, arn: string): boolean {
  if (!c.wild) return c.whole === arn;
  const segs = c.segments;
  if (!segs) return globMatch(c.whole, arn);
  const last = segs.length - 1;
  let start = 0;
  for (let i = 0; i < last; i++) {
    const at = arn.indexOf(':', start);
    if (at < 0) return false;
    if (!globMatch(segs[i], arn, start, at)) return false;
    start = at + 1;
  }
  return globMatch(segs[last], arn, start, arn.length);
}

// ---------- containment ----------

const T_STAR = -1;
const T_QMARK = -2;
const OTHER = -3; // any character that the outer pattern never names

function tokens(pattern: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 42) {
      if (out[out.length - 1] !== T_STAR) out.push(T_STAR);
    } else if (c === 63) out.push(T_QMARK);
    else if (c === 0xe000) out.push(42);
    else if (c === 0xe001) out.push(63);
    else out.push(c);
  }
  return out;
}

/** Largest number of outer-automaton state sets explored before giving up. */
const CONTAINMENT_BUDGET = 20_000;

/**
 * Whether every string matched by `inner` is matched by `outer`: true, false, or undefined when the
 * search exceeded its budget. Works on the subset automaton of `outer`, driven by `inner`'s tokens:
 * a literal steps every reachable state set by that character, `?` by every character class, `*`
 * takes the closure under all classes. Character classes are outer's literals plus one "other".
 */
export function globContainment(outer: string, inner: string, caseInsensitive = false): boolean | undefined {
  if (caseInsensitive) {
    outer = outer.toLowerCase();
    inner = inner.toLowerCase();
  }
  if (outer === inner) return true;
  const o = tokens(outer);
  const n = o.length;
  const classes = [...new Set(o.filter((t) => t >= 0)), OTHER];
  let budget = CONTAINMENT_BUDGET;

  const close = (set: Set<number>): number[] => {
    for (const i of [...set]) {
      let j = i;
      while (j < n && o[j] === T_STAR) set.add(++j);
    }
    return [...set].sort((a, b) => a - b);
  };
  const step = (states: number[], ch: number): number[] => {
    const next = new Set<number>();
    for (const i of states) {
      if (i >= n) continue;
      const t = o[i];
      if (t === T_STAR) next.add(i);
      else if (t === T_QMARK || t === ch) next.add(i + 1);
    }
    return close(next);
  };

  let current = new Map<string, number[]>();
  const start = close(new Set([0]));
  current.set(start.join(','), start);

  for (const t of tokens(inner)) {
    const next = new Map<string, number[]>();
    const add = (s: number[]): boolean => {
      const k = s.join(',');
      if (next.has(k)) return false;
      next.set(k, s);
      return true;
    };
    for (const states of current.values()) {
      if (t === T_STAR) {
        const queue = [states];
        add(states);
        while (queue.length) {
          const s = queue.pop()!;
          for (const c of classes) {
            if (--budget < 0) return undefined;
            const s2 = step(s, c);
            if (add(s2)) queue.push(s2);
          }
        }
      } else if (t === T_QMARK) {
        for (const c of classes) {
          if (--budget < 0) return undefined;
          add(step(states, c));
        }
      } else {
        if (--budget < 0) return undefined;
        add(step(states, t));
      }
    }
    // A dead state set means some completion of inner is rejected: inner's rest always matches something.
    if (next.has('')) return false;
    current = next;
  }
  for (const states of current.values()) if (states[states.length - 1] !== n) return false;
  return true;
}

/** Exact containment of glob patterns; false when it could not be decided within the budget. */
export function globContains(outer: string, inner: string, caseInsensitive = false): boolean {
  return globContainment(outer, inner, caseInsensitive) === true;
}

/**
 * Containment under arnMatches semantics: part by part when both are ARN patterns (exact); when
 * `outer` is not split (e.g. "*") a whole-string check, which is sound. False when undecided.
 */
export function arnContains(outer: string, inner: string): boolean {
  if (outer === inner) return true;
  const os = splitArn(outer);
  if (!os) return outer.startsWith('arn:') ? false : globContains(outer, inner);
  const is = splitArn(inner);
  if (!is) return false;
  for (let i = 0; i < 6; i++) if (!globContains(os[i], is[i])) return false;
  return true;
}
