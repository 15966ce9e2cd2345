// The Plan view: a GraphiQL plugin next to the Fan-out panel that shows the
// operation's plan — the rounds, each call (service, endpoint, parameters,
// where its keys come from, the ids known up front), the cost estimate and
// the engine that runs it — before anything runs, and after a run compares
// the planned calls with the calls the fan-out report says were made.
//
// The gateway gives the plan on the GraphQL endpoint itself (header
// X-Tributary-Plan, allowed by plan_report; internal/gateway/plan.go): "only"
// plans without running (the "Plan" button), "1" adds the plan to a run's
// response (withPlan, on every operation the playground runs). The plan's
// shape is internal/gateway's Explained (explain.go), what
// `tributary -explain -json` prints.
import { tryParseJSONC, useGraphiQL } from '@graphiql/react';
import { useEffect, useSyncExternalStore } from 'react';

import { observe } from './fanout.jsx';
import { operationOf } from './operation.js';
import { createStore } from './store.js';

export const PLAN_HEADER = 'X-Tributary-Plan';

// ---------------------------------------------------------------- the store

// status: none | loading | plan | missing | error. A plan comes from a
// preview (source "preview", no run) or with a run's response (source
// "run", with that run's fan-out report when it has one); seq counts updates.
const { publish, subscribe, snapshot } = createStore({ status: 'none' });

const tributaryOf = (payload) => {
  const parts = Array.isArray(payload) ? payload : [payload];
  return {
    plan: parts.map((p) => p?.extensions?.tributary?.plan).findLast(Boolean),
    fanout: parts.map((p) => p?.extensions?.tributary?.fanout).findLast(Boolean),
    errors: parts.flatMap((p) => p?.errors || []),
  };
};

// captureRun publishes the plan that came with a run's first payload (a
// @defer stream's later parts carry none).
function captureRun(payload, first) {
  if (!first || !payload || typeof payload !== 'object') return;
  const { plan, fanout, errors } = tributaryOf(payload);
  if (plan) {
    publish({ status: 'plan', source: 'run', plan, fanout });
  } else if (errors.length > 0) {
    publish({ status: 'error', source: 'run', message: errors[0].message });
  } else {
    publish({ status: 'missing' });
  }
}

// withPlan returns fetcher asking, with every operation, for its plan.
export function withPlan(fetcher) {
  return observe(fetcher, { [PLAN_HEADER]: '1' }, captureRun);
}

// preview asks the gateway for the plan of the editors' operation without
// running it, with the headers of the headers editor (a plan passes the
// same authentication and limits as the query).
async function preview(url, { query, variables, headers, operationName }) {
  publish({ ...snapshot(), status: 'loading' });
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        ...headers,
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json',
        [PLAN_HEADER]: 'only',
      },
      body: JSON.stringify({ query, variables, operationName: operationName || undefined }),
    });
    const body = await res.json().catch(() => null);
    const { plan, errors } = tributaryOf(body || {});
    if (plan) {
      publish({ status: 'plan', source: 'preview', plan });
    } else if (errors.length > 0) {
      publish({ status: 'error', source: 'preview', message: errors[0].message });
    } else {
      publish({ status: 'error', source: 'preview', message: `the gateway answered HTTP ${res.status} without a plan` });
    }
  } catch (err) {
    publish({ status: 'error', source: 'preview', message: String(err?.message || err) });
  }
}

// ---------------------------------------------------------------- the model

const callKey = (service, endpoint) => `${service} ${endpoint}`;

