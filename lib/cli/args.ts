/**
 * lib/cli/ — what every command shares: argument parsing, errors and exit
 * codes, JSON on stdin/stdout, /dev/tty prompts, secrets from env or fd.
 * Imports nothing of ours but config.ts.
 *
 * Strict argument parsing on top of node:util parseArgs: unknown flags,
 * missing values and stray positionals are usage errors (exit 2) with a hint
 * pointing at --help, as age does. Which flags go together is declared in
 * the command's rules (`conflicts`, `requires`, `noPositionalsWith`) and
 * enforced here, so a command reads as parse → call lib → print.
 */
import { parseArgs } from 'node:util';
import { usageError } from './errors.ts';

/** One flag's declaration: boolean or string, its one-letter alias, and whether it may repeat. */
export interface FlagSpec {
  type: 'boolean' | 'string';
  short?: string;
  multiple?: boolean;
}
/** A command's flags: long name (without --) to FlagSpec. */
export type FlagSpecs = Record<string, FlagSpec>;

/** The values parse() returns for `S`: booleans for boolean flags, string[] for repeatable ones, string otherwise; absent flags are undefined. */
export type ParsedFlags<S extends FlagSpecs> = {
  [K in keyof S]?: S[K]['type'] extends 'boolean'
    ? boolean
    : S[K]['multiple'] extends true
      ? string[]
      : string;
};

/** What parse() returns: the typed flags and the positional arguments. */
export interface Parsed<S extends FlagSpecs> {
  flags: ParsedFlags<S>;
  positionals: string[];
}

const COMMON: FlagSpecs = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

/** Which flags go together, declared next to a command's flag specs. */
export interface ArgRules<S extends FlagSpecs = FlagSpecs> {
  maxPositionals?: number;
  /** flag → flags it cannot be used with: "--a and --b cannot be used together". */
  conflicts?: { [K in keyof S]?: (keyof S & string)[] };
  /** flag → a flag (or any of several) it needs: "--interval needs --republish". */
  requires?: { [K in keyof S]?: keyof S & string | (keyof S & string)[] };
  /** flags that take no positional argument: "--revoke takes no argument". */
  noPositionalsWith?: (keyof S & string)[];
  /** a hint for every rule's error; default: run 'NAME --help' for usage. */
  hint?: string;
  /** flag → the hint for a rule about that flag, where the reason is worth saying. */
  hints?: { [K in keyof S]?: string };
}

/** Parse argv (without node and script) against `specs` plus -h/--help and --version, then enforce `rules`. */
export function parse<S extends FlagSpecs>(
  name: string,
  argv: string[],
  specs: S,
  rules: ArgRules<S> = {},
): Parsed<S & typeof COMMON> {
  const opts = rules;
  let result;
  try {
    result = parseArgs({ args: joinNegativeValues(argv, specs), options: { ...COMMON, ...specs }, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(describeParseError((err as Error).message), `run '${name} --help' for usage`);
  }
  const max = opts.maxPositionals ?? 0;
  const values = result.values as Record<string, unknown>;
  if (!values.help && !values.version && result.positionals.length > max) {
    const extra = result.positionals[max];
    throw usageError(`unexpected argument '${extra}'`, `run '${name} --help' for usage`);
  }
  if (!values.help && !values.version) enforceRules(name, values, result.positionals, rules as ArgRules);
  return { flags: result.values as ParsedFlags<S & typeof COMMON>, positionals: result.positionals };
}

/**
 * `--ttl -1`: parseArgs calls a value starting with a dash ambiguous. A
 * negative number after a flag that takes a value is that flag's value, so
 * the flag's own check can say what is wrong with it.
 */
function joinNegativeValues(argv: string[], specs: FlagSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return out.concat(argv.slice(i));
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name && specs[name]?.type === 'string' && i + 1 < argv.length && /^-\d/.test(argv[i + 1])) {
      out.push(`${a}=${argv[++i]}`);
    } else {
      out.push(a);
    }
  }
  return out;
}

const isSet = (v: unknown): boolean => v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);

function enforceRules(name: string, values: Record<string, unknown>, positionals: string[], rules: ArgRules): void {
  const hint = rules.hint ?? `run '${name} --help' for usage`;
  for (const [flag, others] of Object.entries(rules.conflicts ?? {})) {
    if (!isSet(values[flag])) continue;
    const clash = (others ?? []).find((o) => isSet(values[o]));
    if (clash) throw usageError(`--${flag} and --${clash} cannot be used together`, rules.hints?.[flag] ?? hint);
  }
  for (const [flag, need] of Object.entries(rules.requires ?? {})) {
    const needs = ([] as string[]).concat(need ?? []);
    if (isSet(values[flag]) && !needs.some((n) => isSet(values[n]))) {
      throw usageError(`--${flag} needs ${needs.map((n) => `--${n}`).join(' or ')}`, rules.hints?.[flag] ?? hint);
    }
  }
  const alone = (rules.noPositionalsWith ?? []).find((f) => isSet(values[f]));
  if (alone && positionals.length > 0) throw usageError(`--${alone} takes no argument, got '${positionals[0]}'`, hint);
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

/** The largest value an integer flag takes, and how to say it ("a year"). */
export interface IntMax {
  value: number;
  says?: string;
}

/** Parse a non-negative integer flag value (seconds, counts), at least `min`, at most `max`. */
export function intFlag(flag: string, value: string | undefined, fallback: number, min = 0, max?: IntMax): number {
  if (value === undefined) return fallback;
  const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
  const n = Number(value);
  if (/^\s*-/.test(value) || (min > 0 && /^\d+$/.test(value) && n < min)) {
    throw usageError(`--${flag} must be a ${min > 0 ? 'positive' : 'non-negative'} number, got '${shown}'`);
  }
  if (!/^\d+$/.test(value)) throw usageError(`--${flag} needs a whole number, got '${shown}'`);
  const limit = max?.value ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(n) || n > limit) {
    throw usageError(`--${flag} must be at most ${limit}${max?.says ? ` (${max.says})` : ''}, got '${shown}'`);
  }
  return n;
}

/** Parse a file-descriptor flag (--passphrase-fd N). */
export function fdFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw usageError(`--${flag} needs a file descriptor number, got '${value}'`);
  return Number(value);
}
