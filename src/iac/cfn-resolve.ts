// CloudFormation intrinsic functions, resolved offline on the located tree.
// What can be known is resolved (parameters with values or defaults, pseudo parameters, mappings, conditions,
// references to resources of the same template); what cannot becomes "*" ("could be anything") and is recorded
// as a placeholder, so the analysis is conservative and the report says why.
import type { Finding, SourceLocation } from '../model.js';
import { toPlain, valueOf, type LEntry, type LNode } from '../policies/located.js';
import { iacFinding } from './findings.js';

export interface CfnSettings {
  account?: string;
  region?: string;
  partition?: string;
  /** Template parameter values (config `cloudformation.parameters`). */
  parameters?: Record<string, string>;
}

/** Stand-ins for pseudo parameters without a configured value: one fixed (unknown) value per stack. */
export const PSEUDO_PLACEHOLDERS = { account: '{AccountId}', region: '{Region}', stackName: '{StackName}' } as const;
/** A stand-in for a value the stack fixes but the template does not say (a pseudo parameter, a generated name). */
const STAND_IN = /\{[A-Za-z][A-Za-z0-9.]*\}/;

/** A value that could not be resolved and is analysed as "*". */
export interface Placeholder {
  loc: SourceLocation;
  /** The expression, e.g. `${cfn:Ref(BucketParam)}`. */
  expr: string;
  reason: string;
  /** How the value is analysed when not as "*" (an `Fn::If` on an unknown condition: each branch). */
  analysedAs?: string;
}

export interface CfnResource {
  logicalId: string;
  type: string;
  node: LNode;
  props?: LNode;
  keyLoc: SourceLocation;
}

const NO_VALUE = Symbol('AWS::NoValue');
type Resolved = LNode | typeof NO_VALUE;

const UNKNOWN = '*';
const MAX_DEPTH = 64;
/** Conditions forked at once for one list item (2^n readings of it); past that the first branch is read. */
const MAX_FORKED = 6;

interface ArnRule {
  /** The property naming the physical resource. */
  name?: string;
  arn: (name: string, env: { p: string; r: string; a: string; props?: LNode; self: CfnResolver; id: string }) => string;
  /** What Ref returns: the name (default) or the ARN. */
  ref?: 'name' | 'arn' | ((name: string, env: { p: string; r: string; a: string }) => string);
  /** Another attribute that returns the ARN (`Arn` always does). */
  arnAttr?: string;
  /** Attributes that return the property of the same name. */
  propAttrs?: string[];
}

/** A property of the resource, resolved (CodeArtifact repositories name their domain and its owner). */
const prop = (e: { props?: LNode; self: CfnResolver; id: string }, name: string, dflt = `{${e.id}.${name}}`): string => {
  const v = e.props ? valueOf(e.props, name) : undefined;
  return (v && e.self.scalar(v)) ?? dflt;
};

const iamPath = (props: LNode | undefined, self: CfnResolver): string => {
  const p = props ? valueOf(props, 'Path') : undefined;
  const s = p ? self.scalar(p) : undefined;
  return s && s.startsWith('/') ? s : '/';
};