// compare lines up the plan's calls with the report's, per service and
// endpoint: planned calls, calls sent (first attempts), retries, calls the
// gateway did not send (circuit open, budget spent), and ids.
export function compare(plan, fanout) {
  const rows = new Map();
  const row = (service, endpoint) => {
    const k = callKey(service, endpoint);
    if (!rows.has(k)) {
      rows.set(k, { service, endpoint, planned: 0, plannedIds: 0, idsKnown: true, sent: 0, retries: 0, notSent: 0, ids: 0 });
    }
    return rows.get(k);
  };
  for (const r of plan.rounds || []) {
    for (const c of r.calls || []) {
      const x = row(c.service, c.endpoint);
      x.planned++;
      if (c.ids >= 0) x.plannedIds += c.ids;
      else x.idsKnown = false;
    }
  }
  const hits = {};
  for (const [service, sr] of Object.entries(fanout?.services || {})) {
    if (sr.cacheHits) hits[service] = sr.cacheHits;
    for (const b of sr.batches || []) {
      const x = row(service, b.endpoint);
      if (b.outcome === 'circuit_open' || b.outcome === 'not_sent') x.notSent++;
      else if (b.attempt > 0) x.retries++;
      else {
        x.sent++;
        x.ids += b.ids;
      }
    }
  }
  const list = [...rows.values()];
  for (const x of list) x.match = x.planned === x.sent + x.notSent;
  const planned = list.reduce((n, x) => n + x.planned, 0);
  const sent = list.reduce((n, x) => n + x.sent, 0);
  return { rows: list, planned, sent, hits, match: list.every((x) => x.match) };
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

// ---------------------------------------------------------------- the view

function Summary({ plan }) {
  const calls = (plan.rounds || []).reduce((n, r) => n + r.calls.length, 0);
  const cost = plan.cost || {};
  return (
    <dl
      className="fanout-totals plan-summary"
      data-engine={plan.engine}
      data-rounds={(plan.rounds || []).length}
      data-calls={calls}
      data-cost-calls={cost.calls ?? ''}
    >
      <div title="plan: the plan engine runs it; gqlgen: it falls back to gqlgen's executor">
        <dt>engine</dt>
        <dd>{plan.engine}</dd>
      </div>
      <div>
        <dt>rounds</dt>
        <dd>{(plan.rounds || []).length}</dd>
      </div>
      <div title="one per batch limit; a long list of ids may be split">
        <dt>calls planned</dt>
        <dd>{calls}</dd>
      </div>
      <div title="the cost limit's estimate: backend calls, items, depth">
        <dt>cost estimate</dt>
        <dd>
          {plural(cost.calls ?? 0, 'call')}, {plural(cost.items ?? 0, 'item')}, depth {cost.depth ?? 0}
        </dd>
      </div>
      {plan.engine === 'plan' && (
        <div title="selections seen while normalizing: linear in the document">
          <dt>planning work</dt>
          <dd>
            {plan.planningWork} ({plural(plan.nodes, 'field')})
          </dd>
        </div>
      )}
    </dl>
  );
}

function Call({ call }) {
  const ids = call.ids >= 0 ? plural(call.ids, 'id') : 'ids from answers';
  return (
    <li className="plan-call" data-service={call.service} data-endpoint={call.endpoint} title={call.fields.join('\n')}>
      <div className="fanout-label">
        <span className="fanout-service">{call.service}</span>
        <span className="fanout-endpoint">{call.endpoint}</span>
        {call.params?.length > 0 && <span className="plan-params">({call.params.join(', ')})</span>}
        <span className="fanout-ids">{ids}</span>
      </div>
      <div className="plan-keys">keys: {call.keys.filter(Boolean).join(', ') || 'none'}</div>
      <div className="plan-fields">{call.fields.join(' · ')}</div>
    </li>
  );
}

function Rounds({ plan }) {
  if (plan.engine !== 'plan') {
    return <p className="fanout-empty plan-why">Runs on gqlgen's executor: {plan.why}.</p>;
  }
  if (!plan.rounds?.length) return <p className="fanout-empty">The operation makes no backend call.</p>;
  return (
    <ol className="plan-rounds">
      {plan.rounds.map((r) => (
        <li key={r.round} className="plan-round" data-round={r.round}>
          <div className="plan-round-title">
            Round {r.round} · {plural(r.calls.length, 'call')}
          </div>
          <ul className="plan-calls">
            {r.calls.map((c, i) => (
              <Call key={i} call={c} />
            ))}
          </ul>
        </li>
      ))}
    </ol>
  );
}

function Comparison({ plan, fanout }) {
  const cmp = compare(plan, fanout);
  const hits = Object.entries(cmp.hits);
  return (
    <div className="plan-compare" data-planned={cmp.planned} data-sent={cmp.sent} data-match={String(cmp.match)}>
      <div className="graphiql-doc-explorer-title plan-subtitle">Planned and actual calls</div>
      <table>
        <thead>
          <tr>
            <th>call</th>
            <th title="calls in the plan">planned</th>
            <th title="first attempts sent">sent</th>
            <th title="ids in the calls sent (planned ids when known up front)">ids</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {cmp.rows.map((x) => (
            <tr
              key={callKey(x.service, x.endpoint)}
              className={`plan-compare-row${x.match ? '' : ' plan-differs'}`}
              data-service={x.service}
              data-endpoint={x.endpoint}
              data-planned={x.planned}
              data-sent={x.sent}
            >
              <td>
                <span className="fanout-service">{x.service}</span> <span className="fanout-endpoint">{x.endpoint}</span>
              </td>
              <td>{x.planned}</td>
              <td>
                {x.sent}
                {x.retries > 0 && ` + ${plural(x.retries, 'retry')}`}
                {x.notSent > 0 && ` + ${x.notSent} not sent`}
              </td>
              <td>
                {x.ids}
                {x.planned > 0 && x.idsKnown && x.plannedIds !== x.ids && ` (planned ${x.plannedIds})`}
              </td>
              <td>{x.match ? '✓' : '≠'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="fanout-note">
        {cmp.match
          ? `The run made the ${plural(cmp.planned, 'call')} the plan foresaw.`
          : `Planned ${plural(cmp.planned, 'call')}, sent ${cmp.sent}.`}
        {hits.length > 0 && ` Entity cache hits: ${hits.map(([s, n]) => `${s} ${n}`).join(', ')}.`}
        {!cmp.match && ' Fewer calls: keys answered by the entity cache or shared with another request; more: a batch split at its limit, or keys planned together that arrived apart.'}
      </p>
    </div>
  );
}

function editorsOf(state) {
  return {
    query: state.queryEditor?.getValue() ?? '',
    variables: tryParseJSONC(state.variableEditor?.getValue()),
    headers: tryParseJSONC(state.headerEditor?.getValue()) || {},
    operationName: operationOf(state.queryEditor?.getValue() ?? '', state.operationName),
  };
}

function planPanel(url) {
  return function PlanPanel() {
    const state = useSyncExternalStore(subscribe, snapshot);
    const queryEditor = useGraphiQL((s) => s.queryEditor);
    const variableEditor = useGraphiQL((s) => s.variableEditor);
    const headerEditor = useGraphiQL((s) => s.headerEditor);
    const operationName = useGraphiQL((s) => s.operationName);
    const run = () => preview(url, editorsOf({ queryEditor, variableEditor, headerEditor, operationName }));
    // Opening the view plans what the editor holds.
    useEffect(() => {
      if (queryEditor && snapshot().status === 'none') run();
    }, [queryEditor]);
    return (
      <div className="plan" data-seq={state.seq} data-status={state.status} data-source={state.source || ''}>
        <div className="graphiql-doc-explorer-title">Plan</div>
        <p className="plan-actions">
          <button type="button" className="graphiql-button plan-preview" onClick={run} disabled={!queryEditor}>
            Plan this operation
          </button>{' '}
          <span className="fanout-note">
            {state.source === 'run' ? 'the plan of the last run' : 'without running it'}
          </span>
        </p>
        {state.status === 'none' && <p className="fanout-empty">Plan an operation, or run one.</p>}
        {state.status === 'loading' && <p className="fanout-empty">Planning…</p>}
        {state.status === 'error' && <p className="fanout-empty plan-error">No plan: {state.message}</p>}
        {state.status === 'missing' && (
          <p className="fanout-empty">
            The gateway sent no plan. It is off in the production profile; set <code>plan_report: true</code> to allow it.
          </p>
        )}
        {state.status === 'plan' && (
          <>
            <Summary plan={state.plan} />
            {state.source === 'run' && state.fanout && <Comparison plan={state.plan} fanout={state.fanout} />}
            <Rounds plan={state.plan} />
          </>
        )}
      </div>
    );
  };
}

function PlanIcon() {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <rect x="3" y="4" width="6" height="4" rx="1" />
      <rect x="15" y="4" width="6" height="4" rx="1" />
      <rect x="9" y="16" width="6" height="4" rx="1" />
      <path d="M6 8v4h12V8M12 12v4" strokeLinecap="round" />
    </svg>
  );
}

// planPlugin is the Plan view for the GraphQL endpoint at url.
export function planPlugin(url) {
  return { title: 'Plan', icon: PlanIcon, content: planPanel(url) };
}
