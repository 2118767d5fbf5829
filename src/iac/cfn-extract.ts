// CloudFormation template (JSON or YAML tree) -> policy documents bound to their principals and buckets.
import { createHash } from 'node:crypto';
import type { ExtractedFile, Finding, PolicyDocument, PolicyKind, SourceLocation, SubjectRef } from '../model.js';
import { documentFromValue } from '../policies/document.js';
import { parseLocatedJson } from '../policies/json-located.js';
import { fromPlain, movedTree, toPlain, valueOf, type LEntry, type LNode } from '../policies/located.js';
import { AWS_MANAGED_POLICIES, awsManagedName } from './aws-managed.js';
import { CfnResolver, type CfnResource, type CfnSettings, type Placeholder } from './cfn-resolve.js';
import { accessKeyFinding, at, exposureFinding, iacFinding, PUBLIC_ACLS } from './findings.js';
import { dropImpliedResourceFindings, expandExecuteApi, isExactArn, lambdaFunctionArn, lambdaPermissionPolicy, lambdaPrincipal, oneStatementPolicy, resourceSubject, sqsQueueArnFromUrl, type LocatedText } from './resource-policies.js';
import { GLOBAL_TABLE_REPLICA_POLICIES, RESOURCE_POLICY_TYPES, type CfnResourcePolicySpec } from './resource-policy-types.js';
import { asStackSets, innerPositions } from './cfn-stackset.js';
import { parseCfnYaml } from './cfn-yaml.js';

/** Quotas IAM applies per policy type (characters without whitespace). */
const SIZE = { roleInline: 10240, userInline: 2048, groupInline: 5120, managed: 6144 };
/** CloudFormation allows 500 resources per stack; a little headroom, then refuse. */
export const MAX_RESOURCES = 2000;

const PRINCIPAL_TYPES: Readonly<Record<string, 'role' | 'user' | 'group'>> = {
  'AWS::IAM::Role': 'role',
  'AWS::IAM::User': 'user',
  'AWS::IAM::Group': 'group',
};

export type TemplateShape = 'cloudformation' | 'not-cloudformation' | 'malformed';

/** Does this tree look like a CloudFormation template, and is it a readable one? */
export function templateShape(root: LNode): { shape: TemplateShape; why?: string; loc?: SourceLocation } {
  if (root.kind !== 'object') return { shape: 'not-cloudformation' };
  const version = valueOf(root, 'AWSTemplateFormatVersion');
  const resources = valueOf(root, 'Resources');
  const typed = resources?.kind === 'object' && resources.entries.some((e) => /^(AWS|Custom|Alexa)::/.test(str(valueOf(e.value, 'Type')) ?? ''));
  if (!version && !typed) return { shape: 'not-cloudformation' };
  if (!resources || resources.kind !== 'object') {
    return { shape: 'malformed', why: 'Resources must be a mapping of logical ids to resources', loc: resources?.loc ?? version?.loc ?? root.loc };
  }
  for (const e of resources.entries) {
    if (e.value.kind !== 'object' || !str(valueOf(e.value, 'Type'))) return { shape: 'malformed', why: `resource ${e.key} has no Type`, loc: e.keyLoc };
  }
  return { shape: 'cloudformation' };
}

const str = (n: LNode | undefined): string | undefined => (n?.kind === 'string' ? n.value : undefined);

/** Resource types whose Properties this extractor reads. */
const READ_TYPES = new Set([
  ...Object.keys(PRINCIPAL_TYPES),
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::RolePolicy',
  'AWS::IAM::UserPolicy',
  'AWS::IAM::GroupPolicy',
  'AWS::S3::BucketPolicy',
  ...Object.keys(RESOURCE_POLICY_TYPES),
  'AWS::Lambda::Permission',
  'AWS::Lambda::LayerVersionPermission',
  'AWS::Events::EventBusPolicy',
  'AWS::DynamoDB::GlobalTable',
]);

/** Where a resource policy is read from when it is not the resource's own property: an item of a list (a replica). */
interface PolicyItem {
  props: LNode;
  /** The item's path under Properties (`Replicas`, 3). */
  path: (string | number)[];
  /** The item's name in labels and messages (its Region). */
  name: string;
  subject: SubjectRef;
  /** `<file>#<LogicalId>[<name>]`: the subject's id when its ARN is not known, and the base of a part's (`.StreamArn`). */
  id: string;
}

/** A node's kind in words, for messages. */
function describe(n: LNode): string {
  if (n.kind === 'string') return `a string`;
  if (n.kind === 'array') return 'a list';
  if (n.kind === 'object') return 'a mapping';
  return n.kind === 'null' ? 'null' : `a ${n.kind}`;
}

interface Attachment {
  subject: SubjectRef;
  /** Where the attachment is written (for the per-principal label). */
  via: string;
}

/** Stack set templates being read (one level: a stack set inside a stack set's template is not expanded). */
let stackSetDepth = 0;

export function extractCloudFormation(path: string, root: LNode, settings: CfnSettings, parseFindings: Finding[] = []): ExtractedFile {
  const shape = templateShape(root);
  if (shape.shape === 'malformed') {
    const loc = shape.loc ?? at(path);
    return errorFile(path, [...parseFindings, iacFinding('parse-error', 'high', `${path}:${loc.line}: not a valid CloudFormation template: ${shape.why}`, loc, 'malformed')]);
  }
  const cfn = new CfnResolver(path, root, settings);
  const resources = cfn.allResources();
  if (resources.length > MAX_RESOURCES) {
    return errorFile(path, [...parseFindings, iacFinding('unsupported-file', 'high', `${path}: the template has ${resources.length} resources, over the limit of ${MAX_RESOURCES}; not analysed`, at(path), 'too-many')]);
  }
  const out = new TemplateExtraction(path, cfn, settings);
  out.findings.push(...parseFindings);
  out.run(root);
  out.findings.push(...cfn.errors);
  const failed = out.documents.length === 0 && out.findings.some((f) => f.ruleId === 'parse-error');
  return { path, status: failed ? 'error' : 'policy', format: 'cloudformation', documents: out.documents, findings: out.findings };
}

function errorFile(path: string, findings: Finding[]): ExtractedFile {
  return { path, status: 'error', format: 'cloudformation', documents: [], findings };
}

class TemplateExtraction {
  readonly documents: PolicyDocument[] = [];
  readonly findings: Finding[] = [];
  private readonly seenPlaceholders = new Set<string>();
  /**
   * Group subject id -> the users in it (a user's Groups, AWS::IAM::UserToGroupAddition), for the groups of this
   * template: a user gains every identity policy of its groups, so each of them is analysed for the members too.
   */
  private readonly members = new Map<string, Attachment[]>();

  constructor(
    private readonly file: string,
    private readonly cfn: CfnResolver,
    private readonly settings: CfnSettings,
  ) {}

  run(root: LNode): void {
    this.noteTransform(root);
    const live = this.cfn.allResources().filter((r) => this.exists(r));
    const managedAttachments = this.managedAttachments(live);
    this.collectMembers(live);
    for (const r of live) {
      if (READ_TYPES.has(r.type)) this.noteInclude(r);
      this.noteOpaque(r);
      this.exposureSettings(r);
      if (!this.readableProperties(r)) continue;
      switch (r.type) {
        case 'AWS::IAM::Role':
        case 'AWS::IAM::User':
        case 'AWS::IAM::Group':
          this.principal(r);
          break;
        case 'AWS::IAM::Policy':
          this.policyResource(r, this.listedPrincipals(r), SIZE.roleInline);
          break;
        case 'AWS::IAM::ManagedPolicy':
          this.policyResource(r, managedAttachments.get(r.logicalId) ?? [], SIZE.managed);
          break;
        case 'AWS::IAM::RolePolicy':
        case 'AWS::IAM::UserPolicy':
        case 'AWS::IAM::GroupPolicy':
          this.singlePrincipalPolicy(r);
          break;
        case 'AWS::S3::BucketPolicy':
          this.bucketPolicy(r);
          break;
        case 'AWS::Lambda::Permission':
          this.lambdaPermission(r);
          break;
        case 'AWS::Lambda::LayerVersionPermission':
          this.layerPermission(r);
          break;
        case 'AWS::Events::EventBusPolicy':
          this.eventBusPolicy(r);
          break;
        case 'AWS::DynamoDB::GlobalTable':
          this.globalTableReplicas(r);
          break;
        default:
          for (const spec of RESOURCE_POLICY_TYPES[r.type] ?? []) this.resourcePolicy(r, spec);
          if (r.type === 'AWS::ApiGateway::RestApi') this.openApiInS3(r);
          if (r.type.startsWith('AWS::Serverless::') && r.props && valueOf(r.props, 'Policies')) {
            this.findings.push(iacFinding('iac-not-analysed', 'medium', `${this.file}:${r.keyLoc.line}: ${r.logicalId} (${r.type}) declares SAM Policies, which are expanded by the SAM transform and not analysed here`, r.keyLoc, `sam|${r.logicalId}`));
          }
      }
    }
  }