/** ARN synthesis for the types policies usually name; others get a generic `arn:<p>:<service>:<r>:<a>:{LogicalId}`. */
const ARN_RULES: Readonly<Record<string, ArnRule>> = {
  'AWS::S3::Bucket': { name: 'BucketName', arn: (n, e) => `arn:${e.p}:s3:::${n}` },
  'AWS::IAM::Role': { name: 'RoleName', arn: (n, e) => `arn:${e.p}:iam::${e.a}:role${iamPath(e.props, e.self)}${n}` },
  'AWS::IAM::User': { name: 'UserName', arn: (n, e) => `arn:${e.p}:iam::${e.a}:user${iamPath(e.props, e.self)}${n}` },
  'AWS::IAM::Group': { name: 'GroupName', arn: (n, e) => `arn:${e.p}:iam::${e.a}:group${iamPath(e.props, e.self)}${n}` },
  'AWS::IAM::ManagedPolicy': { name: 'ManagedPolicyName', arn: (n, e) => `arn:${e.p}:iam::${e.a}:policy${iamPath(e.props, e.self)}${n}`, ref: 'arn' },
  'AWS::IAM::InstanceProfile': { name: 'InstanceProfileName', arn: (n, e) => `arn:${e.p}:iam::${e.a}:instance-profile${iamPath(e.props, e.self)}${n}` },
  'AWS::SQS::Queue': { name: 'QueueName', arn: (n, e) => `arn:${e.p}:sqs:${e.r}:${e.a}:${n}`, ref: (n, e) => `https://sqs.${e.r}.amazonaws.com/${e.a}/${n}` },
  'AWS::SNS::Topic': { name: 'TopicName', arn: (n, e) => `arn:${e.p}:sns:${e.r}:${e.a}:${n}`, ref: 'arn' },
  'AWS::DynamoDB::Table': { name: 'TableName', arn: (n, e) => `arn:${e.p}:dynamodb:${e.r}:${e.a}:table/${n}` },
  'AWS::DynamoDB::GlobalTable': { name: 'TableName', arn: (n, e) => `arn:${e.p}:dynamodb:${e.r}:${e.a}:table/${n}` },
  'AWS::Lambda::Function': { name: 'FunctionName', arn: (n, e) => `arn:${e.p}:lambda:${e.r}:${e.a}:function:${n}` },
  'AWS::KMS::Key': { arn: (n, e) => `arn:${e.p}:kms:${e.r}:${e.a}:key/${n}` },
  'AWS::SecretsManager::Secret': { name: 'Name', arn: (n, e) => `arn:${e.p}:secretsmanager:${e.r}:${e.a}:secret:${n}`, ref: 'arn' },
  'AWS::Logs::LogGroup': { name: 'LogGroupName', arn: (n, e) => `arn:${e.p}:logs:${e.r}:${e.a}:log-group:${n}:*` },
  'AWS::Kinesis::Stream': { name: 'Name', arn: (n, e) => `arn:${e.p}:kinesis:${e.r}:${e.a}:stream/${n}` },
  'AWS::ECR::Repository': { name: 'RepositoryName', arn: (n, e) => `arn:${e.p}:ecr:${e.r}:${e.a}:repository/${n}` },
  'AWS::StepFunctions::StateMachine': { name: 'StateMachineName', arn: (n, e) => `arn:${e.p}:states:${e.r}:${e.a}:stateMachine:${n}`, ref: 'arn' },
  'AWS::SSM::Parameter': { name: 'Name', arn: (n, e) => `arn:${e.p}:ssm:${e.r}:${e.a}:parameter/${n.replace(/^\//, '')}` },
  'AWS::Events::EventBus': { name: 'Name', arn: (n, e) => `arn:${e.p}:events:${e.r}:${e.a}:event-bus/${n}` },
  'AWS::OpenSearchService::Domain': { name: 'DomainName', arn: (n, e) => `arn:${e.p}:es:${e.r}:${e.a}:domain/${n}`, arnAttr: 'DomainArn' },
  'AWS::Elasticsearch::Domain': { name: 'DomainName', arn: (n, e) => `arn:${e.p}:es:${e.r}:${e.a}:domain/${n}`, arnAttr: 'DomainArn' },
  'AWS::Backup::BackupVault': { name: 'BackupVaultName', arn: (n, e) => `arn:${e.p}:backup:${e.r}:${e.a}:backup-vault:${n}`, arnAttr: 'BackupVaultArn' },
  'AWS::S3::AccessPoint': { name: 'Name', arn: (n, e) => `arn:${e.p}:s3:${e.r}:${e.a}:accesspoint/${n}` },
  'AWS::EFS::FileSystem': { arn: (n, e) => `arn:${e.p}:elasticfilesystem:${e.r}:${e.a}:file-system/${n}` },
  'AWS::CodeArtifact::Domain': { name: 'DomainName', arn: (n, e) => `arn:${e.p}:codeartifact:${e.r}:${e.a}:domain/${n}`, ref: 'arn' },
  'AWS::CodeArtifact::Repository': { name: 'RepositoryName', arn: (n, e) => `arn:${e.p}:codeartifact:${e.r}:${prop(e, 'DomainOwner', e.a)}:repository/${prop(e, 'DomainName')}/${n}`, ref: 'arn', propAttrs: ['DomainName'] },
  'AWS::Lambda::LayerVersion': { name: 'LayerName', arn: (n, e) => `arn:${e.p}:lambda:${e.r}:${e.a}:layer:${n}:{${e.id}.Version}`, ref: 'arn' },
};

