/**
 * Where things live and which defaults apply. Precedence: flags beat
 * environment beat config.toml beat built-in defaults (DESIGN.md §2).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { CliError, EXIT } from './cli/errors.ts';

function home(): string {
  return process.env.HOME || homedir();
}

/** The folder of the default key file, ~/.pubky (cclink's and pkarr's). */
export function defaultKeyDir(): string {
  return join(home(), '.pubky');
}

/** The identity key file (cclink/pkarr location by default). */
export function keyFilePath(): string {
  return process.env.CCKIT_KEY_FILE || join(defaultKeyDir(), 'secret_key');
}

/** cckit's config dir: config.toml, peers.toml. */
export function configDir(): string {
  if (process.env.CCKIT_CONFIG_DIR) return process.env.CCKIT_CONFIG_DIR;
  const xdg = process.env.XDG_CONFIG_HOME || join(home(), '.config');
  return join(xdg, 'cckit');
}

/** State that is safe to lose (DHT routing table cache, hook records). */
export function stateDir(): string {
  if (process.env.CCKIT_STATE_DIR) return process.env.CCKIT_STATE_DIR;
  const xdg = process.env.XDG_STATE_HOME || join(home(), '.local', 'state');
  return join(xdg, 'cckit');
}

/** Claude Code's own config dir. */
export function claudeConfigDir(): string {
  return process.env.CLAUDE_CONFIG_DIR || join(home(), '.claude');
}

export type ConfigValue = string | number | boolean | string[] | ConfigTable;
export interface ConfigTable {
  [key: string]: ConfigValue;
}

let cached: ConfigTable | undefined;

/** config.toml from the config dir, or {} when there is none. Parsed lazily: most runs never need it. */
export async function loadConfig(): Promise<ConfigTable> {
  if (cached) return cached;
  const path = join(configDir(), 'config.toml');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return (cached = {});
  }
  const { parse } = await import('smol-toml');
  try {
    cached = parse(text) as ConfigTable;
  } catch (err) {
    throw new CliError('ERR_CONFIG', `cannot parse ${path}: ${(err as Error).message.split('\n')[0]}`, EXIT.FAILURE);
  }
  return cached;
}

/** One setting: flag value, else env var, else config key (dotted path), else fallback. */
export async function setting(
  flag: string | undefined,
  envName: string | undefined,
  configKey: string,
  fallback?: string,
): Promise<string | undefined> {
  if (flag !== undefined) return flag;
  if (envName && process.env[envName] !== undefined && process.env[envName] !== '') return process.env[envName];
  const cfg = await loadConfig();
  let node: ConfigValue | undefined = cfg;
  for (const part of configKey.split('.')) {
    if (node && typeof node === 'object' && !Array.isArray(node)) node = (node as ConfigTable)[part];
    else node = undefined;
  }
  if (Array.isArray(node)) return node.join(',');
  if (node !== undefined && typeof node !== 'object') return String(node);
  return fallback;
}
