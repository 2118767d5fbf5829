// A local HTTP server that plays the GitHub REST API for the calls the action makes. Every request
// is routed and validated against GitHub's OpenAPI description (the committed subset); a request
// it does not describe, or one that breaks it, is answered 404/422 and recorded as a violation so
// the test fails. Its own responses are validated too, so they have GitHub's shapes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { OpenApiRouter, type Operation } from './openapi.js';

export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  login: string;
  type: 'User' | 'Bot';
  createdAt: string;
  updatedAt: string;
}

export interface LabelEvent {
  event: 'labeled' | 'unlabeled';
  label: string;
  actor: string;
  at?: string;
}

export interface FakeOptions {
  owner: string;
  repo: string;
  /** The only token accepted. */
  token: string;
  /** Login the token acts as (GITHUB_TOKEN: github-actions[bot]). */
  botLogin?: string;
  /** A fork PR's token: every write is answered 403 "Resource not accessible by integration". */
  readOnly?: boolean;
  /** Code scanning off: the SARIF upload is answered 403 like GitHub does. */
  codeScanning?: 'enabled' | 'disabled';
  /** operationIds whose first call gets a secondary rate limit (403 + retry-after). */
  rateLimitOnce?: string[];
  prFiles?: Record<number, string[]>;
  /** Pull requests as issues (issues/get): author and labels now; one not listed is answered 404. */
  pulls?: Record<number, { author: string; labels: string[] }>;
  /** Each pull request's current head commit (`refs/pull/N/head`); a pull request not listed has no such ref (404). */
  pullHeads?: Record<number, string>;
  issueEvents?: Record<number, LabelEvent[]>;
  /** Repository permission per login (default: none). */
  permissions?: Record<string, 'admin' | 'write' | 'read' | 'none'>;
  comments?: Array<Omit<FakeComment, 'id' | 'createdAt' | 'updatedAt'>>;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  operationId?: string;
  status: number;
}

export interface SarifUpload {
  commit_sha: string;
  ref: string;
  tool_name?: string;
  /** The SARIF log, decoded (base64 → gunzip → JSON). */
  sarif: any;
}

export interface FakeGitHub {
  url: string;
  comments: FakeComment[];
  uploads: SarifUpload[];
  requests: LoggedRequest[];
  /** Requests the description does not allow, and responses that break it: must stay empty. */
  violations: string[];
  close(): Promise<void>;
}

const COMMENT_LIMIT = 65_536;
let router: OpenApiRouter | undefined;