const isCustom = (type: string) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

export class CfnResolver {
  readonly placeholders: Placeholder[] = [];
  readonly errors: Finding[] = [];
  private readonly parameters = new Map<string, LNode>();
  private readonly conditions = new Map<string, LNode>();
  private readonly resources = new Map<string, CfnResource>();
  private readonly mappings?: LNode;
  private readonly active: string[] = [];
  private readonly conditionCache = new Map<string, boolean | undefined>();
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  private depth = 0;
  /** Undecidable conditions whose `Fn::If` branches (mappings) must be read one at a time. */
  private pendingForks: string[] = [];
  /** The branch taken for a forked condition while one reading is resolved. */
  private readonly forced = new Map<string, boolean>();

  constructor(
    readonly file: string,
    template: LNode,
    private readonly settings: CfnSettings = {},
  ) {
    const section = (name: string) => {
      const s = valueOf(template, name);
      return s?.kind === 'object' ? s.entries : [];
    };
    for (const e of section('Parameters')) this.parameters.set(e.key, e.value);
    for (const e of section('Conditions')) this.conditions.set(e.key, e.value);
    for (const e of section('Resources')) {
      const type = valueOf(e.value, 'Type');
      const props = valueOf(e.value, 'Properties');
      this.resources.set(e.key, { logicalId: e.key, type: type?.kind === 'string' ? type.value : '', node: e.value, props, keyLoc: e.keyLoc });
    }
    const m = valueOf(template, 'Mappings');
    if (m?.kind === 'object') this.mappings = m;
    this.partition = settings.partition ?? 'aws';
    this.account = settings.account ?? PSEUDO_PLACEHOLDERS.account;
    this.region = settings.region ?? PSEUDO_PLACEHOLDERS.region;
  }

  resource(logicalId: string): CfnResource | undefined {
    return this.resources.get(logicalId);
  }

  allResources(): CfnResource[] {
    return [...this.resources.values()];
  }

  /** Resolve a subtree; undefined when it is AWS::NoValue. */
  resolve(node: LNode): LNode | undefined {
    const variants = this.readings(node);
    if (variants.length <= 1) return variants[0];
    return combine(variants);
  }

  /**
   * Every reading of a node: an `Fn::If` on an unknown condition whose branches are mappings (a Principal, a
   * statement, a Condition block) cannot be merged into one value, so the node is resolved once per branch.
   */
  private readings(node: LNode): LNode[] {
    const saved = this.pendingForks;
    this.pendingForks = [];
    const v = this.value(node);
    const pending = this.pendingForks.filter((n) => !this.forced.has(n));
    this.pendingForks = saved;
    const first = v === NO_VALUE ? [] : [v];
    if (pending.length === 0 || this.forced.size >= MAX_FORKED) return first;
    const name = pending[0];
    const groups: LNode[][] = [];
    for (const choice of [true, false]) {
      this.forced.set(name, choice);
      try {
        groups.push(this.readings(node));
      } finally {
        this.forced.delete(name);
      }
    }
    return [...groups[0], ...distinctSids(groups[0], groups[1], `${name}=false`)];
  }

  /** A scalar's text after resolution, or undefined when it is not a scalar. */
  scalar(node: LNode): string | undefined {
    const r = this.value(node);
    if (r === NO_VALUE) return undefined;
    if (r.kind === 'string') return r.value;
    if (r.kind === 'number' || r.kind === 'boolean') return String(r.value);
    return undefined;
  }

  /**
   * Like scalar(), and whether it resolved without any placeholder or stand-in: `{Region}`, `{AccountId}`,
   * `{StackName}` and `{LogicalId}` names are one fixed value of the stack, but not a known one, so a condition
   * comparing them (`!Equals [!Ref AWS::Region, eu-west-1]`) is undecided, never false.
   */
  exactScalar(node: LNode): { value?: string; exact: boolean } {
    const before = this.placeholders.length;
    const value = this.scalar(node);
    return { value, exact: this.placeholders.length === before && value !== undefined && !STAND_IN.test(value) };
  }

