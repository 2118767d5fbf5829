// Terraform plan JSON (`terraform show -json <plan>`) -> policy documents. One plan holds both sides:
// `change.before` is the base, `change.after` the head. Values unknown until apply are said so, never guessed.
import type { ExtractedFile, Finding, PolicyDocument, PolicyKind, SourceLocation, SubjectRef } from '../model.js';
import { documentFromValue } from '../policies/document.js';
import { embeddedStringMapper, parseLocatedJson } from '../policies/json-located.js';
import { fromPlain, movedTree, toPlain, valueOf, type LNode } from '../policies/located.js';
import { AWS_MANAGED_POLICIES, awsManagedName } from './aws-managed.js';
import { accessKeyFinding, at, exposureFinding, iacFinding, PUBLIC_ACLS } from './findings.js';
import { keyValue, parseModulePath } from './tf-address.js';
import { lineWithin, moduleDirOf, type TfSourceIndex } from './tf-sources.js';
import { dropImpliedResourceFindings, expandExecuteApi, isExactArn, lambdaFunctionArn, lambdaPermissionPolicy, lambdaPrincipal, oneStatementPolicy, resourceSubject, sqsQueueArnFromUrl, type LocatedText } from './resource-policies.js';
import { OWN_POLICIES, RESOURCE_POLICY_RESOURCES } from './resource-policy-types.js';
import { parseCfnYaml } from './cfn-yaml.js';

export type PlanSide = 'base' | 'head';

export interface TfPlanOptions {
  side: PlanSide;
  /** .tf declarations in the repository, to point findings at source lines. */
  sources?: TfSourceIndex;
}

/** `format_version` values whose resource_changes shape this reader knows. */
const SUPPORTED_FORMAT = /^(0\.[12]|1\.\d+)$/;
const SIZE = { inline: 10240, managed: 6144, trust: 2048, bucket: 20480 };

type Plain = Record<string, unknown>;

interface Change {
  address: string;
  moduleAddress: string;
  type: string;
  name: string;
  index?: unknown;
  mode: string;
  node: LNode;
  before?: LNode;
  after?: LNode;
  afterUnknown: unknown;
  /** change.actions includes "create" (a create, or a replacement): computed attributes are unknown anyway. */
  creates: boolean;
  /** change.actions includes create, update or delete (not a no-op or read). */
  changes: boolean;
}

export function isTerraformPlan(root: LNode): boolean {
  if (root.kind !== 'object') return false;
  const fv = valueOf(root, 'format_version');
  return fv !== undefined && (valueOf(root, 'resource_changes') !== undefined || valueOf(root, 'planned_values') !== undefined || valueOf(root, 'terraform_version') !== undefined);
}

const str = (n: LNode | undefined): string | undefined => (n?.kind === 'string' ? n.value : undefined);

export function extractTerraformPlan(path: string, text: string, root: LNode, opts: TfPlanOptions): ExtractedFile {
  const fv = valueOf(root, 'format_version')!;
  const refused = (ruleId: string, loc: SourceLocation, message: string, what: string): ExtractedFile => ({
    path,
    status: 'error',
    format: 'terraform-plan',
    documents: [],
    findings: [iacFinding(ruleId, 'high', `${path}:${loc.line}:${loc.column}: ${message}`, loc, what)],
  });
  if (fv.kind !== 'string') {
    // JSON.stringify, not String: String() throws on an object without a prototype (found by fuzzing).
    const shown = JSON.stringify(toPlain(fv)) ?? '?';
    return refused('parse-error', startLoc(fv.loc), `Terraform plan format_version is ${kindOf(fv)} (${shown.slice(0, 40)}), not a version string such as "1.2"; no policy in it was analysed`, `format|${fv.kind}`);
  }
  if (!SUPPORTED_FORMAT.test(fv.value)) {
    return refused('parse-error', startLoc(fv.loc), `Terraform plan format_version "${fv.value}" is not supported (supported: 0.1, 0.2, 1.x); no policy in it was analysed`, `format|${fv.value}`);
  }
  const errored = valueOf(root, 'errored');
  if (errored && !(errored.kind === 'boolean' && !errored.value)) {
    // The plan stopped before it completed: what it would grant is unknown, so it cannot pass.
    return errored.kind === 'boolean'
      ? refused('unsupported-file', startLoc(errored.loc), 'the Terraform plan is marked "errored": true (planning failed before it completed), so what it grants is unknown; fix the errors reported by terraform plan and gate the completed plan', 'errored')
      : refused('parse-error', startLoc(errored.loc), `Terraform plan "errored" is ${kindOf(errored)}, not true or false; no policy in it was analysed`, 'errored-type');
  }
  const changes = valueOf(root, 'resource_changes');
  if (changes === undefined && valueOf(root, 'values') !== undefined) {
    return { path, status: 'error', format: 'terraform-plan', documents: [], findings: [iacFinding('parse-error', 'high', `${path}:1: this is Terraform state JSON, not a plan: run terraform show -json on a saved plan`, at(path), 'state')] };
  }
  // Absent or null means "no changes" (Terraform omits the key); anything else but a list is not a plan we can read.
  if (changes && changes.kind !== 'array' && changes.kind !== 'null') {
    return refused('parse-error', startLoc(changes.loc), `Terraform plan resource_changes is ${kindOf(changes)}, not a list of resource changes; no policy in it was analysed`, 'resource-changes');
  }
  const reader = new PlanReader(path, text, root, opts);
  reader.run();
  return { path, status: 'policy', format: 'terraform-plan', documents: reader.documents, findings: reader.findings };
}

function startLoc(loc: SourceLocation): SourceLocation {
  return { file: loc.file, line: loc.line, column: loc.column };
}

class PlanReader {
  readonly documents: PolicyDocument[] = [];
  readonly findings: Finding[] = [];
  private readonly changes: Change[] = [];
  private readonly byAddress = new Map<string, Change>();
  /**
   * Group subject id -> its users on this side (aws_iam_user_group_membership, aws_iam_group_membership), for the
   * groups this plan manages: a user gains every identity policy of its groups, so each is analysed for them too.
   */
  private readonly members = new Map<string, SubjectRef[]>();
  private account?: string;
  private partition = 'aws';
  private readonly planDir: string;
  private lines?: string[];

  constructor(
    private readonly file: string,
    private readonly text: string,
    private readonly root: LNode,
    private readonly opts: TfPlanOptions,
  ) {
    this.planDir = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
    const rcs = valueOf(root, 'resource_changes');
    (rcs?.kind === 'array' ? rcs.items : []).forEach((rc, i) => {
      const change = valueOf(rc, 'change');
      const address = str(valueOf(rc, 'address'));
      const type = str(valueOf(rc, 'type'));
      if (rc.kind !== 'object' || change?.kind !== 'object' || !address || !type) {
        const name = address ? `${address} (resource_changes[${i}])` : `resource_changes[${i}]`;
        const why = rc.kind !== 'object' ? `is ${kindOf(rc)}, not a resource change` : !address ? 'has no address' : !type ? 'has no type' : change ? `has a change that is ${kindOf(change)}, not an object` : 'has no change';
        this.structureProblem(rc.loc, `${name} ${why}; what it changes could not be read`, `rc|${i}`);
        return;
      }
      const c: Change = {
        address,
        moduleAddress: str(valueOf(rc, 'module_address')) ?? '',
        type,
        name: str(valueOf(rc, 'name')) ?? '',
        index: valueOf(rc, 'index') ? toPlain(valueOf(rc, 'index')!) : undefined,
        mode: str(valueOf(rc, 'mode')) ?? 'managed',
        node: rc,
        before: objectOrUndefined(valueOf(change, 'before')),
        after: objectOrUndefined(valueOf(change, 'after')),
        afterUnknown: valueOf(change, 'after_unknown') ? toPlain(valueOf(change, 'after_unknown')!) : {},
        creates: (() => {
          const a = valueOf(change, 'actions');
          return a?.kind === 'array' ? a.items.some((x) => x.kind === 'string' && x.value === 'create') : !objectOrUndefined(valueOf(change, 'before'));
        })(),
        changes: (() => {
          const a = valueOf(change, 'actions');
          if (a?.kind !== 'array') return true; // unknown actions: treated as a change (fails closed)
          return a.items.some((x) => x.kind !== 'string' || !['no-op', 'read'].includes(x.value));
        })(),
      };
      for (const sideName of ['before', 'after'] as const) {
        const v = valueOf(change, sideName);
        if (v && v.kind !== 'object' && v.kind !== 'null') this.structureProblem(v.loc, `${address}: change.${sideName} is ${kindOf(v)}, not an object or null; its ${sideName === 'before' ? 'current' : 'planned'} values could not be read`, `${sideName}|${address}`);
      }
      this.changes.push(c);
      this.byAddress.set(address, c);
    });
    this.findAccount();
  }

  /** Settings outside policies that expose a bucket or a function (see exposureFinding). */
  private exposureSettings(c: Change, values: LNode): void {
    const text = (key: string) => {
      const n = valueOf(values, key);
      return n?.kind === 'string' ? n.value : n?.kind === 'boolean' ? String(n.value) : undefined;
    };
    const at = this.resourceLoc(c);
    if (c.type === 'aws_s3_bucket_acl' || c.type === 'aws_s3_bucket') {
      const acl = text('acl');
      const why = acl ? PUBLIC_ACLS[acl.toLowerCase()] : undefined;
      if (acl && why) this.findings.push(exposureFinding(this.file, c.address, `acl:${acl}`, `the bucket's ACL ${acl}: ${why}`, at));
      const grants = JSON.stringify(toPlain(valueOf(values, 'access_control_policy') ?? { kind: 'null', loc: values.loc }) ?? null);
      const group = /acs\/groups\/global\/(AllUsers|AuthenticatedUsers)/.exec(grants)?.[1];
      if (group) this.findings.push(exposureFinding(this.file, c.address, `acl-grant:${group}`, `the bucket's ACL grants ${group === 'AllUsers' ? 'anyone' : 'every AWS account'} access`, at));
    }
    if (c.type === 'aws_s3_bucket_public_access_block') {
      const off = ['block_public_acls', 'ignore_public_acls', 'block_public_policy', 'restrict_public_buckets'].filter((k) => text(k) === 'false');
      if (off.length) this.findings.push(exposureFinding(this.file, c.address, `public-access-block:${off.join(',')}`, `the bucket's public access block is turned off (${off.join(', ')} false): a public policy or ACL takes effect`, at));
    }
    if (c.type === 'aws_iam_access_key' && text('status') !== 'Inactive') this.findings.push(accessKeyFinding(c.address, text('user'), at));
    if (c.type === 'aws_lambda_function_url' && text('authorization_type') === 'NONE') {
      this.findings.push(exposureFinding(this.file, c.address, 'function-url:NONE', 'a function URL without authentication (authorization_type NONE): with a matching permission anyone can invoke the function', at));
    }
  }

