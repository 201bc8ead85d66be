/**
 * What `cc-relay send` reads on stdin: plain text, or JSON — a string,
 * {"text": …}, or {"content": [blocks]} — turned into the send op's fields.
 */
import { CliError, EXIT } from '../cli/errors.ts';

/** The send op's `text` or `content` from stdin bytes. */
export function parseSendInput(data: Buffer): { text: string } | { content: unknown[] } {
  const raw = data.toString('utf8');
  const trimmed = raw.trim();
  if (trimmed === '') throw new CliError('ERR_EMPTY_INPUT', 'empty input: expected a message', EXIT.FAILURE);
  if (trimmed.startsWith('{') || trimmed.startsWith('"')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      return { text: raw.replace(/\n$/, '') }; // text that happens to start with a brace
    }
    if (typeof json === 'string' && json.trim() !== '') return { text: json };
    if (json && typeof json === 'object' && !Array.isArray(json)) {
      const o = json as Record<string, unknown>;
      if (typeof o.text === 'string' && o.text.trim() !== '') return { text: o.text };
      if (Array.isArray(o.content) && o.content.length > 0) return { content: o.content };
    }
    throw new CliError('ERR_BAD_MESSAGE', 'a JSON message needs "text" (a string) or "content" (content blocks)', EXIT.FAILURE);
  }
  return { text: raw.replace(/\n$/, '') };
}
