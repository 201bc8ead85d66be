// cc-resume — enter a handed-off session's project and run `claude --resume <id>`.
import { run, warn } from '../../lib/cli/run.ts';
import { parse } from '../../lib/cli/args.ts';
import { CliError, EXIT } from '../../lib/cli/errors.ts';
import { readInput, writeJson } from '../../lib/cli/io.ts';
import { confirm, hasTty } from '../../lib/cli/tty.ts';
import { setting } from '../../lib/config.ts';
import { projectsDir } from '../../lib/claude/sessions.ts';
import { applyLink, parseResumeInput, planResume } from '../../lib/claude/resume.ts';
import { execHandover } from '../../lib/claude/exec.ts';

const NAME = 'cc-resume';
const USAGE = `Usage:
  cc-resume [-y] [--cwd DIR] [ID|JSON|-] [-- CLAUDE-ARGS...]
  cc-resume --print [--cwd DIR] [ID|JSON|-] [-- CLAUDE-ARGS...]

Resume a Claude Code session, typically one handed over from another machine:
  cc-dht-get pk:… | cc-open | cc-resume

Reads cc-open's output, a payload {"s":UUID,"h":HOST,"p":DIR} or a bare
session id, from stdin or as the argument. Finds UUID.jsonl under
CLAUDE_CONFIG_DIR/projects, enters the project directory the session file
records (the payload's p is only a hint, used when the file records none and
p matches the folder the session is filed under), asks for
confirmation on the terminal, and runs 'claude --resume UUID' with the
terminal handed over. Arguments after -- are passed on to claude.

Options:
  -y, --yes        resume without asking (needed when there is no terminal)
  --print          print {"cwd","argv","file"} and run nothing
  --cwd DIR        run in DIR, your copy of the project, instead (links the
                   session into DIR's project folder; only --cwd does that)
  -h, --help       show this help
  --version        show the version

Environment: CCKIT_CLAUDE (the claude binary; config.toml: claude.bin),
CLAUDE_CONFIG_DIR, CCKIT_NO_TTY=1 (act as if there were no terminal).
Exit status: 0 ok, 1 failure or not confirmed, 2 usage, 3 session or project
directory not found, 4 the input's session id or path is not valid; once
claude runs, its own exit status.
`;

run(NAME, USAGE, async (argv) => {
  // Everything after the first `--` belongs to claude, untouched by our parser.
  const dashdash = argv.indexOf('--');
  const own = dashdash === -1 ? argv : argv.slice(0, dashdash);
  const extraArgs = dashdash === -1 ? [] : argv.slice(dashdash + 1);
  const { flags, positionals } = parse(
    NAME,
    own,
    { yes: { type: 'boolean', short: 'y' }, print: { type: 'boolean' }, cwd: { type: 'string' } },
    { maxPositionals: 1 },
  );
  const arg = positionals[0];
  const fromStdin = arg === undefined || arg === '-';
  const target = fromStdin
    ? parseResumeInput((await readInput(NAME, "cc-open's output, a payload or a session id")).toString('utf8'), 'stdin')
    : parseResumeInput(arg, 'argument');

  const claudeBin = (await setting(undefined, 'CCKIT_CLAUDE', 'claude.bin', 'claude'))!;
  const plan = planResume(target, { root: projectsDir(), claudeBin, extraArgs, cwdOverride: flags.cwd });

  if (flags.print) {
    writeJson({ cwd: plan.cwd, argv: plan.argv, file: plan.file, ...(plan.link ? { link: plan.link } : {}) });
    return EXIT.OK;
  }
  if (!flags.yes) {
    if (!hasTty()) {
      throw new CliError('ERR_NO_TTY', 'not resuming without confirmation, and there is no terminal to ask on', EXIT.FAILURE, 'pass -y to resume without asking');
    }
    const from = target.host ? ` from ${target.host}` : '';
    if (!(await confirm(`Resume Claude Code session ${target.id}${from} in ${plan.cwd}?`))) {
      throw new CliError('ERR_NOT_CONFIRMED', 'not resumed', EXIT.FAILURE);
    }
  }
  if (plan.link) {
    applyLink(plan);
    warn(NAME, `linked ${plan.link.path} -> ${plan.link.target} so claude finds the session from ${plan.cwd}`);
  }
  return execHandover(plan.argv, {
    cwd: plan.cwd,
    // Our stdin brought the input and is used up: give claude the terminal instead.
    stdin: fromStdin ? 'tty' : 'inherit',
    binHint: 'install Claude Code (npm install -g @anthropic-ai/claude-code), or set CCKIT_CLAUDE or claude.bin in config.toml',
  });
});
