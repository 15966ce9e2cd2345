#!/usr/bin/env node
// Runs graphql-http's GraphQL-over-HTTP server audits against a running
// server and prints every result grouped by status.
//
//   node audit.mjs http://127.0.0.1:8080/graphql
//
// Exit status: 0 when no MUST audit failed, 1 when at least one did (status
// 'error', or the audit could not complete at all), 2 on bad usage.
//
// Environment:
//   AUDIT_TIMEOUT_MS  per-request timeout in milliseconds (default 10000)
//   AUDIT_DEADLINE_MS time for all audits in milliseconds (default 120000);
//                     audits not started by then count as failed (fatal)
//   AUDIT_JSON        if set, also write all results as JSON to this file

import { writeFileSync } from 'node:fs';
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url || process.argv.length > 3) {
  console.error('usage: node audit.mjs <graphql-url>');
  process.exit(2);
}
try {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
} catch (err) {
  console.error(`audit: invalid URL ${JSON.stringify(url)}: ${err.message}`);
  process.exit(2);
}

const timeoutMs = Number(process.env.AUDIT_TIMEOUT_MS || 10000);
const deadline = Date.now() + Number(process.env.AUDIT_DEADLINE_MS || 120000);

// Global fetch with a bounded time per request, so a hanging server turns
// into a failed audit instead of a hanging CI job.
function fetchWithTimeout(input, init = {}) {
  const signal = init.signal
    ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)])
    : AbortSignal.timeout(timeoutMs);
  return fetch(input, { ...init, signal });
}

// A short description of the response an audit failed on. The audit may
// already have read the body; then only status and content-type are shown.
async function describeResponse(res) {
  if (!res || typeof res.status !== 'number') return '';
  let s = `HTTP ${res.status}`;
  const ct = res.headers?.get?.('content-type');
  s += ct ? `, content-type: ${ct}` : ', no content-type';
  try {
    if (!res.bodyUsed) {
      let body = await res.text();
      body = body.replace(/\s+/g, ' ').trim();
      if (body.length > 300) body = body.slice(0, 300) + '…';
      s += `, body: ${body || '(empty)'}`;
    }
  } catch {
    // body unreadable: status and headers are enough
  }
  return s;
}

const audits = serverAudits({ url, fetchFn: fetchWithTimeout });
if (audits.length === 0) {
  console.error('audit: graphql-http returned no audits');
  process.exit(1);
}

const groups = { ok: [], notice: [], warn: [], error: [], fatal: [] };
for (const audit of audits) {
  let entry;
  if (Date.now() > deadline) {
    entry = {
      id: audit.id,
      name: audit.name,
      status: 'fatal',
      reason: 'not run: AUDIT_DEADLINE_MS exceeded',
    };
    groups.fatal.push(entry);
    continue;
  }
  try {
    const result = await audit.fn();
    entry = { id: audit.id, name: audit.name, status: result.status };
    if (result.status !== 'ok') {
      entry.reason = result.reason;
      entry.response = await describeResponse(result.response);
    }
  } catch (err) {
    // graphql-http throws (rather than returning a result) only when the
    // audit could not be carried out at all, e.g. the server is unreachable.
    const cause = err?.cause ? ` (cause: ${err.cause.message ?? err.cause})` : '';
    entry = {
      id: audit.id,
      name: audit.name,
      status: 'fatal',
      reason: `${err?.name ?? 'Error'}: ${err?.message ?? String(err)}${cause}`,
    };
  }
  (groups[entry.status] ?? (groups[entry.status] = [])).push(entry);
}

const titles = {
  ok: 'OK',
  notice: 'NOTICE (MAY: optional)',
  warn: 'WARN (SHOULD: recommended)',
  error: 'ERROR (MUST: required)',
  fatal: 'FATAL (audit could not complete)',
};

console.log(`GraphQL over HTTP audit of ${url} (graphql-http serverAudits, ${audits.length} audits)`);
for (const [status, entries] of Object.entries(groups)) {
  console.log('');
  console.log(`-- ${titles[status] ?? status}: ${entries.length} --`);
  for (const e of entries) {
    if (status === 'ok') {
      console.log(`  [${e.id}] ${e.name}`);
      continue;
    }
    console.log(`  [${e.id}] ${e.name}`);
    console.log(`      reason: ${e.reason}`);
    if (e.response) console.log(`      response: ${e.response}`);
  }
}

const mustFailures = [...groups.error, ...groups.fatal].filter((e) => e.name.startsWith('MUST'));
console.log('');
console.log(
  `summary: ${audits.length} audits: ${groups.ok.length} ok, ${groups.notice.length} notice, ` +
    `${groups.warn.length} warn, ${groups.error.length} error, ${groups.fatal.length} fatal; ` +
    `${mustFailures.length} MUST failed`,
);

if (process.env.AUDIT_JSON) {
  writeFileSync(process.env.AUDIT_JSON, JSON.stringify({ url, groups }, null, 2) + '\n');
}

if (mustFailures.length > 0) {
  console.log('FAIL: MUST audits failed:');
  for (const e of mustFailures) console.log(`  - ${e.name}: ${e.reason}`);
  process.exit(1);
}
console.log('PASS: every MUST audit passed');
process.exit(0);
