/**
 * Strict argument parsing on top of node:util parseArgs: unknown flags,
 * missing values and stray positionals are usage errors (exit 2) with a hint
 * pointing at --help, as age does.
 */
import { parseArgs } from 'node:util';
import { usageError } from './errors.ts';

export interface FlagSpec {
  type: 'boolean' | 'string';
  short?: string;
  multiple?: boolean;
}
export type FlagSpecs = Record<string, FlagSpec>;

export type ParsedFlags<S extends FlagSpecs> = {
  [K in keyof S]?: S[K]['type'] extends 'boolean'
    ? boolean
    : S[K]['multiple'] extends true
      ? string[]
      : string;
};

export interface Parsed<S extends FlagSpecs> {
  flags: ParsedFlags<S>;
  positionals: string[];
}

const COMMON: FlagSpecs = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

/** Parse argv (without node and script) against `specs` plus -h/--help and --version. */
export function parse<S extends FlagSpecs>(
  name: string,
  argv: string[],
  specs: S,
  opts: { maxPositionals?: number } = {},
): Parsed<S & typeof COMMON> {
  let result;
  try {
    result = parseArgs({ args: argv, options: { ...COMMON, ...specs }, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(describeParseError((err as Error).message), `run '${name} --help' for usage`);
  }
  const max = opts.maxPositionals ?? 0;
  const values = result.values as Record<string, unknown>;
  if (!values.help && !values.version && result.positionals.length > max) {
    const extra = result.positionals[max];
    throw usageError(`unexpected argument '${extra}'`, `run '${name} --help' for usage`);
  }
  return { flags: result.values as ParsedFlags<S & typeof COMMON>, positionals: result.positionals };
}

/** node's messages are long and capitalised; keep the gist, lowercase. */
function describeParseError(msg: string): string {
  const unknown = /Unknown option '([^']+)'/.exec(msg);
  if (unknown) return `unknown flag ${unknown[1]}`;
  const missing = /Option '([^']+)' argument missing/.exec(msg);
  if (missing) return `flag ${missing[1].split(',').pop()!.trim().replace(/ <value>$/, '')} needs a value`;
  const noValue = /Option '([^']+)' does not take an argument/.exec(msg);
  if (noValue) return `flag ${noValue[1].split(',').pop()!.trim()} does not take a value`;
  return msg.split('\n')[0].replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase());
}

/** Throw a usage error when more than one of the given flags is set. */
export function exclusive(name: string, flags: Record<string, unknown>, ...keys: string[]): void {
  const set = keys.filter((k) => flags[k] !== undefined && flags[k] !== false);
  if (set.length > 1) {
    throw usageError(`--${set[0]} and --${set[1]} cannot be used together`, `run '${name} --help' for usage`);
  }
}

/** Parse a non-negative integer flag value (seconds, counts). */
export function intFlag(flag: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw usageError(`--${flag} needs a whole number${min > 0 ? ` of at least ${min}` : ''}, got '${value}'`);
  }
  return Number(value);
}

/** Parse a file-descriptor flag (--passphrase-fd N). */
export function fdFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw usageError(`--${flag} needs a file descriptor number, got '${value}'`);
  return Number(value);
}
