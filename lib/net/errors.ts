/**
 * The stable error codes of lib/net/, so callers (cc-pair, the relay, session
 * carry) can tell "the peer refused us" from "nobody answered" from "the
 * peer sent garbage" without parsing messages.
 */
import { CliError, EXIT, type ExitCode } from '../cli/errors.ts';

/** Every code a lib/net/ failure carries. */
export const NET = {
  /** No DHT node answered / the peer's key is not announced. */
  UNREACHABLE: 'ERR_NET_UNREACHABLE',
  /** The peer's firewall refused our key (or the connection died in the handshake). */
  REFUSED: 'ERR_NET_REFUSED',
  /** A step did not finish in time. */
  TIMEOUT: 'ERR_NET_TIMEOUT',
  /** A frame above the size limit arrived or was about to be sent. */
  FRAME_TOO_LARGE: 'ERR_NET_FRAME_TOO_LARGE',
  /** A frame that is not one JSON object. */
  BAD_FRAME: 'ERR_NET_BAD_FRAME',
  /** The stream ended (cleanly or not) before what we waited for. */
  CLOSED: 'ERR_NET_CLOSED',
} as const;

export type NetCode = (typeof NET)[keyof typeof NET];

/** A CliError with one of the NET codes (exit 1 unless said otherwise). */
export function netError(code: NetCode, message: string, exit: ExitCode = EXIT.FAILURE, hint?: string): CliError {
  return new CliError(code, message, exit, hint);
}

/** Map hyperdht's own error codes onto ours. */
export function fromHyperError(err: unknown, what: string): CliError {
  if (err instanceof CliError) return err;
  const code = (err as { code?: string })?.code ?? '';
  if (code === 'PEER_NOT_FOUND') return netError(NET.UNREACHABLE, `${what}: peer not found on the DHT`, EXIT.FAILURE, 'is the other side running and online?');
  if (/HANDSHAKE|SERVER_ERROR|REMOTE_ABORTED|CONNECTION_REFUSED/.test(code)) return netError(NET.REFUSED, `${what}: the peer refused the connection`);
  if (/NODE_DESTROYED|DESTROYED/.test(code)) return netError(NET.CLOSED, `${what}: connection closed`);
  const msg = ((err as Error)?.message ?? String(err)).split('\n')[0];
  return netError(NET.UNREACHABLE, `${what}: ${msg.charAt(0).toLowerCase()}${msg.slice(1)}`);
}
