// cc-testnet — a private DHT on 127.0.0.1 for tests and the demo.
import { fstatSync } from 'node:fs';
import { run } from '../../lib/cli/run.ts';
import { parse, intFlag } from '../../lib/cli/args.ts';
import { CliError, EXIT } from '../../lib/cli/errors.ts';
import { writeLine } from '../../lib/cli/io.ts';
import { startTestnet } from '../../lib/dht/testnet.ts';

const NAME = 'cc-testnet';

const USAGE = `Usage:
  cc-testnet [--nodes N] [--hyper] [--ttl S]

Start a private Mainline DHT of N bittorrent-dht nodes on 127.0.0.1 (and,
with --hyper, a HyperDHT testnet), print one JSON line with the addresses to
bootstrap from, and stay up until SIGINT or SIGTERM, end of stdin (when stdin
is a pipe: the process that started it went away) or --ttl seconds. Nothing is bound or sent outside
the loopback interface.

  {"bootstrap":"127.0.0.1:PORT","nodes":N,"hyper_bootstrap":"127.0.0.1:PORT","hyper_nodes":M,"pid":PID}

Use it as CCKIT_BOOTSTRAP (and CCKIT_HYPER_BOOTSTRAP) for the other commands.

Options:
  --nodes N    Mainline nodes (default 20, at most 500)
  --hyper      also start a HyperDHT testnet (min(N, 10) nodes, at least 3)
  --ttl S      stop after S seconds
  -h, --help   show this help
  --version    show the version

Exit status: 0 stopped cleanly, 1 failure, 2 usage.
`;

/**
 * Watch stdin only when its end means "the parent went away": a pipe or a
 * socket. Not /dev/null or a file (they end at once), and not a terminal
 * (reading it from a background job would stop the whole process, SIGTTIN).
 */
function stdinEndsSession(): boolean {
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

run(NAME, USAGE, async (argv) => {
  const { flags } = parse(NAME, argv, {
    nodes: { type: 'string' },
    hyper: { type: 'boolean' },
    ttl: { type: 'string' },
  });
  const nodes = intFlag('nodes', flags.nodes, 20, 1);
  if (nodes > 500) throw new CliError('ERR_USAGE', `--nodes is at most 500, got ${nodes}`, EXIT.USAGE);
  const ttl = flags.ttl === undefined ? undefined : intFlag('ttl', flags.ttl, 0, 1);

  const net = await startTestnet({ nodes, hyper: !!flags.hyper });
  const info: Record<string, unknown> = { bootstrap: net.bootstrap, nodes: net.nodes.length };
  if (net.hyperBootstrap) Object.assign(info, { hyper_bootstrap: net.hyperBootstrap, hyper_nodes: net.hyperNodes });
  info.pid = process.pid;
  writeLine(JSON.stringify(info));
  if (process.stderr.isTTY) {
    const env = `CCKIT_BOOTSTRAP=${net.bootstrap}${net.hyperBootstrap ? ` CCKIT_HYPER_BOOTSTRAP=${net.hyperBootstrap}` : ''}`;
    process.stderr.write(`${NAME}: ${net.nodes.length} nodes on 127.0.0.1; in another shell: export ${env}\n${NAME}: stop with Ctrl-C\n`);
  }

  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (ttl !== undefined) setTimeout(done, ttl * 1000).unref();
    if (stdinEndsSession()) {
      process.stdin.on('data', () => {});
      process.stdin.once('end', done);
      process.stdin.once('error', done);
    }
  });
  process.stdin.destroy();
  await net.stop();
});