  /** The logical id a `Ref`/`GetAtt`/plain value points at, when it points at a resource of this template. */
  referencedResource(node: LNode): string | undefined {
    if (node.kind !== 'object' || node.entries.length !== 1) return undefined;
    const [e] = node.entries;
    if (e.key === 'Ref' && e.value.kind === 'string' && this.resources.has(e.value.value)) return e.value.value;
    if (e.key === 'Fn::GetAtt') {
      const first = e.value.kind === 'array' ? e.value.items[0] : undefined;
      if (first?.kind === 'string' && this.resources.has(first.value)) return first.value;
    }
    if (e.key === 'Fn::Sub' && e.value.kind === 'string') {
      const m = /^\$\{([A-Za-z0-9]+)(\.Arn)?\}$/.exec(e.value.value);
      if (m && this.resources.has(m[1])) return m[1];
    }
    return undefined;
  }

  /** A condition's value: true, false, or undefined when it depends on something unknown. */
  condition(name: string, loc: SourceLocation): boolean | undefined {
    if (this.conditionCache.has(name)) return this.conditionCache.get(name);
    const node = this.conditions.get(name);
    if (!node) {
      this.unknown(loc, `Condition(${name})`, 'the template defines no such condition');
      return undefined;
    }
    const key = `condition ${name}`;
    if (!this.enter(key, loc)) return undefined;
    const v = this.truth(node);
    this.leave();
    this.conditionCache.set(name, v);
    return v;
  }

  /** ARN of a resource of this template, synthesised from its name property (or a stand-in for a generated name). */
  arnOf(logicalId: string, loc: SourceLocation): string {
    const res = this.resources.get(logicalId)!;
    if (isCustom(res.type)) return this.unknown(loc, `GetAtt(${logicalId}.Arn)`, `${res.type} is a custom resource; its attributes are known only after deployment`);
    const rule = ARN_RULES[res.type];
    const name = this.physicalName(res, loc);
    const env = { p: this.partition, r: this.region, a: this.account, props: res.props, self: this, id: res.logicalId };
    if (rule) return rule.arn(name, env);
    const service = (res.type.split('::')[1] ?? 'unknown').toLowerCase();
    return `arn:${this.partition}:${service}:${this.region}:${this.account}:${name}`;
  }

  /** The physical name: the resolved name property, or `{LogicalId}` for a name CloudFormation generates. */
  physicalName(res: CfnResource, loc: SourceLocation): string {
    const rule = ARN_RULES[res.type];
    const prop = rule?.name && res.props ? valueOf(res.props, rule.name) : undefined;
    if (!prop) return `{${res.logicalId}}`;
    if (!this.enter(`resource ${res.logicalId}`, loc)) return UNKNOWN;
    const name = this.scalar(prop);
    this.leave();
    return name ?? `{${res.logicalId}}`;
  }

  private refValue(res: CfnResource, loc: SourceLocation): string {
    const rule = ARN_RULES[res.type];
    if (isCustom(res.type)) return this.unknown(loc, `Ref(${res.logicalId})`, `${res.type} is a custom resource; its value is known only after deployment`);
    if (rule?.ref === 'arn') return this.arnOf(res.logicalId, loc);
    const name = this.physicalName(res, loc);
    if (typeof rule?.ref === 'function') return rule.ref(name, { p: this.partition, r: this.region, a: this.account });
    return name;
  }

  private enter(key: string, loc: SourceLocation): boolean {
    if (this.active.includes(key)) {
      const cycle = [...this.active.slice(this.active.indexOf(key)), key].join(' → ');
      const f = iacFinding('parse-error', 'high', `${loc.file}:${loc.line}: circular reference: ${cycle}; the value is analysed as "*"`, loc, `cycle|${cycle}`, { cycle });
      if (!this.errors.some((e) => e.identity === f.identity)) this.errors.push(f); // a value read once per Fn::If branch meets it again
      return false;
    }
    this.active.push(key);
    return true;
  }

  private leave(): void {
    this.active.pop();
  }

  /** Record a placeholder and return "*". */
  unknown(loc: SourceLocation, expr: string, reason: string): string {
    this.placeholders.push({ loc: { file: loc.file, line: loc.line, column: loc.column }, expr: `\${cfn:${expr}}`, reason });
    return UNKNOWN;
  }

  private str(value: string, loc: SourceLocation): LNode {
    return { kind: 'string', value, loc };
  }