  /** Settings outside policies that expose a bucket or a function (see exposureFinding). */
  private exposureSettings(r: CfnResource): void {
    if (r.props?.kind !== 'object') return;
    const text = (key: string, from: LNode | undefined = r.props) => {
      const n = from ? valueOf(from, key) : undefined;
      return n ? { value: this.cfn.scalar(n), loc: n.loc } : undefined;
    };
    if (r.type === 'AWS::S3::Bucket') {
      const acl = text('AccessControl');
      const why = acl?.value ? PUBLIC_ACLS[acl.value.toLowerCase()] : undefined;
      if (acl && why) this.findings.push(exposureFinding(this.file, r.logicalId, `acl:${acl.value}`, `the bucket's ACL ${acl.value}: ${why}`, acl.loc));
      const block = valueOf(r.props, 'PublicAccessBlockConfiguration');
      if (block?.kind === 'object') {
        const off = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'].filter((k) => text(k, block)?.value === 'false');
        if (off.length) this.findings.push(exposureFinding(this.file, r.logicalId, `public-access-block:${off.join(',')}`, `the bucket's public access block is turned off (${off.join(', ')} false): a public policy or ACL takes effect`, block.loc));
      }
    }
    if (r.type === 'AWS::IAM::AccessKey' && text('Status')?.value !== 'Inactive') {
      const user = text('UserName');
      this.findings.push(accessKeyFinding(r.logicalId, user?.value || undefined, user?.loc ?? r.keyLoc));
    }
    if (r.type === 'AWS::Lambda::Url') {
      const auth = text('AuthType');
      if (auth?.value === 'NONE') this.findings.push(exposureFinding(this.file, r.logicalId, 'function-url:NONE', 'a function URL without authentication (AuthType NONE): with a matching permission anyone can invoke the function', auth.loc));
    }
  }

  /** Properties of a resource this extractor reads must be a mapping; anything else hides what it grants. */
  private readableProperties(r: CfnResource): boolean {
    if (!READ_TYPES.has(r.type) || r.props === undefined || r.props.kind === 'object') return true;
    const loc = r.props.loc;
    this.findings.push(iacFinding('parse-error', 'high', `${this.file}:${loc.line}: ${r.logicalId} (${r.type}): Properties is ${describe(r.props)}, not a mapping; its policies could not be read`, loc, `props|${r.logicalId}`));
    return false;
  }

  /** A resource that must carry a policy document but does not: say so rather than grant nothing. */
  private missingDocument(r: CfnResource, what: string, loc: SourceLocation): void {
    const merge = r.props?.kind === 'object' && r.props.entries.some((e) => e.key === '<<') ? ' (YAML merge keys "<<" are not expanded: CloudFormation does not support them; write the keys out)' : '';
    this.findings.push(iacFinding('parse-error', 'high', `${this.file}:${loc.line}: ${r.logicalId} (${r.type}) has ${what}${merge}; what it grants could not be read`, loc, `no-doc|${r.logicalId}|${what}`));
  }

  /** A resource whose Condition is false is never created. */
  private exists(r: CfnResource): boolean {
    const c = str(valueOf(r.node, 'Condition'));
    return c === undefined || this.cfn.condition(c, r.keyLoc) !== false;
  }

  private noteTransform(root: LNode): void {
    const t = valueOf(root, 'Transform');
    if (!t) return;
    const names = (t.kind === 'array' ? t.items : [t]).map((n) => str(n) ?? '?').filter((n) => n !== 'AWS::LanguageExtensions');
    if (names.length === 0) return;
    this.findings.push(
      iacFinding('iac-not-analysed', 'medium', `${this.file}:${t.loc.line}: Transform ${names.join(', ')} rewrites the template at deployment; resources it generates are not analysed (run the analysis on the processed template, e.g. cdk synth or sam build output)`, t.loc, `transform|${names.join(',')}`),
    );
  }

  /**
   * Resources that grant access the extractor does not read: group membership, IAM deployed by another stack or
   * stack set, custom resources naming policies, Identity Center permission sets, organization policies. Reported on
   * head (fail closed) when the change adds or changes them: the identity names the user and group, or carries a
   * digest of the resource's whole definition, and the pipeline drops those base had the same (unchangedOpaque).
   */
  private noteOpaque(r: CfnResource): void {
    const report = (what: string, loc: SourceLocation, key: string): void => void this.findings.push(iacFinding('iac-not-analysed', 'medium', `${this.file}:${loc.line}: ${r.logicalId} (${r.type}) ${what}`, loc, key));
    const props = r.props?.kind === 'object' ? r.props : undefined;
    const text = (n: LNode | undefined): string => {
      if (!n) return '?';
      const logical = this.cfn.referencedResource(n);
      if (logical) return logical;
      const before = this.cfn.placeholders.length;
      const v = this.cfn.scalar(n);
      const ph = this.cfn.placeholders.splice(before);
      return ph.length ? ph.map((p) => p.expr).join(' ') : (v ?? '?');
    };
    if (r.type === 'AWS::IAM::UserToGroupAddition' || r.type === 'AWS::IAM::User') {
      // A group of this template is analysed for its members (addResolved); one defined elsewhere is not known.
      for (const m of this.memberships([r]).filter((x) => !this.isOurGroup(x.group))) {
        // The identity names the user and the group as they resolve (see unchangedOpaque): another user (a new
        // UserName) or another group under the same logical ids is a change.
        if (r.type === 'AWS::IAM::User') report(`joins group ${text(m.groupText)} (Groups), which is not defined in this template; a user gains every policy of its groups, and that group's are not known`, m.loc, `membership|${r.logicalId}|${this.userName(r)}|${text(m.groupText)}`);
        else report(`adds user ${m.user.id} to group ${text(m.groupText)}, which is not defined in this template; a user gains every policy of its groups, and that group's are not known`, m.loc, `membership|${r.logicalId}|${m.user.id}|${text(m.groupText)}`);
      }
      return;
    }
    const opaque: Readonly<Record<string, string>> = {
      'AWS::CloudFormation::StackSet': 'deploys a stack set; IAM in its template (TemplateBody or TemplateURL) and the parameters passed to it are not analysed',
      'AWS::CloudFormation::Stack': 'is a nested stack; IAM in its template and the parameters passed to it are not analysed',
      'AWS::SSO::PermissionSet': 'is an IAM Identity Center permission set; its InlinePolicy, managed policies and boundary grant access to every assigned user and are not analysed',
      'AWS::Organizations::Policy': 'is an organization policy (SCP, RCP ...); a change to what it allows or denies is not analysed',
    };
    if (r.type === 'AWS::CloudFormation::StackSet' && this.stackSetTemplate(r)) {
      // Its template is analysed; what each stack instance is given on top of it is not.
      const overrides = props && valueOf(props, 'StackInstancesGroup');
      if (overrides && JSON.stringify(toPlain(overrides)).includes('ParameterOverrides')) {
        report('deploys a stack set whose stack instances override its parameters (ParameterOverrides); the template is analysed with the stack set\'s own parameters, the overrides are not', overrides.loc, `opaque|${r.logicalId}|overrides|${this.definitionDigest(r)}`);
      }
      return;
    }
    if (opaque[r.type]) return report(opaque[r.type], r.keyLoc, `opaque|${r.logicalId}|${this.definitionDigest(r)}`);
    if (r.type.startsWith('Custom::') || r.type === 'AWS::CloudFormation::CustomResource') {
      // A custom resource is code run at deployment: when its properties name policies, roles or IAM ARNs, fail closed.
      let hit: string | undefined;
      const walk = (n: LNode | undefined, depth: number): void => {
        if (!n || hit || depth > 64) return;
        if (n.kind === 'string' && /:iam::|Statement|Polic/.test(n.value)) hit = n.value.length > 80 ? `${n.value.slice(0, 80)}...` : n.value;
        if (n.kind === 'array') n.items.forEach((i) => walk(i, depth + 1));
        if (n.kind === 'object')
          for (const e of n.entries) {
            if (!hit && /Polic|Role|Principal|Permission|Statement/i.test(e.key)) hit = e.key;
            walk(e.value, depth + 1);
          }
      };
      walk(r.props, 0);
      if (hit) report(`is a custom resource whose properties name IAM policies or principals (${hit}); what it grants at deployment is not analysed`, r.keyLoc, `opaque|${r.logicalId}|${this.definitionDigest(r)}`);
    }
  }

