// The Fan-out panel: a GraphiQL plugin that draws the last response's
// backend calls as a waterfall.
//
// withFanoutReport wraps the fetcher so that every operation (introspection
// aside) asks the gateway for its fan-out report (header X-Tributary-Report:
// 1, allowed by fanout_report: on in the development profile, off in
// production) and publishes extensions.tributary.fanout of each response;
// the panel shows the last one. The report's shape is internal/gateway's
// Fanout (report.go): calls per service, each with its start and latency
// on a time axis that starts when the gateway took the request.
import { useState, useSyncExternalStore } from 'react';

import { createStore } from './store.js';

export const REPORT_HEADER = 'X-Tributary-Report';

// ---------------------------------------------------------------- the store

// status: none | report | missing; seq counts the responses seen.
const { publish, subscribe, snapshot } = createStore({ status: 'none' });

// capture publishes the report of one response payload, if it is a
// complete one (a @defer stream's later parts may carry none). The toolkit's
// multipart fetcher (the gateway answers "Accept: multipart/mixed" with
// multipart even without @defer) yields each chunk as an array of parts.
function capture(payload, first) {
  if (!payload || typeof payload !== 'object') return;
  const parts = Array.isArray(payload) ? payload : [payload];
  const report = parts.map((p) => p?.extensions?.tributary?.fanout).findLast(Boolean);
  if (report) {
    publish({ status: 'report', report });
  } else if (first) {
    publish({ status: 'missing' });
  }
}

// withFanoutReport returns fetcher asking for the report and capturing it.
export function withFanoutReport(fetcher) {
  return observe(fetcher, { [REPORT_HEADER]: '1' }, capture);
}

// observe returns fetcher sending the headers extra with every operation
// (introspection aside) and calling see(payload, first) with each payload
// of its result, which it passes on unchanged. The Plan view (plan.jsx)
// observes the same way.
export function observe(fetcher, extra, see) {
  return (params, opts) => {
    if (params?.operationName === 'IntrospectionQuery') {
      return fetcher(params, opts); // GraphiQL's own schema fetch
    }
    const headers = { ...(opts?.headers || {}), ...extra };
    const result = fetcher(params, { ...opts, headers });
    if (result && typeof result.then === 'function') {
      return result.then((r) => {
        if (r && typeof r[Symbol.asyncIterator] === 'function') return tap(r, see);
        see(r, true);
        return r;
      });
    }
    if (result && typeof result[Symbol.asyncIterator] === 'function') return tap(result, see);
    return result;
  };
}

// tap passes an async iterable through, showing see each payload.
async function* tap(iterable, see) {
  let first = true;
  for await (const payload of iterable) {
    see(payload, first);
    first = false;
    yield payload;
  }
}

// ---------------------------------------------------------------- the model

const services = ['catalog', 'pricing', 'inventory', 'reviews', 'users', 'orders'];

// rowsOf flattens the report's per-service calls into rows in start order.
export function rowsOf(report) {
  const rows = [];
  const names = [...services, ...Object.keys(report.services || {}).filter((s) => !services.includes(s))];
  for (const service of names) {
    const sr = report.services?.[service];
    if (!sr) continue;
    for (const b of sr.batches || []) {
      rows.push({ ...b, service, fields: sr.fields || [] });
    }
  }
  rows.sort((a, b) => a.startMs - b.startMs || services.indexOf(a.service) - services.indexOf(b.service));
  return rows;
}

// scaleOf picks the time axis: the request and its calls, and the deadline
// too when the calls came anywhere near it (a tenth of it or more);
// otherwise the deadline is marked off the axis' end.
export function scaleOf(report, rows) {
  const end = Math.max(report.durationMs || 0, ...rows.map((r) => r.startMs + r.latencyMs), 1);
  const deadline = report.deadlineMs || 0;
  const deadlineInScale = deadline > 0 && end >= deadline / 10;
  const max = deadlineInScale ? Math.max(end, deadline) * 1.06 : end * 1.05;
  return { max, deadline, deadlineInScale, ticks: ticksFor(max) };
}