  private value(node: LNode): Resolved {
    if (++this.depth > MAX_DEPTH) {
      this.depth--;
      return this.str(this.unknown(node.loc, 'nested', `intrinsic functions nest deeper than ${MAX_DEPTH} levels`), node.loc);
    }
    try {
      return this.valueInner(node);
    } finally {
      this.depth--;
    }
  }

  private valueInner(node: LNode): Resolved {
    switch (node.kind) {
      case 'string':
        return node.value.includes('{{resolve:') ? this.str(this.dynamicRefs(node.value, node.loc), node.loc) : node;
      case 'array':
        return { kind: 'array', items: this.list(node.items), loc: node.loc };
      case 'object': {
        if (node.entries.length === 1 && isIntrinsic(node.entries[0])) return this.intrinsic(node.entries[0], node.loc);
        const entries: LEntry[] = [];
        for (const e of node.entries) {
          const v = this.value(e.value);
          if (v !== NO_VALUE) entries.push({ key: e.key, keyLoc: e.keyLoc, value: v });
        }
        return { kind: 'object', entries, loc: node.loc };
      }
      default:
        return node;
    }
  }

  /** Items of a list; an `Fn::If` on an unknown condition contributes both branches (it may be either). */
  private list(items: LNode[]): LNode[] {
    const out: LNode[] = [];
    for (const item of items) {
      const iff = item.kind === 'object' && item.entries.length === 1 && item.entries[0].key === 'Fn::If' ? item.entries[0].value : undefined;
      if (iff?.kind === 'array' && iff.items.length === 3 && iff.items[0].kind === 'string') {
        const c = this.condition(iff.items[0].value, item.loc);
        const branches = c === undefined ? [iff.items[1], iff.items[2]] : [c ? iff.items[1] : iff.items[2]];
        for (const b of branches) out.push(...this.readings(b));
        continue;
      }
      out.push(...this.readings(item));
    }
    return out;
  }