  /**
   * A stack set's inline template (TemplateBody), analysed as a template of its own: with the stack set's
   * Parameters, no account or region (it deploys to many), its subjects named `<file>#<StackSet>/<LogicalId>`.
   * False when there is none to read (TemplateURL, a body that is not text, a stack set inside a stack set's template):
   * the caller then reports the stack set as not analysed.
   */
  private stackSetTemplate(r: CfnResource): boolean {
    const raw = r.props ? valueOf(r.props, 'TemplateBody') : undefined;
    if (!raw || stackSetDepth > 0) return false;
    const before = this.cfn.placeholders.length;
    const text = this.cfn.scalar(raw);
    const unknown = this.cfn.placeholders.splice(before).length > 0;
    if (text === undefined || unknown) return false;
    const body = raw.kind === 'string' ? raw : { kind: 'string' as const, value: text, loc: raw.loc };
    const move = innerPositions(body);
    const parsed = parseCfnYaml(text, this.file);
    const parseFindings = parsed.findings.map((f) => (f.location ? { ...f, location: move({ ...f.location, file: this.file }) } : f));
    const pointer = this.pointer(r, 'TemplateBody');
    if (!parsed.root) {
      const { findings } = asStackSets({ path: this.file, status: 'error', format: 'cloudformation', documents: [], findings: parseFindings }, this.file, r.logicalId, pointer);
      this.findings.push(...findings);
      return true;
    }
    const parameters: Record<string, string> = {};
    const list = valueOf(r.props!, 'Parameters');
    for (const p of list?.kind === 'array' ? list.items : []) {
      const key = str(valueOf(p, 'ParameterKey'));
      const valueNode = valueOf(p, 'ParameterValue');
      const at = this.cfn.placeholders.length;
      const value = valueNode ? this.cfn.scalar(valueNode) : undefined;
      if (this.cfn.placeholders.splice(at).length === 0 && key && value !== undefined) parameters[key] = value;
    }
    stackSetDepth++;
    try {
      const inner = extractCloudFormation(this.file, movedTree(parsed.root, move), { partition: this.settings.partition, parameters }, parseFindings);
      const { documents, findings } = asStackSets(inner, this.file, r.logicalId, pointer);
      this.documents.push(...documents);
      this.findings.push(...findings);
    } finally {
      stackSetDepth--;
    }
    return true;
  }

  /**
   * A resource's definition as a short digest: its type and condition, and its properties resolved (a parameter's
   * new default, or another resource's new name, changes what a stack set deploys while its text stays the same).
   */
  private definitionDigest(r: CfnResource): string {
    const before = this.cfn.placeholders.length;
    const props = r.props ? this.cfn.resolve(r.props) : undefined;
    const placeholders = this.cfn.placeholders.splice(before).map((p) => p.expr);
    const condition = str(valueOf(r.node, 'Condition'));
    const plain = { type: r.type, condition, props: props ? toPlain(props) : null, placeholders };
    return createHash('sha256').update(JSON.stringify(plain)).digest('hex').slice(0, 16);
  }

  /** `Fn::Transform` (AWS::Include) inside a resource's Properties splices in text the gate does not have: fail closed. */
  private noteInclude(r: CfnResource): void {
    const seen = new Set<number>();
    const walk = (n: LNode | undefined, depth: number): void => {
      if (!n || depth > 64) return;
      if (n.kind === 'array') return n.items.forEach((i) => walk(i, depth + 1));
      if (n.kind !== 'object') return;
      for (const e of n.entries) {
        if (e.key === 'Fn::Transform' && !seen.has(e.keyLoc.line)) {
          seen.add(e.keyLoc.line);
          const name = str(valueOf(e.value, 'Name')) ?? '?';
          this.findings.push(
            iacFinding('iac-not-analysed', 'medium', `${this.file}:${e.keyLoc.line}: ${r.logicalId} (${r.type}) uses Fn::Transform ${name}, which inserts content at deployment; what it grants is not analysed (run the analysis on the processed template)`, e.keyLoc, `transform|${r.logicalId}|${e.keyLoc.line}`),
          );
        }
        walk(e.value, depth + 1);
      }
    };
    walk(r.props, 0);
  }

  /**
   * ManagedPolicyArns as one node per ARN: `Fn::If` and `AWS::NoValue` expanded (both branches when the condition is
   * not known), any other intrinsic (a list parameter, Fn::Split ...) resolved. A list that cannot be known fails closed.
   */
  private managedArnItems(r: CfnResource, report: boolean): LNode[] {
    const arns = r.props ? valueOf(r.props, 'ManagedPolicyArns') : undefined;
    const out: LNode[] = [];
    if (!arns) return out;
    const fn = (n: LNode, key: string): LNode | undefined => (n.kind === 'object' && n.entries.length === 1 && n.entries[0].key === key ? n.entries[0].value : undefined);
    const noValue = (n: LNode) => str(fn(n, 'Ref')) === 'AWS::NoValue';
    const branches = (n: LNode): LNode[] | undefined => {
      const a = fn(n, 'Fn::If');
      if (a?.kind !== 'array' || a.items.length !== 3 || a.items[0].kind !== 'string') return undefined;
      const c = this.cfn.condition(a.items[0].value, n.loc);
      return c === undefined ? [a.items[1], a.items[2]] : [c ? a.items[1] : a.items[2]];
    };
    const item = (n: LNode): void => {
      if (noValue(n)) return;
      const b = branches(n);
      if (b) return b.forEach(item);
      out.push(n);
    };
    const list = (n: LNode): void => {
      if (noValue(n)) return;
      const b = branches(n);
      if (b) return b.forEach(list);
      if (n.kind === 'array') return n.items.forEach(item);
      const before = this.cfn.placeholders.length;
      const v = this.cfn.resolve(n);
      const unknown = this.cfn.placeholders.slice(before);
      if (!report) this.cfn.placeholders.splice(before);
      if (v?.kind === 'array') out.push(...v.items.filter((i) => !(i.kind === 'string' && i.value === '*')));
      if (!report || (v?.kind === 'array' && unknown.length === 0) || v === undefined) return;
      const why = unknown.length ? `${unknown[0].expr} cannot be resolved (${unknown[0].reason})` : `it is ${describe(v)}, not a list of ARNs`;
      this.findings.push(
        iacFinding('iac-not-analysed', 'medium', `${this.file}:${n.loc.line}: ${r.logicalId} (${r.type}) ManagedPolicyArns: ${why}; the managed policies it attaches are not known, so what they grant is not analysed`, n.loc, `managed-arns|${r.logicalId}`, unknown.length ? { placeholder: unknown[0].expr } : undefined),
      );
    };
    list(arns);
    return out;
  }

  private pointer(r: CfnResource, ...parts: (string | number)[]): string {
    return ['Resources', r.logicalId, 'Properties', ...parts].join('/');
  }

  /** The subject for a role, user or group of this template. */
  private principalSubject(r: CfnResource): SubjectRef {
    const type = PRINCIPAL_TYPES[r.type];
    const before = this.cfn.placeholders.length;
    const nameProp = r.props ? valueOf(r.props, type === 'role' ? 'RoleName' : type === 'user' ? 'UserName' : 'GroupName') : undefined;
    const arn = nameProp ? this.cfn.arnOf(r.logicalId, r.keyLoc) : undefined;
    const exact = this.cfn.placeholders.length === before && this.settings.account !== undefined && arn !== undefined && !arn.includes('{');
    this.cfn.placeholders.splice(before); // a name placeholder matters for the subject, not for a statement
    return exact ? { type, arn, id: arn } : { type, id: `${this.file}#${r.logicalId}` };
  }