function ticksFor(max) {
  const raw = max / 4;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw);
  const ticks = [];
  for (let t = 0; t <= max; t += step) ticks.push(t);
  return ticks;
}

export function fmtMs(ms) {
  if (ms === 0) return '0';
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10000 ? 0 : 2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

const outcomeLabel = {
  ok: 'ok',
  error: 'error',
  stale: 'stale served',
  circuit_open: 'circuit open',
  not_sent: 'not sent',
};

function outcomeText(row) {
  const label = outcomeLabel[row.outcome] || row.outcome;
  if (row.outcome === 'ok' || row.outcome === 'circuit_open' || !row.code) return label;
  return `${label} ${row.code}`;
}

// ---------------------------------------------------------------- the view

const pct = (ms, max) => `${Math.min(100, (ms / max) * 100).toFixed(3)}%`;

// timeStyle puts a call's duration after its bar, or before it when the
// bar ends in the right third of the axis.
function timeStyle(row, scale) {
  const end = (row.startMs + row.latencyMs) / scale.max;
  if (end < 0.7) return { left: pct(row.startMs + row.latencyMs, scale.max) };
  return { right: `${(100 - Math.min(100, (row.startMs / scale.max) * 100)).toFixed(3)}%`, paddingRight: '4px' };
}

function Row({ row, scale, active, onHover }) {
  const width = row.latencyMs > 0 ? pct(row.latencyMs, scale.max) : '2px';
  const tip =
    `${row.service} ${row.method && row.method !== 'GET' ? row.method + ' ' : ''}${row.endpoint}: ${row.ids} id${row.ids === 1 ? '' : 's'}, ` +
    `from ${fmtMs(row.startMs)} for ${fmtMs(row.latencyMs)}` +
    (row.attempt > 0 ? `, retry ${row.attempt}` : '') +
    `, ${outcomeText(row)}` +
    (row.status ? ` (HTTP ${row.status})` : '') +
    `\nfields waiting on ${row.service}: ${row.fields.length ? row.fields.join(', ') : 'none'}`;
  return (
    <li
      className={`fanout-row fanout-${row.outcome}${active ? ' fanout-active' : ''}`}
      data-service={row.service}
      data-endpoint={row.endpoint}
      data-method={row.method || 'GET'}
      data-outcome={row.outcome}
      data-code={row.code || ''}
      title={tip}
      onMouseEnter={onHover}
      onFocus={onHover}
      tabIndex={0}
    >
      <div className="fanout-label">
        <span className="fanout-service">{row.service}</span>
        {row.method && row.method !== 'GET' && (
          <span className="fanout-method" title="a write">
            {row.method}
          </span>
        )}
        <span className="fanout-endpoint">{row.endpoint}</span>
        <span className="fanout-ids" title="ids in the batch">
          {row.ids} id{row.ids === 1 ? '' : 's'}
        </span>
        {row.attempt > 0 && <span className="fanout-retry">retry {row.attempt}</span>}
        <span className="fanout-outcome">{outcomeText(row)}</span>
      </div>
      <div className="fanout-track">
        <div className="fanout-bar" style={{ left: pct(row.startMs, scale.max), width }} />
        <span className="fanout-time" style={timeStyle(row, scale)}>
          {fmtMs(row.latencyMs)}
        </span>
      </div>
    </li>
  );
}

function Axis({ scale }) {
  return (
    <div className="fanout-axis">
      {scale.ticks.map((t) => (
        <span key={t} className="fanout-tick" style={{ left: pct(t, scale.max) }}>
          {fmtMs(t)}
        </span>
      ))}
    </div>
  );
}

function Deadline({ scale }) {
  if (!scale.deadline) return null;
  const label = `deadline ${fmtMs(scale.deadline)}`;
  if (!scale.deadlineInScale) {
    return (
      <div className="fanout-deadline fanout-offscale" data-in-scale="false" title={`${label}, off this axis`}>
        <span>{label} →</span>
      </div>
    );
  }
  return (
    <div className="fanout-deadline" data-in-scale="true" style={{ left: pct(scale.deadline, scale.max) }} title={label}>
      <span>{label}</span>
    </div>
  );
}

function Totals({ report, rows }) {
  const ids = rows.reduce((n, r) => n + (r.outcome === 'circuit_open' || r.outcome === 'not_sent' ? 0 : r.ids), 0);
  const notSent = rows.filter((r) => r.outcome === 'circuit_open' || r.outcome === 'not_sent').length;
  return (
    <dl className="fanout-totals" data-calls={report.totalCalls} data-rows={rows.length}>
      <div>
        <dt>calls</dt>
        <dd>
          {report.totalCalls}
          {notSent > 0 && ` + ${notSent} not sent`}
        </dd>
      </div>
      <div>
        <dt>ids</dt>
        <dd>{report.totalIds ?? ids}</dd>
      </div>
      <div title="the longest chain of calls that each waited for the one before">
        <dt>rounds</dt>
        <dd>{report.rounds}</dd>
      </div>
      <div title="time with at least one backend call in flight">
        <dt>in backends</dt>
        <dd>{fmtMs(report.backendMs || 0)}</dd>
      </div>
      <div title="the rest: parsing, validation, resolving, merging, and waiting out retry backoffs">
        <dt>in the gateway</dt>
        <dd>{fmtMs(report.gatewayMs || 0)}</dd>
      </div>
      <div>
        <dt>total</dt>
        <dd>{fmtMs(report.durationMs || 0)}</dd>
      </div>
    </dl>
  );
}

function Report({ report }) {
  const rows = rowsOf(report);
  const scale = scaleOf(report, rows);
  const [hovered, setHovered] = useState(-1);
  const focus = rows[hovered];
  return (
    <div className="fanout-report">
      <Totals report={report} rows={rows} />
      {rows.length === 0 ? (
        <p className="fanout-empty">The operation made no backend call.</p>
      ) : (
        <div className="fanout-chart" onMouseLeave={() => setHovered(-1)}>
          <Axis scale={scale} />
          <div className="fanout-plot">
            <ol className="fanout-rows">
              {rows.map((row, i) => (
                <Row key={i} row={row} scale={scale} active={i === hovered} onHover={() => setHovered(i)} />
              ))}
            </ol>
            <div className="fanout-overlay">
              <Deadline scale={scale} />
            </div>
          </div>
        </div>
      )}
      <div className="fanout-fields" aria-live="polite">
        {focus ? (
          <>
            <strong>
              Waited on {focus.service} {focus.endpoint}:
            </strong>{' '}
            {focus.fields.length ? focus.fields.join(', ') : 'no field recorded'}
          </>
        ) : (
          rows.length > 0 && 'Hover a call to see the fields that waited on it.'
        )}
      </div>
      <p className="fanout-note">
        Time from the moment the gateway took the request; batching {report.batching?.mode}.
      </p>
    </div>
  );
}

function FanoutPanel() {
  const state = useSyncExternalStore(subscribe, snapshot);
  return (
    <div className="fanout" data-seq={state.seq}>
      <div className="graphiql-doc-explorer-title">Fan-out</div>
      {state.status === 'none' && (
        <p className="fanout-empty">Run an operation: its backend calls appear here as a waterfall.</p>
      )}
      {state.status === 'missing' && (
        <p className="fanout-empty">
          The gateway sent no fan-out report for the last response. It is off in the production profile; set{' '}
          <code>fanout_report: true</code> to allow it.
        </p>
      )}
      {state.status === 'report' && <Report report={state.report} />}
    </div>
  );
}

function FanoutIcon() {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M3 5h8M6 10h10M9 15h6M12 20h9" strokeLinecap="round" />
    </svg>
  );
}

export const fanoutPlugin = {
  title: 'Fan-out',
  icon: FanoutIcon,
  content: FanoutPanel,
};
