// Does the change add a waiver, or widen one? A head waiver is no news when some base waiver for
// the same rule and place already covers everything it covers, for at least as long.
import { arnContains } from '../analysis/evaluate/match.js';
import { ActionSet } from '../catalog/catalog.js';
import type { Waiver } from '../config/types.js';

function samePlace(a: Waiver, b: Waiver): boolean {
  return a.rule === b.rule && (a.files ?? '') === (b.files ?? '') && (a.subject ?? '') === (b.subject ?? '');
}

/** True when `head` covers nothing that `base` does not, and ends no later. */
export function withinWaiver(head: Waiver, base: Waiver): boolean {
  if (!samePlace(head, base)) return false;
  if (head.expires > base.expires) return false;
  if (head['allow-wildcard'] === true && base['allow-wildcard'] !== true) return false;
  if (base.fingerprint && !(head.fingerprint ?? '').toLowerCase().startsWith(base.fingerprint.toLowerCase())) return false;
  if (base.actions?.length) {
    if (!head.actions?.length) return false;
    const h = ActionSet.fromPatterns(head.actions);
    const b = ActionSet.fromPatterns(base.actions);
    if (h.unknown.length || !h.set.isSubsetOf(b.set)) return false;
  }
  if (base.resources?.length) {
    if (!head.resources?.length) return false;
    if (!head.resources.every((r) => base.resources!.some((br) => br === r || arnContains(br, r)))) return false;
  }
  // More principals cover more callers.
  if ((head.principals ?? []).some((p) => !(base.principals ?? []).includes(p))) return false;
  return true;
}

/** 'added' or 'widened' when the change makes `head` cover more than the base waivers do, else undefined. */
export function widening(head: Waiver, baseWaivers: Waiver[]): 'added' | 'widened' | undefined {
  if (baseWaivers.some((b) => withinWaiver(head, b))) return undefined;
  return baseWaivers.some((b) => samePlace(head, b)) ? 'widened' : 'added';
}
