// Regenerates fixtures/github/demo-comment.md: the sticky comment the bundled action (dist/index.js) writes for the
// demo change (fixtures/demo base -> head, with its CloudTrail logs and Terraform plan) as pull request 42 of
// acme/infra, against the fake GitHub server of the tests, offline. Run `npm run package` first, then
// `npx tsx scripts/demo-comment.ts`. Links carry the commits of a fresh temporary repository, so they differ per run.
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { eventPayload, runAction, TempRepo, ROOT } from '../test/support/github-fake/harness.js';
import { startFakeGitHub } from '../test/support/github-fake/server.js';

const TOKEN = 'ghs_demoDemoDemoDemoDemoDemoDemoDemo0000';
const tree = (side: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ipg-demo-'));
  cpSync(path.join(ROOT, 'fixtures/demo', side), dir, { recursive: true });
  cpSync(path.join(ROOT, 'fixtures/demo/cloudtrail'), path.join(dir, 'cloudtrail'), { recursive: true });
  cpSync(path.join(ROOT, 'fixtures/demo/plan'), path.join(dir, 'plan'), { recursive: true });
  return dir;
};
const repo = new TempRepo();
const base = repo.commit('base', { copyFrom: tree('base') });
const head = repo.commit('head', { copyFrom: tree('head') });
const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath ?? (e as any).path, e.name)));
const server = await startFakeGitHub({ owner: 'acme', repo: 'infra', token: TOKEN, prFiles: { 42: files(path.join(ROOT, 'fixtures/demo/head')) } });
const run = await runAction({
  repo, apiUrl: server.url, token: TOKEN, eventName: 'pull_request', payload: eventPayload('pull_request.synchronize.json', { base, head }),
  inputs: { cloudtrail: 'cloudtrail', plan: 'plan/tfplan.json', offline: 'true' }, timeoutMs: 120_000,
});
const body = server.comments.at(-1)?.body;
await server.close();
repo.remove();
if (run.code !== 1 || !body) throw new Error(`expected a failing verdict and a comment (exit ${run.code}):\n${run.stderr}`);
writeFileSync(path.join(ROOT, 'fixtures/github/demo-comment.md'), body.endsWith('\n') ? body : `${body}\n`);
console.log(`fixtures/github/demo-comment.md: ${body.length} characters`);
