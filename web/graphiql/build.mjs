// Bundles GraphiQL into internal/playground/dist with esbuild. Run through
// build.sh, which installs the pinned dependencies first.
//
// Output (minified, no source maps):
//   graphiql.js, graphiql.css          the page's script and styles
//   editor.worker.js, json.worker.js,  Monaco's web workers, loaded by
//   graphql.worker.js                  graphiql.js from the same directory
//
// Each is also written gzip-compressed (NAME.gz) for clients that accept it.
//
// The build fails if the CSS would load anything from another host: every
// font and image it references is inlined as a data: URL.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants as zlib } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, '../../internal/playground/dist');
// Files in outdir that are committed rather than built.
const keep = new Set(['.gitignore', 'README.md']);

const common = {
  bundle: true,
  minify: true,
  sourcemap: false,
  legalComments: 'none',
  target: ['es2022'],
  format: 'iife',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
};

async function clean() {
  await mkdir(outdir, { recursive: true });
  for (const name of await readdir(outdir)) {
    if (!keep.has(name)) {
      await rm(path.join(outdir, name), { recursive: true, force: true });
    }
  }
}

// graphiql/style.css already contains Monaco's complete stylesheet (for the
// same Monaco version graphiql pins), so the .css files that Monaco's own
// modules import would only add a second copy: resolve them to nothing.
const dropMonacoCSS = {
  name: 'drop-monaco-css',
  setup(b) {
    b.onResolve({ filter: /\.css$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}monaco-editor${path.sep}`)
        ? { path: args.path, namespace: 'drop-monaco-css' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'drop-monaco-css' }, () => ({ contents: '', loader: 'css' }));
  },
};

async function build() {
  await clean();
  await esbuild.build({
    ...common,
    entryPoints: { graphiql: path.join(here, 'src/main.jsx') },
    outdir,
    jsx: 'automatic',
    plugins: [dropMonacoCSS],
    loader: {
      '.ttf': 'dataurl',
      '.woff': 'dataurl',
      '.woff2': 'dataurl',
      '.png': 'dataurl',
      '.svg': 'dataurl',
      '.gif': 'dataurl',
    },
  });
  await esbuild.build({
    ...common,
    entryPoints: {
      'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
      'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
      'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
    },
    outdir,
  });
}

// check fails the build if a stylesheet references anything but data: URLs
// or imports another stylesheet.
async function check() {
  const problems = [];
  for (const name of await readdir(outdir)) {
    if (!name.endsWith('.css')) continue;
    const css = await readFile(path.join(outdir, name), 'utf8');
    for (const m of css.matchAll(/url\(\s*(['"]?)([^'")]*)\1\s*\)/g)) {
      if (!m[2].startsWith('data:') && !m[2].startsWith('#')) {
        problems.push(`${name}: url(${m[2].slice(0, 80)})`);
      }
    }
    if (/@import\b/.test(css)) problems.push(`${name}: @import`);
  }
  if (problems.length > 0) {
    throw new Error(`the bundle references external resources:\n  ${problems.join('\n  ')}`);
  }
}

// compress writes NAME.gz beside every built file.
async function compress() {
  for (const name of (await readdir(outdir)).sort()) {
    if (keep.has(name)) continue;
    const file = path.join(outdir, name);
    const data = await readFile(file);
    const gz = gzipSync(data, { level: zlib.Z_BEST_COMPRESSION });
    await writeFile(`${file}.gz`, gz);
    const rel = path.relative(path.resolve(here, '../..'), file);
    console.log(`  ${rel}  ${kib(data.length)} (gzip ${kib(gz.length)})`);
  }
}

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;

await build();
await check();
await compress();
