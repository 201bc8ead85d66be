/**
 * Which networks a command talks to: `--transport mainline|relay|hyper`
 * (repeatable or comma-separated), else CCKIT_TRANSPORT, else config
 * `dht.transport`, else Mainline alone.
 */
import { setting } from '../config.ts';
import { usageError } from '../cli/errors.ts';

/** Every transport name --transport accepts. */
export const TRANSPORTS = ['mainline', 'relay', 'hyper'] as const;
/** One of TRANSPORTS. */
export type Transport = (typeof TRANSPORTS)[number];

/** The transports from --transport, else CCKIT_TRANSPORT, else config dht.transport, else mainline; deduplicated, in order; an unknown name is a usage error naming `name`'s --help. */
export async function selectTransports(flag: string[] | undefined, name: string): Promise<Transport[]> {
  const raw = flag && flag.length > 0 ? flag.join(',') : await setting(undefined, 'CCKIT_TRANSPORT', 'dht.transport', 'mainline');
  const out: Transport[] = [];
  for (const t of (raw ?? '').split(/[,\s]+/).filter((s) => s !== '')) {
    if (!(TRANSPORTS as readonly string[]).includes(t)) {
      throw usageError(`unknown transport '${t}'`, `--transport takes ${TRANSPORTS.join(', ')} (run '${name} --help')`);
    }
    if (!out.includes(t as Transport)) out.push(t as Transport);
  }
  if (out.length === 0) throw usageError('no transport selected', `--transport takes ${TRANSPORTS.join(', ')}`);
  return out;
}
