/**
 * `cc-relay attach`: a terminal client for one session. It follows the log
 * (replaying only what it has not shown after a reconnect), prints events
 * through transcript-text (sanitised), sends each line typed, asks inline
 * for pending permissions (y/n), interrupts on Ctrl-C (twice within two
 * seconds detaches) and reconnects by itself with backoff.
 */
import { randomUUID } from 'node:crypto';
import { createInterface, type Interface } from 'node:readline';
import { CliError, EXIT } from '../cli/errors.ts';
import type { RelayClient } from './client.ts';
import { eventLines, visible } from './transcript-text.ts';

export interface AttachOptions {
  connect: () => Promise<RelayClient>;
  /** The session, or undefined: the one that most needs the user. */
  session?: string;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

function rank(s: Record<string, unknown>): number {
  if (Array.isArray(s.pending) && s.pending.length) return 0;
  return s.state === 'running' ? 1 : s.state === 'idle' || s.state === 'starting' ? 2 : 3;
}

/** Run until the user detaches; resolves with the exit status. */
export async function attach(opts: AttachOptions): Promise<number> {
  let client: RelayClient | undefined;
  let session = opts.session;
  let lastSeq = 0;
  let detached = false;
  let lastCtrlC = 0;
  const pending: { request_id: string; tool: string }[] = [];
  const decided = new Set<string>();
  let rl: Interface | undefined;

  const print = (lines: string[]) => {
    // After detaching, late answers stay silent: a prompt would resume the terminal and keep us alive.
    if (lines.length === 0 || detached) return;
    if (rl) {
      opts.output.write('\r\x1b[K');
    }
    opts.output.write(lines.join('\n') + '\n');
    rl?.prompt(true);
  };
  const status = (text: string) => print([`[${text}]`]);
  const setPrompt = () => {
    const p = pending.find((x) => !decided.has(x.request_id));
    if (detached) return;
    rl?.setPrompt(p ? `allow ${visible(p.tool)}? [y/n] ` : '> ');
    rl?.prompt(true);
  };

  const onEvent = (ev: Record<string, unknown>) => {
    const seq = Number(ev.seq);
    if (!(seq > lastSeq)) return; // exactly once across reconnects
    lastSeq = seq;
    if (ev.kind === 'permission') pending.push({ request_id: String(ev.request_id), tool: String(ev.tool) });
    if (ev.kind === 'decision') decided.add(String(ev.request_id));
    print(eventLines(ev));
    if (ev.kind === 'permission' || ev.kind === 'decision') setPrompt();
  };

  const connectLoop = async (): Promise<void> => {
    let backoff = 250;
    while (!detached) {
      try {
        const c = await opts.connect();
        if (!session) {
          const list = ((await c.request('list')).sessions as Record<string, unknown>[]) ?? [];
          list.sort((a, b) => rank(a) - rank(b) || Number(b.created) - Number(a.created));
          if (list.length === 0) {
            c.close();
            throw new CliError('ERR_NO_SESSION', 'the server hosts no session', EXIT.NOT_FOUND, "start one with 'cc-relay spawn'");
          }
          session = String(list[0].session);
        }
        c.onEvent = (_s, ev) => onEvent(ev);
        c.onClose = () => {
          if (client === c) client = undefined;
          if (!detached) {
            status('connection lost, reconnecting…');
            void connectLoop();
          }
        };
        await c.request('tail', { session, since: lastSeq, follow: true });
        client = c;
        status(`attached to ${session} (from seq ${lastSeq + 1}); Enter sends, Ctrl-C interrupts, Ctrl-C twice detaches`);
        return;
      } catch (err) {
        if (err instanceof CliError && (err.exitCode === EXIT.NOT_FOUND || err.exitCode === EXIT.AUTH || err.exitCode === EXIT.USAGE) && err.code !== 'ERR_NO_SERVER') throw err;
        status(`cannot connect (${visible((err as Error).message)}), retrying`);
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  };

  await connectLoop();

  return new Promise<number>((resolve) => {
    rl = createInterface({ input: opts.input, output: opts.output, terminal: opts.input.isTTY === true });
    setPrompt();
    const detach = () => {
      if (detached) return;
      detached = true;
      rl?.close();
      client?.close();
      opts.input.pause();
      opts.output.write('\n[detached]\n');
      resolve(0);
    };
    rl.on('SIGINT', () => {
      const now = Date.now();
      if (now - lastCtrlC < 2000) return detach();
      lastCtrlC = now;
      if (!client) return status('not connected; Ctrl-C again to detach');
      client.request('interrupt', { session }).then(
        () => status('interrupt sent; Ctrl-C again to detach'),
        (err) => status(`${visible((err as Error).message)}; Ctrl-C again to detach`),
      );
    });
    rl.on('close', detach);
    rl.on('line', (line) => {
      const text = line.trim();
      const p = pending.find((x) => !decided.has(x.request_id));
      if (!client) {
        status('not connected: not sent');
        return;
      }
      if (p && /^(y|yes|n|no)$/i.test(text)) {
        const behavior = /^y/i.test(text) ? 'allow' : 'deny';
        client.request('decide', { session, request_id: p.request_id, behavior }).catch((err) => status(visible((err as Error).message)));
        return;
      }
      if (text === '') return setPrompt();
      client.request('send', { session, text, localId: randomUUID() }).catch((err) => status(visible((err as Error).message)));
    });
  });
}