  /** A part of the plan this reader could not make sense of: located, fails closed. */
  private structureProblem(loc: SourceLocation, message: string, what: string): void {
    const where = startLoc(loc);
    this.findings.push(iacFinding('parse-error', 'high', `${this.file}:${where.line}:${where.column}: ${message}`, where, what));
  }

  run(): void {
    const side = this.opts.side;
    const attached = this.policyAttachments();
    this.collectMembers();
    for (const c of this.changes) {
      if (c.mode === 'data' && c.type === 'aws_iam_policy_document') this.checkPolicyDocumentData(c);
      if (c.mode !== 'managed') continue;
      if (side === 'head' && c.changes && NOT_ANALYSED[c.type]) this.notAnalysed(c);
      const values = side === 'base' ? c.before : c.after;
      // A bucket's public access block deleted: public policies and ACLs take effect.
      if (!values && side === 'head' && c.type === 'aws_s3_bucket_public_access_block' && c.before) {
        this.findings.push(exposureFinding(this.file, c.address, 'public-access-block:removed', 'the bucket\'s public access block is removed: a public policy or ACL takes effect', this.resourceLoc(c)));
      }
      if (!values) continue;
      this.exposureSettings(c, values);
      switch (c.type) {
        case 'aws_iam_role':
          this.role(c, values);
          break;
        case 'aws_iam_role_policy':
          this.inlinePolicy(c, values, 'role');
          break;
        case 'aws_iam_user_policy':
          this.inlinePolicy(c, values, 'user');
          break;
        case 'aws_iam_group_policy':
          this.inlinePolicy(c, values, 'group');
          break;
        case 'aws_iam_policy':
          this.managedPolicy(c, values, attached.get(c.address) ?? []);
          break;
        case 'aws_iam_role_policy_attachment':
        case 'aws_iam_user_policy_attachment':
        case 'aws_iam_group_policy_attachment':
        case 'aws_iam_policy_attachment':
          this.unknownPrincipals(c, values);
          this.externalAttachment(c, values);
          break;
        case 'aws_ssoadmin_permission_set_inline_policy':
          this.policyAttr(c, values, ['inline_policy'], { kind: 'identity', subject: this.permissionSetSubject(c, values), label: `${c.address} inline_policy`, sizeLimit: SIZE.inline });
          break;
        case 'aws_ssoadmin_managed_policy_attachment': {
          const subject = this.permissionSetSubject(c, values);
          const arn = this.unknown(c, 'managed_policy_arn') ? undefined : str(valueOf(values, 'managed_policy_arn'));
          if (arn) this.managedArn(c, arn, subject, 'identity');
          else this.unknownArn(c, subject, 'managed_policy_arn');
          break;
        }
        case 'aws_s3_bucket_policy':
          this.bucketPolicy(c, values, 'policy');
          break;
        case 'aws_s3_bucket':
          // The legacy policy argument: analysed when known, fails closed when set but unknown until apply.
          if (str(valueOf(values, 'policy')) || this.unknownSetting(c, 'policy')) this.bucketPolicy(c, values, 'policy');
          break;
        case 'aws_lambda_permission':
          this.lambdaPermission(c, values);
          break;
        case 'aws_lambda_layer_version_permission':
          this.layerPermission(c, values);
          break;
        case 'aws_cloudwatch_event_permission':
          this.eventPermission(c, values);
          break;
        default:
          if (OWN_POLICIES[c.type]) this.ownResourcePolicy(c, values);
          if (RESOURCE_POLICY_RESOURCES[c.type]) this.resourcePolicyResource(c, values);
      }
    }
  }

  // ---------- values, unknowns, references ----------

  private unknown(c: Change, ...path: (string | number)[]): boolean {
    if (this.opts.side === 'base') return false;
    let u: unknown = c.afterUnknown;
    for (const p of path) {
      if (u === true) return true;
      if (u === null || typeof u !== 'object') return false;
      u = (u as Plain)[p as string];
    }
    return u === true;
  }

  private findAccount(): void {
    const prior = valueOf(this.root, 'prior_state');
    const stack: LNode[] = prior ? [prior] : [];
    let guard = 0;
    while (stack.length && guard++ < 100_000) {
      const n = stack.pop()!;
      if (n.kind === 'object') {
        if (str(valueOf(n, 'type')) === 'aws_caller_identity') {
          const v = valueOf(n, 'values');
          const acct = v ? str(valueOf(v, 'account_id')) : undefined;
          const arn = v ? str(valueOf(v, 'arn')) : undefined;
          if (acct && /^\d{12}$/.test(acct)) this.account = acct;
          if (arn?.startsWith('arn:')) this.partition = arn.split(':')[1];
          return;
        }
        for (const e of n.entries) if (e.value.kind === 'object' || e.value.kind === 'array') stack.push(e.value);
      } else if (n.kind === 'array') stack.push(...n.items);
    }
    for (const c of this.changes) {
      const arn = str(c.before && valueOf(c.before, 'arn')) ?? str(c.after && valueOf(c.after, 'arn'));
      const m = arn ? /^arn:([^:]+):iam::(\d{12}):/.exec(arn) : null;
      if (m) {
        this.partition = m[1];
        this.account = m[2];
        return;
      }
    }
  }

  /**
   * The configuration block of a change's module, and that module's folder (for source lines). When the module
   * (or one it is called from) comes from a registry or other remote source, `dir` is undefined and `call` is the
   * outermost such module call with the folder of the module that writes it.
   */
  private moduleConfig(c: Change): { module?: LNode; dir?: string; call?: { name: string; dir: string } } {
    const steps = parseModulePath(c.moduleAddress);
    let module = valueOf(valueOf(this.root, 'configuration') ?? { kind: 'null', loc: at(this.file) }, 'root_module');
    let dir: string | undefined = '';
    let call: { name: string; dir: string } | undefined;
    for (const s of steps ?? []) {
      const node = module ? valueOf(valueOf(module, 'module_calls') ?? module, s.name) : undefined;
      const parent = dir;
      dir = dir === undefined ? undefined : moduleDirOf(str(node && valueOf(node, 'source')), dir);
      if (dir === undefined && parent !== undefined && !call) call = { name: s.name, dir: parent };
      module = node ? valueOf(node, 'module') : undefined;
    }
    return { module, dir: steps ? dir : undefined, call };
  }

  /** The configuration block of a change's resource (`expressions` and the rest), when the plan has one. */
  private configResource(c: Change): LNode | undefined {
    const { module } = this.moduleConfig(c);
    const resources = module ? valueOf(module, 'resources') : undefined;
    const cfgAddress = `${c.mode === 'data' ? 'data.' : ''}${c.type}.${c.name}`;
    return resources?.kind === 'array' ? resources.items.find((r) => str(valueOf(r, 'address')) === cfgAddress) : undefined;
  }

  /** The configuration expression of a change's attribute (`expressions.<attr>`). */
  private configExpr(c: Change, attr: string): LNode | undefined {
    const cfg = this.configResource(c);
    return cfg ? valueOf(valueOf(cfg, 'expressions') ?? cfg, attr) : undefined;
  }

  /**
   * An attribute unknown until apply that the author sets (its expression is in the configuration) or that
   * changes on an existing resource updated in place: not a computed attribute merely left for the provider to
   * fill on create (or on the create of a replacement).
   */
  private unknownSetting(c: Change, attr: string): boolean {
    if (!this.unknown(c, attr)) return false;
    if (this.configExpr(c, attr) !== undefined) return true;
    return c.before !== undefined && !c.creates;
  }

  /** Addresses a change's attribute expression refers to (`aws_iam_role.r`), made absolute in its module instance. */
  private references(c: Change, attr: string): Change[] {
    return this.referencesIn(c, this.configExpr(c, attr));
  }

  private referencesIn(c: Change, expr: LNode | undefined): Change[] {
    const refs = new Set<string>();
    const collect = (n: LNode | undefined, depth: number) => {
      if (!n || depth > 12) return;
      const r = valueOf(n, 'references');
      if (r?.kind === 'array') for (const i of r.items) if (i.kind === 'string') refs.add(i.value);
      if (n.kind === 'object') for (const e of n.entries) if (e.key !== 'references') collect(e.value, depth + 1);
      if (n.kind === 'array') for (const i of n.items) collect(i, depth + 1);
    };
    collect(expr, 0);
    const prefix = c.moduleAddress ? `${c.moduleAddress}.` : '';
    const out: Change[] = [];
    for (const ref of refs) {
      const m = /^(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)/.exec(ref);
      if (!m) continue;
      const base = `${prefix}${m[1] ?? ''}${m[2]}.${m[3]}`;
      const candidates = this.changes.filter((x) => x.address === base || (x.address.startsWith(base + '[') && x.moduleAddress === c.moduleAddress));
      const same = candidates.find((x) => x.index !== undefined && keyValue(x.index as string | number) === keyValue(c.index as string | number));
      const pick = same ?? (candidates.length === 1 ? candidates[0] : undefined);
      if (pick && !out.includes(pick)) out.push(pick);
    }
    return out;
  }

  // ---------- subjects ----------

