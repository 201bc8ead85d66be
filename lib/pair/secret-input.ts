/**
 * Where a joiner's code or link comes from (never argv, DESIGN.md §2):
 * CCKIT_PAIR_CODE, else stdin when it is not a terminal, else a prompt on
 * the terminal. Only the public nameplate may be an argument.
 */
import { CliError, EXIT } from '../cli/errors.ts';
import { readStream } from '../cli/io.ts';
import { hasTty } from '../cli/tty.ts';
import { promptTtyCompleting } from '../cli/tty-complete.ts';
import { parsePairInput, checkNameplate, completeCodeLine, type PairSecret } from './code.ts';

/** Read and parse the pairing secret; `nameplate` when the person gave `cc-pair join NNNN`. */
export async function readPairSecret(nameplate?: string): Promise<PairSecret> {
  if (nameplate !== undefined) checkNameplate(nameplate);
  const fromEnv = process.env.CCKIT_PAIR_CODE;
  if (fromEnv !== undefined && fromEnv !== '') return parsePairInput(fromEnv, nameplate);
  if (!process.stdin.isTTY) {
    const data = await readStream(process.stdin, 4096, 'a pairing code or link');
    const line = data.toString('utf8').split('\n').find((l) => l.trim() !== '');
    data.fill(0);
    if (line === undefined) {
      throw new CliError('ERR_NO_CODE', 'no pairing code or link on stdin', EXIT.USAGE, 'pipe the code in, set CCKIT_PAIR_CODE, or run on a terminal to be asked');
    }
    return parsePairInput(line, nameplate);
  }
  if (!hasTty()) {
    throw new CliError('ERR_NO_TTY', 'a pairing code is needed but there is no terminal to ask on', EXIT.USAGE, 'set CCKIT_PAIR_CODE or pipe the code on stdin');
  }
  // Typed visibly, as magic-wormhole does: the words are short-lived and one
  // online guess each; Tab completes a word from its first letters.
  const question = nameplate ? `Words for ${nameplate} (e.g. acid-mango-lamp; Tab completes a word): ` : 'Pairing code or link (e.g. 4821-acid-mango-lamp; Tab completes a word): ';
  const text = await promptTtyCompleting(question, (line) => completeCodeLine(line, nameplate !== undefined));
  return parsePairInput(text, nameplate);
}
