// Tributary's self-hosted GraphiQL. The page (internal/playground) renders
//
//   <div id="graphiql" data-endpoint="/graphql" data-assets="/playground/" data-version="…">
//
// and loads this bundle; everything, including Monaco's web workers, comes
// from the gateway's own origin, so the page works under a strict
// Content-Security-Policy and without access to any CDN.
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';

import 'graphiql/style.css';
import './main.css';

import { fanoutPlugin, withFanoutReport } from './fanout.jsx';
import { withCurrentOperation } from './operation.js';
import { defaultTabs } from './operations.js';
import { planPlugin, withPlan } from './plan.jsx';

const root = document.getElementById('graphiql');
const endpoint = root.dataset.endpoint || '/graphql';
const assets = root.dataset.assets || '/playground/';
const version = root.dataset.version ? `?v=${encodeURIComponent(root.dataset.version)}` : '';

// Monaco runs its language services in web workers; build.sh bundles each
// as a classic script next to graphiql.js.
const workers = { json: 'json.worker.js', graphql: 'graphql.worker.js' };
globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    const file = workers[label] || 'editor.worker.js';
    return new Worker(`${assets}${file}${version}`, { name: label });
  },
};

// Absolute URL on this origin: the toolkit hands it to fetch() as is.
const url = new URL(endpoint, window.location.href).toString();

// Every operation asks for its fan-out report, which the Fan-out panel
// draws, and for its plan, which the Plan view compares with the report;
// the result pane shows both too, under extensions.tributary.
const fetcher = withPlan(withFanoutReport(withCurrentOperation(createGraphiQLFetcher({ url }))));
const plugins = [fanoutPlugin, planPlugin(url)];

createRoot(root).render(
  <GraphiQL fetcher={fetcher} defaultTabs={defaultTabs} plugins={plugins} shouldPersistHeaders={false} />,
);
