#!/usr/bin/env node
// Throughput of readLocalLogs against the floor "gunzip + JSON.parse of the same files and nothing else".
// Usage: node bench/replay-baseline.mjs [files=100] [eventsPerFile=1000]
// Compiles src/usage with tsc into a temp folder, writes synthetic CloudTrail .json.gz files, runs each
// side 3 times (best run counts) and prints events/s and the ratio (target >= 0.8).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = Number(process.argv[2] ?? 100);
const perFile = Number(process.argv[3] ?? 1000);
const work = mkdtempSync(join(tmpdir(), 'ipg-bench-'));
const build = join(work, 'build');
const logs = join(work, 'logs');

try {
  execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), join(root, 'src/usage/read-local.ts'), '--outDir', build, '--rootDir', root,
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--types', 'node'],
  { stdio: 'inherit', cwd: root },
  );
} catch {
  // tsc still emits when some other file has a type error; the import below fails if it did not.
}
writeFileSync(join(build, 'package.json'), '{"type":"module"}');
const { readLocalLogs } = await import(pathToFileURL(join(build, 'src/usage/read-local.js')).href);

// ---- synthetic logs: 20 roles x a mix of S3 data events, management calls and errors ----
const A = '111122223333';
const names = [
  ['s3.amazonaws.com', 'GetObject'], ['s3.amazonaws.com', 'PutObject'], ['s3.amazonaws.com', 'HeadObject'], ['s3.amazonaws.com', 'ListObjectsV2'],
  ['dynamodb.amazonaws.com', 'GetItem'], ['kms.amazonaws.com', 'Decrypt'], ['sts.amazonaws.com', 'AssumeRole'], ['ec2.amazonaws.com', 'DescribeInstances'],
  ['lambda.amazonaws.com', 'GetFunction20150331v2'], ['monitoring.amazonaws.com', 'PutMetricData'],
];
let seq = 0;
const uuid = () => {
  const h = (++seq).toString(16).padStart(12, '0');
  return `${Math.random().toString(16).slice(2, 10).padEnd(8, '0')}-1234-4abc-8def-${h}`;
};
function event(i) {
  const [eventSource, eventName] = names[i % names.length];
  const role = `role-${i % 20}`;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole', principalId: `AROAEXAMPLE${i % 20}:session-${i % 7}`, arn: `arn:aws:sts::${A}:assumed-role/${role}/session-${i % 7}`,
      accountId: A, accessKeyId: 'ASIAEXAMPLE',
      sessionContext: { sessionIssuer: { type: 'Role', principalId: `AROAEXAMPLE${i % 20}`, arn: `arn:aws:iam::${A}:role/${role}`, accountId: A, userName: role },
        attributes: { creationDate: '2024-05-01T00:00:00Z', mfaAuthenticated: 'false' } },
    },
    eventTime: new Date(Date.UTC(2024, 4, 1) + i * 1000).toISOString().replace('.000', ''),
    eventSource, eventName, awsRegion: 'us-east-1', sourceIPAddress: `203.0.113.${i % 250}`, userAgent: 'aws-sdk-java/2.20.0 Linux/5.10 OpenJDK_64-Bit_Server_VM/17',
    requestParameters: eventSource === 's3.amazonaws.com' ? { bucketName: `bucket-${i % 5}`, key: `data/${i % 300}/part-${i % 17}.parquet`, Host: `bucket-${i % 5}.s3.us-east-1.amazonaws.com` }
      : eventSource === 'dynamodb.amazonaws.com' ? { tableName: `table-${i % 4}`, key: { id: 'HIDDEN_DUE_TO_SECURITY_REASONS' } } : { something: `value-${i % 9}` },
    responseElements: null,
    ...(i % 50 === 0 ? { errorCode: 'AccessDenied', errorMessage: 'Access Denied' } : {}),
    requestID: uuid(), eventID: uuid(), readOnly: true, eventType: 'AwsApiCall', managementEvent: eventSource !== 's3.amazonaws.com',
    recipientAccountId: A, eventCategory: 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'example.amazonaws.com' },
  };
}
execFileSync('mkdir', ['-p', logs]);
let rawBytes = 0;
for (let f = 0; f < files; f++) {
  const text = JSON.stringify({ Records: Array.from({ length: perFile }, (_, k) => event(f * perFile + k)) });
  rawBytes += text.length;
  writeFileSync(join(logs, `${A}_CloudTrail_us-east-1_20240501T${String(f).padStart(4, '0')}Z_x.json.gz`), gzipSync(text));
}
const total = files * perFile;

function baseline() {
  let n = 0;
  for (const name of readdirSync(logs)) n += JSON.parse(gunzipSync(readFileSync(join(logs, name))).toString('utf8')).Records.length;
  if (n !== total) throw new Error('baseline count');
}
async function ours() {
  const s = await readLocalLogs([logs], { contextKeys: ['aws:sourceip'] });
  if (s.totalEvents !== total) throw new Error(`ours count ${s.totalEvents}`);
  return s;
}
async function best(fn) {
  let min = Infinity;
  for (let r = 0; r < 3; r++) {
    const t = process.hrtime.bigint();
    await fn();
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return min;
}

const tBase = await best(baseline);
const tOurs = await best(ours);
const s = await ours();
const rss = process.memoryUsage().rss;
console.log(`${total} events in ${files} files, ${(rawBytes / 1e6).toFixed(0)} MB JSON`);
console.log(`baseline gunzip+JSON.parse: ${tBase.toFixed(2)} s (${Math.round(total / tBase)} ev/s)`);
console.log(`readLocalLogs (map + aggregate + dedupe): ${tOurs.toFixed(2)} s (${Math.round(total / tOurs)} ev/s), ${s.records.length} records`);
console.log(`ratio (ours/baseline throughput): ${(tBase / tOurs).toFixed(2)}x; rss ${(rss / 1e6).toFixed(0)} MB`);
rmSync(work, { recursive: true, force: true });
