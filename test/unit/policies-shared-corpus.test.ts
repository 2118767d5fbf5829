// Runs every policy of the IAM User Guide corpus in ../shared through extraction; skips where it is absent.
import { existsSync, readFileSync } from 'node:fs';
import { extractPolicies } from '../../src/policies/extract.js';

const CORPUS = '/work/shared/data/awsdocs_iam-user-guide/policies_from_docs.json';
const describeIfShared = existsSync(CORPUS) ? describe : describe.skip;

describeIfShared('IAM User Guide policies (shared corpus)', () => {
  const entries = existsSync(CORPUS) ? (JSON.parse(readFileSync(CORPUS, 'utf8')) as Array<{ kind: string; policy: unknown }>) : [];

  test('every example is a policy, parsed without throwing, with located statements', () => {
    expect(entries.length).toBeGreaterThan(200);
    for (const [i, e] of entries.entries()) {
      const f = extractPolicies(`doc${i}.json`, new TextEncoder().encode(JSON.stringify(e.policy, null, 2)), { maxBytes: 1 << 20 });
      expect(f.status).toBe('policy');
      for (const s of f.documents[0].statements) expect(s.loc.line).toBeGreaterThan(1);
      for (const x of f.findings) expect(x.location?.file).toBe(`doc${i}.json`);
    }
  });

  test('Principal-less examples are identity policies, the others trust, bucket or resource policies', () => {
    for (const [i, e] of entries.entries()) {
      const [doc] = extractPolicies(`doc${i}.json`, new TextEncoder().encode(JSON.stringify(e.policy)), { maxBytes: 1 << 20 }).documents;
      if (e.kind === 'identity_or_boundary_or_scp_policy') expect(doc.kind).toBe('identity');
      else expect(['trust', 'bucket', 'resource']).toContain(doc.kind);
    }
  });
});