  private dynamicRefs(text: string, loc: SourceLocation): string {
    return text.replace(/\{\{resolve:[^}]*\}\}/g, (m) => this.unknown(loc, m.slice(2, -2), 'a dynamic reference is read from SSM or Secrets Manager at deployment'));
  }

  private intrinsic(e: LEntry, loc: SourceLocation): Resolved {
    const arg = e.value;
    const args = arg.kind === 'array' ? arg.items : [arg];
    switch (e.key) {
      case 'Ref':
        return arg.kind === 'string' ? this.ref(arg.value, loc) : this.str(this.unknown(loc, 'Ref(?)', 'Ref takes a name'), loc);
      case 'Fn::GetAtt': {
        const [target, attr] = args;
        const attrText = attr ? this.scalar(attr) : undefined;
        if (target?.kind !== 'string' || attrText === undefined) return this.str(this.unknown(loc, 'GetAtt(?)', 'GetAtt takes a resource and an attribute'), loc);
        return this.str(this.getAtt(target.value, attrText, loc), loc);
      }
      case 'Fn::Sub':
        return this.str(this.sub(args[0], args[1], loc), loc);
      case 'Fn::Join': {
        const delim = args[0] ? this.scalar(args[0]) : undefined;
        const list = args[1] ? this.value(args[1]) : NO_VALUE;
        if (delim === undefined || list === NO_VALUE || list.kind !== 'array') return this.str(this.unknown(loc, 'Join', 'the list to join is not known'), loc);
        return this.str(list.items.map((i) => scalarOf(i) ?? this.unknown(i.loc, 'Join item', 'a joined item is not a string')).join(delim), loc);
      }
      case 'Fn::Select': {
        const index = args[0] ? Number(this.scalar(args[0])) : NaN;
        const list = args[1] ? this.value(args[1]) : NO_VALUE;
        if (list !== NO_VALUE && list.kind === 'array' && Number.isInteger(index) && index >= 0 && index < list.items.length) return list.items[index];
        return this.str(this.unknown(loc, 'Select', 'the index or list is not known'), loc);
      }
      case 'Fn::Split': {
        const delim = args[0] ? this.scalar(args[0]) : undefined;
        const text = args[1] ? this.scalar(args[1]) : undefined;
        if (!delim || text === undefined) return { kind: 'array', items: [this.str(this.unknown(loc, 'Split', 'the string to split is not known'), loc)], loc };
        return { kind: 'array', items: text.split(delim).map((s) => this.str(s, loc)), loc };
      }
      case 'Fn::If': {
        const name = args[0]?.kind === 'string' ? args[0].value : undefined;
        if (!name || args.length !== 3) return this.str(this.unknown(loc, 'If', 'malformed Fn::If'), loc);
        const c = this.condition(name, loc);
        if (c !== undefined) return this.value(c ? args[1] : args[2]);
        const forced = this.forced.get(name);
        if (forced !== undefined) return this.value(forced ? args[1] : args[2]);
        const a = this.value(args[1]);
        const b = this.value(args[2]);
        const present = [a, b].filter((x): x is LNode => x !== NO_VALUE);
        if (present.length === 0) return NO_VALUE;
        // Either branch may apply: a list of both is the union IAM would allow at most (statements, policies, names).
        if (a !== NO_VALUE && b !== NO_VALUE && a.kind === 'array' && b.kind === 'array') return { kind: 'array', items: [...a.items, ...distinctSids(a.items, b.items, `${name}=false`)], loc };
        if (present.length === 1 && present[0].kind === 'array') return present[0];
        const flat = present.flatMap((x) => (x.kind === 'array' ? x.items : [x]));
        if (flat.every((x) => x.kind === 'string')) return present.length === 1 ? present[0] : { kind: 'array', items: flat, loc };
        // Mappings (a Principal, a statement, a Condition block) or a value against AWS::NoValue: the enclosing
        // list item (or the whole document) is read once per branch.
        if (!this.pendingForks.includes(name)) this.pendingForks.push(name);
        if (this.forced.size < MAX_FORKED) {
          this.placeholders.push({ loc: { file: loc.file, line: loc.line, column: loc.column }, expr: `\${cfn:If(${name})}`, reason: `condition ${name} is not known`, analysedAs: 'each branch' });
        } else {
          this.unknown(loc, `If(${name})`, `condition ${name} is not known and too many conditions are undecided here; only the first branch is analysed`);
        }
        return a === NO_VALUE ? b : a;
      }
      case 'Fn::FindInMap':
        return this.findInMap(args, loc);
      case 'Fn::ImportValue': {
        const what = args[0] ? this.scalar(args[0]) : '?';
        return this.str(this.unknown(loc, `ImportValue(${what})`, 'an export of another stack is known only in the account'), loc);
      }
      case 'Fn::Base64':
        return args[0] ? this.value(args[0]) : NO_VALUE;
      case 'Fn::ToJsonString': {
        const v = args[0] ? this.value(args[0]) : NO_VALUE;
        return this.str(v === NO_VALUE ? '' : JSON.stringify(toPlain(v)), loc);
      }
      case 'Fn::Length': {
        const v = args[0] ? this.value(args[0]) : NO_VALUE;
        return v !== NO_VALUE && v.kind === 'array' ? { kind: 'number', value: v.items.length, loc } : this.str(this.unknown(loc, 'Length', 'the list is not known'), loc);
      }
      case 'Fn::GetAZs':
        return { kind: 'array', items: [this.str(this.unknown(loc, 'GetAZs', 'availability zones are known only in the account'), loc)], loc };
      case 'Fn::Unknown':
        return this.str(UNKNOWN, loc); // the parser has reported the unknown tag
      case 'Condition': {
        const name = arg.kind === 'string' ? arg.value : '?';
        const c = this.condition(name, loc);
        return c === undefined ? this.str(this.unknown(loc, `Condition(${name})`, 'the condition is not known'), loc) : { kind: 'boolean', value: c, loc };
      }
      default:
        return this.str(this.unknown(loc, e.key, `${e.key} is not evaluated offline`), loc);
    }
  }

  private ref(name: string, loc: SourceLocation): Resolved {
    switch (name) {
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::AccountId':
        return this.str(this.account, loc);
      case 'AWS::Region':
        return this.str(this.region, loc);
      case 'AWS::Partition':
        return this.str(this.partition, loc);
      case 'AWS::URLSuffix':
        return this.str(this.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com', loc);
      case 'AWS::StackName':
        return this.str(PSEUDO_PLACEHOLDERS.stackName, loc);
      case 'AWS::StackId':
        return this.str(`arn:${this.partition}:cloudformation:${this.region}:${this.account}:stack/${PSEUDO_PLACEHOLDERS.stackName}/{StackId}`, loc);
      case 'AWS::NotificationARNs':
        return { kind: 'array', items: [this.str(this.unknown(loc, 'Ref(AWS::NotificationARNs)', 'set at deployment'), loc)], loc };
    }
    const param = this.parameters.get(name);
    if (param) return this.parameter(name, param, loc);
    const res = this.resources.get(name);
    if (res) return this.str(this.refValue(res, loc), loc);
    return this.str(this.unknown(loc, `Ref(${name})`, 'the template defines no such parameter or resource'), loc);
  }

  private parameter(name: string, def: LNode, loc: SourceLocation): Resolved {
    const typeNode = valueOf(def, 'Type');
    const type = typeNode?.kind === 'string' ? typeNode.value : 'String';
    const configured = this.settings.parameters?.[name];
    const dflt = valueOf(def, 'Default');
    const ssm = type.startsWith('AWS::SSM::Parameter::Value');
    let text: string | undefined = configured;
    if (text === undefined && dflt && !ssm) text = scalarOf(dflt);
    if (text === undefined) {
      const reason = ssm ? 'an SSM parameter type is read at deployment (set its value in the config)' : 'a template parameter without a value in the config or a default';
      return this.str(this.unknown(loc, `Ref(${name})`, reason), loc);
    }
    if (type.startsWith('List<') || type === 'CommaDelimitedList') return { kind: 'array', items: text.split(',').map((s) => this.str(s.trim(), loc)), loc };
    return this.str(text, loc);
  }

  private getAtt(logicalId: string, attr: string, loc: SourceLocation): string {
    const res = this.resources.get(logicalId);
    if (!res) return this.unknown(loc, `GetAtt(${logicalId}.${attr})`, 'the template defines no such resource');
    if (isCustom(res.type)) return this.unknown(loc, `GetAtt(${logicalId}.${attr})`, `${res.type} is a custom resource; its attributes are known only after deployment`);
    if (attr === 'Arn' || attr === ARN_RULES[res.type]?.arnAttr) return this.arnOf(logicalId, loc);
    if (ARN_RULES[res.type]?.propAttrs?.includes(attr)) return prop({ props: res.props, self: this, id: logicalId }, attr);
    if (res.type === 'AWS::SQS::Queue' && attr === 'QueueName') return this.physicalName(res, loc);
    if (res.type === 'AWS::S3::Bucket' && attr === 'DomainName') return `${this.physicalName(res, loc)}.s3.amazonaws.com`;
    if (/Name$/.test(attr) && ARN_RULES[res.type]?.name) return this.physicalName(res, loc);
    // Any other attribute of a resource of this stack is one fixed value: an opaque stand-in.
    return `{${logicalId}.${attr}}`;
  }

  private sub(template: LNode | undefined, vars: LNode | undefined, loc: SourceLocation): string {
    const text = template ? this.scalar(template) : undefined;
    if (text === undefined) return this.unknown(loc, 'Sub', 'the template string is not known');
    const locals = new Map<string, LNode>();
    if (vars?.kind === 'object') for (const e of vars.entries) locals.set(e.key, e.value);
    const out = text.replace(/\$\{([^}]*)\}/g, (whole, body: string) => {
      if (body.startsWith('!')) return '${' + body.slice(1) + '}';
      const name = body.trim();
      const local = locals.get(name);
      if (local) return this.scalar(local) ?? this.unknown(loc, `Sub(${name})`, 'the variable is not a string');
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::') && this.resources.has(name.slice(0, dot))) return this.getAtt(name.slice(0, dot), name.slice(dot + 1), loc);
      const v = this.ref(name, loc);
      if (v === NO_VALUE) return '';
      return scalarOf(v) ?? this.unknown(loc, `Sub(${name})`, 'a list cannot be substituted into a string');
    });
    return out.includes('{{resolve:') ? this.dynamicRefs(out, loc) : out;
  }

  private findInMap(args: LNode[], loc: SourceLocation): Resolved {
    const keys = args.slice(0, 3).map((a) => this.scalar(a));
    const dflt = args[3] ? valueOf(args[3], 'DefaultValue') : undefined;
    let node: LNode | undefined = this.mappings;
    for (const k of keys) node = node && k !== undefined && k !== UNKNOWN ? valueOf(node, k) : undefined;
    if (node) return this.value(node);
    if (dflt) return this.value(dflt);
    return this.str(this.unknown(loc, `FindInMap(${keys.map((k) => k ?? '?').join(', ')})`, 'the mapping entry is not known'), loc);
  }

  /** Three-valued truth of a condition expression. */
  private truth(node: LNode): boolean | undefined {
    if (node.kind === 'boolean') return node.value;
    if (node.kind === 'string') return node.value === 'true' ? true : node.value === 'false' ? false : undefined;
    if (node.kind !== 'object' || node.entries.length !== 1) return undefined;
    const [e] = node.entries;
    const args = e.value.kind === 'array' ? e.value.items : [e.value];
    switch (e.key) {
      case 'Fn::Equals': {
        if (args.length !== 2) return undefined;
        const [a, b] = args.map((x) => this.exactScalar(x));
        return a.exact && b.exact ? a.value === b.value : undefined;
      }
      case 'Fn::Not': {
        const v = args[0] ? this.truth(args[0]) : undefined;
        return v === undefined ? undefined : !v;
      }
      case 'Fn::And': {
        const vs = args.map((a) => this.truth(a));
        return vs.includes(false) ? false : vs.includes(undefined) ? undefined : true;
      }
      case 'Fn::Or': {
        const vs = args.map((a) => this.truth(a));
        return vs.includes(true) ? true : vs.includes(undefined) ? undefined : false;
      }
      case 'Condition':
        return e.value.kind === 'string' ? this.condition(e.value.value, node.loc) : undefined;
      default:
        return undefined;
    }
  }
}

