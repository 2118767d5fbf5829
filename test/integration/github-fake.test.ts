// The fake GitHub and the SARIF rules the end-to-end tests rely on: they must reject what GitHub
// would reject, or a passing end-to-end test proves nothing.
import { readFileSync } from 'node:fs';
import { createGitHubApi } from '../../src/publish/github-api.js';
import { basicReport, hostileReport } from '../../fixtures/report/reports.js';
import { renderSarif } from '../../src/report/sarif.js';
import { RULES } from '../../src/verdict/rules.js';
import { OpenApiRouter, SUBSET_FILE } from '../support/github-fake/openapi.js';
import { githubSarifProblems } from '../support/github-fake/sarif-github-rules.js';
import { startFakeGitHub, type FakeGitHub } from '../support/github-fake/server.js';

const TOKEN = 'ghs_fakeFakeFake';
let gh: FakeGitHub;

beforeEach(async () => {
  gh = await startFakeGitHub({ owner: 'acme', repo: 'infra', token: TOKEN, rateLimitOnce: ['pulls/list-files'], prFiles: { 5: Array.from({ length: 250 }, (_, i) => `f${i}.json`) } });
});
afterEach(() => gh.close());

async function call(method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${gh.url}${path}`, {
    method,
    headers: { authorization: `token ${token}`, 'content-type': 'application/json', accept: 'application/vnd.github+json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

describe('the OpenAPI subset', () => {
  test('holds exactly the operations the action calls', () => {
    const router = new OpenApiRouter();
    expect(router.operations.map((o) => o.operationId).sort()).toEqual([
      'code-scanning/get-sarif',
      'code-scanning/upload-sarif',
      'git/get-ref',
      'issues/create-comment',
      'issues/delete-comment',
      'issues/get',
      'issues/list-comments',
      'issues/list-events',
      'issues/update-comment',
      'pulls/list-files',
      'repos/get-collaborator-permission-level',
      'users/get-authenticated',
    ]);
    expect(JSON.parse(readFileSync(SUBSET_FILE, 'utf8')).info.description).toMatch(/@octokit\/openapi 23\.0\.2/);
  });
});

describe('the fake GitHub rejects what GitHub would', () => {
  test('an undocumented route is a 404 and a violation', async () => {
    const r = await call('DELETE', '/repos/acme/infra/issues/1/labels');
    expect(r.status).toBe(404);
    expect(gh.violations).toEqual(['DELETE /repos/acme/infra/issues/1/labels: not an operation of the description']);
  });

  test('a body that breaks the schema is a 422 naming the property', async () => {
    const r = await call('POST', '/repos/acme/infra/issues/5/comments', { bdy: 'typo' });
    expect(r.status).toBe(422);
    expect(gh.violations.join('\n')).toMatch(/issues\/create-comment: body must have required property 'body'/);
  });

  test('a path or query parameter of the wrong type is a violation', async () => {
    await call('GET', '/repos/acme/infra/issues/abc/comments');
    await call('GET', '/repos/acme/infra/issues/5/comments?per_page=x&colour=blue');
    expect(gh.violations.join('\n')).toMatch(/path\.issue_number must be integer/);
    expect(gh.violations.join('\n')).toMatch(/query\.per_page must be integer/);
    expect(gh.violations.join('\n')).toMatch(/query\.colour is not a parameter of issues\/list-comments/);
  });

  test('a SARIF upload with a short commit id or an extra property is refused', async () => {
    await call('POST', '/repos/acme/infra/code-scanning/sarifs', { commit_sha: 'abc', ref: 'refs/heads/main', sarif: 'x' });
    await call('POST', '/repos/acme/infra/code-scanning/sarifs', { commit_sha: 'a'.repeat(40), ref: 'refs/heads/main', sarif: 'x', category: 'c' });
    const text = gh.violations.join('\n');
    expect(text).toMatch(/body\/commit_sha must NOT have fewer than 40 characters/);
    expect(text).toMatch(/must NOT have additional properties .*category/);
  });

  test('a wrong token is a 401 and a violation; a comment over 65,536 characters is a 422', async () => {
    expect((await call('GET', '/repos/acme/infra/issues/5/comments', undefined, 'other')).status).toBe(401);
    expect(gh.violations).toHaveLength(1);
    gh.violations.length = 0;
    const r = await call('POST', '/repos/acme/infra/issues/5/comments', { body: 'x'.repeat(65_537) });
    expect(r.status).toBe(422);
    expect(r.json.errors[0].message).toMatch(/too long/);
    expect(gh.violations).toEqual([]);
  });
});

describe('the action\'s client against the fake', () => {
  test('pages through 250 files after one secondary rate limit', async () => {
    const slept: number[] = [];
    const api = createGitHubApi({ owner: 'acme', repo: 'infra', token: TOKEN, baseUrl: gh.url, sleep: async (ms) => void slept.push(ms) });
    const { files, truncated } = await api.listPullFiles(5);
    expect(files).toHaveLength(250);
    expect(truncated).toBe(false);
    expect(slept).toEqual([1000]);
    expect(gh.requests.map((r) => r.status)).toEqual([403, 200, 200, 200]);
    expect(gh.violations).toEqual([]);
  });

  test('creates, lists and updates comments, with responses shaped like GitHub\'s', async () => {
    const api = createGitHubApi({ owner: 'acme', repo: 'infra', token: TOKEN, baseUrl: gh.url });
    const c = await api.createComment(5, 'hello');
    expect(c).toMatchObject({ body: 'hello', login: 'github-actions[bot]', userType: 'Bot' });
    await api.updateComment(c.id, 'bye');
    expect((await api.listComments(5)).map((x) => x.body)).toEqual(['bye']);
    expect(await api.viewerLogin()).toBeUndefined();
    expect(gh.violations).toEqual([]);
  });
});

describe('GitHub SARIF ingestion rules', () => {
  test('the SARIF of the basic and the hostile report pass', () => {
    for (const report of [basicReport, hostileReport()]) {
      const sarif = renderSarif(report, RULES, { automationId: 'iam-policy-gate/', toolVersion: '0.1.0' });
      expect(githubSarifProblems(sarif)).toEqual([]);
    }
  });

  test('each broken rule is reported', () => {
    const sarif: any = renderSarif(basicReport, RULES, { automationId: 'iam-policy-gate/', toolVersion: '0.1.0' });
    const run = sarif.runs[0];
    run.results[0].locations[0].physicalLocation.artifactLocation.uri = '../outside.json';
    run.results[0].locations[0].physicalLocation.region.startLine = 0;
    delete run.results[0].partialFingerprints;
    run.results[0].ruleId = 'no-such-rule';
    run.tool.driver.rules[0].properties['security-severity'] = 'high';
    delete run.tool.driver.rules[1].help;
    sarif.runs.push(structuredClone(run));
    const problems = githubSarifProblems(sarif).join('\n');
    for (const rule of ['SARIF1002', 'GH1003', 'GH1015', 'GH2012', 'GH1014']) expect(problems).toContain(rule);
    expect(problems).toMatch(/security-severity/);
    expect(problems).toMatch(/two runs with the category 'iam-policy-gate'/);
  });
});
