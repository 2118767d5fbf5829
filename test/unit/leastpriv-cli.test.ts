import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli.js';
import { parseConfig } from '../../src/config/load.js';
import { runCheck } from '../../src/run.js';
import { errorsText, reportValidator } from '../../fixtures/report/validators.js';

const DEMO = path.resolve('fixtures/demo');
const APP_WORKER = 'arn:aws:iam::123456789012:role/app-worker';

describe('least privilege in the pipeline', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(path.join(tmpdir(), 'lp-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('the demo shows unused access and a suggestion for app-worker, and report.json matches the schema', async () => {
    const result = await runCheck({
      base: path.join(DEMO, 'base'),
      head: path.join(DEMO, 'head'),
      cloudtrail: [path.join(DEMO, 'cloudtrail')],
      outDir: out,
      formats: ['md', 'json'],
      now: new Date('2026-11-24T00:00:00Z'),
      offline: true,
    });
    const worker = result.report.subjects.find((s) => s.subject.arn === APP_WORKER)!;
    expect(worker.unused?.unusedServices.map((u) => u.service)).toContain('lambda');
    expect(worker.unused?.unknown.flatMap((u) => u.actions)).toEqual(expect.arrayContaining(['iam:PassRole', 'lambda:InvokeFunction']));
    expect(worker.suggestion?.documents[0].Statement.flatMap((s) => s.Action)).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 's3:GetObject']);
    const bucket = result.report.subjects.find((s) => s.subject.arn === 'arn:aws:s3:::acme-reports')!;
    expect(bucket.unused?.s3?.principals?.[0]).toMatchObject({ principal: 'arn:aws:iam::111122223333:role/partner-reader', status: 'stale' });
    expect(bucket.suggestion).toBeUndefined();

    const md = readFileSync(result.files.diffMd!, 'utf8');
    expect(md).toContain('| unused access | service | access level | actions | why unknown |');
    expect(md).toContain('<details><summary>Suggested policy: 1 document');
    expect(md).toContain('+ Allow s3:GetObject on arn:aws:s3:::acme-reports/daily/*');
    expect(md).toContain('**stale**');
    const validate = reportValidator();
    const ok = validate(JSON.parse(readFileSync(result.files.json!, 'utf8')));
    expect(errorsText(validate.errors)).toBe('');
    expect(ok).toBe(true);
  });

  test('iam-policy-gate generate writes the policy and prints the diff', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const file = path.join(out, 'suggested.json');
    const code = await main(
      ['generate', '--base', path.join(DEMO, 'base'), '--head', path.join(DEMO, 'head'), '--cloudtrail', path.join(DEMO, 'cloudtrail'), '--subject', APP_WORKER, '--now', '2026-11-24', '--out', file],
      (s) => lines.push(s),
      (s) => errors.push(s),
    );
    expect(code).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc.Version).toBe('2012-10-17');
    expect(doc.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['UsedDynamodb', 'UsedS3']);
    expect(lines.join('\n')).toContain('- Allow lambda:CreateFunction on *');
    expect(lines.join('\n')).toContain('not in the suggestion although the logs cannot show they are unused');
  });

  test('generate prints JSON on stdout without --out, and exits 2 on a bad subject or missing arguments', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const args = ['generate', '--base', path.join(DEMO, 'base'), '--head', path.join(DEMO, 'head'), '--cloudtrail', path.join(DEMO, 'cloudtrail'), '--now', '2026-11-24'];
    expect(await main([...args, '--subject', APP_WORKER], (s) => lines.push(s), (s) => errors.push(s))).toBe(0);
    expect(JSON.parse(lines.join('\n')).Statement).toHaveLength(2);
    expect(errors.join('\n')).toContain('Diff against the current policy:');
    errors.length = 0;
    expect(await main([...args, '--subject', 'arn:aws:iam::123456789012:role/nobody'], () => {}, (s) => errors.push(s))).toBe(2);
    expect(errors.join('\n')).toMatch(/no policies for arn:aws:iam::123456789012:role\/nobody; subjects found/);
    expect(await main(['generate', '--subject', APP_WORKER], () => {}, () => {})).toBe(2);
    // --help and --workers, as for check.
    const help: string[] = [];
    expect(await main(['generate', '--help'], (s) => help.push(s), () => {})).toBe(0);
    expect(help.join('\n')).toMatch(/--subject <arn>/);
    expect(await main([...args, '--subject', APP_WORKER, '--workers', '0'], () => {}, () => {})).toBe(0);
    expect(await main([...args, '--subject', APP_WORKER, '--workers', 'many'], () => {}, () => {})).toBe(2);
  });
});

describe('least-privilege config', () => {
  test('allow and exclude patterns are read; unknown keys are located errors', () => {
    const c = parseConfig('least-privilege:\n  allow: ["logs:CreateLogStream"]\n  exclude: ["iam:*"]\n', 'c.yml');
    expect(c.leastPrivilege).toEqual({ allow: ['logs:CreateLogStream'], exclude: ['iam:*'] });
    expect(() => parseConfig('least-privilege:\n  keep: []\n', 'c.yml')).toThrow(/c\.yml:2:\d+: .*unknown setting "keep"/);
  });
});
