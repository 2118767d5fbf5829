// CloudFormation YAML -> located tree. Short-form tags (!Ref, !Sub ...) become their long forms
// ({"Ref": x}, {"Fn::Sub": x}) so the resolver reads one shape for YAML and JSON templates alike.
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { Finding, SourceLocation } from '../model.js';
import type { LEntry, LNode } from '../policies/located.js';
import { iacFinding } from './findings.js';

/** Short-form tag -> long-form key. */
const SHORT_FORMS: Readonly<Record<string, string>> = {
  '!Ref': 'Ref',
  '!Condition': 'Condition',
  '!Sub': 'Fn::Sub',
  '!GetAtt': 'Fn::GetAtt',
  '!Join': 'Fn::Join',
  '!Select': 'Fn::Select',
  '!Split': 'Fn::Split',
  '!If': 'Fn::If',
  '!FindInMap': 'Fn::FindInMap',
  '!ImportValue': 'Fn::ImportValue',
  '!Base64': 'Fn::Base64',
  '!Cidr': 'Fn::Cidr',
  '!GetAZs': 'Fn::GetAZs',
  '!Equals': 'Fn::Equals',
  '!And': 'Fn::And',
  '!Or': 'Fn::Or',
  '!Not': 'Fn::Not',
  '!Transform': 'Fn::Transform',
  '!Length': 'Fn::Length',
  '!ToJsonString': 'Fn::ToJsonString',
  '!ForEach': 'Fn::ForEach',
};

