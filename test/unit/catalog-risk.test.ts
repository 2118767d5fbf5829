import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ActionSet, catalogInfo, lookupAction } from '../../src/catalog/catalog.js';
import {
  combosSatisfiedBy,
  escalationCombos,
  riskActionSet,
  riskCategories,
  riskCategoryList,
  riskDataInfo,
  riskSources,
} from '../../src/catalog/risk.js';

const root = process.cwd();
const sharedData = process.env.IAM_GATE_SHARED_DATA ?? join(root, '..', 'shared', 'data');
const haveShared = existsSync(join(sharedData, '_derived_highrisk_action_crossref'));

describe('risk categories of single actions', () => {
  test.each([
    ['iam:PassRole', 'privilege-escalation'],
    ['iam:CreatePolicyVersion', 'privilege-escalation'],
    ['lambda:UpdateFunctionCode', 'privilege-escalation'],
    ['iam:CreateAccessKey', 'credentials-exposure'],
    ['iam:CreateAccessKey', 'privilege-escalation'],
    ['sts:AssumeRole', 'credentials-exposure'],
    ['s3:PutBucketPolicy', 'resource-exposure'],
    ['kms:PutKeyPolicy', 'resource-exposure'],
    ['lambda:AddPermission', 'resource-exposure'],
    ['ram:CreateResourceShare', 'resource-exposure'],
    ['iam:PutRolePolicy', 'permissions-management'],
    ['iam:CreateUser', 'permissions-management'],
    ['organizations:AttachPolicy', 'permissions-management'],
    ['s3:GetObject', 'data-access'],
    ['secretsmanager:GetSecretValue', 'data-access'],
    ['ssm:GetParametersByPath', 'data-access'],
    ['kms:Decrypt', 'data-access'],
    ['dynamodb:Scan', 'data-access'],
  ])('%s is %s', (action, category) => {
    expect(riskCategories(action)).toContain(category);
  });

  test('lookups are case-insensitive', () => {
    expect(riskCategories('IAM:passrole')).toEqual(riskCategories('iam:PassRole'));
    expect(riskSources('IAM:passrole')).toEqual(riskSources('iam:PassRole'));
  });

  test('ordinary and unknown actions have no category', () => {
    for (const action of ['s3:PutObject', 'ec2:DescribeInstances', 'sts:GetCallerIdentity', 'logs:PutLogEvents', 'nosuch:Thing']) {
      expect(riskCategories(action)).toEqual([]);
    }
  });

  test('parts of multi-action methods are not privilege escalation alone', () => {
    for (const action of ['lambda:CreateFunction', 'ec2:RunInstances', 'dynamodb:PutItem']) {
      expect(riskCategories(action)).not.toContain('privilege-escalation');
      expect(riskSources(action).length).toBeGreaterThan(0);
    }
  });

  test('riskSources names the lists', () => {
    const sources = riskSources('iam:PassRole');
    expect(sources).toEqual(expect.arrayContaining(['rhino_privesc', 'pathfinding_required', 'cloudsplaining_privesc']));
    expect(riskSources('s3:PutBucketPolicy')).toContain('catalogue_permissions_management_level');
    expect(riskSources('kms:Decrypt')).toEqual(['curated_data_access']);
    expect(riskSources('s3:PutObject')).toEqual([]);
  });
});

describe('risk data against the catalogue', () => {
  test('every classified action and every combo action exists in the catalogue', () => {
    const info = riskDataInfo();
    expect(info.catalog).toEqual({ source: catalogInfo().source, version: catalogInfo().version });
    const union = riskCategoryList().reduce((acc, c) => acc.union(riskActionSet(c)), ActionSet.empty());
    expect(union.size()).toBe(info.actions);
    for (const combo of escalationCombos()) {
      for (const action of combo.actions) expect(lookupAction(action)?.id).toBe(action);
    }
  });

  test('counts per category are plausible and sum per set', () => {
    const { counts, sources, combos } = riskDataInfo();
    expect(counts['privilege-escalation']).toBeGreaterThanOrEqual(20);
    expect(counts['credentials-exposure']).toBeGreaterThanOrEqual(30);
    expect(counts['resource-exposure']).toBeGreaterThanOrEqual(300);
    expect(counts['permissions-management']).toBeGreaterThanOrEqual(80);
    expect(counts['data-access']).toBeGreaterThanOrEqual(10);
    for (const category of riskCategoryList()) expect(riskActionSet(category).size()).toBe(counts[category]);
    expect(sources.map((s) => s.repo)).toEqual(expect.arrayContaining(['RhinoSecurityLabs/AWS-IAM-Privilege-Escalation', 'DataDog/pathfinding.cloud']));
    expect(combos).toBeGreaterThan(50);
  });

  test('riskActionSet returns a copy', () => {
    const set = riskActionSet('data-access');
    set.add(lookupAction('s3:PutObject')!.index);
    expect(riskActionSet('data-access').hasId('s3:PutObject')).toBe(false);
  });
});

describe('escalation combos', () => {
  const granted = (...patterns: string[]) => ActionSet.fromPatterns(patterns).set;

  test('PassRole + Lambda create + invoke is a known combo', () => {
    const lambda = escalationCombos().find((c) => c.id === 'lambda-001');
    expect(lambda?.actions).toEqual(['iam:PassRole', 'lambda:CreateFunction', 'lambda:InvokeFunction']);
    expect(lambda?.references).toEqual(expect.arrayContaining(['rhino-15']));
    expect(lambda?.source).toBe('DataDog/pathfinding.cloud');
    expect(lambda?.description).toMatch(/Lambda/);
  });

  test('combos are checked against granted actions, wildcards included', () => {
    const ids = combosSatisfiedBy(granted('iam:PassRole', 'lambda:*')).map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['lambda-001', 'lambda-002', 'lambda-003', 'lambda-006']));
    expect(ids).not.toContain('ec2-001');
    expect(combosSatisfiedBy(granted('lambda:CreateFunction', 'lambda:InvokeFunction'))).toEqual([]);
    expect(combosSatisfiedBy(granted('s3:*'))).toEqual([]);
  });

  test('minimal drops combos that only add actions to a satisfied one', () => {
    const set = granted('iam:PassRole', 'lambda:CreateFunction', 'lambda:CreateEventSourceMapping', 'dynamodb:CreateTable', 'dynamodb:PutItem');
    const all = combosSatisfiedBy(set).map((c) => c.id);
    expect(all).toEqual(expect.arrayContaining(['lambda-002', 'rhino-17']));
    const minimal = combosSatisfiedBy(set, { minimal: true }).map((c) => c.id);
    expect(minimal).toContain('lambda-002');
    expect(minimal).not.toContain('rhino-17');
  });

  test('everything satisfies every combo', () => {
    expect(combosSatisfiedBy(ActionSet.all()).length).toBe(escalationCombos().length);
  });
});

(haveShared ? describe : describe.skip)('generated risk data freshness (needs ../shared/data)', () => {
  test('re-running build-risk gives the committed module and RISK-SOURCES.md', () => {
    const out = execFileSync(process.execPath, [join(root, 'scripts', 'build-risk.mjs'), '--check'], {
      encoding: 'utf8',
      env: { ...process.env, IAM_GATE_SHARED_DATA: sharedData },
    });
    expect(out).toMatch(/up to date/);
  });
});
