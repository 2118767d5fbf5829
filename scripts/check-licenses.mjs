// Fails when a production dependency is under GPL, AGPL, SSPL, or a licence we cannot read.
// Reads package-lock.json (lockfile v3): every installed package not marked dev is shipped in dist/.
import { readFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const FORBIDDEN = /\b(A?GPL|SSPL|LGPL|EUPL|OSL|CC-BY-NC)\b/i;
const ALLOWED = /^(MIT|MIT-0|ISC|Apache-2\.0|BSD-2-Clause|BSD-3-Clause|0BSD|CC0-1\.0|BlueOak-1\.0\.0|Unlicense|Python-2\.0|CC-BY-4\.0)$/;
const problems = [];
let checked = 0;
for (const [path, meta] of Object.entries(lock.packages ?? {})) {
  if (!path || meta.dev || meta.devOptional || meta.optional && meta.dev) continue;
  checked++;
  let license = meta.license;
  if (!license) {
    try {
      license = JSON.parse(readFileSync(`${path}/package.json`, 'utf8')).license;
    } catch {
      /* not installed (e.g. another platform's optional package) */
    }
  }
  const text = typeof license === 'string' ? license : license?.type;
  const parts = (text ?? '').replace(/[()]/g, '').split(/\s+(?:OR|AND)\s+/);
  const ok = text && !FORBIDDEN.test(text) && (text.includes(' OR ') ? parts.some((p) => ALLOWED.test(p)) : parts.every((p) => ALLOWED.test(p)));
  if (!ok) problems.push(`${path.replace(/^node_modules\//, '')}: ${text ?? 'unknown licence'}`);
}
if (problems.length) {
  console.error(`Licence check failed for ${problems.length} production package(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`Licence check: ${checked} production packages, all under permissive licences.`);
