// [hardening] One regression test per bug the corpus, the faults and the fuzzing found and fixed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { classifyError } from '../../src/analyzer/client.js';
import { main } from '../../src/cli.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { defaultConfig, type GateConfig } from '../../src/config/types.js';
import type { FileChange } from '../../src/model.js';
import { runGate } from '../../src/pipeline.js';
import { extractPolicies } from '../../src/policies/extract.js';
import { createGitHubApi } from '../../src/publish/github-api.js';
import { retryDelay } from '../../src/publish/retry.js';
import { encodePath } from '../../src/report/format.js';
import { renderConsoleSummary } from '../../src/report/summary.js';
import { mapEvent } from '../../src/usage/map-event.js';
import { runnerSafe, safeLogLine } from '../../src/util/runner-safe.js';

const enc = (s: string) => new TextEncoder().encode(s);
const NOW = new Date('2026-11-24T00:00:00Z');
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }] });
const MAPPED: GateConfig = { ...defaultConfig(), subjects: [{ files: 'iam/roles/{name}/*.json', principal: 'arn:aws:iam::123456789012:role/{name}' }] };
const gate = (files: FileChange[], config = MAPPED) => runGate({ changes: { baseLabel: 'b', headLabel: 'h', files, notes: [] }, config, toolVersion: '0', now: NOW });

describe('config: every problem is a ConfigError (exit 2), never a crash', () => {
  const problem = (text: string) => {
    try {
      parseConfig(text, '.iam-policy-gate.yml');
    } catch (e) {
      return e;
    }
    return undefined;
  };
  test.each([
    ['an alias to no anchor', 'rules: *nothing\n', /anchor/],
    ['an alias bomb', `a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n${Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(',')}]`).join('\n')}\nrules: *a8\n`, /alias/i],
    ['an unclosed placeholder in subjects', 'subjects:\n  - files: "iam/{name/*.json"\n    principal: "arn:aws:iam::123456789012:role/{name}"\n', /subjects\/0\/files is not a usable glob/],
    ['a placeholder twice', 'subjects:\n  - files: "iam/{n}/{n}.json"\n    principal: "arn:aws:iam::123456789012:role/{n}"\n', /subjects\/0\/files is not a usable glob/],
    ['an unclosed placeholder in policy-files', 'policy-files:\n  include: ["iam/{x/*.json"]\n', /policy-files\/include\/0/],
    ['the 30th of February', 'cloudtrail:\n  since: 2026-02-30\n', /since "2026-02-30" is not a real date/],
    ['month 13', 'cloudtrail:\n  until: 2026-13-01\n', /until "2026-13-01" is not a real date/],
    ['a config of several megabytes', `# ${'x'.repeat(1_100_000)}\n`, /over the limit/],
  ])('%s', (_what, text, message) => {
    const e = problem(text);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(message);
    expect((e as Error).message).toContain('.iam-policy-gate.yml:');
  });
  test('real dates and day counts still pass', () => {
    expect(parseConfig('cloudtrail:\n  since: 2026-02-28\n  until: 2026-03-01T10:00:00Z\n', 'c.yml').cloudtrail.since).toBe('2026-02-28');
    expect(parseConfig('cloudtrail:\n  since: 30d\n', 'c.yml').cloudtrail.since).toBe('30d');
  });
});

describe('pipeline: input it cannot read never passes', () => {
  test('a file a subject mapping claims, but unreadable as a policy, fails (it was silently "not a policy")', () => {
    for (const bytes of [enc('{'), enc(''), enc('[1,2]'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1])]) {
      const r = gate([{ path: 'iam/roles/app/extra.json', status: 'added', head: bytes }]);
      expect(r.verdict.status).toBe('fail');
      expect(r.findings.some((f) => f.location?.file === 'iam/roles/app/extra.json' && (f.ruleId === 'parse-error' || f.ruleId === 'unsupported-file'))).toBe(true);
    }
  });
  test('outside every mapping, content detection still decides (a package.json is no policy)', () => {
    expect(gate([{ path: 'web/package.json', status: 'added', head: enc('{"name":"x"}') }]).verdict.status).toBe('pass');
  });
  test('a policy on base that head empties or replaces is a parse error, not a removal', () => {
    const r = gate([{ path: 'policies/p.json', status: 'modified', base: enc(POLICY), head: enc('{"name":"x"}') }], defaultConfig());
    expect(r.verdict.status).toBe('fail');
    expect(r.findings.find((f) => f.ruleId === 'parse-error')?.message).toMatch(/head version holds no policy document; its grants are unknown, not removed/);
  });
  test('a policy document far over every AWS quota is refused quickly, not expanded', () => {
    const huge = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: Array.from({ length: 30_000 }, (_, i) => `ec2:*${i}*`), Resource: '*' }] });
    const started = Date.now();
    const r = extractPolicies('iam/huge.json', enc(huge), { maxBytes: 2 << 20 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.status).toBe('error');
    expect(r.findings[0]).toMatchObject({ ruleId: 'policy-too-large', location: { file: 'iam/huge.json' } });
  });
  test('a template or plan that is binary, not UTF-8 or broken JSON is an error, not "not a policy"', () => {
    const template = 'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\0\n';
    expect(extractPolicies('cfn/t.yaml', enc(template), { maxBytes: 1 << 20 }).status).toBe('error');
    expect(extractPolicies('cfn/t.yaml', Buffer.from('AWSTemplateFormatVersion: "2010-09-09"\nDescription: caf\xe9\n', 'latin1'), { maxBytes: 1 << 20 }).status).toBe('error');
    expect(extractPolicies('tfplan.json', enc('{"format_version":"1.2","resource_changes":[{"address":'), { maxBytes: 1 << 20 }).status).toBe('error');
  });
});

