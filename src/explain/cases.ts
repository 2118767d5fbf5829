// Access-test case files for `explain --cases`: YAML or JSON (JSON is YAML), a list of requests
// under `cases:` (or a bare list), each with an optional context and expected decisions.
// Problems are reported with file:line and stop the run (exit 2), like a config error.
import { LineCounter, isMap, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import type { CaseContextValue, ExplainCase, ExpectedDecision } from './types.js';

export const MAX_CASE_FILE_BYTES = 1024 * 1024;
export const MAX_CASES = 5000;
const DECISIONS: ExpectedDecision[] = ['allow', 'deny', 'explicit-deny', 'implicit-deny', 'undecided'];
const CASE_KEYS = new Set(['name', 'subject', 'principal', 'action', 'resource', 'context', 'absent', 'expect']);

export class CaseFileError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'CaseFileError';
  }
}

function contextValue(v: unknown): CaseContextValue | undefined {
  if (v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) return v.map(String);
  return undefined;
}

function expectation(v: unknown): ExplainCase['expect'] | string {
  const one = (x: unknown): ExpectedDecision | undefined => (DECISIONS.includes(x as ExpectedDecision) ? (x as ExpectedDecision) : undefined);
  if (v === undefined) return undefined;
  if (typeof v === 'string') return one(v) ? { head: one(v) } : `expect must be one of ${DECISIONS.join(', ')}`;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => k !== 'base' && k !== 'head');
    if (extra.length) return `expect takes base and head, not ${extra.join(', ')}`;
    if ((o.base !== undefined && !one(o.base)) || (o.head !== undefined && !one(o.head))) return `expected decisions are ${DECISIONS.join(', ')}`;
    return { ...(o.base ? { base: one(o.base) } : {}), ...(o.head ? { head: one(o.head) } : {}) };
  }
  return 'expect must be a decision or { base, head }';
}

/** Validates one case given as a plain object; returns the case or the problems. */
export function toCase(raw: unknown): ExplainCase | string[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return ['a case must be a mapping'];
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of Object.keys(o)) if (!CASE_KEYS.has(k)) problems.push(`unknown field "${k}"`);
  const str = (k: string): string | undefined => {
    if (o[k] === undefined) return undefined;
    if (typeof o[k] !== 'string' || !(o[k] as string).length) problems.push(`${k} must be a non-empty string`);
    return typeof o[k] === 'string' ? (o[k] as string) : undefined;
  };
  const action = str('action');
  if (!action) problems.push('action is required');
  else if (!/^[A-Za-z0-9-]+:[A-Za-z0-9]+$/.test(action)) problems.push(`action "${action}" is not service:Action`);
  const subject = str('subject');
  const principal = str('principal');
  if (!subject && !principal) problems.push('give subject or principal (an ARN)');
  const context: Record<string, CaseContextValue> = {};
  if (o.context !== undefined) {
    if (!o.context || typeof o.context !== 'object' || Array.isArray(o.context)) problems.push('context must be a mapping of condition keys');
    else
      for (const [k, v] of Object.entries(o.context as Record<string, unknown>)) {
        const value = contextValue(v);
        if (value === undefined) problems.push(`context ${k} must be a string, a list of strings, or null (unknown)`);
        else context[k] = value;
      }
  }
  const absent = o.absent;
  if (absent !== undefined && !(Array.isArray(absent) && absent.every((a) => typeof a === 'string'))) problems.push('absent must be a list of condition keys');
  const expect = expectation(o.expect);
  if (typeof expect === 'string') problems.push(expect);
  if (problems.length) return problems;
  return {
    ...(typeof o.name === 'string' ? { name: o.name } : {}),
    ...(subject ? { subject } : {}),
    ...(principal ? { principal } : {}),
    action: action!,
    ...(str('resource') ? { resource: str('resource') } : {}),
    context,
    ...(absent ? { absent: absent as string[] } : {}),
    ...(expect && typeof expect === 'object' ? { expect } : {}),
  };
}

export function parseCaseFile(text: string, file: string): ExplainCase[] {
  if (text.length > MAX_CASE_FILE_BYTES) throw new CaseFileError([`${file}: larger than ${MAX_CASE_FILE_BYTES} bytes`]);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOf = (node: YamlNode | undefined | null) => lineCounter.linePos(node?.range?.[0] ?? 0).line;
  if (doc.errors.length) throw new CaseFileError(doc.errors.map((e) => `${file}:${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`));
  let list = doc.contents as YamlNode | null;
  if (isMap(list)) list = (list.get('cases', true) as YamlNode | undefined) ?? null;
  if (!isSeq(list)) throw new CaseFileError([`${file}:1: expected a list of cases (or cases: [...])`]);
  if (list.items.length > MAX_CASES) throw new CaseFileError([`${file}: more than ${MAX_CASES} cases`]);
  const js = doc.toJS({ maxAliasCount: 50 }) as unknown;
  const values = (Array.isArray(js) ? js : (js as { cases?: unknown[] }).cases) ?? [];
  const problems: string[] = [];
  const cases: ExplainCase[] = [];
  list.items.forEach((item, i) => {
    const line = lineOf(item as YamlNode);
    const c = toCase(values[i]);
    if (Array.isArray(c)) problems.push(...c.map((p) => `${file}:${line}: case ${i + 1}: ${p}`));
    else cases.push({ ...c, loc: { file, line, column: 1 } });
  });
  if (problems.length) throw new CaseFileError(problems);
  return cases;
}
