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

/** A value in config.toml: string, number, boolean, list of strings or a nested table. */
export type ConfigValue = string | number | boolean | string[] | ConfigTable;
/** A parsed config.toml table: key to ConfigValue. */
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
  return (cached = await parseConfig(text, path));
}

/** Parse config.toml's text; a syntax error is ERR_CONFIG naming the file. */
export async function parseConfig(text: string, path = 'config.toml'): Promise<ConfigTable> {
  const { parse } = await import('smol-toml');
  try {
    return parse(text) as ConfigTable;
  } catch (err) {
    throw new CliError('ERR_CONFIG', `cannot parse ${path}: ${(err as Error).message.split('\n')[0]}`, EXIT.FAILURE);
  }
}

/** The value at a dotted key as a setting string (arrays comma-joined), or undefined. */
export function configValue(cfg: ConfigTable, configKey: string): string | undefined {
  let node: ConfigValue | undefined = cfg;
  for (const part of configKey.split('.')) {
    if (node && typeof node === 'object' && !Array.isArray(node)) node = (node as ConfigTable)[part];
    else node = undefined;
  }
  // smol-toml's tables have no prototype: String() or join() on one throws a TypeError, so a
  // table where a value belongs is a config error (found by fuzz-config-toml).
  const scalar = (v: unknown) => typeof v !== 'object' || v instanceof Date;
  if (Array.isArray(node)) {
    if (!node.every(scalar)) throw badValue(configKey, 'a value or a list of values');
    return node.map(String).join(',');
  }
  if (node !== undefined && scalar(node)) return String(node);
  return undefined;
}

function badValue(key: string, what: string): CliError {
  return new CliError('ERR_CONFIG', `config key '${key}' must be ${what}`, EXIT.FAILURE, `fix it in ${join(configDir(), 'config.toml')}`);
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
  return configValue(await loadConfig(), configKey) ?? fallback;
}
