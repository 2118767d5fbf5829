// report.json: the whole Report as pretty JSON. Top-level keys in a fixed, reading-friendly order;
// free-form maps (finding evidence, category counts) with sorted keys so equal reports give equal
// bytes. Never throws: values JSON cannot hold are turned into strings or dropped.
import type { Report } from '../model.js';

const TOP_LEVEL_ORDER: Array<keyof Report> = [
  'schemaVersion',
  'tool',
  'generatedAt',
  'verdict',
  'change',
  'totals',
  'subjects',
  'findings',
  'checks',
  'usage',
  'waivers',
  'approval',
];
const MAX_DEPTH = 64;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Keys of these objects are data, not fields: they are sorted. */
const SORTED_MAPS = new Set(['evidence', 'byCategoryAdded', 'byCategoryRemoved', 'context']);

function toJson(value: unknown, depth: number, ancestors: Set<object>, sortKeys: boolean): Json | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  const obj = value as object;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (ancestors.has(obj)) return '[circular]';
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (obj instanceof Uint8Array) return `[${obj.length} bytes]`;
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((item) => toJson(item, depth + 1, ancestors, sortKeys) ?? null);
    const out: { [key: string]: Json } = {};
    const keys = Object.keys(obj);
    if (sortKeys) keys.sort();
    for (const key of keys) {
      const child = toJson((obj as Record<string, unknown>)[key], depth + 1, ancestors, sortKeys || SORTED_MAPS.has(key));
      if (child !== undefined) out[key] = child;
    }
    return out;
  } finally {
    ancestors.delete(obj);
  }
}

/** Pretty JSON of a report, ending with a newline. */
export function renderReportJson(report: Report): string {
  const ordered: Record<string, unknown> = {};
  for (const key of TOP_LEVEL_ORDER) if (report[key] !== undefined) ordered[key] = report[key];
  // Keep unknown top-level keys out: the schema forbids them.
  return `${JSON.stringify(toJson(ordered, 0, new Set(), false), null, 2)}\n`;
}
