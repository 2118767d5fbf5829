// Routes and validates requests (and the fake's own responses) against the committed subset of
// GitHub's OpenAPI description. OpenAPI 3.0 schemas become JSON Schema for ajv: `nullable` turns
// into a null type, and component $refs point into one registered document.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import * as formats from 'ajv-formats';

// ajv-formats is CommonJS: the plugin is the module itself or its default export.
const addFormats = ((formats as any).default?.default ?? (formats as any).default ?? formats) as (ajv: Ajv) => Ajv;

export const SUBSET_FILE = fileURLToPath(new URL('../../../fixtures/github/openapi-subset.json', import.meta.url));
const COMPONENTS_ID = 'github-components.json';

type Json = any;

export interface Operation {
  operationId: string;
  method: string;
  template: string;
  pathParams: string[];
  matcher: RegExp;
  query: Map<string, { required: boolean; validate: ValidateFunction }>;
  pathSchemas: Map<string, ValidateFunction>;
  body?: { required: boolean; validate: ValidateFunction };
  responses: Map<number, ValidateFunction | null>;
}

export interface MatchedRequest {
  operation: Operation;
  params: Record<string, string>;
}

/** OpenAPI 3.0 → JSON Schema: nullable, and $refs into the registered components document. */
function toJsonSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'discriminator' || key === 'xml' || key === 'externalDocs') continue;
    if (key === '$ref' && typeof value === 'string') out.$ref = value.replace(/^#\/components\//, `${COMPONENTS_ID}#/components/`);
    else out[key] = toJsonSchema(value);
  }
  if (schema.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function deref(doc: Json, value: Json): Json {
  let v = value;
  for (let i = 0; v && typeof v.$ref === 'string' && i < 10; i++) {
    const [, , kind, name] = v.$ref.split('/');
    v = doc.components[kind][name];
  }
  return v;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function describeErrors(errors: ErrorObject[] | null | undefined, where: string): string[] {
  return (errors ?? []).map((e) => `${where}${e.instancePath} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

export class OpenApiRouter {
  readonly operations: Operation[] = [];
  readonly byId = new Map<string, Operation>();
  private readonly ajv: Ajv;

  constructor(file = SUBSET_FILE) {
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: COMPONENTS_ID, components: toJsonSchema(doc.components) });
    for (const [template, item] of Object.entries<Json>(doc.paths)) {
      for (const [method, op] of Object.entries<Json>(item)) this.add(doc, template, method.toUpperCase(), op);
    }
  }

  private compile(schema: Json): ValidateFunction {
    return this.ajv.compile(toJsonSchema(schema ?? {}));
  }

  private add(doc: Json, template: string, method: string, op: Json): void {
    const pathParams: string[] = [];
    const pattern = template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const m = /^\{([^}]+)\}$/.exec(part);
        if (!m) return escapeRegex(part);
        pathParams.push(m[1]);
        return '([^/]+)';
      })
      .join('');
    const query = new Map<string, { required: boolean; validate: ValidateFunction }>();
    const pathSchemas = new Map<string, ValidateFunction>();
    for (const p of (op.parameters ?? []).map((x: Json) => deref(doc, x))) {
      if (p.in === 'query') query.set(p.name, { required: p.required === true, validate: this.compile(p.schema) });
      if (p.in === 'path') pathSchemas.set(p.name, this.compile(p.schema));
    }
    const bodySchema = op.requestBody?.content?.['application/json']?.schema;
    const responses = new Map<number, ValidateFunction | null>();
    for (const [code, response] of Object.entries<Json>(op.responses ?? {})) {
      const schema = deref(doc, response)?.content?.['application/json']?.schema;
      responses.set(Number(code), schema ? this.compile(schema) : null);
    }
    const operation: Operation = {
      operationId: op.operationId,
      method,
      template,
      pathParams,
      matcher: new RegExp(`^${pattern}$`),
      query,
      pathSchemas,
      body: bodySchema ? { required: op.requestBody.required === true, validate: this.compile(bodySchema) } : undefined,
      responses,
    };
    this.operations.push(operation);
    this.byId.set(operation.operationId, operation);
  }

  match(method: string, pathname: string): MatchedRequest | undefined {
    for (const operation of this.operations) {
      if (operation.method !== method) continue;
      const m = operation.matcher.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      operation.pathParams.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
      return { operation, params };
    }
    return undefined;
  }

  /** Every way the request breaks the description; empty when it conforms. */
  validateRequest(req: MatchedRequest, query: URLSearchParams, body: unknown, hasBody: boolean): string[] {
    const problems: string[] = [];
    const { operation } = req;
    for (const [name, validate] of operation.pathSchemas) {
      const value = coerce(req.params[name], validate);
      if (!validate(value)) problems.push(...describeErrors(validate.errors, `path.${name}`));
    }
    for (const name of new Set(query.keys())) {
      const spec = operation.query.get(name);
      if (!spec) {
        problems.push(`query.${name} is not a parameter of ${operation.operationId}`);
        continue;
      }
      const value = coerce(query.get(name)!, spec.validate);
      if (!spec.validate(value)) problems.push(...describeErrors(spec.validate.errors, `query.${name}`));
    }
    for (const [name, spec] of operation.query) if (spec.required && !query.has(name)) problems.push(`query.${name} is required`);
    if (operation.body) {
      if (!hasBody) {
        if (operation.body.required) problems.push('the request body is required');
      } else if (!operation.body.validate(body)) problems.push(...describeErrors(operation.body.validate.errors, 'body'));
    } else if (hasBody) problems.push(`${operation.operationId} takes no request body`);
    return problems;
  }

  /** Checks the fake's own answer, so the action is tested against responses shaped like GitHub's. */
  validateResponse(operation: Operation, status: number, body: unknown): string[] {
    if (!operation.responses.has(status)) return [`${operation.operationId} does not document status ${status}`];
    const validate = operation.responses.get(status);
    if (!validate || validate(body)) return [];
    return describeErrors(validate.errors, `response ${status}`);
  }
}

/** Query and path values arrive as strings; give the schema the type it expects. */
function coerce(raw: string, validate: ValidateFunction): unknown {
  const schema = validate.schema as Json;
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  return raw;
}
