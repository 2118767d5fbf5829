// A small located value tree, independent of any parser: JSON (momoa), YAML or a Terraform plan can all be
// turned into it, and the policy builder only ever reads this shape.
import type { SourceLocation } from '../model.js';

export interface LEntry {
  key: string;
  keyLoc: SourceLocation;
  value: LNode;
}

export type LNode =
  | { kind: 'object'; entries: LEntry[]; loc: SourceLocation }
  | { kind: 'array'; items: LNode[]; loc: SourceLocation }
  | { kind: 'string'; value: string; loc: SourceLocation }
  | { kind: 'number'; value: number; loc: SourceLocation }
  | { kind: 'boolean'; value: boolean; loc: SourceLocation }
  | { kind: 'null'; loc: SourceLocation };

export type LObject = Extract<LNode, { kind: 'object' }>;
export type LArray = Extract<LNode, { kind: 'array' }>;
export type LString = Extract<LNode, { kind: 'string' }>;

/** The entry for `key` (exact, case-sensitive as IAM element names are); the last one if it repeats. */
export function entryOf(node: LNode, key: string): LEntry | undefined {
  if (node.kind !== 'object') return undefined;
  for (let i = node.entries.length - 1; i >= 0; i--) if (node.entries[i].key === key) return node.entries[i];
  return undefined;
}

export function valueOf(node: LNode, key: string): LNode | undefined {
  return entryOf(node, key)?.value;
}

/** The plain JavaScript value of a located tree (iterative depth is bounded by the parser). */
export function toPlain(node: LNode): unknown {
  switch (node.kind) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const e of node.entries) out[e.key] = toPlain(e.value);
      return out;
    }
    case 'array':
      return node.items.map(toPlain);
    case 'null':
      return null;
    default:
      return node.value;
  }
}

/** Build a located tree from a plain value, every node at `loc` (for documents decoded from opaque strings). */
export function fromPlain(value: unknown, loc: SourceLocation, depth = 0): LNode {
  if (depth > 128) return { kind: 'null', loc };
  if (value === null || value === undefined) return { kind: 'null', loc };
  if (Array.isArray(value)) return { kind: 'array', items: value.map((v) => fromPlain(v, loc, depth + 1)), loc };
  switch (typeof value) {
    case 'string':
      return { kind: 'string', value, loc };
    case 'number':
      return { kind: 'number', value, loc };
    case 'boolean':
      return { kind: 'boolean', value, loc };
    case 'object':
      return {
        kind: 'object',
        entries: Object.entries(value as Record<string, unknown>).map(([key, v]) => ({ key, keyLoc: loc, value: fromPlain(v, loc, depth + 1) })),
        loc,
      };
    default:
      return { kind: 'string', value: String(value), loc };
  }
}

/** A node's start as a point location (drops the end: findings point at where a thing begins). */
export function startOf(loc: SourceLocation): SourceLocation {
  return { file: loc.file, line: loc.line, column: loc.column };
}

/**
 * A tree with every position moved by `move` (depth-bounded like the parsers' own trees): text parsed on its own
 * (a template inside a string, an OpenAPI body) placed where it lies in its file.
 */
export function movedTree(n: LNode, move: (loc: SourceLocation) => SourceLocation, depth = 0): LNode {
  const loc = move(n.loc);
  if (depth > 128) return { ...n, loc } as LNode;
  if (n.kind === 'object') return { kind: 'object', loc, entries: n.entries.map((e) => ({ key: e.key, keyLoc: move(e.keyLoc), value: movedTree(e.value, move, depth + 1) })) };
  if (n.kind === 'array') return { kind: 'array', loc, items: n.items.map((i) => movedTree(i, move, depth + 1)) };
  return { ...n, loc } as LNode;
}
