/**
 * Run a program as if exec'd: Node has no execve(2), so spawn it with the
 * terminal handed over (stdio inherited, or /dev/tty as stdin when our stdin
 * was the pipe that brought the input), forward the signals meant for us,
 * and end with the child's exit status, or the same signal that killed it.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { CliError, EXIT } from '../cli/errors.ts';

/**
 * Signals a user or supervisor sends to *our* pid (kill, systemd, a closing
 * terminal); passed on so the child can exit cleanly. Ctrl-C and window size
 * changes reach the child from the terminal itself (same process group);
 * Claude Code reads Ctrl-C as a key in raw mode, so forwarding cannot double it.
 */
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** What the child gets as stdin: ours ('inherit'), the terminal ('tty'), or nothing ('ignore'). */
export type StdinMode = 'inherit' | 'tty' | 'ignore';

/** How execHandover runs the child: its directory, stdin, environment and the hint for a missing binary. */
export interface ExecOptions {
  cwd: string;
  /** 'tty': give the child /dev/tty (our stdin was used up); falls back to 'ignore' without one. */
  stdin: StdinMode;
  env?: NodeJS.ProcessEnv;
  /** For the not-found message: how the user chooses another binary. */
  binHint?: string;
}

function openStdin(mode: StdinMode): number | 'inherit' | 'ignore' {
  if (mode !== 'tty') return mode;
  if (process.env.CCKIT_NO_TTY === '1') return 'ignore';
  try {
    return openSync('/dev/tty', 'r');
  } catch {
    return 'ignore';
  }
}

/** Resolves with the child's exit status; a child killed by a signal re-raises it on us. */
export function execHandover(argv: string[], opts: ExecOptions): Promise<number> {
  const [bin, ...args] = argv;
  const stdin = openStdin(opts.stdin);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: opts.cwd,
      stdio: [stdin, 'inherit', 'inherit'],
      env: { ...(opts.env ?? process.env), PWD: opts.cwd },
    });
    if (typeof stdin === 'number') closeSync(stdin); // the child has its own copy now
    const forward = (sig: NodeJS.Signals) => () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    };
    const handlers = FORWARDED.map((sig) => [sig, forward(sig)] as const);
    for (const [sig, fn] of handlers) process.on(sig, fn);
    const detach = () => {
      for (const [sig, fn] of handlers) process.removeListener(sig, fn);
    };

    child.on('error', (err: NodeJS.ErrnoException) => {
      detach();
      const hint = opts.binHint ?? 'install Claude Code (npm install -g @anthropic-ai/claude-code) or set CCKIT_CLAUDE';
      if (err.code === 'ENOENT') reject(new CliError('ERR_NO_CLAUDE', `cannot run ${bin}: not found`, EXIT.FAILURE, hint));
      else if (err.code === 'EACCES') reject(new CliError('ERR_NO_CLAUDE', `cannot run ${bin}: not executable`, EXIT.FAILURE, hint));
      else reject(new CliError('ERR_EXEC', `cannot run ${bin}: ${err.code ?? err.message}`, EXIT.FAILURE));
    });
    child.on('exit', (code, signal) => {
      detach();
      if (signal) {
        // Die the same way, so a shell or supervisor sees what happened to the session.
        process.kill(process.pid, signal);
        setTimeout(() => resolve(128 + (constants.signals[signal] ?? 0)), 100); // signals Node ignores (SIGPIPE)
        return;
      }
      resolve(code ?? EXIT.FAILURE);
    });
  });
}
