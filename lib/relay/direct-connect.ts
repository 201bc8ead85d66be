/**
 * The direct-connect bridge (DESIGN.md §10): Claude Code's own remote client
 * (`claude cc://HOST:PORT/TOKEN`, the Agent SDK's DirectConnectTransport)
 * speaks plain stream-json over a WebSocket. Out: claude's lines from the
 * session log, and pending permissions as can_use_tool control requests.
 * In: user messages, control responses (decisions) and control requests
 * (interrupt, initialize). Each is gated by the token's abilities.
 */
import type { WebSocket } from 'ws';
import type { Session } from './session.ts';
import type { TokenRecord } from './tokens.ts';

/** Claude Code's client expects newline-terminated lines. */
function line(msg: unknown): string {
  return JSON.stringify(msg) + '\n';
}

/** Serve one direct-connect WebSocket for `session`. */
export function bridgeDirectConnect(ws: WebSocket, session: Session, record: TokenRecord): void {
  const can = (cap: string) => (record.allow as string[]).includes(cap);
  let cursor = 0;
  let pumping = false;
  const pump = () => {
    if (pumping || ws.readyState !== ws.OPEN) return;
    pumping = true;
    try {
      while (cursor < session.log.lastSeq && ws.bufferedAmount < 1 << 20) {
        const lines = session.log.readAfter(cursor, 256);
        if (lines.length === 0) break;
        for (const l of lines) {
          const ev = JSON.parse(l);
          if (ev.kind === 'claude') ws.send(line(ev.msg));
          else if (ev.kind === 'permission') {
            ws.send(line({ type: 'control_request', request_id: ev.request_id, request: { subtype: 'can_use_tool', tool_name: ev.tool, input: ev.input, tool_use_id: ev.tool_use_id ?? undefined } }));
          }
        }
        cursor += lines.length;
      }
    } finally {
      pumping = false;
    }
    if (cursor < session.log.lastSeq) setTimeout(pump, 10);
  };
  const unsubscribe = can('view') ? session.log.subscribe(() => setImmediate(pump)) : () => undefined;
  if (can('view')) setImmediate(pump);

  const reply = (requestId: unknown, error?: string, response: Record<string, unknown> = {}) =>
    ws.send(
      line({
        type: 'control_response',
        response: error ? { subtype: 'error', request_id: requestId, error } : { subtype: 'success', request_id: requestId, response },
      }),
    );

  let partial = '';
  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.close(4400, 'text frames only');
    partial += data.toString();
    if (partial.length > 1 << 20) return ws.close(1009, 'message too large');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) void handle(p);
  });

  async function handle(text: string): Promise<void> {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text);
    } catch {
      return; // not a line we understand
    }
    if (!msg || typeof msg !== 'object') return;
    try {
      if (msg.type === 'user') {
        if (!can('send')) throw new Error(`${record.name} may not send`);
        const m = (msg.message ?? {}) as Record<string, unknown>;
        const content = m.content;
        if (typeof content !== 'string' && !Array.isArray(content)) throw new Error('a user message needs content');
        await session.send(record.name, content, typeof msg.uuid === 'string' ? msg.uuid : undefined);
      } else if (msg.type === 'control_response') {
        if (!can('approve')) throw new Error(`${record.name} may not approve`);
        const r = (msg.response ?? {}) as Record<string, unknown>;
        const d = (r.response ?? {}) as Record<string, unknown>;
        const behavior = d.behavior === 'allow' ? 'allow' : 'deny';
        await session.decide(String(r.request_id), behavior, record.name, {
          updatedInput: d.updatedInput,
          message: typeof d.message === 'string' ? d.message : undefined,
        });
      } else if (msg.type === 'control_request') {
        const req = (msg.request ?? {}) as Record<string, unknown>;
        if (req.subtype === 'interrupt') {
          if (!can('send')) return reply(msg.request_id, `${record.name} may not interrupt`);
          await session.interrupt(record.name);
          reply(msg.request_id);
        } else if (req.subtype === 'initialize') {
          reply(msg.request_id, undefined, { commands: [], models: [] });
        } else {
          reply(msg.request_id, `unsupported control request ${String(req.subtype).slice(0, 40)}`);
        }
      }
    } catch (err) {
      // Shown to the client as a system line, not by closing: the session goes on.
      ws.send(line({ type: 'system', subtype: 'cc_relay_error', message: (err as Error).message.split('\n')[0] }));
    }
  }

  ws.on('close', () => unsubscribe());
  ws.on('error', () => undefined);
}