  private principalSubject(type: 'role' | 'user' | 'group', change: Change | undefined, name: string | undefined): SubjectRef {
    if (change) {
      const arn = str(change.before && valueOf(change.before, 'arn')) ?? (this.unknown(change, 'arn') ? undefined : str(change.after && valueOf(change.after, 'arn')));
      if (arn) return { type, arn, id: arn };
      const n = str(change.after && valueOf(change.after, 'name')) ?? str(change.before && valueOf(change.before, 'name'));
      const path = str(change.after && valueOf(change.after, 'path')) ?? '/';
      if (n && this.account && !this.unknown(change, 'name')) {
        const synth = `arn:${this.partition}:iam::${this.account}:${type}${path}${n}`;
        return { type, arn: synth, id: synth };
      }
      return { type, id: `${this.file}#${change.address}` };
    }
    if (name && this.account) {
      const arn = `arn:${this.partition}:iam::${this.account}:${type}/${name}`;
      return { type, arn, id: arn };
    }
    return { type, id: `${type}/${name ?? '?'}` };
  }

  /** The role/user/group a resource names in `attr` (a name), by value or, when unknown, by reference. */
  private namedPrincipal(c: Change, values: LNode, attr: string, type: 'role' | 'user' | 'group'): SubjectRef | undefined {
    const tfType = `aws_iam_${type}`;
    const name = this.unknown(c, attr) ? undefined : str(valueOf(values, attr));
    if (name !== undefined) {
      const sideValues = (x: Change) => (this.opts.side === 'base' ? x.before : x.after);
      const inPlan = this.changes.find((x) => x.type === tfType && x.mode === 'managed' && [sideValues(x), x.before, x.after].some((v) => v && (str(valueOf(v, 'name')) === name || str(valueOf(v, 'id')) === name)));
      return this.principalSubject(type, inPlan, name);
    }
    const ref = this.references(c, attr).find((x) => x.type === tfType);
    if (ref) return this.principalSubject(type, ref, undefined);
    return undefined;
  }

  /** The aws_iam_group of this plan a group name names (on any side), if any. */
  private planGroup(name: string): Change | undefined {
    return this.changes.find((x) => x.type === 'aws_iam_group' && x.mode === 'managed' && [x.before, x.after].some((v) => v && (str(valueOf(v, 'name')) === name || str(valueOf(v, 'id')) === name)));
  }

  /** Each membership on this side whose group and user names are known: (group name, group subject, user subject). */
  private membershipsOf(c: Change): Array<{ groupName: string; group: SubjectRef; user: SubjectRef }> {
    const values = this.sideValues(c);
    if (!values || c.mode !== 'managed') return [];
    const names = (attr: string): string[] => {
      if (this.unknown(c, attr)) return [];
      const n = valueOf(values, attr);
      const items = n?.kind === 'array' ? n.items.filter((_, k) => !this.unknown(c, attr, k)) : n ? [n] : [];
      return items.map(str).filter((x): x is string => !!x);
    };
    const byName = (type: 'user' | 'group', name: string) => this.principalSubject(type, type === 'group' ? this.planGroup(name) : this.changes.find((x) => x.type === 'aws_iam_user' && x.mode === 'managed' && [x.before, x.after].some((v) => v && str(valueOf(v, 'name')) === name)), name);
    const pairs: Array<[string, string]> = [];
    if (c.type === 'aws_iam_user_group_membership') for (const u of names('user')) for (const g of names('groups')) pairs.push([g, u]);
    if (c.type === 'aws_iam_group_membership') for (const g of names('group')) for (const u of names('users')) pairs.push([g, u]);
    return pairs.map(([g, u]) => ({ groupName: g, group: byName('group', g), user: byName('user', u) }));
  }

  private collectMembers(): void {
    for (const c of this.changes) {
      for (const m of this.membershipsOf(c)) {
        if (!this.planGroup(m.groupName)) continue; // a group this plan does not manage: its policies are not known
        const list = this.members.get(m.group.id) ?? [];
        if (!list.some((x) => x.id === m.user.id)) list.push(m.user);
        this.members.set(m.group.id, list);
      }
    }
  }

  /** aws_iam_policy address -> principals it is attached to on this side (attachment resources and roles' managed_policy_arns). */
  private policyAttachments(): Map<string, SubjectRef[]> {
    const map = new Map<string, SubjectRef[]>();
    const add = (addr: string, s: SubjectRef) => {
      const list = map.get(addr) ?? [];
      if (!list.some((x) => x.id === s.id)) list.push(s);
      map.set(addr, list);
    };
    for (const c of this.changes) {
      const values = this.opts.side === 'base' ? c.before : c.after;
      if (!values || c.mode !== 'managed') continue;
      if (c.type === 'aws_iam_role') {
        if (this.unknown(c, 'managed_policy_arns')) {
          // Unknown until apply: the policies of this plan it refers to are attached (analysed for the role).
          const constant = this.constantArns(c);
          const targets = constant ? constant.map((a) => this.policyByArn(a)) : this.references(c, 'managed_policy_arns').filter((x) => x.type === 'aws_iam_policy');
          for (const t of targets) if (t) add(t.address, this.principalSubject('role', c, undefined));
          continue;
        }
        const arns = valueOf(values, 'managed_policy_arns');
        for (const a of arns?.kind === 'array' ? arns.items : []) {
          const target = this.policyByArn(str(a));
          if (target) add(target.address, this.principalSubject('role', c, undefined));
        }
        continue;
      }
      const kinds = ATTACHMENT_TARGETS[c.type];
      if (!kinds) continue;
      const target = this.attachedPolicy(c, values);
      if (!target) continue;
      for (const s of this.attachmentPrincipals(c, values, kinds)) add(target.address, s);
    }
    return map;
  }

  private policyByArn(arn: string | undefined): Change | undefined {
    if (!arn) return undefined;
    return this.changes.find((x) => x.type === 'aws_iam_policy' && [x.before, x.after].some((v) => v && str(valueOf(v, 'arn')) === arn));
  }

  private attachedPolicy(c: Change, values: LNode): Change | undefined {
    if (!this.unknown(c, 'policy_arn')) return this.policyByArn(str(valueOf(values, 'policy_arn')));
    return this.references(c, 'policy_arn').find((x) => x.type === 'aws_iam_policy');
  }

  private attachmentPrincipals(c: Change, values: LNode, kinds: Array<[string, 'role' | 'user' | 'group']>): SubjectRef[] {
    const out: SubjectRef[] = [];
    for (const [attr, type] of kinds) {
      const v = valueOf(values, attr);
      if (v?.kind === 'array' && !this.unknown(c, attr)) {
        v.items.forEach((item, i) => {
          const s = this.namedPrincipal(c, fromPlain({ [attr]: str(item) }, item.loc), attr, type);
          if (s && !this.unknown(c, attr, i)) out.push(s);
        });
      } else {
        const s = this.namedPrincipal(c, values, attr, type);
        if (s) out.push(s);
      }
    }
    return out;
  }

  // ---------- resources ----------

  private role(c: Change, values: LNode): void {
    const subject = this.principalSubject('role', c, undefined);
    this.policyAttr(c, values, ['assume_role_policy'], { kind: 'trust', subject, label: `${c.address} assume_role_policy`, sizeLimit: SIZE.trust });
    if (this.unknownSetting(c, 'inline_policy')) {
      // The whole set of inline policies is decided at apply: what the role will be granted is unknown.
      this.findings.push(iacFinding('check-not-run', 'high', `${c.address}: inline_policy is known only after apply, so the inline policies of ${subject.id} could not be analysed (fails closed; render them with a data source or apply the resources they reference first)`, this.resourceLoc(c), `unknown|${c.address}.inline_policy`, { address: c.address }, subject.id));
    }
    const inline = valueOf(values, 'inline_policy');
    (inline?.kind === 'array' ? inline.items : []).forEach((block, i) => {
      const name = str(valueOf(block, 'name')) ?? `#${i}`;
      // The provider mirrors aws_iam_role_policy resources into the role's computed inline_policy: count them once,
      // but only when both carry the same document or the role's value is the unchanged mirror (else the role's own
      // value is what apply sends: analyse both).
      const twin = this.rolePolicyNamed(c, name);
      if (twin && (this.sameDocument(c, ['inline_policy', i, 'policy'], valueOf(block, 'policy'), twin, ['policy'], this.sideValues(twin) && valueOf(this.sideValues(twin)!, 'policy')) || this.unchangedInline(c, name))) return;
      this.policyAttr(c, block, ['inline_policy', i, 'policy'], { kind: 'identity', subject, label: `${c.address} inline_policy ${name}`, sizeLimit: SIZE.inline });
    });
    if (!this.unknown(c, 'managed_policy_arns')) {
      const arns = valueOf(values, 'managed_policy_arns');
      for (const a of arns?.kind === 'array' ? arns.items : []) if (!this.policyByArn(str(a))) this.managedArn(c, str(a) ?? '?', subject, 'identity');
    } else if (this.unknownSetting(c, 'managed_policy_arns')) {
      const constant = this.constantArns(c);
      if (constant) {
        for (const a of constant) if (!this.policyByArn(a)) this.managedArn(c, a, subject, 'identity');
      } else {
        // Policies of this plan it refers to are analysed for the role (policyAttachments); the rest is unknown.
        this.findings.push(iacFinding('check-not-run', 'high', `${c.address}: managed_policy_arns is known only after apply, so the managed policies attached to ${subject.id} could not all be analysed (fails closed; write the ARNs as constants or apply the policies they reference first)`, this.resourceLoc(c), `unknown|${c.address}.managed_policy_arns`, { address: c.address }, subject.id));
      }
    }
    const boundary = this.unknown(c, 'permissions_boundary') ? undefined : str(valueOf(values, 'permissions_boundary'));
    if (boundary) {
      const target = this.policyByArn(boundary);
      const tv = target && (this.opts.side === 'base' ? target.before : target.after);
      if (target && tv) this.policyAttr(target, tv, ['policy'], { kind: 'boundary', subject, label: `${target.address} as permissions boundary of ${c.address}`, idSuffix: `boundary@${subject.id}` });
      else this.managedArn(c, boundary, subject, 'boundary');
    }
  }