export interface YamlLimits {
  maxDepth: number;
  /** Nodes produced, aliases expanded: bounds "billion laughs" documents. */
  maxNodes: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = { maxDepth: 64, maxNodes: 250_000 }; // a 1 MB template (the CloudFormation maximum) has far fewer

export interface YamlParse {
  root?: LNode;
  /** Fatal problems are parse-error findings and leave no root; others (unknown tag, duplicate key) keep it. */
  findings: Finding[];
  /** True when the text used any CloudFormation short-form tag (a strong sign it is a template). */
  usesCfnTags: boolean;
}

class TooBig extends Error {}

export function parseCfnYaml(text: string, file: string, limits: YamlLimits = DEFAULT_YAML_LIMITS): YamlParse {
  const lc = new LineCounter();
  const findings: Finding[] = [];
  const locOf = (offset: number): SourceLocation => {
    const p = lc.linePos(offset);
    return { file, line: p.line, column: p.col };
  };
  let doc;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false, keepSourceTokens: false });
  } catch (e) {
    return { findings: [iacFinding('parse-error', 'high', `${file}: YAML could not be parsed: ${(e as Error).message}`, locOf(0), 'yaml')], usesCfnTags: false };
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const loc = locOf(e.pos[0]);
    const message = e.message.split('\n')[0];
    return { findings: [iacFinding('parse-error', 'high', `${file}:${loc.line}: invalid YAML: ${message}`, loc, `yaml|${e.code}`)], usesCfnTags: false };
  }
  let usesCfnTags = false;
  let nodes = 0;
  const aliasTargets = new Map<object, YamlNode | undefined>();
  const convert = (n: YamlNode | null | undefined, depth: number, fallback: number): LNode => {
    if (++nodes > limits.maxNodes) throw new TooBig(`more than ${limits.maxNodes} values (aliases expanded)`);
    if (depth > limits.maxDepth) throw new TooBig(`nesting deeper than ${limits.maxDepth} levels`);
    if (!n) return { kind: 'null', loc: locOf(fallback) };
    if (isAlias(n)) {
      // resolve() walks the document each time: once per alias node is enough.
      let target = aliasTargets.get(n);
      if (!aliasTargets.has(n)) aliasTargets.set(n, (target = n.resolve(doc) as YamlNode | undefined));
      return convert(target, depth + 1, n.range?.[0] ?? fallback);
    }
    const start = n.range?.[0] ?? fallback;
    const loc: SourceLocation = { ...locOf(start), ...(n.range ? endOf(lc, n.range[1]) : {}) };
    let value: LNode;
    if (isMap(n)) {
      const entries: LEntry[] = [];
      const index = new Map<string, number>();
      for (const pair of n.items) {
        const keyNode = pair.key as YamlNode | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : '';
        const keyLoc = locOf(keyNode?.range?.[0] ?? start);
        const entry: LEntry = { key, keyLoc, value: convert(pair.value as YamlNode | null, depth + 1, keyNode?.range?.[1] ?? start) };
        const prev = index.get(key);
        if (prev !== undefined) {
          findings.push(
            iacFinding('duplicate-key', 'high', `${file}:${keyLoc.line}: key "${key}" appears twice in the same mapping; the earlier one at line ${entries[prev].keyLoc.line} is ignored`, keyLoc, `dup|${key}|${keyLoc.line}`),
          );
          entries[prev] = entry;
        } else {
          index.set(key, entries.length);
          entries.push(entry);
        }
      }
      value = { kind: 'object', entries, loc };
    } else if (isSeq(n)) {
      value = { kind: 'array', items: n.items.map((i) => convert(i as YamlNode, depth + 1, start)), loc };
    } else if (isScalar(n)) {
      const v = n.value;
      if (v === null || v === undefined) value = { kind: 'null', loc };
      else if (typeof v === 'boolean') value = { kind: 'boolean', value: v, loc };
      else if (typeof v === 'number') value = { kind: 'number', value: v, loc };
      else value = { kind: 'string', value: String(v), loc };
    } else value = { kind: 'null', loc };
    return applyTag(n.tag, value, loc);
  };
  const applyTag = (tag: string | undefined, value: LNode, loc: SourceLocation): LNode => {
    if (!tag || tag.startsWith('tag:yaml.org,2002:')) return value;
    const long = SHORT_FORMS[tag];
    if (!long) {
      findings.push(
        iacFinding('parse-error', 'high', `${loc.file}:${loc.line}: unknown YAML tag ${tag}: not a CloudFormation intrinsic function; the value is analysed as "*"`, loc, `tag|${tag}|${loc.line}`, {
          tag,
        }),
      );
      return { kind: 'object', entries: [{ key: 'Fn::Unknown', keyLoc: loc, value: { kind: 'string', value: tag, loc } }], loc };
    }
    usesCfnTags = true;
    let arg = value;
    // !GetAtt Logical.Attr.Nested: the first dot separates the resource from its (possibly dotted) attribute.
    if (long === 'Fn::GetAtt' && value.kind === 'string') {
      const dot = value.value.indexOf('.');
      const parts = dot < 0 ? [value.value] : [value.value.slice(0, dot), value.value.slice(dot + 1)];
      arg = { kind: 'array', items: parts.map((p) => ({ kind: 'string', value: p, loc }) as LNode), loc };
    }
    return { kind: 'object', entries: [{ key: long, keyLoc: loc, value: arg }], loc };
  };
  // Count the values aliases would expand to, once per distinct node, before building anything.
  const sizes = new Map<object, number>();
  const expanded = (n: YamlNode | null | undefined, depth: number): number => {
    if (!n || depth > limits.maxDepth) return 1;
    const known = sizes.get(n);
    if (known !== undefined) return known;
    sizes.set(n, 1); // a self-referencing alias counts once instead of looping
    let size = 1;
    if (isAlias(n)) {
      if (!aliasTargets.has(n)) aliasTargets.set(n, n.resolve(doc) as YamlNode | undefined);
      size += expanded(aliasTargets.get(n), depth + 1);
    } else if (isMap(n)) for (const p of n.items) size += expanded(p.key as YamlNode, depth + 1) + expanded(p.value as YamlNode, depth + 1);
    else if (isSeq(n)) for (const i of n.items) size += expanded(i as YamlNode, depth + 1);
    sizes.set(n, Math.min(size, Number.MAX_SAFE_INTEGER));
    return size;
  };
  try {
    if (expanded(doc.contents as YamlNode | null, 0) > limits.maxNodes) throw new TooBig(`more than ${limits.maxNodes} values (aliases expanded)`);
    const root = convert(doc.contents as YamlNode | null, 0, 0);
    return { root, findings, usesCfnTags };
  } catch (e) {
    const why = e instanceof TooBig ? e.message : 'nesting too deep to read';
    return { findings: [iacFinding('parse-error', 'high', `${file}: template not analysed: ${why}`, locOf(0), 'yaml|limits')], usesCfnTags };
  }
}

function endOf(lc: LineCounter, offset: number): { endLine: number; endColumn: number } {
  const p = lc.linePos(offset);
  return { endLine: p.line, endColumn: p.col };
}
