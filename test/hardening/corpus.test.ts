// [hardening] Every bad input of fixtures/bad-inputs (except GitHub answers: github-faults.test.ts)
// through the real entry points, each in a supervised child process: no crash, no hang, a message
// that names the input, and no pass unless the input was legitimately skipped.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CORPUS_DIR, loadManifest, type CorpusEntry } from './support/manifest.js';
import { GENERATOR_NAMES } from './support/generators.js';
import { judge, type Outcome } from './support/run-entry.js';
import { superviseCorpus } from './support/supervise.js';

const LIMIT_MS = 10_000;
const manifest = loadManifest();
const local = manifest.filter((e) => e.run !== 'github-response');
const outcomes = new Map<string, Outcome>();

beforeAll(async () => {
  for (const o of await superviseCorpus(local.map((e) => e.id), { limitMs: LIMIT_MS, workers: 2 })) outcomes.set(o.id, o);
}, 240_000);

describe('the corpus', () => {
  test('has at least 200 inputs across every format the tool reads', () => {
    expect(manifest.length).toBeGreaterThanOrEqual(200);
    const formats = new Set(manifest.map((e) => e.format));
    expect([...formats].sort()).toEqual(['aa-response', 'cfn-json', 'cfn-yaml', 'cloudtrail-file', 'cloudtrail-record', 'config-yaml', 'event-payload', 'github-response', 'policy-json', 'tf-plan']);
    for (const kind of ['truncated', 'deep', 'bom', 'utf16', 'nul', 'duplicate', 'symlink', 'huge', 'random-bytes']) {
      expect(manifest.some((e) => e.id.includes(kind))).toBe(true);
    }
  });

  test('ids are unique, files exist, generators exist, and every committed file is listed', () => {
    expect(new Set(manifest.map((e) => e.id)).size).toBe(manifest.length);
    const listed = new Set(manifest.flatMap((e) => (e.file ? [e.file] : [])));
    for (const e of manifest) {
      if (e.file) expect(existsSync(path.join(CORPUS_DIR, e.file))).toBe(true);
      else expect(GENERATOR_NAMES).toContain(e.generate);
    }
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? walk(path.join(dir, n)) : [path.relative(CORPUS_DIR, path.join(dir, n))]));
    const unlisted = walk(CORPUS_DIR).filter((f) => f !== 'manifest.json' && !listed.has(f.split(path.sep).join('/')));
    expect(unlisted).toEqual([]);
  });

  test('no committed input is large: big ones are generated', () => {
    for (const e of manifest) if (e.file) expect(statSync(path.join(CORPUS_DIR, e.file)).size).toBeLessThan(512 * 1024);
  });
});

function check(entry: CorpusEntry): void {
  const outcome = outcomes.get(entry.id);
  expect(outcome).toBeDefined();
  const verdict = judge(entry, outcome!, LIMIT_MS);
  // The message says what went wrong with which input, for a quick fix.
  expect({ id: entry.id, problems: verdict.problems }).toEqual({ id: entry.id, problems: [] });
}

describe.each([...new Set(local.map((e) => e.format))])('%s', (format) => {
  const entries = local.filter((e) => e.format === format);
  const fixed = entries.filter((e) => !e.knownIssue);
  const known = entries.filter((e) => e.knownIssue);
  if (fixed.length) test.each(fixed.map((e) => [e.id, e] as const))('%s', (_id, entry) => check(entry));
  // Bugs found by the corpus in code still being finished by its owner: these fail today and must start
  // passing when the owner fixes them (then drop `knownIssue` from the manifest).
  if (known.length) test.failing.each(known.map((e) => [e.id, e] as const))('%s (known issue)', (_id, entry) => check(entry));
});

test('no crash and no hang anywhere, known issues included', () => {
  const bad = local.map((e) => ({ e, j: judge(e, outcomes.get(e.id)!, LIMIT_MS) })).filter(({ j }) => j.crash || j.hang);
  expect(bad.map(({ e, j }) => `${e.id}: ${j.problems.join('; ')}`)).toEqual([]);
});
