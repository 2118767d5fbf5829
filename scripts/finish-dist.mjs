// ncc writes each entry as <dir>/index.js; the action runs dist/index.js, the CLI dist/cli.js, and both start their
// CloudTrail workers from dist/usage-worker.js (the usage reader alone: a worker starts in ~75 ms, not ~200).
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';

const moves = [
  ['dist/action', 'index.js'],
  ['dist/cli', 'cli.js'],
  ['dist/worker', 'usage-worker.js'],
];
for (const [dir, name] of moves) {
  const files = readdirSync(dir).filter((f) => f !== 'package.json');
  if (files.length !== 1 || files[0] !== 'index.js') throw new Error(`${dir}: expected only index.js, got ${files.join(', ')}`);
  renameSync(`${dir}/index.js`, `dist/${name}`);
  rmSync(dir, { recursive: true });
}
writeFileSync('dist/package.json', JSON.stringify({ type: 'module' }) + '\n');
