// Bundles every command in bin/src/ into dist/ with esbuild.
// Why bundle: these commands run several to a pipeline, so start-up time is
// the product. One pre-linked file per command (plus shared chunks, loaded
// only when a command imports them) beats resolving hundreds of modules.
import { build } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

const entryPoints = readdirSync('bin/src')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => `bin/src/${f}`);

// No rm of dist/ here: helpers and tests may be running the previous build; `make clean` removes it.
await build({
  entryPoints,
  outdir: 'dist',
  bundle: true,
  splitting: true, // dynamic import() becomes a chunk loaded on demand
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  // Native addons and packages that locate files at run time stay in node_modules.
  external: ['argon2', 'hyperdht', 'sodium-native', 'udx-native', 'bittorrent-dht', 'zx'],
  // Some dependencies are CommonJS and call require() for node built-ins.
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  define: { CCKIT_VERSION: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