  /** A principal named by a Ref to this template, or by its name (outside the template). */
  private namedPrincipal(node: LNode, type: 'role' | 'user' | 'group'): SubjectRef | undefined {
    const logical = this.cfn.referencedResource(node);
    const res = logical ? this.cfn.resource(logical) : undefined;
    if (res && PRINCIPAL_TYPES[res.type]) return this.principalSubject(res);
    const before = this.cfn.placeholders.length;
    const { value, exact } = this.cfn.exactScalar(node);
    const unknown = this.cfn.placeholders.splice(before);
    if (unknown.length) {
      // Each unresolved principal is its own subject: one unknown name never stands for another.
      const expr = unknown.map((p) => p.expr).join(' ');
      const id = `${this.file}#unresolved:${type}:${value && value !== '*' ? `${value} ` : ''}${expr}`;
      const key = `${node.loc.line}:${node.loc.column}|principal|${expr}`;
      if (!this.seenPlaceholders.has(key)) {
        this.seenPlaceholders.add(key);
        const p = unknown[0];
        this.findings.push(
          iacFinding('iac-unresolved', 'low', `${this.file}:${node.loc.line}: ${expr} naming a ${type} cannot be resolved (${p.reason}); it is analysed as its own ${type} (${id})`, node.loc, `principal|${node.loc.line}|${expr}`, { placeholder: expr, analysedAs: id }, id),
        );
      }
      return { type, id };
    }
    if (!value) return undefined;
    const name = value.startsWith('arn:') ? value.split(/[:/]/).pop()! : value;
    if (exact && this.settings.account) {
      const arn = `arn:${this.cfn.partition}:iam::${this.settings.account}:${type}/${name}`;
      return { type, arn, id: arn };
    }
    return { type, id: `${type}/${name}` };
  }

  /** Each membership the template writes: the group (a subject), the user, where it is written, and whether the group is one of this template's. */
  private memberships(live: CfnResource[]): Array<{ group: SubjectRef; user: SubjectRef; groupText: LNode; loc: SourceLocation; r: CfnResource; ours: boolean }> {
    const ours = new Set(live.filter((r) => r.type === 'AWS::IAM::Group').map((r) => this.principalSubject(r).id));
    const out: Array<{ group: SubjectRef; user: SubjectRef; groupText: LNode; loc: SourceLocation; r: CfnResource; ours: boolean }> = [];
    for (const r of live) {
      const props = r.props?.kind === 'object' ? r.props : undefined;
      if (!props) continue;
      if (r.type === 'AWS::IAM::User') {
        const groups = valueOf(props, 'Groups');
        if (!groups) continue;
        const user = this.principalSubject(r);
        for (const g of groups.kind === 'array' ? groups.items : [groups]) {
          const group = this.namedPrincipal(g, 'group');
          if (group) out.push({ group, user, groupText: g, loc: g.loc, r, ours: ours.has(group.id) });
        }
      } else if (r.type === 'AWS::IAM::UserToGroupAddition') {
        const g = valueOf(props, 'GroupName');
        const group = g ? this.namedPrincipal(g, 'group') : undefined;
        const users = valueOf(props, 'Users');
        for (const u of users?.kind === 'array' ? users.items : users ? [users] : []) {
          const user = this.namedPrincipal(u, 'user');
          if (group && user) out.push({ group, user, groupText: g!, loc: r.keyLoc, r, ours: ours.has(group.id) });
        }
      }
    }
    return out;
  }

  /** A user's name as it resolves (`{LogicalId}` when CloudFormation generates it), for identities. */
  private userName(r: CfnResource): string {
    const before = this.cfn.placeholders.length;
    const name = this.cfn.physicalName(r, r.keyLoc);
    const unknown = this.cfn.placeholders.splice(before).map((p) => p.expr);
    return unknown.length ? unknown.join(' ') : name;
  }

  private isOurGroup(group: SubjectRef): boolean {
    return this.cfn.allResources().some((r) => r.type === 'AWS::IAM::Group' && this.exists(r) && this.principalSubject(r).id === group.id);
  }

  private collectMembers(live: CfnResource[]): void {
    for (const m of this.memberships(live)) {
      if (!m.ours) continue;
      const list = this.members.get(m.group.id) ?? [];
      if (!list.some((a) => a.subject.id === m.user.id)) list.push({ subject: m.user, via: m.group.id });
      this.members.set(m.group.id, list);
    }
  }

  private listedPrincipals(r: CfnResource): Attachment[] {
    const out: Attachment[] = [];
    for (const [prop, type] of [['Roles', 'role'], ['Users', 'user'], ['Groups', 'group']] as const) {
      const list = r.props ? valueOf(r.props, prop) : undefined;
      for (const item of list?.kind === 'array' ? list.items : []) {
        const s = this.namedPrincipal(item, type);
        if (s) out.push({ subject: s, via: `${prop}` });
      }
    }
    return out;
  }

  /** Managed policy logical id -> principals attaching it (its own lists and principals' ManagedPolicyArns). */
  private managedAttachments(live: CfnResource[]): Map<string, Attachment[]> {
    const map = new Map<string, Attachment[]>();
    const add = (id: string, a: Attachment) => {
      const list = map.get(id) ?? [];
      if (!list.some((x) => x.subject.id === a.subject.id)) list.push(a);
      map.set(id, list);
    };
    for (const r of live) {
      if (r.type === 'AWS::IAM::ManagedPolicy') for (const a of this.listedPrincipals(r)) add(r.logicalId, a);
      if (!PRINCIPAL_TYPES[r.type] || !r.props) continue;
      for (const item of this.managedArnItems(r, false)) {
        const target = this.cfn.referencedResource(item);
        if (target && this.cfn.resource(target)?.type === 'AWS::IAM::ManagedPolicy') add(target, { subject: this.principalSubject(r), via: `${r.logicalId}.ManagedPolicyArns` });
      }
    }
    return map;
  }

  private principal(r: CfnResource): void {
    if (!r.props) return;
    const subject = this.principalSubject(r);
    const type = PRINCIPAL_TYPES[r.type];
    if (type === 'role') {
      const trust = valueOf(r.props, 'AssumeRolePolicyDocument');
      if (trust) this.add(trust, { pointer: this.pointer(r, 'AssumeRolePolicyDocument'), label: `${r.logicalId} trust policy`, kind: 'trust', subject });
    }
    const inline = valueOf(r.props, 'Policies');
    const limit = type === 'role' ? SIZE.roleInline : type === 'user' ? SIZE.userInline : SIZE.groupInline;
    const before = this.cfn.placeholders.length;
    const items = inline ? this.cfn.resolve(inline) : undefined;
    const found = this.cfn.placeholders.slice(before);
    if (items && items.kind !== 'array') {
      this.findings.push(iacFinding('parse-error', 'high', `${this.file}:${items.loc.line}: ${r.logicalId} (${r.type}): Policies is ${describe(items)}, not a list of policies; they could not be read`, items.loc, `policies|${r.logicalId}`));
    }
    if (items?.kind === 'array') {
      items.items.forEach((p, i) => {
        if (p.kind !== 'object') {
          this.findings.push(iacFinding('parse-error', 'high', `${this.file}:${p.loc.line}: ${r.logicalId} (${r.type}): Policies[${i}] is ${describe(p)}, not a mapping with PolicyName and PolicyDocument`, p.loc, `policies|${r.logicalId}|${i}`));
          return;
        }
        const doc = valueOf(p, 'PolicyDocument');
        const name = str(valueOf(p, 'PolicyName')) ?? `#${i}`;
        if (!doc) return this.missingDocument(r, `an inline policy (Policies[${i}] ${name}) without a PolicyDocument`, p.loc);
        // A placeholder inside no policy item (a resource's name property, a condition) may be in any of them.
        const inside = (x: Placeholder, q: LNode) => x.loc.line >= q.loc.line && x.loc.line <= (q.loc.endLine ?? q.loc.line);
        const mine = found.filter((x) => inside(x, p) || !items.items.some((q) => inside(x, q)));
        this.addResolved(doc, { pointer: this.pointer(r, 'Policies', i, 'PolicyDocument'), label: `${r.logicalId} inline policy ${name}`, kind: 'identity', subject, sizeLimit: limit }, mine);
      });
    }
    this.managedArnItems(r, true).forEach((item, i) => this.externalManaged(r, item, subject, 'identity', this.pointer(r, 'ManagedPolicyArns', i)));
    const boundary = valueOf(r.props, 'PermissionsBoundary');
    if (boundary) this.externalManaged(r, boundary, subject, 'boundary', this.pointer(r, 'PermissionsBoundary'));
  }

