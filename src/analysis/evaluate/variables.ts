// Policy variables (reference_policies_variables.md): `${key}` takes the request's value of a
// condition key, `${key, 'default'}` falls back to the default, and `${*}`, `${?}`, `${$}` stand
// for the literal characters. Only documents with Version 2012-10-17 substitute
// (reference_policies_elements_version.md).

import { LITERAL_QMARK, LITERAL_STAR } from './glob.js';

export type ContextValues = Record<string, string | string[] | undefined>;

export type Resolved =
  | { kind: 'ok'; value: string }
  /** The key is not in the request: "any attempt to match it fails and causes the statement to be invalid". */
  | { kind: 'missing'; key: string }
  /** The key is in the request but its value was not recorded. */
  | { kind: 'unknown'; key: string };

type Part = string | { key: string; fallback?: string } | { special: '*' | '?' | '$' };

const templateCache = new Map<string, Part[] | null>();
const MAX_TEMPLATE = 4096;

function parseDefault(text: string): string | undefined {
  const m = /^'((?:[^']|'')*)'$/.exec(text);
  return m ? m[1].replace(/''/g, "'") : undefined;
}

/** Parse once; null when the text has no variable. Malformed `${` stays literal text. */
function parseTemplate(text: string): Part[] | null {
  if (!text.includes('${')) return null;
  const parts: Part[] = [];
  let i = 0;
  let lit = '';
  while (i < text.length) {
    const open = text.indexOf('${', i);
    if (open < 0) break;
    const close = text.indexOf('}', open + 2);
    if (close < 0) break;
    const body = text.slice(open + 2, close).trim();
    lit += text.slice(i, open);
    let part: Part | undefined;
    if (body === '*' || body === '?' || body === '$') part = { special: body };
    else {
      const comma = body.indexOf(',');
      const key = (comma < 0 ? body : body.slice(0, comma)).trim();
      const fallback = comma < 0 ? undefined : parseDefault(body.slice(comma + 1).trim());
      if (key && !/\s/.test(key) && (comma < 0 || fallback !== undefined)) part = { key: key.toLowerCase(), fallback };
    }
    if (part) {
      if (lit) parts.push(lit);
      lit = '';
      parts.push(part);
    } else lit += text.slice(open, close + 1);
    i = close + 1;
  }
  lit += text.slice(i);
  if (lit) parts.push(lit);
  return parts.some((p) => typeof p !== 'string') ? parts : null;
}

function template(text: string): Part[] | null {
  let t = templateCache.get(text);
  if (t === undefined) {
    if (templateCache.size > 20_000) templateCache.clear();
    t = text.length > MAX_TEMPLATE ? null : parseTemplate(text);
    templateCache.set(text, t);
  }
  return t;
}

export function hasVariables(text: string): boolean {
  return template(text) !== null;
}

/**
 * Substitute the variables in `text`. With `asPattern`, substituted characters that are wildcards
 * ('*', '?') are made literal, so a value never widens a pattern.
 */
export function resolveVariables(text: string, ctx: ContextValues, asPattern: boolean): Resolved {
  const parts = template(text);
  if (!parts) return { kind: 'ok', value: text };
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if ('special' in p) out += literal(p.special, asPattern);
    else {
      const has = Object.prototype.hasOwnProperty.call(ctx, p.key);
      let v = has ? ctx[p.key] : undefined;
      if (Array.isArray(v)) v = v.length === 1 ? v[0] : undefined; // multivalued keys cannot be variables
      if (has && ctx[p.key] === undefined) return { kind: 'unknown', key: p.key };
      if (v === undefined) {
        if (p.fallback === undefined) return { kind: 'missing', key: p.key };
        v = p.fallback;
      }
      out += literal(v, asPattern);
    }
  }
  return { kind: 'ok', value: out };
}

function literal(v: string, asPattern: boolean): string {
  if (!asPattern) return v;
  return v.replace(/\*/g, LITERAL_STAR).replace(/\?/g, LITERAL_QMARK);
}
