// Turns a CloudTrail userIdentity into the principal whose policies decided the call.

export type CallerType =
  | 'IAMUser'
  | 'AssumedRole'
  | 'Root'
  | 'FederatedUser'
  | 'SAMLUser'
  | 'WebIdentityUser'
  | 'IdentityCenterUser'
  | 'AWSService'
  | 'AWSAccount'
  | 'Unknown';

export interface NormalisedPrincipal {
  /** The ARN (or service name / provider) usage is keyed on: assumed-role sessions become their role. */
  principal: string;
  type: CallerType;
  /** The caller's account, when the event says. */
  account?: string;
  /** The value IAM puts in aws:PrincipalArn for this caller, when known. */
  principalArn?: string;
  /** Something lost or guessed while normalising (e.g. a role path). */
  note?: string;
}

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

const ARN = /^arn:([^:]+):([^:]*):([^:]*):(\d{12})?:(.+)$/;

function partitionOf(arn: string | undefined): string {
  return (arn && ARN.exec(arn)?.[1]) || 'aws';
}

function accountOf(arn: string | undefined): string | undefined {
  return arn ? ARN.exec(arn)?.[4] : undefined;
}

/**
 * `arn:aws:sts::111122223333:assumed-role/Name/session` -> `arn:aws:iam::111122223333:role/Name`.
 * The STS ARN drops the role's path, so a role created under a path gets a path-less ARN here.
 */
export function roleArnFromSessionArn(sessionArn: string): string | undefined {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(sessionArn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

export function normalisePrincipal(userIdentity: unknown): NormalisedPrincipal | undefined {
  const ui = obj(userIdentity);
  if (!ui) return undefined;
  const type = str(ui.type);
  const arn = str(ui.arn);
  const account = str(ui.accountId) ?? accountOf(arn);
  const issuer = obj(obj(ui.sessionContext)?.sessionIssuer);
  const issuerArn = str(issuer?.arn);

  switch (type) {
    case 'IAMUser':
      if (arn) return { principal: arn, type, account, principalArn: arn };
      break;
    case 'AssumedRole': {
      if (issuerArn) return { principal: issuerArn, type, account, principalArn: issuerArn };
      const derived = arn ? roleArnFromSessionArn(arn) : undefined;
      if (derived) {
        return { principal: derived, type, account, principalArn: derived, note: 'role ARN derived from the session ARN; any role path is lost' };
      }
      break;
    }
    case 'Root': {
      const acct = account;
      if (acct) {
        const root = `arn:${partitionOf(arn)}:iam::${acct}:root`;
        return { principal: root, type, account: acct, principalArn: root };
      }
      break;
    }
    case 'FederatedUser':
      // GetFederationToken sessions act within the issuing user's policies: key usage on that user.
      if (issuerArn) return { principal: issuerArn, type, account, principalArn: arn ?? issuerArn };
      if (arn) return { principal: arn, type, account, principalArn: arn };
      break;
    case 'SAMLUser':
    case 'WebIdentityUser': {
      // The caller is an identity provider's user calling AssumeRoleWith*; the trust policy names the provider.
      const provider = str(ui.identityProvider);
      const id = provider ?? str(ui.principalId);
      if (id) return { principal: id, type, account };
      break;
    }
    case 'IdentityCenterUser': {
      const userId = str(obj(ui.onBehalfOf)?.userId);
      if (userId) return { principal: `arn:${partitionOf(arn)}:identitystore:::user/${userId}`, type, account };
      break;
    }
    case 'AWSService': {
      const service = str(ui.invokedBy);
      if (service) return { principal: service, type, account };
      break;
    }
    case 'AWSAccount':
      // Cross-account caller: the event only carries the other account's unique id (AROA…:session, AIDA…).
      if (account) return { principal: `arn:aws:iam::${account}:root`, type, account, note: 'cross-account caller resolved to its account root' };
      break;
  }
  // Unknown or incomplete identity: fall back on whatever identifies it, so usage is not silently dropped.
  if (arn) return { principal: arn, type: 'Unknown', account, principalArn: arn };
  return undefined;
}