  /** managed_policy_arns written as a list of constant ARNs in the configuration (so known although the plan says unknown). */
  private constantArns(c: Change): string[] | undefined {
    const expr = this.configExpr(c, 'managed_policy_arns');
    const v = expr ? valueOf(expr, 'constant_value') : undefined;
    if (!expr || !v || v.kind !== 'array' || valueOf(expr, 'references') !== undefined) return undefined;
    return v.items.every((x) => x.kind === 'string') ? v.items.map((x) => (x as { value: string }).value) : undefined;
  }

  /** Two policy attributes (on this side) that hold the same document once parsed; false when either is unknown or unreadable. */
  private sameDocument(a: Change, aPath: (string | number)[], aNode: LNode | undefined, b: Change, bPath: (string | number)[], bNode: LNode | undefined): boolean {
    if (this.unknown(a, ...aPath) || this.unknown(b, ...bPath)) return false;
    const na = normalisedJson(aNode);
    return na !== undefined && na === normalisedJson(bNode);
  }

  /**
   * A policy attribute this plan does not change (same document before and after, known): the provider's mirror of
   * what a separate policy resource set, which apply does not send.
   */
  private unchangedAttr(c: Change, attr: string): boolean {
    if (!c.before || !c.after || this.unknownAfter(c, attr)) return false;
    const b = normalisedJson(valueOf(c.before, attr));
    return b !== undefined && b === normalisedJson(valueOf(c.after, attr));
  }

  /** A role's inline_policy block `name` that this plan does not change (see unchangedAttr). */
  private unchangedInline(c: Change, name: string): boolean {
    if (!c.before || !c.after || this.unknownAfter(c, 'inline_policy')) return false;
    const u = c.afterUnknown as Plain | undefined;
    const ui = u && typeof u === 'object' ? u.inline_policy : undefined;
    if (Array.isArray(ui) && ui.some((x) => x === true || (x && typeof x === 'object' && (x as Plain).policy === true))) return false;
    const doc = (v: LNode) => {
      const list = valueOf(v, 'inline_policy');
      const block = list?.kind === 'array' ? list.items.find((b) => str(valueOf(b, 'name')) === name) : undefined;
      return normalisedJson(block && valueOf(block, 'policy'));
    };
    const b = doc(c.before);
    return b !== undefined && b === doc(c.after);
  }

  /** The aws_iam_role_policy named `name` on this role on the side being read. */
  private rolePolicyNamed(role: Change, name: string): Change | undefined {
    const sideOf = (x: Change) => (this.opts.side === 'base' ? x.before : x.after);
    const roleNames = [role.before, role.after].map((v) => v && str(valueOf(v, 'name'))).filter((n): n is string => !!n);
    return this.changes.find((x) => {
      const v = sideOf(x);
      return x.type === 'aws_iam_role_policy' && x.mode === 'managed' && !!v && str(valueOf(v, 'name')) === name && (roleNames.includes(str(valueOf(v, 'role')) ?? '') || this.references(x, 'role').includes(role));
    });
  }

  private inlinePolicy(c: Change, values: LNode, type: 'role' | 'user' | 'group'): void {
    const subject = this.namedPrincipal(c, values, type, type) ?? { type: 'unbound', id: `${this.file}#${c.address} (${type} unknown)` };
    this.policyAttr(c, values, ['policy'], { kind: 'identity', subject, label: `${c.address} policy`, sizeLimit: SIZE.inline });
  }

  private managedPolicy(c: Change, values: LNode, principals: SubjectRef[]): void {
    if (principals.length === 0) {
      const subject: SubjectRef = { type: 'unbound', id: `${this.file}#${c.address} (unattached)` };
      this.findings.push(iacFinding('iac-unattached', 'info', `${c.address} is attached to no role, user or group in this plan; it is analysed on its own`, this.resourceLoc(c), `unattached|${c.address}`, { address: c.address }, subject.id));
      this.policyAttr(c, values, ['policy'], { kind: 'identity', subject, label: `${c.address} (unattached)`, sizeLimit: SIZE.managed });
      return;
    }
    principals.forEach((subject, i) => this.policyAttr(c, values, ['policy'], { kind: 'identity', subject, label: `${c.address} policy`, sizeLimit: SIZE.managed, idSuffix: i ? `@${subject.id}` : undefined, quiet: i > 0 }));
  }

  /** An attachment of a policy that is not in the plan: AWS-managed ones are expanded, others reported. */
  private externalAttachment(c: Change, values: LNode): void {
    if (this.attachedPolicy(c, values)) return;
    const arn = this.unknown(c, 'policy_arn') ? undefined : str(valueOf(values, 'policy_arn'));
    const kinds = ATTACHMENT_TARGETS[c.type];
    for (const subject of this.attachmentPrincipals(c, values, kinds)) {
      if (arn) this.managedArn(c, arn, subject, 'identity');
      else this.unknownArn(c, subject, 'policy_arn');
    }
  }

  /**
   * A managed policy attached by an ARN known only after apply: what it grants is unknown and it can never be the
   * policy base attached (base values are known), so it fails closed as a newly attached policy of unknown content.
   */
  private unknownArn(c: Change, subject: SubjectRef, attr: string): void {
    this.findings.push(iacFinding('iac-external-policy-added', 'high', `${c.address} attaches a managed policy whose ARN (${attr}) is known only after apply and is not a policy of this plan; what it grants is not analysed (fails closed)`, this.resourceLoc(c), `arn|${c.address}`, { arn: `(${attr} of ${c.address}, known only after apply)`, address: c.address, kind: 'identity' }, subject.id));
  }

  /** What an attachment attaches, in words: the policy's ARN, the plan's policy, or an ARN known only after apply. */
  private attachedWhat(c: Change, values: LNode): string {
    const target = this.attachedPolicy(c, values);
    if (target) return target.address;
    const arn = this.unknown(c, 'policy_arn') ? undefined : str(valueOf(values, 'policy_arn'));
    return arn ?? 'a policy whose ARN is known only after apply';
  }

  /**
   * Principals of an attachment known only after apply (and not a reference to a role, user or group of the plan):
   * the policy goes to a principal the gate cannot name, so nothing is analysed for it; fails closed.
   */
  private unknownPrincipals(c: Change, values: LNode): void {
    if (this.opts.side !== 'head') return;
    for (const [attr, type] of ATTACHMENT_TARGETS[c.type]) {
      const v = valueOf(values, attr);
      const missing: string[] = [];
      if (this.unknown(c, attr)) {
        if (!this.namedPrincipal(c, values, attr, type)) missing.push(attr);
      } else if (v?.kind === 'array') {
        v.items.forEach((_, i) => {
          if (this.unknown(c, attr, i)) missing.push(`${attr}[${i}]`);
        });
      }
      for (const m of missing) {
        this.findings.push(iacFinding('check-not-run', 'high', `${c.address}: ${m} is known only after apply, so the ${type} that ${c.address} attaches ${this.attachedWhat(c, values)} to is unknown and what it gains could not be analysed (fails closed; name the ${type} with a constant or a reference to an aws_iam_${type} of this configuration)`, this.resourceLoc(c), `unknown|${c.address}.${m}`, { address: c.address, attaches: this.attachedWhat(c, values) }));
      }
    }
  }

  /** The permission set an aws_ssoadmin_* resource governs: its ARN when known, else the permission set resource or this address. */
  private permissionSetSubject(c: Change, values: LNode): SubjectRef {
    const arn = this.unknown(c, 'permission_set_arn') ? undefined : str(valueOf(values, 'permission_set_arn'));
    if (arn) return { type: 'role', arn, id: arn };
    const ref = this.references(c, 'permission_set_arn').find((x) => x.type === 'aws_ssoadmin_permission_set');
    const refArn = ref && (str(ref.before && valueOf(ref.before, 'arn')) ?? (this.unknown(ref, 'arn') ? undefined : str(ref.after && valueOf(ref.after, 'arn'))));
    if (refArn) return { type: 'role', arn: refArn, id: refArn };
    return { type: 'role', id: `${this.file}#${ref?.address ?? c.address}` };
  }

  /** A change to a resource that grants or removes access which this reader does not expand: reported, fails by default. */
  private notAnalysed(c: Change): void {
    const values = c.after ?? c.before;
    const list = (v: LNode | undefined, attr: string, x: Change): string[] => {
      if (this.unknown(x, attr)) return ['(known only after apply)'];
      const n = v ? valueOf(v, attr) : undefined;
      if (n?.kind === 'array') return n.items.map((i, k) => (this.unknown(x, attr, k) ? '(known only after apply)' : str(i) ?? '?'));
      return n?.kind === 'string' ? [n.value] : [];
    };
    let message: string | undefined;
    if (c.type === 'aws_iam_user_group_membership' || c.type === 'aws_iam_group_membership') {
      if (!c.after) return; // a membership removed takes access away
      const [one, many] = c.type === 'aws_iam_user_group_membership' ? ['user', 'groups'] : ['group', 'users'];
      const before = new Set(c.before ? list(c.before, many, { ...c, afterUnknown: {} }) : []);
      const added = list(c.after, many, c).filter((m) => m.startsWith('(') || !before.has(m));
      const oneValue = list(c.after, one, c)[0] ?? '?';
      const oneBefore = c.before ? list(c.before, one, { ...c, afterUnknown: {} })[0] : undefined;
      let members = oneBefore !== undefined && oneBefore !== oneValue ? list(c.after, many, c) : added;
      // A group this plan manages is analysed for its members (build); only the others' policies are unknown.
      if (c.type === 'aws_iam_user_group_membership') members = members.filter((g) => g.startsWith('(') || !this.planGroup(g));
      else if (!oneValue.startsWith('(') && this.planGroup(oneValue)) members = [];
      if (members.length === 0) return;
      message = c.type === 'aws_iam_user_group_membership'
        ? `${c.address}: user ${oneValue} joins group ${members.join(', ')} and gains that group's policies; group membership is not analysed (fails closed; review what the group grants)`
        : `${c.address}: user ${members.join(', ')} joins group ${oneValue} and gains that group's policies; group membership is not analysed (fails closed; review what the group grants)`;
    } else if (c.type === 'aws_organizations_policy') {
      const type = values ? str(valueOf(values, 'type')) : undefined;
      if (type && type !== 'SERVICE_CONTROL_POLICY' && type !== 'RESOURCE_CONTROL_POLICY') return;
      message = `${c.address}: ${type ? `a ${type}` : 'an organizations policy of unknown type'} is ${c.after ? (c.before ? 'changed' : 'created') : 'deleted'}; organization policies in Terraform are not analysed (fails closed; a guard that stops denying something grants access)`;
    } else {
      message = `${c.address}: ${NOT_ANALYSED[c.type]} is ${c.after ? (c.before ? 'changed' : 'created') : 'deleted'}; it is not analysed (fails closed)`;
    }
    this.findings.push(iacFinding('iac-not-analysed', 'high', message, this.resourceLoc(c), `not-analysed|${c.address}`, { address: c.address }));
  }