test('a plan whose format_version is an object without a prototype is a finding, not a TypeError (npm run fuzz)', () => {
  const text = '{"format_version":[{"__proto__":{"__proto__":null}}],"resource_changes":"x"}';
  expect(extractPolicies('tfplan.json', enc(text), { maxBytes: 1 << 20, side: 'base' }).status).toBe('error');
});

describe('CLI: a --plan that is not plan JSON is a usage error', () => {
  test('a binary plan (terraform plan -out) or a missing file: exit 2 naming it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ipg-plan-'));
    try {
      for (const side of ['base', 'head']) mkdirSync(path.join(dir, side));
      writeFileSync(path.join(dir, 'tfplan'), Buffer.from([0x50, 0x4b, 3, 4, 0, 0]));
      for (const plan of [path.join(dir, 'tfplan'), path.join(dir, 'missing.json')]) {
        const err: string[] = [];
        const code = await main(['check', '--base', `${dir}/base`, '--head', `${dir}/head`, '--plan', plan, '--out', `${dir}/out`, '--offline'], () => {}, (s) => err.push(s));
        expect(code).toBe(2);
        expect(err.join('\n')).toContain(plan);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('CloudTrail: a damaged record is not a successful call', () => {
  test('an errorCode that is not a string makes the record bad', () => {
    const record = { eventSource: 'sqs.amazonaws.com', eventName: 'ReceiveMessage', eventTime: '2026-11-20T10:00:00Z', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/u' }, errorCode: { code: 'AccessDenied' } };
    expect(mapEvent(record)).toMatchObject({ bad: expect.stringMatching(/errorCode is not a string/) });
  });
});

describe('GitHub: bounded time and retries', () => {
  test('a GitHub that never answers times out instead of holding the job', async () => {
    const server = createServer(() => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const keepAlive = setInterval(() => {}, 500);
    try {
      const api = createGitHubApi({ owner: 'a', repo: 'b', token: 't', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 500, sleep: async () => {} });
      const started = Date.now();
      await expect(api.listComments(1)).rejects.toThrow(/no answer from GitHub within 500 ms/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      clearInterval(keepAlive);
      server.closeAllConnections();
      server.close();
    }
  });
  test('a 500 (or a reset, which Octokit reports as 500) is retried for reads only', () => {
    expect(retryDelay({ status: 500, idempotent: true }, 0, 0)).toBe(1000);
    expect(retryDelay({ status: 500 }, 0, 0)).toBeUndefined();
    expect(retryDelay({ status: 500, idempotent: true }, 3, 0)).toBeUndefined();
  });
});

describe('output: nothing from a change starts a workflow command or drives a terminal', () => {
  test('runnerSafe and safeLogLine', () => {
    expect(runnerSafe('ok\n::set-output name=v::pass\n ::add-mask::x ##[group]g')).toBe('ok\n:\u200B:set-output name=v::pass\n :\u200B:add-mask::x #\u200B#[group]g');
    // The line break is folded, so the command can no longer start a line; the escape is gone.
    expect(safeLogLine('warning: a\u001b[31m\n::stop-commands::t')).toBe('warning: a ::stop-commands::t');
  });
  test('the console summary breaks ##[ in file names', () => {
    const r = gate([{ path: 'iam/roles/app/##[set-output name=verdict;]pass.json', status: 'added', head: enc('{') }]);
    expect(renderConsoleSummary(r)).not.toContain('##[');
  });
  test('a lone surrogate in a file name does not break its link', () => {
    expect(encodePath('iam/\ud800x.json')).toBe('iam/%EF%BF%BDx.json');
  });
  test('an Access Analyzer failure that cannot be printed is still classified', () => {
    expect(classifyError(Object.create(null), 'CheckNoNewAccess').message).toContain('an error that cannot be printed');
  });
});
