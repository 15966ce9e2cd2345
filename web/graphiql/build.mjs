// Bundles GraphiQL into internal/playground/dist with esbuild. Run through
// build.sh, which installs the pinned dependencies first.
//
//   node build.mjs           build into internal/playground/dist
//   node build.mjs --check   build into a temporary directory and fail if
//                            the result differs from what is committed
//
// Output (minified, no source maps), each file gzip-compressed as NAME.gz,
// which is what is committed and what the gateway embeds and serves:
//   graphiql.js, graphiql.css          the page's script and styles
//   editor.worker.js, json.worker.js,  Monaco's web workers, loaded by
//   graphql.worker.js                  graphiql.js from the same directory
//
// The build is deterministic: the same lockfile gives the same bytes
// (esbuild's output does not depend on paths or time; gzip headers carry no
// name and a zero mtime). The check compares the decompressed contents, so
// it does not depend on the zlib that Node.js was built with.
//
// The build fails if the CSS would load anything from another host: every
// font and image it references is inlined as a data: URL.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync, constants as zlib } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const distdir = path.resolve(repo, 'internal/playground/dist');
// Files in distdir that are committed but not built.
const keep = new Set(['.gitignore', 'README.md']);
// The files the page loads; internal/playground embeds NAME.gz of each.
const outputs = ['editor.worker.js', 'graphiql.css', 'graphiql.js', 'graphql.worker.js', 'json.worker.js'];

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

async function clean(dir) {
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) {
    if (!keep.has(name)) {
      await rm(path.join(dir, name), { recursive: true, force: true });
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

// build writes the uncompressed bundle into outdir.
async function build(outdir) {
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
async function checkCSS(outdir) {
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

// compress writes NAME.gz into dir for every built file in outdir.
async function compress(outdir, dir) {
  const built = (await readdir(outdir)).sort();
  if (built.join(' ') !== outputs.join(' ')) {
    throw new Error(`esbuild wrote ${built.join(', ')}; expected ${outputs.join(', ')}`);
  }
  let raw = 0;
  let packed = 0;
  for (const name of built) {
    const data = await readFile(path.join(outdir, name));
    const gz = gzipSync(data, { level: zlib.Z_BEST_COMPRESSION });
    await writeFile(path.join(dir, `${name}.gz`), gz);
    raw += data.length;
    packed += gz.length;
    console.log(`  ${path.relative(repo, path.join(dir, name))}.gz  ${kib(gz.length)} (${kib(data.length)} uncompressed)`);
  }
  console.log(`  total  ${kib(packed)} (${kib(raw)} uncompressed)`);
}

// compare fails unless dir holds NAME.gz for exactly the outputs, each
// decompressing to the freshly built NAME in outdir.
async function compare(outdir, dir) {
  const problems = [];
  const want = outputs.map((name) => `${name}.gz`);
  const have = (await readdir(dir)).filter((name) => !keep.has(name)).sort();
  for (const name of have) {
    if (!want.includes(name)) problems.push(`${name}: committed but not built`);
  }
  for (const name of outputs) {
    const fresh = await readFile(path.join(outdir, name));
    let committed;
    try {
      committed = gunzipSync(await readFile(path.join(dir, `${name}.gz`)));
    } catch (err) {
      problems.push(`${name}.gz: ${err.code === 'ENOENT' ? 'built but not committed' : err.message}`);
      continue;
    }
    if (!fresh.equals(committed)) {
      problems.push(`${name}.gz: differs from the build (committed ${committed.length} bytes, built ${fresh.length})`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `the committed bundle in ${path.relative(repo, dir)} is not what package-lock.json and src/ build:\n  ` +
        `${problems.join('\n  ')}\nrun 'bash web/graphiql/build.sh' and commit the result.`,
    );
  }
  console.log(`  ${path.relative(repo, dir)}: the committed bundle is what the lockfile and src/ build`);
}

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;

const checkOnly = process.argv.includes('--check');
const tmp = await mkdtemp(path.join(os.tmpdir(), 'graphiql-build-'));
try {
  await build(tmp);
  await checkCSS(tmp);
  if (checkOnly) {
    await compare(tmp, distdir);
  } else {
    await clean(distdir);
    await compress(tmp, distdir);
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
