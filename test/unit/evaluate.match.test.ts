import fc from 'fast-check';
import { actionMatches, arnContains, arnMatches, globContainment, globContains } from '../../src/analysis/evaluate/match.js';
import { globMatch } from '../../src/analysis/evaluate/glob.js';

describe('actionMatches', () => {
  test.each([
    ['s3:GetObject', 's3:GetObject', true],
    ['s3:getobject', 'S3:GetObject', true],
    ['s3:Get*', 's3:GetObjectAcl', true],
    ['s3:Get*', 's3:PutObject', false],
    ['*', 'iam:PassRole', true],
    ['s3:*', 'ec2:RunInstances', false],
    ['s3:?etObject', 's3:GetObject', true],
    ['s3:?etObject', 's3:GGetObject', false],
    ['iam:*user*', 'iam:CreateUser', true],
    ['s3:GetObject', 's3:GetObjectAcl', false],
  ])('%s vs %s', (p, a, want) => expect(actionMatches(p, a)).toBe(want));
});

describe('arnMatches', () => {
  test.each([
    ['arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/a/b:c', true],
    ['arn:aws:s3:::bucket/*', 'arn:aws:s3:::Bucket/a', false],
    ['arn:aws:s3:::bucket', 'arn:aws:s3:::bucket/a', false],
    ['*', 'arn:aws:s3:::anything', true],
    ['arn:aws:ec2:*:123456789012:instance/*', 'arn:aws:ec2:us-east-1:123456789012:instance/i-1', true],
    // the region wildcard does not swallow the account segment
    ['arn:aws:ec2:*:instance/*', 'arn:aws:ec2:us-east-1:123456789012:instance/i-1', false],
    ['arn:aws:iam::*:role/*', 'arn:aws:iam::123456789012:role/path/r', true],
    ['arn:aws:iam::12345678901?:role/r', 'arn:aws:iam::123456789012:role/r', true],
    ['arn:aws:sqs:us-east-1:123456789012:q', 'arn:aws:sqs:us-east-1:123456789012:q', true],
    ['arn:aws:sqs:*:123456789012:q', 'arn:aws:sqs:us-east-1:123456789012', false],
  ])('%s vs %s', (p, a, want) => expect(arnMatches(p, a)).toBe(want));
});

// Brute force: every string over {a,b,c} up to a length bound. 'c' never appears in patterns, so it
// stands for "any other character"; a counterexample to containment, when there is one, needs at
// most |outer|+|inner|+1 characters.
const ALPHA = ['a', 'b', 'c'];
const strings: string[][] = [['']];
for (let len = 1; len <= 9; len++) strings.push(strings[len - 1].flatMap((s) => ALPHA.map((c) => s + c)));

function bruteContains(outer: string, inner: string): boolean {
  const bound = outer.length + inner.length + 1;
  for (let len = 0; len <= bound; len++) for (const s of strings[len]) if (globMatch(inner, s) && !globMatch(outer, s)) return false;
  return true;
}

const pattern = fc.array(fc.constantFrom('a', 'b', '*', '?'), { maxLength: 4 }).map((cs) => cs.join(''));

describe('globContains', () => {
  test('agrees with brute force on short patterns over a tiny alphabet', () => {
    fc.assert(
      fc.property(pattern, pattern, (outer, inner) => {
        expect(globContainment(outer, inner)).toBe(bruteContains(outer, inner));
      }),
      { numRuns: 400 },
    );
  });

  test('is reflexive and "*" contains everything', () => {
    fc.assert(
      fc.property(pattern, (p) => {
        expect(globContains(p, p)).toBe(true);
        expect(globContains('*', p)).toBe(true);
      }),
    );
  });

  test.each([
    ['arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/logs/*', true],
    ['arn:aws:s3:::bucket/logs/*', 'arn:aws:s3:::bucket/*', false],
    ['a*', 'a?*', true],
    ['a?*', 'a*', false],
    ['*a*', '*?a', true],
    ['??', '?a', true],
    ['*', '', true],
    ['?', '', false],
    ['a*b*c', 'a*c', false],
    ['a*c', 'a*b*c', true],
  ])('%s ⊇ %s is %s', (outer, inner, want) => expect(globContains(outer, inner)).toBe(want));

  test('case-insensitive for actions', () => {
    expect(globContains('S3:Get*', 's3:getobject', true)).toBe(true);
    expect(globContains('S3:Get*', 's3:getobject')).toBe(false);
  });

  test('arnContains checks part by part', () => {
    expect(arnContains('arn:aws:s3:::*', 'arn:aws:s3:::b/*')).toBe(true);
    // A plain glob would say yes: '*' could span region and account; ARN matching keeps them apart.
    expect(globContains('arn:aws:sqs:*:x', 'arn:aws:sqs:us:1:x')).toBe(true);
    expect(arnContains('arn:aws:sqs:*:*:x', 'arn:aws:sqs:us:1:q:x')).toBe(false);
    expect(arnContains('*', 'arn:aws:sqs:us:1:q')).toBe(true);
  });

  test('gives up (undefined) rather than run away on adversarial patterns', () => {
    const outer = Array.from({ length: 40 }, (_, i) => (i % 2 ? '*' : String.fromCharCode(97 + (i % 26)))).join('');
    const inner = Array.from({ length: 40 }, () => '*?').join('');
    const r = globContainment(outer, inner);
    expect(r === undefined || r === false).toBe(true);
  });
});
