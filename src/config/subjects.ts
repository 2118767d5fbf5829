import type { PolicyDocument, SubjectRef, SubjectType } from '../model.js';
import type { GateConfig, SubjectMapping } from './types.js';

interface CompiledMapping {
  mapping: SubjectMapping;
  regex: RegExp;
}

/**
 * Turns a `files` glob with `{name}` placeholders into a RegExp with named groups:
 * `**` any depth, `*` within one folder, `?` one character, `{x}` one folder-free segment captured as x.
 */
export function globWithPlaceholders(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      const name = glob.slice(i + 1, end);
      if (end < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`bad placeholder in "${glob}"`);
      out += `(?<${name}>[^/]+?)`;
      i = end;
    } else out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

export function compileMappings(config: GateConfig): CompiledMapping[] {
  return config.subjects.map((mapping) => ({ mapping, regex: globWithPlaceholders(mapping.files) }));
}

function fill(template: string, groups: Record<string, string>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, k: string) => groups[k] ?? m);
}

function principalType(arn: string): SubjectType {
  const kind = arn.split(':')[5]?.split('/')[0];
  return kind === 'user' ? 'user' : kind === 'group' ? 'group' : 'role';
}

/**
 * The subject a document governs: a hint from its extractor (templates, plans) wins, then the first
 * config mapping whose glob matches the path, then what the document itself names (a bucket policy
 * whose resources name one bucket). Otherwise the document is its own, unbound subject.
 */
export function bindSubject(doc: PolicyDocument, mappings: CompiledMapping[]): SubjectRef {
  if (doc.subjectHint) return doc.subjectHint;
  for (const { mapping, regex } of mappings) {
    const m = regex.exec(doc.file);
    if (!m) continue;
    const groups = m.groups ?? {};
    if (mapping.principal) {
      const arn = fill(mapping.principal, groups);
      return { type: principalType(arn), arn, id: arn };
    }
    if (mapping.bucket) {
      const arn = fill(mapping.bucket, groups);
      return { type: 'bucket', arn, id: arn };
    }
  }
  if (doc.kind === 'bucket') {
    const bucket = singleBucket(doc);
    if (bucket) return { type: 'bucket', arn: bucket, id: bucket };
  }
  return { type: 'unbound', id: doc.file };
}

/** The one bucket all of a bucket policy's resources name, if there is exactly one and no wildcard in it. */
function singleBucket(doc: PolicyDocument): string | undefined {
  const buckets = new Set<string>();
  for (const s of doc.statements)
    for (const r of s.resources ?? []) {
      const m = /^arn:(aws[a-z-]*):s3:::([^/*?]+)(\/.*)?$/.exec(r.value);
      if (!m) return undefined;
      buckets.add(`arn:${m[1]}:s3:::${m[2]}`);
    }
  return buckets.size === 1 ? [...buckets][0] : undefined;
}