  private managedArn(c: Change, arn: string, subject: SubjectRef, kind: PolicyKind): void {
    const name = awsManagedName(arn);
    const known = name ? AWS_MANAGED_POLICIES[name] : undefined;
    const where = this.resourceLoc(c);
    if (known) {
      const node = fromPlain(known, where);
      this.build(node, { kind, subject, quiet: true, label: `${c.address} ${name} (AWS managed)`, pointer: `${c.address}.${kind === 'boundary' ? 'permissions_boundary' : 'policy_arn'}:${name}`, idSuffix: subject.id });
      return;
    }
    const why = name ? 'an AWS-managed policy whose content the gate does not carry' : 'a policy that is not in this plan';
    this.findings.push(iacFinding('iac-external-policy', 'medium', `${c.address} attaches ${arn} (${why}); what it grants is not analysed`, where, `${c.address}|${arn}`, { arn, address: c.address, kind }, subject.id));
    // Its members get it too: one finding each, so a user who joins the group in this change fails closed for it.
    if (kind === 'identity' && subject.type === 'group') {
      for (const user of this.members.get(subject.id) ?? []) {
        this.findings.push(iacFinding('iac-external-policy', 'medium', `${c.address} attaches ${arn} (${why}) to group ${subject.id}, whose member ${user.id} gets it; what it grants is not analysed`, where, `${c.address}|${arn}|member|${user.id}`, { arn, address: c.address, kind }, user.id));
      }
    }
  }

  private bucketPolicy(c: Change, values: LNode, attr: string): void {
    let subject: SubjectRef = { type: 'bucket', id: `${this.file}#${c.address}` };
    const name = c.type === 'aws_s3_bucket' ? str(valueOf(values, 'bucket')) : this.unknown(c, 'bucket') ? undefined : str(valueOf(values, 'bucket'));
    if (name) subject = { type: 'bucket', arn: `arn:${this.partition}:s3:::${name}`, id: `arn:${this.partition}:s3:::${name}` };
    else {
      const ref = this.references(c, 'bucket').find((x) => x.type === 'aws_s3_bucket');
      const refName = ref && (str(ref.after && valueOf(ref.after, 'bucket')) ?? str(ref.before && valueOf(ref.before, 'bucket')));
      if (refName) subject = { type: 'bucket', arn: `arn:${this.partition}:s3:::${refName}`, id: `arn:${this.partition}:s3:::${refName}` };
      else if (ref) subject = { type: 'bucket', id: `${this.file}#${ref.address}` };
    }
    this.policyAttr(c, values, [attr], { kind: 'bucket', subject, label: `${c.address} ${attr}`, sizeLimit: SIZE.bucket });
  }

  // ---------- resource policies of other services ----------

  /** The subject for a resource of the plan: its ARN (the queue URL's for a queue) when known, else `<plan>#<address>`. */
  private resourceSubjectOf(c: Change): SubjectRef {
    const known = (attr: string) => str(c.before && valueOf(c.before, attr)) ?? (this.unknown(c, attr) ? undefined : str(c.after && valueOf(c.after, attr)));
    const url = c.type === 'aws_sqs_queue' ? known('url') ?? known('id') : undefined;
    return resourceSubject(known('arn') ?? (url ? sqsQueueArnFromUrl(url, this.partition) : undefined), `${this.file}#${c.address}`);
  }

  /** A resource of type `tfType` in the plan that a value names (its ARN, URL, id or name, or one of `attrs`). */
  private resourceNamed(tfType: string, value: string, attrs = NAMING_ATTRS): Change | undefined {
    return this.changes.find((x) => x.type === tfType && x.mode === 'managed' && [x.before, x.after].some((v) => v && attrs.some((a) => str(valueOf(v, a)) === value)));
  }

  /** The resource a policy resource names in `attr` (by value, else by reference), as a subject. */
  private targetSubject(c: Change, values: LNode, attr: string, tfType: string, also?: string, arnAttr?: string): { subject: SubjectRef; target?: Change } {
    const value = this.unknown(c, attr) ? undefined : str(valueOf(values, attr));
    // Named within another name (a CodeArtifact repository in its domain): both must match.
    const alsoValue = also && !this.unknown(c, also) ? str(valueOf(values, also)) : undefined;
    const named = (x: Change) => !also || [x.before, x.after].some((v) => v && str(valueOf(v, also)) === alsoValue);
    const byValue = value === undefined ? undefined : also ? this.changes.find((x) => x.type === tfType && x.mode === 'managed' && named(x) && [x.before, x.after].some((v) => v && str(valueOf(v, attr)) === value)) : this.resourceNamed(tfType, value, [...NAMING_ATTRS, attr]);
    const target = byValue ?? (value === undefined ? this.references(c, attr).find((x) => x.type === tfType) : undefined);
    if (target) return { subject: this.resourceSubjectOf(target), target };
    const own = arnAttr && !this.unknown(c, arnAttr) ? str(valueOf(values, arnAttr)) : undefined;
    const arn = value && tfType === 'aws_sqs_queue' ? sqsQueueArnFromUrl(value, this.partition) : (own ?? value);
    if (arn && isExactArn(arn)) return { subject: { type: 'resource', arn, id: arn } };
    return { subject: { type: 'resource', id: `${this.file}#${c.address}` } };
  }

  /** A resource's own policy attribute (KMS key, queue, domain, access point, REST API ...), Optional + Computed. */
  private ownResourcePolicy(c: Change, values: LNode): void {
    const spec = OWN_POLICIES[c.type];
    // A separate policy resource governs it and the provider mirrors it here: counted once, but only when both
    // carry the same document (else apply may send this resource's own value: analyse both).
    const twins = this.mirroredPolicies().get(c) ?? [];
    if (!str(valueOf(values, spec.attr)) && !this.unknownSetting(c, spec.attr)) {
      if (spec.openApiBody && twins.length === 0) this.openApiBodyPolicy(c, values, spec.openApiBody);
      return;
    }
    if (twins.length && (this.unchangedAttr(c, spec.attr) || twins.some((t) => this.sameDocument(c, [spec.attr], valueOf(values, spec.attr), t.change, [t.attr], valueOf(t.values, t.attr))))) return;
    const rewrite = spec.executeApi ? this.executeApiRewrite(c, undefined) : undefined;
    this.policyAttr(c, values, [spec.attr], { kind: 'resource', subject: this.resourceSubjectOf(c), label: `${c.address} ${spec.what}`, ...(spec.sizeLimit ? { sizeLimit: spec.sizeLimit } : {}), ...(rewrite ? { rewrite } : {}) });
  }

