// Bundles every command in bin/src/ into dist/ with esbuild.
// Why bundle: these commands run several to a pipeline, so start-up time is
// the product (issue 2: <= 1.5x `node -e 0`). Each command is built on its
// own: it loads one pre-linked file, plus chunks only for the dynamic
// import()s it actually reaches, instead of resolving hundreds of modules or a
// dozen chunks shared with every other command.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const entryPoints = readdirSync('bin/src')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `bin/src/${f}`);

const written = new Set();
for (const entry of entryPoints) {
  const result = await build({
    entryPoints: [entry],
    outdir: 'dist',
    bundle: true,
    splitting: true, // dynamic import() becomes a chunk loaded on demand
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    chunkNames: 'chunks/[name]-[hash]',
    // Native addons and packages that locate files at run time stay in node_modules.
    external: ['argon2', 'hyperdht', '@hyperswarm/secret-stream', 'sodium-native', 'udx-native', 'bittorrent-dht', 'zx'],
    // Some dependencies are CommonJS and call require() for node built-ins.
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    define: { CCKIT_VERSION: JSON.stringify(pkg.version) },
    logLevel: 'warning',
  });
  for (const out of Object.keys(result.metafile.outputs)) written.add(resolve(out));
}

// Remove what earlier builds left behind. Not `rm -rf dist` first: a command
// running meanwhile (a test, a republishing daemon) keeps working.
for (const dir of ['dist', 'dist/chunks']) {
  let names = [];
  try {
    names = readdirSync(dir, { withFileTypes: true });
  } catch {
    continue;
  }
  for (const d of names) {
    const path = resolve(join(dir, d.name));
    if (d.isFile() && !written.has(path)) rmSync(path);
  }
}
