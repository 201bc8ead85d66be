// cc-context — share a context folder through a store that sees only ciphertext (DESIGN.md §9).
import { resolve } from 'node:path';
import { run, warn } from '../../lib/cli/run.ts';
import { parse, fdFlag } from '../../lib/cli/args.ts';
import { usageError } from '../../lib/cli/errors.ts';
import { writeJson } from '../../lib/cli/io.ts';
import { loadMyIdentity } from '../../lib/identity/unlock.ts';
import { formatPubkey } from '../../lib/identity/identity.ts';
import { resolvePeer } from '../../lib/pair/peers.ts';

const NAME = 'cc-context';

const USAGE = `Usage:
  cc-context init [DIR] --store STORE
  cc-context grant NAME PATH r|w|rw [--dir DIR]
  cc-context revoke NAME [PATH] [--reencrypt] [--dir DIR]
  cc-context push [DIR] [--space OWNER] [--store STORE] [--dht]
  cc-context watch [DIR] [--delay MS] [--rescan S] [--dht]
  cc-context pull OWNER [--store STORE] [--into DIR] [--dht]
  cc-context status [DIR]
  cc-context log [OWNER] [--store STORE]
  cc-context mail send NAME [--space OWNER] [--thread ID] [--reply-to ID] < TEXT
  cc-context mail read [--since ID] [--space OWNER]
  cc-context mail watch [--interval S] [--space OWNER]
  cc-context mcp [--space OWNER] [--work DIR]
  cc-context share DIR --with NAME [--read-only] [--store STORE] [--json]

Shares a context folder (CLAUDE.md, notes, skills, any files) with peers
through a store that holds only ciphertext: a folder or an rclone remote
(rclone:REMOTE:PATH). The owner's authz file (DIR/.cckit/authz) says who
reads (r) and writes (w) which path; grants are encrypted to each peer and
signed by the owner, so peers pull and push while the owner is offline.
Everything a reader gets is verified: signatures, each writer's chain, the
policy, and each object. Output is JSON (log: NDJSON).

Commands:
  init [DIR]            make DIR (default .) a space owned by your key
  grant NAME PATH R     give peer NAME (or pk:…) right r, w or rw on PATH
  revoke NAME [PATH]    take NAME's rules away (all, or on PATH); new epoch
  push [DIR]            encrypt and upload what changed in DIR
  watch [DIR]           push DIR now and again on every change (inotify), until
                        stopped (SIGINT, SIGTERM); NDJSON, one line per push
  pull OWNER            fetch, verify and decrypt what your grant may read
  status [DIR]          local files, what is pushed and what is pending
  log [OWNER]           every verified write: who, when, which path
  mail send NAME        send the text on stdin to a paired peer (signed, encrypted)
  mail read             verified messages to you, NDJSON (gaps shown, replays refused)
  mail watch            like read, then keep printing new messages
  mcp                   serve the context and the mailbox to Claude Code (MCP, stdio)
  share DIR             porcelain: init if needed, grant NAME rw (or r) on the
                        whole space, push, and print the command the peer runs

Options:
  --store STORE         a folder path or rclone:REMOTE:PATH
  --dir DIR             the owner's space folder (default .)
  --reencrypt           revoke: also re-encrypt what the store holds under the new
                        epoch and compact the logs, so no object there opens with a
                        revoked key (what the peer already pulled stays theirs)
  --space OWNER         push: write into OWNER's space from DIR (a peer with w);
                        mail: use OWNER's space (default: the one in .)
  --thread ID           mail send: the conversation this message belongs to
  --reply-to ID         mail send: the message this one answers
  --since ID            mail read: only messages after this id
  --interval S          mail watch: seconds between checks (default 5)
  --delay MS            watch: push once changes have been quiet this long
                        (milliseconds, default 50)
  --rescan S            watch: compare the whole folder every S seconds, for
                        changes inotify missed (default 600, 0 never)
  --work DIR            mcp: the folder writes go to and are pushed from
  --with NAME           share: the peer to share with (a name or pk:…)
  --read-only           share: grant r instead of rw
  --json                share: print JSON instead of text
  --dht                 push, watch, share (owner): publish the _ccctx freshness record
                        on the DHT; pull: check the store is not behind it
  --into DIR            pull: where the files land (default
                        $XDG_STATE_HOME/cckit/context/<owner>/files); read-only
  --passphrase-fd N     read the key file's passphrase from file descriptor N
  -h, --help            show this help
  --version             show the version

Environment: CCKIT_KEY_FILE, CCKIT_PASSPHRASE, CCKIT_CONFIG_DIR, CCKIT_STATE_DIR,
CCKIT_BOOTSTRAP, CCKIT_RELAYS, CCKIT_TRANSPORT (with --dht),
CCKIT_RCLONE, RCLONE_CONFIG and RCLONE_CONFIG_* (rclone's own).
Exit status: 0 ok, 1 failure, 2 usage, 3 not found or withheld, 4 integrity
or access failure (tampered, rolled back, forged, no grant), 5 revoked.
See cc-context(1).
`;

