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

// Start-up is measured for cc-seal and cc-open (issue 2: <= 1.5x `node -e 0`). Each is
// built alone, so it loads its own file (plus lazy chunks) rather than a dozen small
// chunks shared with every other command: ~5 ms less per cold start.
const alone = ['bin/src/cc-seal.ts', 'bin/src/cc-open.ts'].filter((e) => entryPoints.includes(e));
const groups = [entryPoints.filter((e) => !alone.includes(e)), ...alone.map((e) => [e])];

// No rm of dist/ here: helpers and tests may be running the previous build; `make clean` removes it.
for (const group of groups) {
  await build({
    entryPoints: group,
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
}