/** `Condition` is a function only with a name (a statement's Condition block is an object). */
function isIntrinsic(e: LEntry): boolean {
  return e.key === 'Ref' || e.key.startsWith('Fn::') || (e.key === 'Condition' && e.value.kind === 'string');
}

/**
 * Statements of another reading of the same list, their Sids made distinct from the first reading's (a statement read
 * once per branch keeps its Sid in the first reading and gets `Sid[Cond=false]` in the second).
 */
function distinctSids(first: LNode[], second: LNode[], tag: string): LNode[] {
  const sidOf = (n: LNode): string | undefined => {
    const s = n.kind === 'object' ? valueOf(n, 'Sid') : undefined;
    return s?.kind === 'string' && s.value !== '' ? s.value : undefined;
  };
  const taken = new Set(first.map(sidOf).filter((s): s is string => s !== undefined));
  return second.map((n) => {
    const sid = sidOf(n);
    if (sid === undefined || !taken.has(sid) || n.kind !== 'object') return n;
    let renamed = `${sid}[${tag}]`;
    for (let i = 2; taken.has(renamed); i++) renamed = `${sid}[${tag}]${i}`;
    taken.add(renamed);
    return { ...n, entries: n.entries.map((e) => (e.key === 'Sid' ? { ...e, value: { kind: 'string' as const, value: renamed, loc: e.value.loc } } : e)) };
  });
}