const COMMON = { 'passphrase-fd': { type: 'string' } } as const;

async function me(flags: { 'passphrase-fd'?: string }) {
  return loadMyIdentity(fdFlag('passphrase-fd', flags['passphrase-fd']));
}

const RIGHTS = new Set(['r', 'w', 'rw']);

run(NAME, USAGE, async (argv) => {
  const [sub, ...rest] = argv;
  if (sub === undefined) throw usageError('missing command', `run '${NAME} --help' for usage`);
  // The owner's commands only: push and pull do not load the compiler and the compaction.
  const admin = () => import('../../lib/context/admin.ts');
  switch (sub) {
    case 'init': {
      const { flags, positionals } = parse(NAME, rest, { ...COMMON, store: { type: 'string' } }, { maxPositionals: 1 });
      if (!flags.store) throw usageError('init needs --store STORE', 'a folder path or rclone:REMOTE:PATH');
      writeJson(await (await admin()).init(resolve(positionals[0] ?? '.'), flags.store, await me(flags)));
      return;
    }
    case 'grant': {
      const { flags, positionals } = parse(NAME, rest, { ...COMMON, dir: { type: 'string' } }, { maxPositionals: 3 });
      if (positionals.length !== 3) throw usageError('grant needs NAME PATH r|w|rw', `for example: ${NAME} grant alice /notes r`);
      const [name, path, right] = positionals;
      if (!RIGHTS.has(right)) throw usageError(`bad right '${right}'`, 'a right is r, w or rw');
      writeJson(await (await admin()).grant(resolve(flags.dir ?? '.'), await me(flags), name, path, right as 'r' | 'w' | 'rw'));
      return;
    }
    case 'revoke': {
      const { flags, positionals } = parse(NAME, rest, { ...COMMON, dir: { type: 'string' }, reencrypt: { type: 'boolean' } }, { maxPositionals: 2 });
      if (positionals.length < 1) throw usageError('revoke needs NAME', `for example: ${NAME} revoke alice`);
      writeJson(await (await admin()).revoke(resolve(flags.dir ?? '.'), await me(flags), positionals[0], positionals[1], { reencrypt: !!flags.reencrypt }));
      return;
    }
    case 'push': {
      const { flags, positionals } = parse(NAME, rest, { ...COMMON, space: { type: 'string' }, store: { type: 'string' }, dht: { type: 'boolean' } }, { maxPositionals: 1 });
      const dir = resolve(positionals[0] ?? '.');
      const { isSpace } = await import('../../lib/context/space.ts');
      const { listFiles } = await import('../../lib/context/scan.ts');
      // The folder is listed (another process) while the key is loaded and the store read.
      const listing = flags.space === undefined && isSpace(dir) ? listFiles(dir) : undefined;
      listing?.catch(() => {});
      const { push } = await import('../../lib/context/push.ts');
      const id = await me(flags);
      if (flags.space !== undefined) {
        const { joinAsWriter } = await import('../../lib/context/join.ts');
        await joinAsWriter(dir, formatPubkey(await resolvePeer(flags.space)), flags.store);
      } else if (flags.store !== undefined) {
        throw usageError('--store goes with --space (the first push into a peer\'s space)');
      } else if (!isSpace(dir)) {
        throw usageError(`${dir} is not a shared space`, `run '${NAME} init ${positionals[0] ?? '.'} --store STORE', or push into a peer's space with --space OWNER`);
      }
      writeJson(await push(dir, id, { dht: !!flags.dht, listing, log: (m) => warn(NAME, m) }));
      return;
    }
    case 'watch': {
      const { flags, positionals } = parse(NAME, rest, { ...COMMON, delay: { type: 'string' }, rescan: { type: 'string' }, dht: { type: 'boolean' } }, { maxPositionals: 1 });
      const { intFlag } = await import('../../lib/cli/args.ts');
      const delayMs = intFlag('delay', flags.delay, 50, 0, { value: 3_600_000, says: 'an hour' });
      const rescanS = intFlag('rescan', flags.rescan, 600, 0, { value: 86_400, says: 'a day' });
      const dir = resolve(positionals[0] ?? '.');
      const { isSpace } = await import('../../lib/context/space.ts');
      if (!isSpace(dir)) {
        throw usageError(`${dir} is not a shared space`, `run '${NAME} init ${positionals[0] ?? '.'} --store STORE' (or a first '${NAME} push --space OWNER' into a peer's space) before watching it`);
      }
      const { watchAndPush } = await import('../../lib/context/watch.ts');
      const id = await me(flags);
      // A signal stops the watch once the push under way is done (never half an index write). The
      // same signal again changes nothing (timeout(1) and process managers send it twice: to the
      // process and to its group), except a second Ctrl-C, which stops at once.
      let interrupts = 0;
      const stop = new Promise<void>((r) => {
        process.on('SIGTERM', () => r());
        process.on('SIGHUP', () => r());
        process.on('SIGINT', () => (++interrupts > 1 ? process.exit(130) : r()));
      });
      await watchAndPush(dir, id, {
        delayMs,
        rescanS,
        dht: !!flags.dht,
        stop,
        log: (m) => warn(NAME, m),
        onPush: (r) => process.stdout.write(JSON.stringify(r) + '\n'),
      });
      return;
    }
    case 'pull': {
      const { flags, positionals } = parse(NAME, rest, { ...COMMON, store: { type: 'string' }, into: { type: 'string' }, dht: { type: 'boolean' } }, { maxPositionals: 1 });
      if (positionals.length !== 1) throw usageError('pull needs OWNER (a peer name or pk:…)');
      const owner = formatPubkey(await resolvePeer(positionals[0]));
      const { pull } = await import('../../lib/context/pull.ts');
      writeJson(await pull({ owner, me: await me(flags), store: flags.store, into: flags.into ? resolve(flags.into) : undefined, dht: !!flags.dht, log: (m) => warn(NAME, m) }));
      return;
    }
    case 'status': {
      const { positionals } = parse(NAME, rest, {}, { maxPositionals: 1 });
      const { status } = await import('../../lib/context/status.ts');
      writeJson(await status(resolve(positionals[0] ?? '.')));
      return;
    }
    case 'log': {
      const { flags, positionals } = parse(NAME, rest, { ...COMMON, store: { type: 'string' } }, { maxPositionals: 1 });
      let owner: string;
      if (positionals[0]) owner = formatPubkey(await resolvePeer(positionals[0]));
      else {
        const { readSpaceConfig } = await import('../../lib/context/space.ts');
        owner = readSpaceConfig(resolve('.')).owner;
      }
      const { log } = await import('../../lib/context/status.ts');
      for (const line of await log({ owner, me: await me(flags), store: flags.store })) process.stdout.write(JSON.stringify(line) + '\n');
      return;
    }
    case 'mail': {
      const [verb, ...more] = rest;
      const { locateSpace } = await import('../../lib/context/locate.ts');
      const { openStore } = await import('../../lib/context/store.ts');
      const mail = await import('../../lib/context/mail.ts');
      if (verb === 'send') {
        const { flags, positionals } = parse(NAME, more, { ...COMMON, space: { type: 'string' }, thread: { type: 'string' }, 'reply-to': { type: 'string' } }, { maxPositionals: 1 });
        if (positionals.length !== 1) throw usageError('mail send needs NAME (a paired peer)');
        const to = await resolvePeer(positionals[0]);
        const loc = locateSpace(resolve('.'), flags.space === undefined ? undefined : formatPubkey(await resolvePeer(flags.space)));
        const { readInput } = await import('../../lib/cli/io.ts');
        const text = (await readInput(NAME, 'the message text', { limit: mail.MAX_MAIL_TEXT })).toString('utf8');
        const store = await openStore(loc.store);
        try {
          const env = await mail.sendMail(store, loc.space, await me(flags), to, text, { thread: flags.thread, replyTo: flags['reply-to'] });
          writeJson({ id: env.id, to: formatPubkey(to), thread: env.thread, seq: env.seq, expires: env.expires });
        } finally {
          await store.release();
        }
        return;
      }
      if (verb === 'read' || verb === 'watch') {
        const specs = verb === 'read' ? { ...COMMON, space: { type: 'string' }, since: { type: 'string' } } : { ...COMMON, space: { type: 'string' }, since: { type: 'string' }, interval: { type: 'string' } };
        const { flags } = parse(NAME, more, specs as typeof COMMON & { space: { type: 'string' }; since: { type: 'string' }; interval: { type: 'string' } });
        const loc = locateSpace(resolve('.'), flags.space === undefined ? undefined : formatPubkey(await resolvePeer(flags.space)));
        const { intFlag } = await import('../../lib/cli/args.ts');
        const interval = intFlag('interval', flags.interval, 5, 1);
        const id = await me(flags);
        let since = flags.since;
        for (;;) {
          const store = await openStore(loc.store);
          try {
            const { lines, refused } = await mail.readMail(store, loc.space, id, { since });
            for (const r of refused) warn(NAME, `message ${r.id} refused: ${r.reason}`);
            for (const l of lines) process.stdout.write(JSON.stringify(l) + '\n');
            const last = lines[lines.length - 1];
            if (last) since = last.type === 'message' ? last.id : last.before;
          } finally {
            await store.release();
          }
          if (verb === 'read') return;
          await new Promise((r) => setTimeout(r, interval * 1000));
        }
      }
      throw usageError(verb === undefined ? 'mail needs send, read or watch' : `unknown mail command '${verb}'`, `run '${NAME} --help' for usage`);
    }
    case 'mcp': {
      const { flags } = parse(NAME, rest, { ...COMMON, space: { type: 'string' }, work: { type: 'string' } });
      const { serveMcp } = await import('../../lib/context/mcp.ts');
      const { VERSION } = await import('../../lib/cli/run.ts');
      const owner = flags.space === undefined ? undefined : formatPubkey(await resolvePeer(flags.space));
      await serveMcp(await me(flags), { cwd: resolve('.'), owner, work: flags.work ? resolve(flags.work) : undefined, version: VERSION });
      return;
    }
    case 'share': {
      const { flags, positionals } = parse(
        NAME,
        rest,
        { ...COMMON, with: { type: 'string' }, 'read-only': { type: 'boolean' }, store: { type: 'string' }, json: { type: 'boolean' }, dht: { type: 'boolean' } },
        { maxPositionals: 1 },
      );
      if (positionals.length !== 1) throw usageError('share needs DIR', `for example: ${NAME} share ./context --with alice --store ~/Sync/ctx`);
      if (!flags.with) throw usageError('share needs --with NAME');
      const { share, shareText } = await import('../../lib/context/share.ts');
      const r = await share({ dir: resolve(positionals[0]), peer: flags.with, readOnly: !!flags['read-only'], store: flags.store, me: await me(flags), dht: !!flags.dht, log: (m) => warn(NAME, m) });
      if (flags.json) writeJson(r);
      else process.stdout.write(shareText(r));
      return;
    }
    default:
      throw usageError(`unknown command '${sub}'`, `run '${NAME} --help' for usage`);
  }
});
