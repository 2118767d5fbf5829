// Optional: a policy suggestion backed by AWS. StartPolicyGeneration reads the principal's CloudTrail
// history through a trail and an access role, then GetGeneratedPolicy is polled until the job ends.
// AWS runs one generation per account at a time, so principals are asked one after the other.
import { GetGeneratedPolicyCommand, StartPolicyGenerationCommand } from '@aws-sdk/client-accessanalyzer';
import { classifyError, timed, type AnalyzerClientLike } from './client.js';
import type { AccessAnalyzerCheck } from './types.js';

export interface GenerationSettings {
  trailArn: string;
  /** Role Access Analyzer assumes to read the trail (the caller needs iam:PassRole on it). */
  accessRoleArn: string;
  since: Date;
  until?: Date;
  timeoutMs?: number;
  pollMs?: number;
  maxPolls?: number;
  sleep?: (ms: number) => Promise<void>;
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function generatePolicy(client: AnalyzerClientLike, subjectId: string, principalArn: string, s: GenerationSettings): Promise<AccessAnalyzerCheck> {
  const base = { check: 'PolicyGeneration' as const, document: subjectId };
  const timeout = s.timeoutMs ?? 20_000;
  const sleep = s.sleep ?? pause;
  let jobId: string;
  try {
    const started = (await timed(
      client,
      new StartPolicyGenerationCommand({
        policyGenerationDetails: { principalArn },
        cloudTrailDetails: { trails: [{ cloudTrailArn: s.trailArn, allRegions: true }], accessRole: s.accessRoleArn, startTime: s.since, ...(s.until ? { endTime: s.until } : {}) },
      }),
      timeout,
    )) as { jobId?: unknown };
    if (typeof started?.jobId !== 'string') return { ...base, result: 'not-run', message: 'StartPolicyGeneration: malformed response (no jobId)' };
    jobId = started.jobId;
  } catch (e) {
    return { ...base, result: 'not-run', message: classifyError(e, 'StartPolicyGeneration').message };
  }
  for (let poll = 0; poll < (s.maxPolls ?? 60); poll++) {
    let r: { jobDetails?: { status?: string; jobError?: { message?: string } }; generatedPolicyResult?: { generatedPolicies?: Array<{ policy?: string }> } };
    try {
      r = (await timed(client, new GetGeneratedPolicyCommand({ jobId, includeResourcePlaceholders: true }), timeout)) as typeof r;
    } catch (e) {
      return { ...base, result: 'not-run', message: classifyError(e, 'GetGeneratedPolicy').message };
    }
    const status = r?.jobDetails?.status;
    if (status === 'SUCCEEDED') {
      const policies = (r.generatedPolicyResult?.generatedPolicies ?? []).map((p) => p.policy).filter((p): p is string => typeof p === 'string');
      return { ...base, result: 'PASS', message: `${policies.length} policy document(s) generated from CloudTrail (job ${jobId})`, generatedPolicy: policies.join('\n'), calls: poll + 2 };
    }
    if (status === 'FAILED' || status === 'CANCELED') return { ...base, result: 'not-run', message: `policy generation ${status.toLowerCase()}: ${r.jobDetails?.jobError?.message ?? 'no reason given'}` };
    if (status !== 'IN_PROGRESS') return { ...base, result: 'not-run', message: `GetGeneratedPolicy: malformed response (status ${JSON.stringify(status)})` };
    await sleep(s.pollMs ?? 5_000);
  }
  return { ...base, result: 'not-run', message: `policy generation job ${jobId} did not finish in time` };
}