/** Readings of one value merged: lists joined, documents' statements joined; otherwise the first reading. */
function combine(variants: LNode[]): LNode {
  const [first] = variants;
  if (variants.every((v) => v.kind === 'array')) return { kind: 'array', items: variants.flatMap((v) => (v as { items: LNode[] }).items), loc: first.loc };
  if (first.kind === 'object' && variants.every((v) => v.kind === 'object')) {
    const asList = (n: LNode | undefined): LNode[] => (n === undefined ? [] : n.kind === 'array' ? n.items : [n]);
    const statements = variants.reduce<LNode[]>((acc, v, i) => [...acc, ...distinctSids(acc, asList(valueOf(v, 'Statement')), `reading${i + 1}`)], []);
    const entries: LEntry[] = first.entries.filter((e) => e.key !== 'Statement');
    const stmtEntry = variants.flatMap((v) => (v.kind === 'object' ? v.entries : [])).find((e) => e.key === 'Statement');
    if (stmtEntry) entries.push({ key: 'Statement', keyLoc: stmtEntry.keyLoc, value: { kind: 'array', items: statements, loc: stmtEntry.value.loc } });
    return { kind: 'object', entries, loc: first.loc };
  }
  return first;
}

function scalarOf(n: LNode): string | undefined {
  if (n.kind === 'string') return n.value;
  if (n.kind === 'number' || n.kind === 'boolean') return String(n.value);
  return undefined;
}