  /** A managed policy ARN on a principal: this template's policy is attached elsewhere; AWS-managed ones are expanded or reported. */
  private externalManaged(r: CfnResource, item: LNode, subject: SubjectRef, kind: PolicyKind, pointer: string): void {
    const target = this.cfn.referencedResource(item);
    const targetRes = target ? this.cfn.resource(target) : undefined;
    if (targetRes?.type === 'AWS::IAM::ManagedPolicy') {
      if (kind === 'boundary') {
        const doc = targetRes.props ? valueOf(targetRes.props, 'PolicyDocument') : undefined;
        if (doc) this.add(doc, { pointer: this.pointer(targetRes, 'PolicyDocument'), label: `${target} as permissions boundary of ${r.logicalId}`, kind: 'boundary', subject, idSuffix: `boundary@${subject.id}` });
      }
      return; // identity attachment handled with the policy resource
    }
    const before = this.cfn.placeholders.length;
    const arn = this.cfn.scalar(item) ?? '?';
    const placeholders = this.cfn.placeholders.slice(before);
    const name = awsManagedName(arn);
    const known = name ? AWS_MANAGED_POLICIES[name] : undefined;
    if (known && placeholders.length === 0) {
      this.addResolved(fromPlain(known, item.loc), { pointer, label: `${r.logicalId} ${kind === 'boundary' ? 'permissions boundary' : 'managed policy'} ${name} (AWS managed)`, kind, subject, quiet: true }, []);
      return;
    }
    const what = kind === 'boundary' ? 'permissions boundary' : 'managed policy';
    const why = placeholders.length ? `its ARN is not known (${placeholders[0].expr})` : name ? 'it is an AWS-managed policy whose content the gate does not carry' : 'its content is not in this template';
    // An unresolved ARN is named by its expression, so two different unknown ARNs never count as the same attachment.
    const shown = placeholders.length ? `${arn === '*' ? '' : `${arn} `}(unresolved: ${placeholders.map((p) => p.expr).join(' ')})` : arn;
    this.findings.push(
      iacFinding('iac-external-policy', 'medium', `${this.file}:${item.loc.line}: ${r.logicalId} attaches ${what} ${shown}; ${why}, so what it grants is not analysed`, item.loc, `${r.logicalId}|${shown}`, { arn: shown, kind }, subject.id),
    );
    // Its members get it too: one finding each, so a user who joins the group in this change fails closed for it.
    if (kind === 'identity' && subject.type === 'group') {
      for (const m of this.members.get(subject.id) ?? []) {
        this.findings.push(
          iacFinding('iac-external-policy', 'medium', `${this.file}:${item.loc.line}: ${r.logicalId} attaches ${what} ${shown} to its member ${m.subject.id}; ${why}, so what it grants is not analysed`, item.loc, `${r.logicalId}|${shown}|member|${m.subject.id}`, { arn: shown, kind }, m.subject.id),
        );
      }
    }
  }

  private policyResource(r: CfnResource, attached: Attachment[], sizeLimit: number): void {
    const doc = r.props ? valueOf(r.props, 'PolicyDocument') : undefined;
    if (!doc) return this.missingDocument(r, 'no PolicyDocument', r.props?.loc ?? r.keyLoc);
    const name = str(r.props && valueOf(r.props, 'PolicyName')) ?? str(r.props && valueOf(r.props, 'ManagedPolicyName')) ?? r.logicalId;
    const pointer = this.pointer(r, 'PolicyDocument');
    if (attached.length === 0) {
      const subject: SubjectRef = { type: 'unbound', id: `${this.file}#${r.logicalId} (unattached)` };
      this.findings.push(
        iacFinding('iac-unattached', 'info', `${this.file}:${r.keyLoc.line}: ${r.logicalId} (${r.type}) is attached to no role, user or group in this template; it is analysed on its own`, r.keyLoc, `unattached|${r.logicalId}`, undefined, subject.id),
      );
      this.add(doc, { pointer, label: `${r.logicalId} (${name}, unattached)`, kind: 'identity', subject, sizeLimit });
      return;
    }
    // One document per principal: the same statements count toward each principal's permissions.
    this.add(doc, { pointer, label: `${r.logicalId} (${name})`, kind: 'identity', subject: attached[0].subject, sizeLimit }, attached.slice(1));
  }

  private singlePrincipalPolicy(r: CfnResource): void {
    const [prop, type, limit] =
      r.type === 'AWS::IAM::RolePolicy' ? (['RoleName', 'role', SIZE.roleInline] as const) : r.type === 'AWS::IAM::UserPolicy' ? (['UserName', 'user', SIZE.userInline] as const) : (['GroupName', 'group', SIZE.groupInline] as const);
    const target = r.props ? valueOf(r.props, prop) : undefined;
    const subject = target ? this.namedPrincipal(target, type) : undefined;
    this.policyResource(r, subject ? [{ subject, via: prop }] : [], limit);
  }

