// A change to the config's guard files themselves (context: scps, rcps, boundaries). A pull request that only
// loosens an SCP touches no subject's policy, so no subject is compared: the guard is compared on its own, as
// what it lets through for a principal that holds every permission (Allow * on *), base's version against head's.
import type { GuardDocuments } from '../config/guards.js';
import type { Finding, PolicyDocument } from '../model.js';
import { extractPolicies } from '../policies/extract.js';
import { compileDocuments } from './compile.js';
import { compareAccess, type CompiledGuards } from './new-access.js';

const EVERYTHING = new TextEncoder().encode(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }));
/** For RCPs: another account's principal calling any resource (RCPs govern requests to resources, not AWS services). */
const ANY_CALLER = new TextEncoder().encode(
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: '*', Resource: '*' }] }),
);

function synthetic(bytes: Uint8Array, kind: PolicyDocument['kind']): PolicyDocument[] {
  return extractPolicies('(every permission)', bytes, { maxBytes: 1 << 16, forcePolicy: true, kindHint: kind }).documents;
}

const text = (docs: PolicyDocument[]) => JSON.stringify(docs.map((d) => d.statements.map((s) => ({ ...s, loc: undefined }))));
const none: CompiledGuards = { scps: [], rcps: [], boundary: [] };

/** Findings for guard files whose head version lets through what base's did not. */
export function guardChanges(guards: GuardDocuments | undefined): Finding[] {
  if (!guards?.head) return [];
  const head = guards.head;
  const levels: Array<{ what: string; base: PolicyDocument[]; head: PolicyDocument[]; as: 'scps' | 'rcps' | 'boundary'; who: string }> = [
    { what: 'SCPs', base: guards.scps, head: head.scps, as: 'scps', who: 'every principal the SCPs govern' },
    { what: 'RCPs', base: guards.rcps, head: head.rcps, as: 'rcps', who: 'callers of the resources the RCPs govern' },
    ...guards.boundaries.map((b, i) => ({ what: `the permissions boundary of ${b.subject}`, base: b.documents, head: head.boundaries[i]?.documents ?? [], as: 'boundary' as const, who: b.subject })),
  ];
  const findings: Finding[] = [];
  for (const level of levels) {
    if (level.base.length === 0 || text(level.base) === text(level.head)) continue;
    const grant = compileDocuments(level.as === 'rcps' ? synthetic(ANY_CALLER, 'resource') : synthetic(EVERYTHING, 'identity'));
    const { items } = compareAccess(grant, grant, { guards: { ...none, [level.as]: compileDocuments(level.base) }, headGuards: { ...none, [level.as]: compileDocuments(level.head) } });
    const files = [...new Set([...level.base, ...level.head].map((d) => d.file))];
    for (const item of items) {
      const shown = item.actions.length > 6 ? `${item.actions.slice(0, 6).join(', ')} and ${item.actions.length - 6} more` : item.actions.join(', ');
      findings.push({
        ruleId: 'new-access',
        severity: item.certainty === 'new' ? 'high' : 'medium',
        subject: files.join(', '),
        location: { file: files[0], line: 1, column: 1 },
        message: `${level.what} (${files.join(', ')}) ${item.certainty === 'new' ? 'no longer deny' : 'may no longer deny'} ${shown} on ${item.resource} for ${level.who}: ${item.reason}`,
        evidence: { actions: item.actions, resource: item.resource, certainty: item.certainty, guard: level.what },
        identity: `new-access|guard|${files.join(',')}|${item.actions.join(',')}|${item.resource}|${item.certainty}`,
        origin: 'local',
      });
    }
  }
  return findings;
}
