// Regenerates fixtures/github/openapi-subset.json from @octokit/openapi (a devDependency):
// only the operations the action calls, plus every component they reach. Examples are dropped
// to keep the file small. Run: node test/support/github-fake/make-openapi-subset.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every REST operation the action makes. The fake GitHub server knows only these. */
export const OPERATIONS = [
  'issues/list-comments',
  'issues/create-comment',
  'issues/update-comment',
  'issues/delete-comment',
  'issues/list-events',
  'issues/get',
  'pulls/list-files',
  'git/get-ref',
  'code-scanning/upload-sarif',
  'code-scanning/get-sarif',
  'repos/get-collaborator-permission-level',
  'users/get-authenticated',
];

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '../../../fixtures/github/openapi-subset.json');
const require = createRequire(import.meta.url);
// Load the one description file: the package's index requires all ten (≈400 MB).
const full = JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(require.resolve('@octokit/openapi/package.json'), 'utf8'));

const DROP = new Set(['examples', 'example']);
function strip(value) {
  if (Array.isArray(value)) return value.map(strip);
  if (!value || typeof value !== 'object') return value;
  const outObj = {};
  for (const [k, v] of Object.entries(value)) if (!DROP.has(k)) outObj[k] = strip(v);
  return outObj;
}

function refsIn(value, found) {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (value && typeof value === 'object') {
    if (typeof value.$ref === 'string') found.add(value.$ref);
    Object.values(value).forEach((v) => refsIn(v, found));
  }
  return found;
}

const paths = {};
const missing = new Set(OPERATIONS);
for (const [p, item] of Object.entries(full.paths)) {
  for (const [method, op] of Object.entries(item)) {
    if (!OPERATIONS.includes(op?.operationId)) continue;
    missing.delete(op.operationId);
    paths[p] ??= {};
    paths[p][method] = strip(op);
  }
}
if (missing.size) throw new Error(`not in the description: ${[...missing].join(', ')}`);

const components = {};
const queue = [...refsIn(paths, new Set())];
const seen = new Set();
while (queue.length) {
  const ref = queue.shift();
  if (seen.has(ref)) continue;
  seen.add(ref);
  const [, , kind, name] = ref.split('/');
  const value = strip(full.components[kind][name]);
  components[kind] ??= {};
  components[kind][name] = value;
  for (const r of refsIn(value, new Set())) if (!seen.has(r)) queue.push(r);
}
for (const kind of Object.keys(components)) components[kind] = Object.fromEntries(Object.entries(components[kind]).sort(([a], [b]) => (a < b ? -1 : 1)));

const subset = {
  openapi: full.openapi,
  info: {
    title: `${full.info.title} (subset for iam-policy-gate's tests)`,
    version: full.info.version,
    description: `Generated from @octokit/openapi ${pkg.version} (api.github.com.json, MIT licence, © GitHub) by test/support/github-fake/make-openapi-subset.mjs. Do not edit.`,
  },
  paths,
  components,
};
writeFileSync(out, JSON.stringify(subset, null, 1) + '\n');
console.log(`wrote ${path.relative(process.cwd(), out)}: ${Object.keys(paths).length} paths, ${seen.size} components`);