  private bucketPolicy(r: CfnResource): void {
    const doc = r.props ? valueOf(r.props, 'PolicyDocument') : undefined;
    const bucket = r.props ? valueOf(r.props, 'Bucket') : undefined;
    if (!doc) return this.missingDocument(r, 'no PolicyDocument', r.props?.loc ?? r.keyLoc);
    let subject: SubjectRef = { type: 'bucket', id: `${this.file}#${r.logicalId}` };
    if (bucket) {
      const logical = this.cfn.referencedResource(bucket);
      const res = logical ? this.cfn.resource(logical) : undefined;
      const before = this.cfn.placeholders.length;
      const name = res?.type === 'AWS::S3::Bucket' ? this.cfn.physicalName(res, bucket.loc) : this.cfn.scalar(bucket);
      const exact = this.cfn.placeholders.length === before && name !== undefined && !/[{*]/.test(name);
      this.cfn.placeholders.splice(before);
      if (exact) subject = { type: 'bucket', arn: `arn:${this.cfn.partition}:s3:::${name}`, id: `arn:${this.cfn.partition}:s3:::${name}` };
      else if (logical) subject = { type: 'bucket', id: `${this.file}#${logical}` };
    }
    this.add(doc, { pointer: this.pointer(r, 'PolicyDocument'), label: `${r.logicalId} bucket policy`, kind: 'bucket', subject });
  }

  /** The subject for a resource of this template: its ARN when exactly known, else `<file>#<LogicalId>`. */
  private resourceSubjectOf(res: CfnResource, loc: SourceLocation): SubjectRef {
    const fallback = `${this.file}#${res.logicalId}`;
    // A secret's ARN ends in a suffix Secrets Manager generates: never known from the template.
    if (res.type === 'AWS::SecretsManager::Secret') return { type: 'resource', id: fallback };
    const before = this.cfn.placeholders.length;
    const arn = this.cfn.arnOf(res.logicalId, loc);
    const clean = this.cfn.placeholders.length === before;
    this.cfn.placeholders.splice(before); // a name placeholder matters for the subject, not for a statement
    return resourceSubject(clean && this.settings.account !== undefined ? arn : undefined, fallback);
  }

  /** The subject a value naming a resource (a Ref to this template, an ARN, a queue URL) stands for. */
  private namedResource(node: LNode, type: string, fallback: string): SubjectRef {
    const logical = this.cfn.referencedResource(node);
    const res = logical ? this.cfn.resource(logical) : undefined;
    if (res && res.type === type) return this.resourceSubjectOf(res, node.loc);
    const before = this.cfn.placeholders.length;
    const value = this.cfn.scalar(node);
    const clean = this.cfn.placeholders.length === before && value !== undefined;
    this.cfn.placeholders.splice(before);
    const arn = value && type === 'AWS::SQS::Queue' && !value.startsWith('arn:') ? sqsQueueArnFromUrl(value, this.cfn.partition) : value;
    if (clean && arn && isExactArn(arn)) return { type: 'resource', arn, id: arn };
    if (clean && arn && arn.startsWith('arn:') && !arn.includes('*')) return { type: 'resource', id: arn }; // stand-ins: one fixed value
    return { type: 'resource', id: logical ? `${this.file}#${logical}` : fallback };
  }

  /** The resources a policy resource governs (Queues, Topics, SecretId), one subject each; none when unnamed. */
  private policyTargets(r: CfnResource, prop: string, list: boolean, type: string): SubjectRef[] {
    const raw = r.props ? valueOf(r.props, prop) : undefined;
    if (!raw) return [];
    let items: LNode[];
    if (!list || raw.kind === 'array') items = list ? (raw as { items: LNode[] }).items : [raw];
    else {
      const before = this.cfn.placeholders.length;
      const v = this.cfn.resolve(raw);
      this.cfn.placeholders.splice(before);
      items = v?.kind === 'array' ? v.items : v ? [v] : [];
    }
    const out: SubjectRef[] = [];
    items.forEach((item, i) => {
      const s = this.namedResource(item, type, `${this.file}#${r.logicalId}${items.length > 1 ? `[${i}]` : ''}`);
      if (!out.some((x) => x.id === s.id)) out.push(s);
    });
    return out;
  }

  /** A resource policy of another service (KMS, SQS, SNS, OpenSearch, ...): kind resource, bound to the resource. */
  private resourcePolicy(r: CfnResource, spec: CfnResourcePolicySpec, item?: PolicyItem): void {
    const found = this.policyProperty(item ? { ...r, props: item.props } : r, spec);
    const where = [...(item?.path ?? []), ...spec.doc.split('/')];
    if (found.text) {
      const what = where.slice(0, -1).join('.');
      this.findings.push(iacFinding('iac-not-analysed', 'medium', `${this.file}:${found.text.line}: ${r.logicalId} (${r.type}): ${what} is text that names ${where[where.length - 1]}; a policy inside text is not analysed (write ${what} as a mapping)`, found.text, `text|${r.logicalId}|${where.join('/')}`));
      return;
    }
    if (!found.doc) {
      // A key or repository without a policy has the service's default one; a policy resource must carry one.
      if (found.missing || spec.targets || spec.required) this.missingDocument(r, `no ${where.join('.')}`, found.missing ?? r.props?.loc ?? r.keyLoc);
      return;
    }
    const bound = item?.subject ?? this.resourceSubjectOf(r, r.keyLoc);
    const own = spec.subjectSuffix ? { type: 'resource' as const, id: `${item?.id ?? `${this.file}#${r.logicalId}`}${spec.subjectSuffix}` } : bound;
    const targets = spec.targets ? this.policyTargets(r, spec.targets.prop, spec.targets.list, spec.targets.type) : [own];
    const [first, ...rest] = targets.length ? targets : [{ type: 'resource' as const, id: `${this.file}#${r.logicalId}` }];
    const before = this.findings.length;
    const apiArn = `arn:${this.cfn.partition}:execute-api:${this.cfn.region}:${this.cfn.account}:{${r.logicalId}}`;
    const meta: DocMeta = {
      pointer: this.pointer(r, ...where),
      label: `${r.logicalId} ${spec.what}${item ? ` (${item.name})` : ''}`,
      kind: 'resource',
      subject: first,
      ...(spec.sizeLimit ? { sizeLimit: spec.sizeLimit } : {}),
      ...(spec.executeApi ? { rewrite: (n: LNode) => expandExecuteApi(n, apiArn) } : {}),
    };
    const more = rest.map((subject) => ({ subject, via: spec.targets?.prop ?? spec.doc }));
    if (found.placeholders) this.addResolved(found.doc, meta, found.placeholders, more);
    else this.add(found.doc, meta, more);
    if (r.type === 'AWS::ECR::Repository') dropImpliedResourceFindings(this.findings, before);
  }

  /**
   * A REST API whose OpenAPI definition is in S3 (BodyS3Location) and whose Policy is not set: an API policy in that
   * definition (x-amazon-apigateway-policy) cannot be read here, so it is iac-not-analysed (fails closed). The
   * finding names the location: the pipeline drops it when base read the same one (unchangedOpaque), so only a
   * change that adds the API, moves its definition or removes its Policy is reported.
   */
  private openApiInS3(r: CfnResource): void {
    const node = r.props ? valueOf(r.props, 'BodyS3Location') : undefined;
    if (!node || valueOf(r.props!, 'Policy')) return;
    const before = this.cfn.placeholders.length;
    const resolved = this.cfn.resolve(node);
    this.cfn.placeholders.splice(before);
    const where = resolved ? JSON.stringify(toPlain(resolved)) : 'none';
    this.findings.push(
      iacFinding('iac-not-analysed', 'medium', `${this.file}:${node.loc.line}: ${r.logicalId} (${r.type}): its OpenAPI definition is read from S3 (BodyS3Location) and Policy is not set, so an API policy in that definition (x-amazon-apigateway-policy) is not analysed; set Policy in the template, or review the definition and waive this finding`, node.loc, `openapi-s3|${r.logicalId}|${where}`),
    );
  }

  /**
   * A global table's replicas: each may carry a table policy and a stream policy, bound to that replica (the table's
   * ARN in the replica's Region when its name, the account and the Region are known, else `<file>#<LogicalId>[<Region>]`;
   * a replica's stream as `<file>#<LogicalId>[<Region>].StreamArn`). A list or replica written as an intrinsic
   * (`!If`) is resolved like any value; one that cannot be known fails closed.
   */
  private globalTableReplicas(r: CfnResource): void {
    const raw = r.props ? valueOf(r.props, 'Replicas') : undefined;
    if (!raw) return;
    const list = this.resolvedNode(raw);
    if (list === undefined) return; // AWS::NoValue
    if (list.kind !== 'array') {
      this.findings.push(iacFinding('iac-not-analysed', 'medium', `${this.file}:${raw.loc.line}: ${r.logicalId} (${r.type}): Replicas is ${describe(list)}, not a list; the replicas' resource policies are not analysed`, raw.loc, `replicas|${r.logicalId}`));
      return;
    }
    list.items.forEach((raw, i) => {
      const item = this.resolvedNode(raw);
      if (item === undefined) return;
      if (item.kind !== 'object') {
        this.findings.push(iacFinding('iac-not-analysed', 'medium', `${this.file}:${raw.loc.line}: ${r.logicalId} (${r.type}): Replicas[${i}] is ${describe(item)}, not a mapping; its resource policies are not analysed`, raw.loc, `replica|${r.logicalId}|${i}`));
        return;
      }
      const before = this.cfn.placeholders.length;
      const regionNode = valueOf(item, 'Region');
      const region = regionNode ? this.cfn.scalar(regionNode) : undefined;
      const regionClean = this.cfn.placeholders.length === before && region !== undefined && /^[a-z0-9-]+$/.test(region);
      const table = this.cfn.physicalName(r, r.keyLoc);
      const clean = regionClean && this.cfn.placeholders.length === before;
      this.cfn.placeholders.splice(before); // as for any resource's name: it matters for the subject, not for a statement
      const name = regionClean ? region : `Replicas[${i}]`;
      const arn = clean && this.settings.account !== undefined ? `arn:${this.cfn.partition}:dynamodb:${region}:${this.cfn.account}:table/${table}` : undefined;
      const id = `${this.file}#${r.logicalId}[${name}]`;
      for (const spec of GLOBAL_TABLE_REPLICA_POLICIES) this.resourcePolicy(r, spec, { props: item, path: ['Replicas', i], name, subject: resourceSubject(arn, id), id });
    });
  }

  /** A node with an intrinsic at its top resolved (its placeholders dropped: they matter where values are read). */
  private resolvedNode(n: LNode): LNode | undefined {
    if (n.kind !== 'object' || n.entries.length !== 1 || !/^(Fn::|Ref$)/.test(n.entries[0].key)) return n;
    const before = this.cfn.placeholders.length;
    const v = this.cfn.resolve(n);
    this.cfn.placeholders.splice(before);
    return v;
  }

  /**
   * The document a spec names. Nested under wrappers (DynamoDB's ResourcePolicy/PolicyDocument), a wrapper written
   * as an intrinsic (`!If`) is resolved: the document then comes resolved, with its placeholders. `missing`: a
   * wrapper is there but the document is not.
   */
  private policyProperty(r: CfnResource, spec: CfnResourcePolicySpec): { doc?: LNode; placeholders?: Placeholder[]; missing?: SourceLocation; text?: SourceLocation } {
    const path = spec.doc.split('/');
    let node = r.props;
    let placeholders: Placeholder[] | undefined;
    for (const [i, key] of path.entries()) {
      if (!node) return {};
      if (i > 0 && node.kind === 'object' && node.entries.length === 1 && /^(Fn::|Ref$)/.test(node.entries[0].key)) {
        const before = this.cfn.placeholders.length;
        node = this.cfn.resolve(node);
        placeholders = [...(placeholders ?? []), ...this.cfn.placeholders.slice(before)];
        if (!node) return {}; // AWS::NoValue
      }
      // A wrapper given as text (an OpenAPI Body as a JSON or YAML string, !Sub'd): the policy in it is not read here.
      if (i > 0 && node.kind === 'string' && node.value.includes(key)) return { text: node.loc };
      const next = valueOf(node, key);
      if (!next && i > 0 && i === path.length - 1 && !spec.optional) return { missing: node.loc };
      node = next;
    }
    return { doc: node, placeholders };
  }

  /**
   * A resource a permission names (a Ref or GetAtt to this template's `type`, else a value `toArn` makes an ARN):
   * the ARN for the statement and the subject, `<file>#<LogicalId>` of the permission when it is not known.
   */
  private permissionTarget(r: CfnResource, node: LNode | undefined, type: string, toArn: (value: string) => string): { arn: string; subject: SubjectRef; placeholders: Placeholder[] } {
    const before = this.cfn.placeholders.length;
    const logical = node && this.cfn.referencedResource(node);
    const res = logical ? this.cfn.resource(logical) : undefined;
    if (node && res?.type === type) {
      const arn = this.cfn.arnOf(res.logicalId, node.loc);
      return { arn, subject: this.resourceSubjectOf(res, node.loc), placeholders: this.cfn.placeholders.splice(before) };
    }
    const value = node ? (this.cfn.scalar(node) ?? this.cfn.unknown(node.loc, r.logicalId, 'the resource it names is not a string')) : toArn('');
    const placeholders = this.cfn.placeholders.splice(before);
    const arn = node ? toArn(value) : value;
    const known = placeholders.length === 0 && arn.startsWith('arn:') && !arn.includes('*');
    const subject: SubjectRef = !known ? { type: 'resource', id: `${this.file}#${r.logicalId}` } : isExactArn(arn) ? { type: 'resource', arn, id: arn } : { type: 'resource', id: arn };
    return { arn, subject, placeholders };
  }

  /** A property of a permission as one located value, resolved; `*` (and iac-unresolved) when it is not a scalar. */
  private permissionText(props: LNode, prop: string): LocatedText | undefined {
    const n = valueOf(props, prop);
    if (!n) return undefined;
    const v = this.cfn.resolve(n);
    if (v === undefined) return undefined; // AWS::NoValue
    const value = v.kind === 'string' ? v.value : v.kind === 'number' || v.kind === 'boolean' ? String(v.value) : this.cfn.unknown(n.loc, prop, `${prop} is ${describe(v)}, not a single value`);
    return { value, loc: n.loc };
  }

  /** AWS::Lambda::LayerVersionPermission: one statement of the layer version's policy, synthesised as one. */
  private layerPermission(r: CfnResource): void {
    const props = r.props;
    const missing = ['LayerVersionArn', 'Principal', 'Action'].filter((k) => !props || !valueOf(props, k));
    if (!props || missing.length) return this.missingDocument(r, `no ${missing.join(', ')}`, props?.loc ?? r.keyLoc);
    const layerNode = valueOf(props, 'LayerVersionArn')!;
    const layer = this.permissionTarget(r, layerNode, 'AWS::Lambda::LayerVersion', (v) => v);
    const before = this.cfn.placeholders.length;
    const principal = this.permissionText(props, 'Principal') ?? { value: '*', loc: valueOf(props, 'Principal')!.loc };
    const policy = oneStatementPolicy({
      loc: r.keyLoc,
      principal: { ...lambdaPrincipal(principal.value, this.cfn.partition), loc: principal.loc },
      action: this.permissionText(props, 'Action') ?? { value: '*', loc: valueOf(props, 'Action')!.loc },
      resource: { value: layer.arn, loc: layerNode.loc },
      conditions: [['StringEquals', 'aws:PrincipalOrgID', this.permissionText(props, 'OrganizationId')]],
    });
    const placeholders = [...layer.placeholders, ...this.cfn.placeholders.slice(before)];
    this.addResolved(policy, { pointer: this.pointer(r), label: `${r.logicalId} layer permission`, kind: 'resource', subject: layer.subject }, placeholders);
  }

  /** AWS::Events::EventBusPolicy: one statement of the bus policy, written out (`Statement`) or as PutPermission's fields. */
  private eventBusPolicy(r: CfnResource): void {
    const props = r.props;
    const { partition, region, account } = this.cfn;
    const busNode = props ? valueOf(props, 'EventBusName') : undefined;
    const bus = this.permissionTarget(r, busNode, 'AWS::Events::EventBus', (v) => (v.startsWith('arn:') ? v : `arn:${partition}:events:${region}:${account}:event-bus/${v || 'default'}`));
    const meta: DocMeta = { pointer: this.pointer(r), label: `${r.logicalId} event bus policy`, kind: 'resource', subject: bus.subject };
    const before = this.cfn.placeholders.length;
    const sid = props ? this.permissionText(props, 'StatementId') : undefined;
    const stmtNode = props ? valueOf(props, 'Statement') : undefined;
    if (props && stmtNode) {
      // Resolved as a policy's only statement, so an undecided Fn::If in it is read once per branch.
      const loc = stmtNode.loc;
      const lit = (value: string): LNode => ({ kind: 'string', value, loc });
      const wrapped = this.cfn.resolve({ kind: 'object', loc, entries: [{ key: 'Statement', keyLoc: loc, value: { kind: 'array', items: [stmtNode], loc } }] });
      const list = wrapped && valueOf(wrapped, 'Statement');
      const items = (list?.kind === 'array' ? list.items : []).map((st) => (st.kind === 'string' ? parseLocatedJson(st.value, { file: this.file, mapPosition: () => ({ line: loc.line, column: loc.column }) }).root : st));
      if (items.length === 0 || items.some((st) => st?.kind !== 'object')) return this.missingDocument(r, 'a Statement that is not one statement object', loc);
      // PutPermission names the statement by StatementId.
      const stmts = items.length === 1 && sid && !valueOf(items[0]!, 'Sid') ? [{ ...items[0]!, entries: [{ key: 'Sid', keyLoc: sid.loc, value: lit(sid.value) }, ...(items[0] as { entries: LEntry[] }).entries] } as LNode] : (items as LNode[]);
      const policy: LNode = { kind: 'object', loc, entries: [{ key: 'Version', keyLoc: loc, value: lit('2012-10-17') }, { key: 'Statement', keyLoc: loc, value: { kind: 'array', items: stmts, loc } }] };
      return this.addResolved(policy, meta, [...bus.placeholders, ...this.cfn.placeholders.slice(before)]);
    }
    const missing = ['Principal', 'Action'].filter((k) => !props || !valueOf(props, k));
    if (!props || missing.length) return this.missingDocument(r, `no Statement, and no ${missing.join(', ')}`, props?.loc ?? r.keyLoc);
    const principal = this.permissionText(props, 'Principal') ?? { value: '*', loc: valueOf(props, 'Principal')!.loc };
    const condNode = valueOf(props, 'Condition');
    const cond = condNode ? this.cfn.resolve(condNode) : undefined;
    const field = (k: string): LocatedText | undefined => {
      const v = cond ? valueOf(cond, k) : undefined;
      return v && (v.kind === 'string' || v.kind === 'number') ? { value: String(v.value), loc: v.loc } : undefined;
    };
    const policy = oneStatementPolicy({
      loc: r.keyLoc,
      sid: sid?.value,
      principal: { ...lambdaPrincipal(principal.value, partition), loc: principal.loc },
      action: this.permissionText(props, 'Action') ?? { value: '*', loc: valueOf(props, 'Action')!.loc },
      resource: { value: bus.arn, loc: busNode?.loc ?? r.keyLoc },
      conditions: cond ? [[field('Type')?.value ?? 'StringEquals', field('Key')?.value ?? '?', field('Value') ?? { value: '*', loc: cond.loc }]] : [],
    });
    this.addResolved(policy, meta, [...bus.placeholders, ...this.cfn.placeholders.slice(before)]);
  }

  /** The function a Lambda permission names: its (qualified) ARN for the statement, the function for the subject. */
  private lambdaFunction(r: CfnResource, node: LNode, depth = 0): { arn: string; subject: SubjectRef; placeholders: Placeholder[] } {
    const env = { partition: this.cfn.partition, region: this.cfn.region, account: this.cfn.account };
    const logical = this.cfn.referencedResource(node);
    const res = logical ? this.cfn.resource(logical) : undefined;
    if (res?.type === 'AWS::Lambda::Function') {
      const before = this.cfn.placeholders.length;
      const arn = this.cfn.arnOf(res.logicalId, node.loc);
      const placeholders = this.cfn.placeholders.splice(before);
      return { arn, subject: this.resourceSubjectOf(res, node.loc), placeholders };
    }
    if ((res?.type === 'AWS::Lambda::Alias' || res?.type === 'AWS::Lambda::Version') && depth < 4) {
      const target = res.props ? valueOf(res.props, 'FunctionName') : undefined;
      if (target) {
        const fn = this.lambdaFunction(r, target, depth + 1);
        const nameNode = res.type === 'AWS::Lambda::Alias' && res.props ? valueOf(res.props, 'Name') : undefined;
        const qualifier = nameNode ? this.cfn.scalar(nameNode) : undefined;
        const base = fn.arn === '*' ? '*' : lambdaFunctionArn(fn.arn, env).functionArn;
        return { ...fn, arn: base === '*' ? '*' : `${base}:${qualifier ?? `{${res.logicalId}.Version}`}` };
      }
    }
    const before = this.cfn.placeholders.length;
    const value = this.cfn.scalar(node) ?? this.cfn.unknown(node.loc, 'FunctionName', 'the function name is not a string');
    const placeholders = this.cfn.placeholders.splice(before);
    if (value === '*') return { arn: '*', subject: { type: 'resource', id: `${this.file}#${r.logicalId}` }, placeholders };
    const { arn, functionArn } = lambdaFunctionArn(value, env);
    if (placeholders.length) return { arn, subject: { type: 'resource', id: `${this.file}#${r.logicalId}` }, placeholders };
    return { arn, subject: isExactArn(functionArn) ? { type: 'resource', arn: functionArn, id: functionArn } : { type: 'resource', id: functionArn }, placeholders };
  }

  /** AWS::Lambda::Permission: not a document, but one statement of the function's policy; synthesised as one. */
  private lambdaPermission(r: CfnResource): void {
    const props = r.props;
    const fnNode = props ? valueOf(props, 'FunctionName') : undefined;
    const principalNode = props ? valueOf(props, 'Principal') : undefined;
    const actionNode = props ? valueOf(props, 'Action') : undefined;
    if (!props || !fnNode || !principalNode || !actionNode) {
      const missing = ['FunctionName', 'Principal', 'Action'].filter((k) => !props || !valueOf(props, k));
      return this.missingDocument(r, `no ${missing.join(', ')}`, props?.loc ?? r.keyLoc);
    }
    const fn = this.lambdaFunction(r, fnNode);
    const before = this.cfn.placeholders.length;
    const text = (prop: string) => this.permissionText(props, prop);
    const principal = text('Principal') ?? { value: '*', loc: principalNode.loc };
    const action = text('Action') ?? { value: '*', loc: actionNode.loc };
    const policy = lambdaPermissionPolicy({
      loc: r.keyLoc,
      partition: this.cfn.partition,
      principal,
      action,
      resource: { value: fn.arn, loc: fnNode.loc },
      sourceAccount: text('SourceAccount'),
      sourceArn: text('SourceArn'),
      principalOrgId: text('PrincipalOrgID'),
      functionUrlAuthType: text('FunctionUrlAuthType'),
      eventSourceToken: text('EventSourceToken'),
    });
    const placeholders = [...fn.placeholders, ...this.cfn.placeholders.slice(before)];
    this.addResolved(policy, { pointer: this.pointer(r), label: `${r.logicalId} Lambda permission`, kind: 'resource', subject: fn.subject }, placeholders);
  }

  private add(node: LNode, meta: DocMeta, more: Attachment[] = []): void {
    const before = this.cfn.placeholders.length;
    const resolved = this.cfn.resolve(node);
    const placeholders = this.cfn.placeholders.slice(before);
    if (!resolved) return;
    this.addResolved(resolved, meta, placeholders, more);
  }

  private addResolved(value: LNode, meta: DocMeta, placeholders: Placeholder[], more: Attachment[] = []): void {
    let node: LNode | undefined = value;
    if (value.kind === 'string') {
      // A PolicyDocument may be given as JSON text; positions inside it all point at the string.
      const here = { line: value.loc.line, column: value.loc.column };
      const parsed = parseLocatedJson(value.value, { file: this.file, mapPosition: () => here });
      node = parsed.root;
      if (!node) {
        this.findings.push(iacFinding('parse-error', 'high', `${this.file}:${value.loc.line}: ${meta.label}: the policy text is not valid JSON`, value.loc, `json|${meta.pointer}`));
        return;
      }
    }
    if (meta.rewrite) node = meta.rewrite(node);
    for (const p of placeholders) this.placeholderFinding(p, meta);
    const targets: Array<{ subject: SubjectRef; suffix?: string; group?: string }> = [{ subject: meta.subject, suffix: meta.idSuffix }, ...more.map((a) => ({ subject: a.subject, suffix: `@${a.subject.id}` }))];
    // A group's identity policies apply to its members too (each analysed for the user, labelled with the group).
    if (meta.kind === 'identity') {
      for (const t of [...targets]) {
        if (t.subject.type !== 'group') continue;
        for (const m of this.members.get(t.subject.id) ?? []) {
          if (!targets.some((x) => x.subject.id === m.subject.id)) targets.push({ subject: m.subject, suffix: `member@${m.subject.id}`, group: t.subject.id });
        }
      }
    }
    targets.forEach((t, i) => {
      const built = documentFromValue(node!, {
        file: this.file,
        pointer: meta.pointer,
        label: t.group ? `${meta.label} (via group ${t.group})` : meta.label,
        kindHint: meta.kind,
        subjectHint: t.subject,
        ...(meta.sizeLimit ? { sizeLimit: meta.sizeLimit } : {}),
        validate: i === 0 && !meta.quiet, // grammar findings once per document, not once per principal
      });
      if (i === 0) this.findings.push(...built.findings);
      if (!built.document) return;
      if (t.suffix) built.document.id = `${built.document.id}#${t.suffix}`;
      this.documents.push(built.document);
    });
  }

  private placeholderFinding(p: Placeholder, meta: DocMeta): void {
    const key = `${p.loc.line}:${p.loc.column}|${p.expr}`;
    if (this.seenPlaceholders.has(key)) return;
    this.seenPlaceholders.add(key);
    this.findings.push(
      iacFinding(
        'iac-unresolved',
        'low',
        `${this.file}:${p.loc.line}: ${p.expr} in ${meta.label} cannot be resolved (${p.reason}); ${p.analysedAs ? `${p.analysedAs} is analysed (either may apply)` : 'it is analysed as "*" (could be anything)'}`,
        p.loc,
        `${meta.pointer}|${p.expr}`,
        { placeholder: p.expr, analysedAs: p.analysedAs ?? '*' },
      ),
    );
  }
}

interface DocMeta {
  pointer: string;
  label: string;
  kind: PolicyKind;
  subject: SubjectRef;
  sizeLimit?: number;
  idSuffix?: string;
  /** AWS's own document (an AWS-managed policy): analysed, never judged (no quota or grammar findings). */
  quiet?: boolean;
  /** Applied to the document once read (API Gateway's `execute-api:/` resources). */
  rewrite?: (n: LNode) => LNode;
}