function user(api: string, login: string, id: number, type: 'User' | 'Bot' = 'User') {
  const u = `${api}/users/${encodeURIComponent(login)}`;
  return {
    login, id, node_id: `U_${id}`, avatar_url: `https://avatars.example.test/u/${id}`, gravatar_id: '', url: u,
    html_url: `https://github.example.test/${encodeURIComponent(login)}`, followers_url: `${u}/followers`, following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`, starred_url: `${u}/starred{/owner}{/repo}`, subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`, repos_url: `${u}/repos`, events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`, type, site_admin: false,
  };
}

function userId(login: string): number {
  let h = 7;
  for (const c of login) h = (h * 31 + c.charCodeAt(0)) % 1_000_000;
  return h + 1;
}

export async function startFakeGitHub(opts: FakeOptions): Promise<FakeGitHub> {
  router ??= new OpenApiRouter();
  const routes = router;
  const bot = opts.botLogin ?? 'github-actions[bot]';
  const comments: FakeComment[] = [];
  const uploads: SarifUpload[] = [];
  const requests: LoggedRequest[] = [];
  const violations: string[] = [];
  const limited = new Set(opts.rateLimitOnce ?? []);
  let nextId = 1000;
  let api = '';
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const c of opts.comments ?? []) comments.push({ ...c, id: nextId++, createdAt: now(), updatedAt: now() });

  const repoBase = () => `${api}/repos/${opts.owner}/${opts.repo}`;
  const commentJson = (c: FakeComment) => ({
    id: c.id, node_id: `IC_${c.id}`, url: `${repoBase()}/issues/comments/${c.id}`, body: c.body,
    html_url: `https://github.example.test/${opts.owner}/${opts.repo}/pull/${c.issue}#issuecomment-${c.id}`,
    issue_url: `${repoBase()}/issues/${c.issue}`, user: user(api, c.login, userId(c.login), c.type),
    created_at: c.createdAt, updated_at: c.updatedAt, author_association: c.type === 'Bot' ? 'NONE' : 'MEMBER',
  });

  /** Pages a list the way GitHub does: per_page (default 30, at most 100), page, and a Link header. */
  function page<T>(items: T[], query: URLSearchParams, pathname: string): { body: T[]; headers: Record<string, string> } {
    const perPage = Math.min(100, Number(query.get('per_page') ?? 30));
    const pageNo = Number(query.get('page') ?? 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number) => {
      const q = new URLSearchParams(query);
      q.set('page', String(p));
      return `<${api}${pathname}?${q}>`;
    };
    const rels: string[] = [];
    if (pageNo < last) rels.push(`${link(pageNo + 1)}; rel="next"`, `${link(last)}; rel="last"`);
    if (pageNo > 1) rels.push(`${link(1)}; rel="first"`, `${link(pageNo - 1)}; rel="prev"`);
    return { body: items.slice((pageNo - 1) * perPage, pageNo * perPage), headers: rels.length ? { link: rels.join(', ') } : {} };
  }

  type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
  const forbidden: Answer = { status: 403, body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' } };
  const notFound: Answer = { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };

  function handle(op: Operation, params: Record<string, string>, query: URLSearchParams, pathname: string, body: any): Answer {
    if (params.owner !== undefined && (params.owner !== opts.owner || params.repo !== opts.repo)) return notFound;
    switch (op.operationId) {
      case 'issues/list-comments': {
        const mine = comments.filter((c) => c.issue === Number(params.issue_number));
        const p = page(mine.map(commentJson), query, pathname);
        return { status: 200, ...p };
      }
      case 'issues/create-comment': {
        if (opts.readOnly) return forbidden;
        if (body.body.length > COMMENT_LIMIT) return tooLong();
        const c: FakeComment = { id: nextId++, issue: Number(params.issue_number), body: body.body, login: bot, type: 'Bot', createdAt: now(), updatedAt: now() };
        comments.push(c);
        return { status: 201, body: commentJson(c), headers: { location: `${repoBase()}/issues/comments/${c.id}` } };
      }
      case 'issues/update-comment': {
        if (opts.readOnly) return forbidden;
        const c = comments.find((x) => x.id === Number(params.comment_id));
        if (!c) return notFound;
        if (body.body.length > COMMENT_LIMIT) return tooLong();
        c.body = body.body;
        c.updatedAt = now();
        return { status: 200, body: commentJson(c) };
      }
      case 'issues/delete-comment': {
        if (opts.readOnly) return forbidden;
        const i = comments.findIndex((x) => x.id === Number(params.comment_id));
        if (i < 0) return notFound;
        comments.splice(i, 1);
        return { status: 204 };
      }
      case 'issues/list-events': {
        const events = (opts.issueEvents?.[Number(params.issue_number)] ?? []).map((e, i) => ({
          id: 5000 + i, node_id: `LE_${i}`, url: `${repoBase()}/issues/events/${5000 + i}`, actor: user(api, e.actor, userId(e.actor)),
          event: e.event, commit_id: null, commit_url: null, created_at: e.at ?? '2026-11-20T10:00:00Z', performed_via_github_app: null,
          label: { name: e.label, color: 'ededed' },
        }));
        return { status: 200, ...page(events, query, pathname) };
      }
      case 'pulls/list-files': {
        const files = (opts.prFiles?.[Number(params.pull_number)] ?? []).map((filename, i) => ({
          sha: (i + 1).toString(16).padStart(40, '0'), filename, status: 'modified', additions: 1, deletions: 1, changes: 2,
          blob_url: `https://github.example.test/${opts.owner}/${opts.repo}/blob/x/${filename}`,
          raw_url: `https://github.example.test/${opts.owner}/${opts.repo}/raw/x/${filename}`,
          contents_url: `${repoBase()}/contents/${filename}`,
        }));
        return { status: 200, ...page(files, query, pathname) };
      }
      case 'issues/get': {
        const n = Number(params.issue_number);
        const pr = opts.pulls?.[n];
        if (!pr) return notFound;
        const issueUrl = `${repoBase()}/issues/${n}`;
        const html = `https://github.example.test/${opts.owner}/${opts.repo}/pull/${n}`;
        return {
          status: 200,
          body: {
            id: 80_000 + n, node_id: `PR_${n}`, url: issueUrl, repository_url: repoBase(), labels_url: `${issueUrl}/labels{/name}`,
            comments_url: `${issueUrl}/comments`, events_url: `${issueUrl}/events`, html_url: html, number: n, state: 'open', locked: false,
            title: `Pull request ${n}`, user: user(api, pr.author, userId(pr.author)),
            labels: pr.labels.map((name, i) => ({ id: 70_000 + i, node_id: `LA_${i}`, url: `${repoBase()}/labels/${encodeURIComponent(name)}`, name, description: null, color: 'ededed', default: false })),
            assignee: null, milestone: null, comments: 0, created_at: '2026-11-20T09:00:00Z', updated_at: '2026-11-20T10:00:00Z', closed_at: null,
            pull_request: { url: `${repoBase()}/pulls/${n}`, html_url: html, diff_url: `${html}.diff`, patch_url: `${html}.patch`, merged_at: null },
          },
        };
      }
      case 'git/get-ref': {
        const m = /^pull\/(\d+)\/head$/.exec(params.ref);
        const sha = m ? opts.pullHeads?.[Number(m[1])] : undefined;
        if (!sha) return notFound;
        return { status: 200, body: { ref: `refs/${params.ref}`, node_id: `REF_${m![1]}`, url: `${repoBase()}/git/refs/${params.ref}`, object: { type: 'commit', sha, url: `${repoBase()}/git/commits/${sha}` } } };
      }
      case 'code-scanning/upload-sarif': {
        if (opts.readOnly) return forbidden;
        if (opts.codeScanning === 'disabled') {
          return { status: 403, body: { message: 'Code Security must be enabled for this repository to use code scanning.', documentation_url: 'https://docs.github.com/rest' } };
        }
        let sarif: unknown;
        try {
          sarif = JSON.parse(gunzipSync(Buffer.from(body.sarif, 'base64')).toString('utf8'));
        } catch (e) {
          violations.push(`upload-sarif: the sarif field is not base64 gzip JSON (${String(e)})`);
          return { status: 400 };
        }
        uploads.push({ commit_sha: body.commit_sha, ref: body.ref, tool_name: body.tool_name, sarif });
        const id = `sarif-${uploads.length}`;
        return { status: 202, body: { id, url: `${repoBase()}/code-scanning/sarifs/${id}` } };
      }
      case 'code-scanning/get-sarif': {
        if (!/^sarif-\d+$/.test(params.sarif_id)) return notFound;
        return { status: 200, body: { processing_status: 'complete', analyses_url: `${repoBase()}/code-scanning/analyses?sarif_id=${params.sarif_id}`, errors: null } };
      }
      case 'repos/get-collaborator-permission-level': {
        const permission = opts.permissions?.[params.username] ?? 'none';
        const role = permission;
        const collaborator = { ...user(api, params.username, userId(params.username)), role_name: role, permissions: { admin: role === 'admin', maintain: role === 'admin', push: role === 'admin' || role === 'write', triage: role !== 'none', pull: role !== 'none' } };
        return { status: 200, body: { permission, role_name: role, user: collaborator } };
      }
      case 'users/get-authenticated':
        return forbidden;
      default:
        return notFound;
    }
  }

  function tooLong(): Answer {
    return { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: 'body is too long (maximum is 65536 characters)' }], documentation_url: 'https://docs.github.com/rest' } };
  }

  function send(res: ServerResponse, answer: Answer): void {
    const headers: Record<string, string> = { 'x-github-api-version-selected': '2022-11-28', ...(answer.headers ?? {}) };
    if (answer.body === undefined) {
      res.writeHead(answer.status, headers).end();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(answer.body));
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', api);
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: LoggedRequest = { method, path: url.pathname, query: url.search, status: 0 };
    requests.push(entry);
    const reply = (answer: Answer) => {
      entry.status = answer.status;
      send(res, answer);
    };
    const match = routes.match(method, url.pathname);
    if (!match) {
      violations.push(`${method} ${url.pathname}: not an operation of the description`);
      return reply(notFound);
    }
    entry.operationId = match.operation.operationId;
    if (req.headers.authorization !== `token ${opts.token}` && req.headers.authorization !== `Bearer ${opts.token}`) {
      violations.push(`${method} ${url.pathname}: missing or wrong Authorization header`);
      return reply({ status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } });
    }
    let body: unknown;
    const hasBody = raw.length > 0;
    if (hasBody) {
      try {
        body = JSON.parse(raw);
      } catch {
        violations.push(`${method} ${url.pathname}: the body is not JSON`);
        return reply({ status: 400, body: { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/rest' } });
      }
    }
    const problems = routes.validateRequest(match, url.searchParams, body, hasBody);
    if (problems.length) {
      violations.push(...problems.map((p) => `${match.operation.operationId}: ${p}`));
      return reply({ status: 422, body: { message: 'Validation Failed', errors: problems, documentation_url: 'https://docs.github.com/rest' } });
    }
    if (limited.delete(match.operation.operationId)) {
      return reply({
        status: 403,
        body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest' },
        headers: { 'retry-after': '1', 'x-ratelimit-remaining': '4000' },
      });
    }
    const answer = handle(match.operation, match.params, url.searchParams, url.pathname, body);
    if (answer.status < 300) {
      for (const p of routes.validateResponse(match.operation, answer.status, answer.body)) violations.push(`${match.operation.operationId}: the fake's ${p}`);
    }
    reply(answer);
  }

  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch((e) => {
      violations.push(`fake server error: ${String(e)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: api,
    comments,
    uploads,
    requests,
    violations,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
