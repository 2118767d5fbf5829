// A local IAM Access Analyzer endpoint for tests: real SDK clients talk restJson1 to it, so their
// serializers, retries, time-outs and deserializers run for real. Routes and request checks come from
// the service model the SDK ships (`<Operation>$` and `<Operation>Request$` schemas): the HTTP method
// and path, required members, unknown members, and the enum values of the members we send.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as sdk from '@aws-sdk/client-accessanalyzer';

export interface FakeRequest {
  operation: string;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  input: Record<string, unknown>;
  /** The service name of the SigV4 credential scope. */
  signingService?: string;
  /** What the request got wrong against the model (the fake answered ValidationException). */
  problems: string[];
}

export interface FakeReply {
  status?: number;
  body?: unknown;
  /** Sent as is instead of JSON (for malformed answers). */
  raw?: string;
  /** restJson1 error code, sent in x-amzn-ErrorType. */
  errorType?: string;
  delayMs?: number;
}

export type FakeHandler = (req: FakeRequest, attempt: number) => FakeReply | Promise<FakeReply>;

type Schema = [number, string, string, unknown, string[], unknown[], number?];
interface Route {
  operation: string;
  method: string;
  pattern: RegExp;
  labels: string[];
  request: Schema;
}

const models = sdk as unknown as Record<string, unknown>;

function routes(): Route[] {
  const out: Route[] = [];
  for (const [key, value] of Object.entries(models)) {
    if (!key.endsWith('$') || !Array.isArray(value) || value[0] !== 9) continue;
    const traits = value[3] as { http?: [string, string, number] };
    if (!traits?.http) continue;
    const [method, template] = traits.http;
    const labels: string[] = [];
    const source = template.split('?')[0].replace(/[.*+^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\+?\}/g, (_, name: string) => (labels.push(name), '([^/]+)'));
    const request = (value[4] as () => Schema)();
    out.push({ operation: value[2] as string, method, pattern: new RegExp(`^${source}$`), labels, request });
  }
  return out;
}

const ENUMS: Record<string, (op: string) => object | undefined> = {
  policyType: (op) => (op === 'ValidatePolicy' ? sdk.PolicyType : sdk.AccessCheckPolicyType),
  resourceType: (op) => (op === 'CheckNoPublicAccess' ? sdk.AccessCheckResourceType : undefined),
  validatePolicyResourceType: () => sdk.ValidatePolicyResourceType,
  locale: () => sdk.Locale,
};

/** Where each member travels: a query string, a path label, or the JSON body. */
function memberPlace(schema: unknown): 'query' | 'label' | 'body' {
  if (Array.isArray(schema) && schema.length === 2) {
    const traits = schema[1];
    if (traits && typeof traits === 'object' && 'httpQuery' in traits) return 'query';
    if (traits === 1) return 'label';
  }
  return 'body';
}

function check(route: Route, input: Record<string, unknown>): string[] {
  const [, , , , members, schemas, required = 0] = route.request;
  const problems: string[] = [];
  members.slice(0, required).forEach((m) => {
    if (input[m] === undefined) problems.push(`missing required member ${m}`);
  });
  for (const key of Object.keys(input)) if (!members.includes(key)) problems.push(`unknown member ${key}`);
  for (const [member, enumOf] of Object.entries(ENUMS)) {
    const allowed = enumOf(route.operation);
    if (allowed && input[member] !== undefined && !Object.values(allowed).includes(input[member])) problems.push(`${member} ${JSON.stringify(input[member])} is not one of the model's values`);
  }
  members.forEach((m, i) => {
    if (memberPlace(schemas[i]) === 'body' && input[m] !== undefined && m.endsWith('Document') && typeof input[m] !== 'string') problems.push(`${m} must be a string`);
  });
  return problems;
}

export interface AccessAnalyzerFake {
  endpoint: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

export async function startAccessAnalyzerFake(handlers: Record<string, FakeHandler>): Promise<AccessAnalyzerFake> {
  const table = routes();
  const requests: FakeRequest[] = [];
  const attempts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const send = (status: number, body: string, errorType?: string) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}), 'x-amzn-requestid': `fake-${requests.length}` });
      res.end(body);
    };
    const route = table.find((r) => r.method === req.method && r.pattern.test(url.pathname));
    if (!route) return send(404, JSON.stringify({ message: `no route ${req.method} ${url.pathname}` }), 'ResourceNotFoundException');
    const text = Buffer.concat(chunks).toString('utf8');
    const input: Record<string, unknown> = text ? JSON.parse(text) : {};
    const labelValues = route.pattern.exec(url.pathname)!.slice(1);
    route.labels.forEach((l, i) => (input[l] = decodeURIComponent(labelValues[i])));
    const query = Object.fromEntries(url.searchParams);
    const [, , , , members, schemas] = route.request;
    members.forEach((m, i) => {
      if (memberPlace(schemas[i]) === 'query' && query[m] !== undefined) input[m] = /^\d+$/.test(query[m]) && m === 'maxResults' ? Number(query[m]) : query[m];
    });
    const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ''));
    const record: FakeRequest = { operation: route.operation, method: req.method!, path: url.pathname, query, headers: req.headers, input, signingService: scope?.[1], problems: check(route, input) };
    requests.push(record);
    if (record.problems.length) return send(400, JSON.stringify({ message: record.problems.join('; '), reason: 'fieldValidationFailed' }), 'ValidationException');
    const handler = handlers[route.operation];
    if (!handler) return send(500, JSON.stringify({ message: `the fake has no answer for ${route.operation}` }), 'InternalServerException');
    const attempt = (attempts.get(route.operation) ?? 0) + 1;
    attempts.set(route.operation, attempt);
    const reply = await handler(record, attempt);
    if (reply.delayMs) {
      // A slow answer, cut short when the client gives up (so no timer outlives the test).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, reply.delayMs);
        res.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    send(reply.status ?? (reply.errorType ? 400 : 200), reply.raw ?? JSON.stringify(reply.body ?? {}), reply.errorType);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
