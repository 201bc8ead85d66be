/**
 * Session events as lines for a terminal (cc-relay attach): user input,
 * assistant text, tool calls folded to one line, permission requests with
 * the full command or diff, decisions, results with cost and tokens. All of
 * it came from claude or a peer: control characters and escape sequences
 * are made visible (\x1b → ^[) before anything reaches the terminal.
 */

/** Make control characters visible; keep newlines and tabs. */
export function visible(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code === 0x7f) return '^?';
    if (code >= 0x80) return `\\u${code.toString(16).padStart(4, '0')}`;
    return '^' + String.fromCharCode(code + 64);
  });
}

const one = (s: string, max = 100) => {
  const flat = visible(s).replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
};

/** One line of what a tool call does. */
export function toolSummary(name: string, input: unknown): string {
  const i = (input ?? {}) as Record<string, unknown>;
  if (typeof i.command === 'string') return `${visible(name)}: ${one(i.command)}`;
  if (typeof i.file_path === 'string') return `${visible(name)}: ${one(i.file_path)}`;
  return `${visible(name)}: ${one(JSON.stringify(input ?? {}))}`;
}

/** The full command or diff shown with a permission request. */
export function toolDetail(name: string, input: unknown): string[] {
  const i = (input ?? {}) as Record<string, unknown>;
  if (name === 'Bash' && typeof i.command === 'string') return visible(`$ ${i.command}`).split('\n');
  if (name === 'Write' && typeof i.file_path === 'string') return [visible(i.file_path), ...visible(String(i.content ?? '')).split('\n').map((l) => `+ ${l}`)];
  if (name === 'Edit' && typeof i.file_path === 'string') {
    return [
      visible(i.file_path),
      ...visible(String(i.old_string ?? '')).split('\n').map((l) => `- ${l}`),
      ...visible(String(i.new_string ?? '')).split('\n').map((l) => `+ ${l}`),
    ];
  }
  return visible(JSON.stringify(input ?? {}, null, 2)).split('\n');
}

/** Cost and tokens of a result line. */
export function resultLine(msg: Record<string, unknown>): string {
  const u = (msg.usage ?? {}) as Record<string, unknown>;
  const cost = typeof msg.total_cost_usd === 'number' ? `$${msg.total_cost_usd.toFixed(4)}` : '$?';
  const head = msg.is_error ? `turn ended (${one(String(msg.subtype ?? 'error'), 40)})` : 'done';
  return `— ${head} · ${cost} · ${Number(u.input_tokens) || 0} in / ${Number(u.output_tokens) || 0} out tokens`;
}

/** The terminal lines for one event (none for bookkeeping events). */
export function eventLines(ev: Record<string, unknown>): string[] {
  switch (ev.kind) {
    case 'input': {
      const c = ev.content;
      return [`> ${visible(typeof c === 'string' ? c : JSON.stringify(c))}${ev.who && ev.who !== 'local' ? `  (${visible(String(ev.who))})` : ''}`];
    }
    case 'claude': {
      const msg = (ev.msg ?? {}) as Record<string, unknown>;
      if (msg.type === 'assistant') {
        const out: string[] = [];
        const content = ((msg.message ?? {}) as Record<string, unknown>).content;
        for (const b of Array.isArray(content) ? content : []) {
          if (b?.type === 'text' && typeof b.text === 'string') out.push(...visible(b.text).split('\n'));
          else if (b?.type === 'tool_use') out.push(`  • ${toolSummary(String(b.name), b.input)}`);
        }
        return out;
      }
      if (msg.type === 'result') return [resultLine(msg)];
      return [];
    }
    case 'permission': {
      const deadline = typeof ev.deadline === 'number' ? `  (${String(ev.default)} at ${new Date(ev.deadline).toLocaleTimeString()})` : '';
      return [`? ${visible(String(ev.tool))} asks permission${deadline}:`, ...toolDetail(String(ev.tool), ev.input).map((l) => `    ${l}`)];
    }
    case 'decision':
      return [`  ${ev.behavior === 'allow' ? 'allowed' : 'denied'} by ${visible(String(ev.who))}${ev.message ? `: ${one(String(ev.message))}` : ''}`];
    case 'interrupt':
      return [`  interrupted by ${visible(String(ev.who))}`];
    case 'lease':
      return ev.taken_from ? [`  ${visible(String(ev.who))} took the writer lease from ${visible(String(ev.taken_from))}`] : [];
    case 'state':
      return ev.state === 'exited' ? [`  claude exited${ev.code !== null && ev.code !== undefined ? ` (${ev.code})` : ''}`] : [];
  }
  return [];
}
