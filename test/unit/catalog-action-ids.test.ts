// catalogActionIds: the ids a usage worker maps against, read without decoding the catalogue (its own file, so that
// nothing in this module registry has decoded the catalogue before the first call).
import { actionById, allActionCount, catalogActionIds, lookupAction } from '../../src/catalog/catalog.js';

describe('catalogActionIds', () => {
  test('before and after the catalogue is decoded: every action id, in catalogue order', () => {
    const light = catalogActionIds(); // nothing decoded yet: names only
    const decoded = Array.from({ length: allActionCount() }, (_, i) => actionById(i).id);
    expect(light.length).toBeGreaterThan(15_000);
    expect(light).toEqual(decoded);
    expect(catalogActionIds()).toEqual(decoded); // decoded now: from the catalogue
    expect(new Set(light).size).toBe(light.length);
    for (const id of ['s3:GetObject', 'iam:PassRole', 'sts:AssumeRole', 'kms:Decrypt']) expect(light).toContain(lookupAction(id)!.id);
  });
});
