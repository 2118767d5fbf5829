// Unused access and a least-privilege suggestion for one subject, from its usage ([least-privilege]).
import { compileDocuments } from '../analysis/compile.js';
import { recordsFor } from '../analysis/replay.js';
import type { PolicyDocument, SubjectPolicies, UsageSummary } from '../model.js';
import { indexDataEvents, type DataEventIndex } from './coverage.js';
import { suggestPolicy } from './suggest.js';
import type { SuggestedPolicy, SuggestedPolicyType, UnusedAccessReport } from './types.js';
import { unusedAccess } from './unused.js';

export interface LeastPrivilegeOptions {
  /** Action patterns always kept as currently granted (config least-privilege.allow). */
  allow?: string[];
  /** Action patterns never suggested (config least-privilege.exclude). */
  exclude?: string[];
  policyType?: SuggestedPolicyType;
  /**
   * Also analyse subjects with no grants on the base side. Off in the gate: a subject the change
   * creates cannot have usage yet, and "everything unused" would be noise. `generate` turns it on.
   */
  includeNew?: boolean;
}

const indexes = new WeakMap<UsageSummary, DataEventIndex>();

/** The data-event index of a usage summary, built once per summary. */
export function dataEventIndex(usage: UsageSummary): DataEventIndex {
  let index = indexes.get(usage);
  if (!index) indexes.set(usage, (index = indexDataEvents(usage)));
  return index;
}

const PRINCIPALS = new Set(['role', 'user', 'group']);
const ofKind = (docs: PolicyDocument[], ...kinds: string[]) => docs.filter((d) => kinds.includes(d.kind));

export function leastPrivilege(s: SubjectPolicies, usage: UsageSummary, opts: LeastPrivilegeOptions = {}): { unused?: UnusedAccessReport; suggestion?: SuggestedPolicy } {
  if (!s.subject.arn) return {};
  const grants = ofKind(s.head, 'identity', 'bucket', 'resource');
  if (!grants.length) return {};
  if (!opts.includeNew && !ofKind(s.base, 'identity', 'bucket', 'resource').length) return {};
  const records = recordsFor(s.subject, usage.records);
  const unused = unusedAccess(s.subject, compileDocuments(grants), records, usage, dataEventIndex(usage));
  if (!PRINCIPALS.has(s.subject.type)) return { unused };
  // A group's usage is unknown (its members make the calls): a suggestion from it would remove access they use.
  if (s.subject.type === 'group') return { unused };
  const identity = ofKind(s.head, 'identity');
  if (!identity.length || !records.length) return { unused };
  const guards = [...(s.guards?.head ?? []), ...s.head];
  const suggestion = suggestPolicy({
    current: identity,
    boundary: ofKind(guards, 'boundary'),
    scps: ofKind(guards, 'scp'),
    records,
    allow: opts.allow,
    exclude: opts.exclude,
    policyType: opts.policyType,
  });
  const unseen = unused.unknown.flatMap((u) => u.actions).filter((a) => !suggestion.documents.some((d) => d.Statement.some((st) => st.Effect === 'Allow' && st.Action?.includes(a))));
  if (unseen.length) {
    const shown = unseen.slice(0, 10).join(', ') + (unseen.length > 10 ? ` and ${unseen.length - 10} more` : '');
    suggestion.notes.push(`not in the suggestion although the logs cannot show they are unused: ${shown}; keep them with least-privilege.allow if needed`);
  }
  return { unused, suggestion };
}

export type { SuggestedPolicy, UnusedAccessReport } from './types.js';
