#!/usr/bin/env node
// `npm install -g .` links commands and man pages (package.json "bin" and
// "man") but has no notion of shell completions. On a global install this
// links ours where bash-completion, zsh and fish look under npm's prefix;
// on a local install (npm ci in a checkout) it does nothing.
// Usage: node contrib/npm-global-completions.mjs install|uninstall
import { mkdirSync, readdirSync, symlinkSync, rmSync, lstatSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const action = process.argv[2] ?? 'install';
if (process.env.npm_config_global !== 'true' || !process.env.npm_config_prefix) process.exit(0);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = process.env.npm_config_prefix;
const places = [
  ['bash', join(prefix, 'share/bash-completion/completions'), (f) => f],
  ['zsh', join(prefix, 'share/zsh/site-functions'), (f) => f],
  ['fish', join(prefix, 'share/fish/vendor_completions.d'), (f) => f],
];
for (const [shell, dir, name] of places) {
  let files = [];
  try {
    files = readdirSync(join(root, 'completions', shell));
  } catch {
    continue;
  }
  for (const f of files) {
    const target = join(dir, name(f));
    try {
      if (action === 'uninstall') {
        if (lstatSync(target).isSymbolicLink()) rmSync(target);
        continue;
      }
      mkdirSync(dir, { recursive: true });
      rmSync(target, { force: true });
      symlinkSync(join(root, 'completions', shell, f), target);
    } catch (err) {
      // A missing or read-only completion dir must not fail the install.
      if (action !== 'uninstall') console.error(`cckit: could not link ${shell} completion ${f}: ${err.code ?? err.message}`);
    }
  }
}