  /**
   * A REST API's policy written in its OpenAPI definition (`body`, JSON or YAML text: x-amazon-apigateway-policy),
   * read when `policy` is not set and no aws_api_gateway_rest_api_policy governs the API. A body known only after
   * apply may hold one: that check could not run (fails closed).
   */
  private openApiBodyPolicy(c: Change, values: LNode, attr: string): void {
    const subject = this.resourceSubjectOf(c);
    const pointer = `${c.address}.${attr}.x-amazon-apigateway-policy`;
    if (this.unknown(c, attr)) {
      this.findings.push(
        iacFinding('check-not-run', 'high', `${c.address}: ${attr} is known only after apply and policy is not set, so an API policy in its OpenAPI definition (x-amazon-apigateway-policy) for ${subject.id} could not be read (fails closed; set policy, or use aws_api_gateway_rest_api_policy)`, this.resourceLoc(c), `unknown|${pointer}`, { address: c.address }, subject.id),
      );
      return;
    }
    const node = valueOf(values, attr);
    if (node?.kind !== 'string' || !node.value.includes('x-amazon-apigateway-policy')) return;
    let root: LNode | undefined;
    if (/^\s*\{/.test(node.value)) {
      const parsed = parseLocatedJson(node.value, { file: this.file, mapPosition: this.mapperFor(node) });
      for (const p of parsed.problems) this.findings.push(iacFinding('parse-error', 'high', `${c.address}: ${attr} is not valid JSON: ${p.message}; the API policy in it could not be read`, p.loc, `${pointer}|${p.code}`, { address: c.address }, subject.id));
      root = parsed.root;
    } else {
      // YAML (yamlencode, a template file): its lines are the text's own, so everything is placed at the attribute.
      const parsed = parseCfnYaml(node.value, this.file);
      const at = startLoc(node.loc);
      if (!parsed.root) {
        this.findings.push(iacFinding('parse-error', 'high', `${this.file}:${at.line}: ${c.address}: ${attr} is neither JSON nor YAML; the API policy in it (x-amazon-apigateway-policy) could not be read`, at, `${pointer}|yaml`, { address: c.address }, subject.id));
        return;
      }
      root = movedTree(parsed.root, () => at);
    }
    const doc = root?.kind === 'object' ? valueOf(root, 'x-amazon-apigateway-policy') : undefined;
    if (!doc) return;
    const policy = doc.kind === 'string' ? parseLocatedJson(doc.value, { file: this.file, mapPosition: () => startLoc(doc.loc) }).root : doc;
    if (!policy) return;
    this.build(this.relocate(c, policy), { kind: 'resource', subject, label: `${c.address} API policy (OpenAPI body)`, pointer, rewrite: this.executeApiRewrite(c, undefined) });
  }

  private mirrored?: Map<Change, Array<{ change: Change; values: LNode; attr: string }>>;

  /** Resources whose policy a separate policy resource (aws_sqs_queue_policy ...) sets on this side. */
  private mirroredPolicies(): Map<Change, Array<{ change: Change; values: LNode; attr: string }>> {
    if (this.mirrored) return this.mirrored;
    this.mirrored = new Map();
    for (const x of this.changes) {
      const spec = RESOURCE_POLICY_RESOURCES[x.type];
      const v = this.sideValues(x);
      if (!spec?.attr || !spec.target || x.mode !== 'managed' || !v) continue;
      const { target } = this.targetSubject(x, v, spec.attr, spec.target, spec.also);
      if (target) this.mirrored.set(target, [...(this.mirrored.get(target) ?? []), { change: x, values: v, attr: spec.doc ?? 'policy' }]);
    }
    return this.mirrored;
  }

  private sideValues(c: Change): LNode | undefined {
    return this.opts.side === 'base' ? c.before : c.after;
  }

  /** aws_sqs_queue_policy, aws_opensearch_domain_policy, aws_ecr_registry_policy ...: a policy resource. */
  private resourcePolicyResource(c: Change, values: LNode): void {
    const spec = RESOURCE_POLICY_RESOURCES[c.type];
    const { subject, target } = spec.attr && spec.target ? this.targetSubject(c, values, spec.attr, spec.target, spec.also, spec.arnAttr) : { subject: this.resourceSubjectOf(c), target: undefined };
    const rewrite = spec.executeApi ? this.executeApiRewrite(target, this.unknown(c, spec.attr!) ? undefined : str(valueOf(values, spec.attr!))) : undefined;
    const before = this.findings.length;
    this.policyAttr(c, values, [spec.doc ?? 'policy'], { kind: 'resource', subject, label: `${c.address} ${spec.doc ?? 'policy'}`, ...(spec.sizeLimit ? { sizeLimit: spec.sizeLimit } : {}), ...(rewrite ? { rewrite } : {}) });
    if (c.type === 'aws_ecr_repository_policy') dropImpliedResourceFindings(this.findings, before);
  }

  /** `execute-api:/…` -> the REST API's execution ARN; "*" for the parts not known (a new API's id). */
  private executeApiRewrite(api: Change | undefined, id: string | undefined): (n: LNode) => LNode {
    const known = (attr: string) => (api ? str(api.before && valueOf(api.before, attr)) ?? (this.unknown(api, attr) ? undefined : str(api.after && valueOf(api.after, attr))) : undefined);
    const arn = known('execution_arn') ?? `arn:${this.partition}:execute-api:*:${this.account ?? '*'}:${known('id') ?? id ?? '*'}`;
    return (n) => expandExecuteApi(n, arn);
  }

  /** One attribute of a permission as a located scalar; "*" (recorded in `unknowns`) when unknown until apply. */
  private permissionText(c: Change, values: LNode, attr: string, unknowns: string[], where: SourceLocation): LocatedText | undefined {
    const n = valueOf(values, attr);
    if (this.unknown(c, attr)) {
      unknowns.push(attr);
      return { value: '*', loc: n ? startLoc(n.loc) : where };
    }
    if (!n || n.kind === 'null' || (n.kind === 'string' && n.value === '')) return undefined;
    if (n.kind === 'string' || n.kind === 'number' || n.kind === 'boolean') return { value: String(n.value), loc: startLoc(n.loc) };
    unknowns.push(attr);
    return { value: '*', loc: startLoc(n.loc) };
  }

  /** A permission without its principal or action: what it grants cannot be read (fails closed). */
  private missingFields(c: Change, values: LNode, attrs: string[], subject: SubjectRef, what: string): boolean {
    const missing = attrs.filter((a) => !this.permissionText(c, values, a, [], this.resourceLoc(c)));
    if (missing.length) this.findings.push(iacFinding('parse-error', 'high', `${c.address}: no ${missing.join(', ')}; what the permission grants on ${subject.id} could not be read`, this.resourceLoc(c), `${what}|${c.address}`, { address: c.address }, subject.id));
    return missing.length > 0;
  }

  /** A synthesised permission statement, and iac-unresolved for each of its parts unknown until apply. */
  private permission(c: Change, policy: LNode, subject: SubjectRef, label: string, unknowns: string[]): void {
    const pointer = `${c.address}`;
    this.build(this.relocate(c, policy), { kind: 'resource', subject, label, pointer });
    for (const what of [...new Set(unknowns.filter((u) => u !== 'statement_id'))]) {
      this.findings.push(iacFinding('iac-unresolved', 'low', `${c.address}: ${what} in ${label} is known only after apply; it is analysed as "*" (could be anything)`, this.resourceLoc(c), `${pointer}|${what}`, { address: c.address, analysedAs: '*' }, subject.id));
    }
  }

  /** aws_lambda_permission: one statement of the function's policy, synthesised as a one-statement policy. */
  private lambdaPermission(c: Change, values: LNode): void {
    const where = this.resourceLoc(c);
    const unknowns: string[] = [];
    const text = (attr: string) => this.permissionText(c, values, attr, unknowns, where);
    const fnText = text('function_name');
    const qualifier = text('qualifier');
    const q = qualifier?.value;
    let subject: SubjectRef = { type: 'resource', id: `${this.file}#${c.address}` };
    let arn = '*';
    const fn = fnText && fnText.value !== '*' ? this.resourceNamed('aws_lambda_function', fnText.value) : this.references(c, 'function_name').find((x) => x.type === 'aws_lambda_function');
    const env = { partition: this.partition, region: '*', account: this.account ?? '*' };
    if (fn) {
      subject = this.resourceSubjectOf(fn);
      const fnArn = subject.arn ?? str(fn.before && valueOf(fn.before, 'arn')) ?? (this.unknown(fn, 'arn') ? undefined : str(fn.after && valueOf(fn.after, 'arn')));
      const fnName = str(this.sideValues(fn) && valueOf(this.sideValues(fn)!, 'function_name'));
      arn = fnArn ? lambdaFunctionArn(fnArn, env, q).arn : fnName ? lambdaFunctionArn(fnName, env, q).arn : '*';
    } else if (fnText && fnText.value !== '*') {
      const r = lambdaFunctionArn(fnText.value, env, q);
      arn = r.arn;
      subject = resourceSubject(r.functionArn, `${this.file}#${c.address}`);
    }
    if (this.missingFields(c, values, ['principal', 'action'], subject, 'lambda-permission')) return;
    unknowns.length = 0; // function_name is decided above; the rest are counted while the statement is built
    const policy = lambdaPermissionPolicy({
      loc: startLoc(c.node.loc),
      sid: (() => { const s = text('statement_id'); return s && s.value !== '*' ? s.value : undefined; })(),
      partition: this.partition,
      principal: text('principal')!,
      action: text('action')!,
      resource: { value: arn, loc: fnText?.loc ?? where },
      sourceAccount: text('source_account'),
      sourceArn: text('source_arn'),
      principalOrgId: text('principal_org_id'),
      functionUrlAuthType: text('function_url_auth_type'),
      eventSourceToken: text('event_source_token'),
    });
    if (arn === '*' || fnText?.value === '*' && !fn) unknowns.push('function_name');
    if (q === '*') unknowns.push('qualifier');
    this.permission(c, policy, subject, `${c.address} Lambda permission`, unknowns);
  }

  /** aws_lambda_layer_version_permission: one statement of the layer version's policy, synthesised. */
  private layerPermission(c: Change, values: LNode): void {
    const where = this.resourceLoc(c);
    const unknowns: string[] = [];
    const text = (attr: string) => this.permissionText(c, values, attr, unknowns, where);
    const layer = text('layer_name');
    const version = text('version_number');
    const named = layer && layer.value !== '*' ? this.resourceNamed('aws_lambda_layer_version', layer.value, ['layer_name', 'layer_arn']) : undefined;
    const target = named ?? ['layer_name', 'version_number'].flatMap((a) => this.references(c, a)).find((x) => x.type === 'aws_lambda_layer_version');
    const base = layer?.value.startsWith('arn:') ? layer.value : `arn:${this.partition}:lambda:*:${this.account ?? '*'}:layer:${layer?.value ?? '*'}`;
    const targetSubject = target ? this.resourceSubjectOf(target) : undefined;
    const arn = targetSubject?.arn ?? `${base}:${version?.value ?? '*'}`;
    const subject = targetSubject ?? resourceSubject(arn, `${this.file}#${c.address}`);
    if (this.missingFields(c, values, ['principal', 'action'], subject, 'layer-permission')) return;
    // A new layer version's number is computed on create: not reported when the layer version is in the plan.
    unknowns.length = 0;
    const principal = text('principal')!;
    const policy = oneStatementPolicy({
      loc: startLoc(c.node.loc),
      sid: (() => { const s = text('statement_id'); return s && s.value !== '*' ? s.value : undefined; })(),
      principal: { ...lambdaPrincipal(principal.value, this.partition), loc: principal.loc },
      action: text('action')!,
      resource: { value: arn, loc: layer?.loc ?? where },
      conditions: [['StringEquals', 'aws:PrincipalOrgID', text('organization_id')]],
    });
    if (!target && (!layer || layer.value === '*')) unknowns.push('layer_name');
    if (!target && (!version || version.value === '*')) unknowns.push('version_number');
    this.permission(c, policy, subject, `${c.address} layer permission`, unknowns);
  }

  /** aws_cloudwatch_event_permission: one statement of the event bus policy (PutPermission), synthesised. */
  private eventPermission(c: Change, values: LNode): void {
    const where = this.resourceLoc(c);
    const unknowns: string[] = [];
    const text = (attr: string) => this.permissionText(c, values, attr, unknowns, where);
    const bus = text('event_bus_name');
    const target = bus && bus.value !== '*' ? this.resourceNamed('aws_cloudwatch_event_bus', bus.value) : this.references(c, 'event_bus_name').find((x) => x.type === 'aws_cloudwatch_event_bus');
    const targetSubject = target ? this.resourceSubjectOf(target) : undefined;
    const arn = targetSubject?.arn ?? (bus?.value.startsWith('arn:') ? bus.value : `arn:${this.partition}:events:*:${this.account ?? '*'}:event-bus/${bus?.value ?? 'default'}`);
    const subject = targetSubject ?? resourceSubject(arn, `${this.file}#${c.address}`);
    if (this.missingFields(c, values, ['principal'], subject, 'event-permission')) return;
    if (target) unknowns.length = 0; // the bus's name, decided by the bus in the plan
    const principal = text('principal')!;
    const conds = valueOf(values, 'condition');
    const cond = conds?.kind === 'array' ? conds.items[0] : undefined;
    const condText = (attr: string) => {
      const v = cond && valueOf(cond, attr);
      if (this.unknown(c, 'condition') || this.unknown(c, 'condition', 0, attr) || (v && v.kind !== 'string')) {
        unknowns.push(`condition.${attr}`);
        return { value: '*', loc: v ? startLoc(v.loc) : where };
      }
      return v?.kind === 'string' ? { value: v.value, loc: startLoc(v.loc) } : undefined;
    };
    const policy = oneStatementPolicy({
      loc: startLoc(c.node.loc),
      sid: (() => { const s = text('statement_id'); return s && s.value !== '*' ? s.value : undefined; })(),
      principal: { ...lambdaPrincipal(principal.value, this.partition), loc: principal.loc },
      action: text('action') ?? { value: 'events:PutEvents', loc: where },
      resource: { value: arn, loc: bus?.loc ?? where },
      conditions: cond || this.unknown(c, 'condition') ? [[condText('type')?.value ?? 'StringEquals', condText('key')?.value ?? '*', condText('value') ?? { value: '*', loc: where }]] : [],
    });
    this.permission(c, policy, subject, `${c.address} event bus permission`, unknowns);
  }

  // ---------- documents ----------

  /** The policy JSON string at `path` in a resource's values (relative to `values`: its last element). */
  private policyAttr(c: Change, values: LNode, path: (string | number)[], meta: PlanDocMeta): void {
    const attr = String(path[path.length - 1]);
    const node = valueOf(values, attr);
    const pointer = `${c.address}.${path.join('.')}`;
    if (this.unknown(c, ...path)) {
      const rendered = this.renderFromDataSource(c, path);
      if (rendered && 'problem' in rendered) {
        this.findings.push(iacFinding('check-not-run', 'high', `${c.address}: ${path.join('.')} is known only after apply and ${rendered.problem}; the policy of ${meta.subject.id} could not be analysed (fails closed)`, this.resourceLoc(c), `unknown|${pointer}`, { address: c.address }, meta.subject.id));
        return;
      }
      if (rendered) {
        this.build(rendered.node, { ...meta, pointer });
        for (const what of rendered.unknowns) {
          this.findings.push(iacFinding('iac-unresolved', 'low', `${c.address}: ${what} in ${meta.label} is known only after apply; it is analysed as "*" (could be anything)`, this.resourceLoc(c), `${pointer}|${what}`, { address: c.address, analysedAs: '*' }, meta.subject.id));
        }
        return;
      }
      this.findings.push(
        iacFinding('check-not-run', 'high', `${c.address}: ${path.join('.')} is known only after apply, so the policy of ${meta.subject.id} could not be analysed (fails closed; render it with a data source or apply the resources it references first)`, this.resourceLoc(c), `unknown|${pointer}`, { address: c.address }, meta.subject.id),
      );
      return;
    }
    // Absent, null or empty: no policy (the provider writes inline_policy blocks with an empty policy).
    if (node === undefined || node.kind === 'null' || (node.kind === 'string' && node.value.trim() === '')) return;
    if (node.kind !== 'string') {
      const where = startLoc(node.loc);
      this.findings.push(iacFinding('parse-error', 'high', `${this.file}:${where.line}:${where.column}: ${c.address}: ${path.join('.')} is ${kindOf(node)}, not policy JSON text; the policy of ${meta.subject.id} could not be read`, where, `${pointer}|type`, { address: c.address }, meta.subject.id));
      return;
    }
    const parsed = parseLocatedJson(node.value, { file: this.file, mapPosition: this.mapperFor(node) });
    for (const p of parsed.problems) this.findings.push(iacFinding('parse-error', 'high', `${c.address}: ${path.join('.')} is not valid policy JSON: ${p.message}`, p.loc, `${pointer}|${p.code}`));
    if (!parsed.root) return;
    this.build(this.relocate(c, parsed.root), { ...meta, pointer });
  }

  private build(node: LNode, meta: PlanDocMeta & { pointer: string }): void {
    // A group's identity policies apply to its members too (each analysed for the user, labelled with the group).
    if (meta.kind === 'identity' && meta.subject.type === 'group') {
      for (const user of this.members.get(meta.subject.id) ?? []) {
        this.buildOne(node, { ...meta, subject: user, quiet: true, label: `${meta.label} (via group ${meta.subject.id})`, idSuffix: `${meta.idSuffix ?? ''}member@${user.id}` });
      }
    }
    this.buildOne(node, meta);
  }

  private buildOne(node: LNode, meta: PlanDocMeta & { pointer: string }): void {
    const built = documentFromValue(meta.rewrite ? meta.rewrite(node) : node, {
      file: this.file,
      pointer: meta.pointer,
      label: meta.label,
      kindHint: meta.kind,
      subjectHint: meta.subject,
      ...(meta.sizeLimit ? { sizeLimit: meta.sizeLimit } : {}),
      validate: !meta.quiet,
    });
    this.findings.push(...built.findings);
    if (!built.document) return;
    if (meta.idSuffix) built.document.id = `${built.document.id}#${meta.idSuffix}`;
    this.documents.push(built.document);
  }

  /**
   * An aws_iam_policy_document data source read at apply: its statements are what a policy referencing it
   * will grant, so junk in them is reported even when no policy is read from it on this side.
   */
  private checkPolicyDocumentData(c: Change): void {
    const after = c.after;
    if (!after) return;
    const bad: string[] = [];
    const statement = valueOf(after, 'statement');
    if (statement && statement.kind !== 'array' && statement.kind !== 'null' && !this.unknownAfter(c, 'statement')) bad.push(`statement is ${kindOf(statement)}, not a list of statement blocks`);
    const json = valueOf(after, 'json');
    if (json && json.kind !== 'string' && json.kind !== 'null' && !this.unknownAfter(c, 'json')) bad.push(`json is ${kindOf(json)}, not policy JSON text`);
    if (bad.length === 0) return;
    const where = startLoc((statement ?? json ?? after).loc);
    this.findings.push(iacFinding('parse-error', 'high', `${this.file}:${where.line}:${where.column}: ${c.address}: ${bad.join('; ')}; the policy it renders could not be read`, where, `policy-document|${c.address}`, { address: c.address }));
  }

  /** after_unknown marks this attribute, whatever side is read (the data source is checked once per plan). */
  private unknownAfter(c: Change, attr: string): boolean {
    const u = c.afterUnknown;
    return u === true || (u !== null && typeof u === 'object' && (u as Plain)[attr] === true);
  }

  /** Maps positions inside a JSON string literal of the plan to the plan's line and column. */
  private mapperFor(node: LNode) {
    const loc = node.loc;
    if (loc.endLine === loc.line && loc.endColumn !== undefined) {
      this.lines ??= this.text.split(/\r\n|\r|\n/);
      const raw = (this.lines[loc.line - 1] ?? '').slice(loc.column - 1, loc.endColumn - 1);
      return embeddedStringMapper(raw, loc.line, loc.column);
    }
    return () => ({ line: loc.line, column: loc.column });
  }

  /** Where the resource is declared in the .tf sources, when they are in the repository. */
  private declaration(c: Change) {
    if (!this.opts.sources) return undefined;
    const { dir, call } = this.moduleConfig(c);
    // A module whose code is not in the repository (registry, git): the line of the module call that brings
    // it in, else none (the plan's own location); never a same-named resource elsewhere.
    if (c.moduleAddress && dir === undefined) return call ? this.opts.sources.find(`module.${call.name}`, call.dir, this.planDir) : undefined;
    const key = `${c.mode === 'data' ? 'data.' : ''}${c.type}.${c.name}`;
    return this.opts.sources.find(key, dir, this.planDir);
  }

  private resourceLoc(c: Change): SourceLocation {
    const decl = this.declaration(c);
    return decl ? { file: decl.file, line: decl.line, column: 1 } : startLoc(c.node.loc);
  }

  /** Moves a policy's locations from the plan to the .tf declaration: each statement to the line that writes it. */
  private relocate(c: Change, policy: LNode): LNode {
    const decl = this.declaration(c);
    if (!decl) return policy;
    const move = (n: LNode, line: number, depth: number): LNode => {
      const loc = { file: decl.file, line, column: 1 };
      if (depth > 32) return { ...n, loc } as LNode;
      if (n.kind === 'object') return { kind: 'object', loc, entries: n.entries.map((e) => ({ key: e.key, keyLoc: loc, value: move(e.value, line, depth + 1) })) };
      if (n.kind === 'array') return { kind: 'array', loc, items: n.items.map((i) => move(i, line, depth + 1)) };
      return { ...n, loc } as LNode;
    };
    if (policy.kind !== 'object') return move(policy, decl.line, 0);
    const entries = policy.entries.map((e) => {
      if (e.key !== 'Statement') return { key: e.key, keyLoc: { file: decl.file, line: decl.line, column: 1 }, value: move(e.value, decl.line, 1) };
      const items = e.value.kind === 'array' ? e.value.items : [e.value];
      const used = new Map<string, number>();
      const moved = items.map((s) => move(s, lineWithin(decl, needles(s), used), 2));
      return { key: e.key, keyLoc: { file: decl.file, line: decl.line, column: 1 }, value: e.value.kind === 'array' ? ({ kind: 'array', items: moved, loc: { file: decl.file, line: decl.line, column: 1 } } as LNode) : moved[0] };
    });
    return { kind: 'object', entries, loc: { file: decl.file, line: decl.line, column: 1 } };
  }

  /**
   * The aws_iam_policy_document data source a policy attribute refers to. For a role's inline_policy block, the
   * configuration block with the same name (each block has its own expression); when blocks cannot be told
   * apart and they refer to different data sources, none (fails closed).
   */
  private policyDataSource(c: Change, path: (string | number)[]): Change | undefined {
    const isDoc = (x: Change) => x.mode === 'data' && x.type === 'aws_iam_policy_document';
    if (path[0] === 'inline_policy' && typeof path[1] === 'number') {
      const blocks = this.configExpr(c, 'inline_policy');
      const values = this.opts.side === 'base' ? c.before : c.after;
      const inline = values ? valueOf(values, 'inline_policy') : undefined;
      const block = inline?.kind === 'array' ? inline.items[path[1]] : undefined;
      const name = block ? str(valueOf(block, 'name')) : undefined;
      if (blocks?.kind === 'array') {
        const byName = name === undefined ? [] : blocks.items.filter((b) => { const n = valueOf(b, 'name'); return str(n ? valueOf(n, 'constant_value') : undefined) === name; });
        if (byName.length === 1) return this.referencesIn(c, valueOf(byName[0], 'policy')).find(isDoc);
      }
      const all = this.referencesIn(c, blocks).filter(isDoc);
      return all.length === 1 ? all[0] : undefined;
    }
    return this.references(c, String(path[0])).find(isDoc);
  }

  /**
   * A policy unknown until apply, rebuilt from the aws_iam_policy_document data source it references:
   * the data source's statement blocks are in the plan with only their unknown parts missing. Its
   * source_policy_documents (and source_json) come first, its own statements replace or follow them by sid,
   * then override_policy_documents (and override_json) replace or add by sid, as the provider merges them.
   */
  private renderFromDataSource(c: Change, path: (string | number)[]): { node: LNode; unknowns: string[] } | { problem: string } | undefined {
    const ds = this.policyDataSource(c, path);
    const after = ds?.after;
    if (!ds || !after) return undefined;
    const stmts = valueOf(after, 'statement');
    if ((stmts && stmts.kind !== 'array' && stmts.kind !== 'null') || this.unknown(ds, 'statement')) return undefined;
    const unknowns: string[] = [];
    const where = this.resourceLoc(ds);
    // One list attribute at `at` (under the data source's after values): unknown elements become "*".
    const list = (v: LNode | undefined, at: (string | number)[], label: string): string[] | undefined => {
      if (this.unknown(ds, ...at)) {
        unknowns.push(`${ds.address} ${label}`);
        return ['*'];
      }
      if (v?.kind !== 'array') return undefined;
      return v.items.map((x, j) => {
        if (this.unknown(ds, ...at, j) || (x.kind !== 'string' && x.kind !== 'number' && x.kind !== 'boolean')) {
          unknowns.push(`${ds.address} ${label}[${j}]`);
          return '*';
        }
        return String(x.value);
      });
    };
    const own = (stmts?.kind === 'array' ? stmts.items : []).map((s, i) => {
      const out: Plain = { Effect: str(valueOf(s, 'effect')) ?? 'Allow' };
      const sid = str(valueOf(s, 'sid'));
      if (sid) out.Sid = sid;
      for (const [attr, key] of [['actions', 'Action'], ['not_actions', 'NotAction'], ['resources', 'Resource'], ['not_resources', 'NotResource']] as const) {
        const v = list(valueOf(s, attr), ['statement', i, attr], `statement[${i}].${attr}`);
        if (v && v.length) out[key] = v;
      }
      for (const [attr, key] of [['principals', 'Principal'], ['not_principals', 'NotPrincipal']] as const) {
        const blocks = valueOf(s, attr);
        if (blocks?.kind !== 'array' || blocks.items.length === 0) continue;
        const p: Record<string, string[]> = {};
        let any = false;
        blocks.items.forEach((b, j) => {
          const type = str(valueOf(b, 'type')) ?? 'AWS';
          const ids = list(valueOf(b, 'identifiers'), ['statement', i, attr, j, 'identifiers'], `statement[${i}].${attr}[${j}].identifiers`) ?? [];
          if (type === '*') any = true;
          else p[type] = [...(p[type] ?? []), ...ids];
        });
        out[key] = any ? '*' : p;
      }
      const conds = valueOf(s, 'condition');
      if (conds?.kind === 'array' && conds.items.length) {
        const c2: Record<string, Record<string, string[]>> = {};
        conds.items.forEach((cnd, j) => {
          const test = str(valueOf(cnd, 'test')) ?? '?';
          const variable = str(valueOf(cnd, 'variable')) ?? '?';
          const values = list(valueOf(cnd, 'values'), ['statement', i, 'condition', j, 'values'], `statement[${i}].condition[${j}].values`) ?? [];
          c2[test] = { ...(c2[test] ?? {}), [variable]: values };
        });
        out.Condition = c2;
      }
      return out;
    });
    // Documents merged in: each a JSON string known at plan time, else the policy cannot be rebuilt.
    const docs = (attr: string): Plain[][] | undefined => {
      if (this.unknown(ds, attr)) return undefined;
      const v = valueOf(after, attr);
      if (!v || v.kind === 'null') return [];
      const items = v.kind === 'array' ? v.items : [v];
      const out: Plain[][] = [];
      for (const [j, item] of items.entries()) {
        if (v.kind === 'array' ? this.unknown(ds, attr, j) : false) return undefined;
        if (item.kind === 'null' || (item.kind === 'string' && item.value.trim() === '')) continue;
        if (item.kind !== 'string') return undefined;
        let doc: unknown;
        try {
          doc = JSON.parse(item.value);
        } catch {
          return undefined;
        }
        if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
        const st = (doc as Plain).Statement;
        if (st === undefined) continue;
        const list2 = Array.isArray(st) ? st : [st];
        if (!list2.every((x) => x && typeof x === 'object' && !Array.isArray(x))) return undefined;
        out.push(list2 as Plain[]);
      }
      return out;
    };
    const sources = [docs('source_json'), docs('source_policy_documents')];
    const overrides = [docs('override_policy_documents'), docs('override_json')];
    for (const [attr, d] of [['source_json', sources[0]], ['source_policy_documents', sources[1]], ['override_policy_documents', overrides[0]], ['override_json', overrides[1]]] as const) {
      if (d === undefined) return { problem: `${ds.address} ${attr} is known only after apply or is not policy JSON, so the statements it merges in are unknown` };
    }
    const merged: Plain[] = [];
    const put = (st: Plain, replace: boolean) => {
      const sid = typeof st.Sid === 'string' && st.Sid ? st.Sid : undefined;
      const k = sid && replace ? merged.findIndex((x) => x.Sid === sid) : -1;
      if (k >= 0) merged[k] = st;
      else merged.push(st);
    };
    for (const d of sources) for (const list3 of d!) for (const st of list3) put(st, true);
    for (const st of own) put(st, true);
    for (const d of overrides) for (const list3 of d!) for (const st of list3) put(st, true);
    if (merged.length === 0 && stmts?.kind !== 'array') return undefined;
    const version = str(valueOf(after, 'version')) ?? '2012-10-17';
    return { node: this.relocate(ds, fromPlain({ Version: version, Statement: merged }, where)), unknowns };
  }
}

interface PlanDocMeta {
  kind: PolicyKind;
  subject: SubjectRef;
  label: string;
  sizeLimit?: number;
  idSuffix?: string;
  /** Skip grammar findings (the same document already reported for another principal). */
  quiet?: boolean;
  /** Applied to the document once read (API Gateway's `execute-api:/` resources). */
  rewrite?: (n: LNode) => LNode;
}

/** Resource types read but not expanded: a change to one is reported as iac-not-analysed (head side). */
const NOT_ANALYSED: Readonly<Record<string, string>> = {
  aws_iam_user_group_membership: 'group membership',
  aws_iam_group_membership: 'group membership',
  aws_ssoadmin_customer_managed_policy_attachment: 'an attachment of a customer managed policy (by name, in each account) to a permission set',
  aws_organizations_policy: 'an organizations policy',
};

/** Attributes by which one resource names another (`domain_name` ... are added per policy resource). */
const NAMING_ATTRS = ['arn', 'url', 'id', 'name', 'function_name', 'key_id'];

const ATTACHMENT_TARGETS: Readonly<Record<string, Array<[string, 'role' | 'user' | 'group']>>> = {
  aws_iam_role_policy_attachment: [['role', 'role']],
  aws_iam_user_policy_attachment: [['user', 'user']],
  aws_iam_group_policy_attachment: [['group', 'group']],
  aws_iam_policy_attachment: [
    ['roles', 'role'],
    ['users', 'user'],
    ['groups', 'group'],
  ],
};

/** A node's kind in words, for messages. */
function kindOf(n: LNode): string {
  if (n.kind === 'array') return 'a list';
  if (n.kind === 'object') return 'an object';
  return n.kind === 'null' ? 'null' : `a ${n.kind}`;
}

/** A policy JSON string parsed and written back with sorted keys; undefined when not a string or not JSON. */
function normalisedJson(n: LNode | undefined): string | undefined {
  if (n?.kind !== 'string') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(n.value);
  } catch {
    return undefined;
  }
  const sort = (x: unknown, depth: number): unknown => {
    if (depth > 64 || x === null || typeof x !== 'object') return x;
    if (Array.isArray(x)) return x.map((i) => sort(i, depth + 1));
    return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as Plain)[k], depth + 1)]));
  };
  return JSON.stringify(sort(v, 0));
}

function objectOrUndefined(n: LNode | undefined): LNode | undefined {
  return n?.kind === 'object' ? n : undefined;
}

/** Text that identifies a statement in HCL: its Sid, then its first action and resource. */
function needles(stmt: LNode): string[] {
  const first = (n: LNode | undefined) => (n?.kind === 'string' ? n.value : n?.kind === 'array' && n.items[0]?.kind === 'string' ? n.items[0].value : undefined);
  const sid = first(valueOf(stmt, 'Sid'));
  return [sid ? `"${sid}"` : '', `"${first(valueOf(stmt, 'Action')) ?? first(valueOf(stmt, 'NotAction')) ?? '\u0000'}"`, `"${first(valueOf(stmt, 'Resource')) ?? '\u0000'}"`].filter(Boolean);
}
