// Runs the public CloudTrail samples in ../shared through the reader (skipped where ../shared is absent).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readLocalLogs } from '../../src/usage/read-local.js';

const SHARED = join(process.cwd(), '../shared/data');
const STRATUS = join(SHARED, 'DataDog_stratus-red-team_detonation-logs/docs/detonation-logs');
const PANTHER = join(SHARED, 'panther-labs_panther-analysis');
const maybe = existsSync(STRATUS) && existsSync(PANTHER) ? describe : describe.skip;

maybe('shared CloudTrail samples', () => {
  test('Stratus Red Team detonation logs: every record maps or is accounted for, denials are seen', async () => {
    const problems: string[] = [];
    const s = await readLocalLogs([STRATUS], { onProblem: (m) => problems.push(m) });
    expect(problems).toEqual([]);
    expect(s.totalEvents).toBeGreaterThan(250);
    const mapped = s.records.reduce((n, r) => n + (r.action.startsWith('kms:ReEncrypt') ? 0 : 1), 0);
    expect(mapped).toBeGreaterThan(50);
    expect(s.records.some((r) => r.outcome === 'denied' && r.errorCode === 'Client.UnauthorizedOperation')).toBe(true);
    const unmappedEvents = s.unmapped.reduce((n, u) => n + u.count, 0);
    expect(unmappedEvents / s.totalEvents).toBeLessThan(0.1);
  });

  test('Panther test events (odd formats) never throw; bad ones are reported', async () => {
    const s = await readLocalLogs([join(PANTHER, 'cloudtrail_test_events_deduped.Records.json')], { onProblem: () => {} });
    expect(s.totalEvents + s.badRecords + s.duplicateEvents).toBeGreaterThan(300);
    expect(s.records.length).toBeGreaterThan(100);
  });

  test('OTRF Logstash-processed JSON lines (@timestamp instead of eventTime) are read', async () => {
    const dir = join(SHARED, 'OTRF_Security-Datasets_aws/raw/ec2_proxy_s3_exfiltration');
    const problems: string[] = [];
    const s = await readLocalLogs([dir], { onProblem: (m) => problems.push(m) });
    expect(problems).toEqual([]);
    expect(s.totalEvents).toBeGreaterThan(100);
    expect(s.records.some((r) => r.action === 's3:ListBucket' && r.principalType === 'AssumedRole')).toBe(true);
  });
});
