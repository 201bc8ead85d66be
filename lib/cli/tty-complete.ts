/**
 * A one-line prompt on /dev/tty with Tab completion (node:readline over the
 * terminal, never stdin/stdout). For input typed visibly from a short word
 * list, the way magic-wormhole reads its codes: Tab completes a unique
 * prefix, a second Tab lists the candidates of an ambiguous one. Not for
 * passphrases: readline echoes.
 */
import { openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ReadStream, WriteStream } from 'node:tty';
import { CliError, EXIT } from './errors.ts';
import { openTty } from './tty.ts';

/** Given the line so far, what the word at its end could become (full words). */
export type WordCompleter = (line: string) => { word: string; candidates: string[] };

/** Ask `question` on the terminal and read a line, Tab completing with `complete`. */
export function promptTtyCompleting(question: string, complete: WordCompleter): Promise<string> {
  const inFd = openTty();
  if (inFd === undefined) return Promise.reject(new CliError('ERR_NO_TTY', 'no terminal to prompt on', EXIT.FAILURE));
  const outFd = openSync('/dev/tty', 'w');
  const input = new ReadStream(inFd);
  const output = new WriteStream(outFd);
  const rl = createInterface({
    input,
    output,
    terminal: true,
    historySize: 0,
    tabSize: 4,
    completer: (line: string): [string[], string] => {
      const { word, candidates } = complete(line);
      return [candidates, word];
    },
  });
  return new Promise<string>((resolve, reject) => {
    let answered = false;
    const end = () => {
      rl.close();
      input.destroy(); // each stream closes its own fd
      output.destroy();
    };
    rl.on('SIGINT', () => {
      answered = true;
      output.write('\n');
      end();
      reject(new CliError('ERR_INTERRUPTED', 'interrupted', EXIT.FAILURE));
    });
    rl.on('close', () => {
      if (answered) return;
      answered = true;
      output.write('\n');
      end();
      reject(new CliError('ERR_INTERRUPTED', 'no input (end of file)', EXIT.FAILURE));
    });
    rl.question(question, (answer) => {
      answered = true;
      end();
      resolve(answer);
    });
  });
}
