// Whether to ask AWS at all. Fork pull requests and laptops have no credentials: that is a notice,
// never a crash; only `enabled: on` turns missing credentials into a check that did not run.
import type { GateConfig } from '../config/types.js';

export type Env = Record<string, string | undefined>;

/** The SDK's default chain would find credentials from these without touching the network. */
export function credentialSource(env: Env): string | undefined {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return 'AWS_ACCESS_KEY_ID';
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) return 'AWS_WEB_IDENTITY_TOKEN_FILE';
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return 'container credentials';
  if (env.AWS_PROFILE) return `AWS_PROFILE=${env.AWS_PROFILE}`;
  return undefined;
}

export type AnalyzerMode =
  | { run: true; region: string; source: string }
  | { run: false; status: 'skipped' | 'not-run'; reason: string };

export function analyzerMode(config: GateConfig, opts: { offline?: boolean; region?: string; env: Env }): AnalyzerMode {
  const enabled = config.accessAnalyzer.enabled;
  if (opts.offline) return { run: false, status: 'skipped', reason: 'offline: local checks only (--offline)' };
  if (enabled === 'off') return { run: false, status: 'skipped', reason: 'access-analyzer.enabled is off: local checks only' };
  const source = credentialSource(opts.env);
  if (!source) {
    return enabled === 'on'
      ? { run: false, status: 'not-run', reason: 'access-analyzer.enabled is on but no AWS credentials were found (AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_PROFILE or container credentials)' }
      : { run: false, status: 'skipped', reason: 'no AWS credentials: local checks only (fork pull requests and local runs have none)' };
  }
  const region = opts.region ?? config.accessAnalyzer.region ?? opts.env.AWS_REGION ?? opts.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  return { run: true, region, source };
}
