// Burn and revoke read as what they are (issue 7 item 9): a removal is
// exit 5 where the reader can tell, never "nothing published" (3), and two
// revokes of one record racing (two pickups of a burn record) leave exactly
// one winner; the other learns the record is gone (ERR_ALREADY_REVOKED, 5).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isolate, withNetwork, generateIdentity, log } from '../helpers/testnet-env.ts';
import { startTestnet, type Testnet } from '../../lib/dht/testnet.ts';
import { emptyPacket, fullName, setTxt } from '../../lib/dht/pkarr.ts';
import { publish } from '../../lib/dht/publish.ts';
import { isRevocation, resolveLatest } from '../../lib/dht/resolve.ts';
import type { Seen } from '../../lib/dht/network.ts';
import { CliError } from '../../lib/cli/errors.ts';

isolate();
let tn: Testnet;

before(async () => {
  tn = await startTestnet({ nodes: 8 });
  process.env.CCKIT_BOOTSTRAP = tn.bootstrap;
});
after(() => tn.stop());

const seen = (seq: number, dns: Seen['dns']): Seen => ({ transport: 'mainline', seq, v: new Uint8Array(), dns });

test('isRevocation: an empty newest packet, or one that dropped a record an older packet had', () => {
  const id = generateIdentity();
  const full = fullName('_cclink', id.publicKey);
  const withRecord = setTxt(undefined, full, '{"r":1}');
  const other = setTxt(undefined, fullName('_pubky', id.publicKey), 'x');
  assert.equal(isRevocation(seen(2, emptyPacket()), [], full), true);
  assert.equal(isRevocation(seen(2, other), [seen(1, withRecord), seen(2, other)], full), true);
  // Another application's packet that never carried the record: not a revocation, just absent.
  assert.equal(isRevocation(seen(2, other), [seen(2, other)], full), false);
});

test('a revoked record resolves as revoked at once, even with a long wait', async () => {
  const id = generateIdentity();
  const full = fullName('_cclink', id.publicKey);
  await withNetwork(['mainline'], async (net) => {
    await publish({ identity: id, name: '_cclink', text: '"burn me"', net, log });
    await publish({ identity: id, name: '_cclink', net, log });
    const r = await resolveLatest({ net, publicKey: id.publicKey, full, waitMs: 60_000, log });
    assert.equal(r.found, undefined);
    assert.ok(r.revoked);
  });
});

test('two revokes of one record at once: exactly one succeeds, the other is told it was revoked meanwhile', async () => {
  for (let round = 0; round < 3; round++) {
    const id = generateIdentity();
    await withNetwork(['mainline'], async (net) => publish({ identity: id, name: '_cclink', text: '"once"', net, log }));
    const outcomes = await Promise.allSettled([
      withNetwork(['mainline'], (net) => publish({ identity: id, name: '_cclink', net, log })),
      withNetwork(['mainline'], (net) => publish({ identity: id, name: '_cclink', net, log })),
    ]);
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(won.length, 1, JSON.stringify(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as CliError).code : 'ok'))));
    const err = lost[0].reason as CliError;
    assert.ok(err instanceof CliError);
    assert.ok(['ERR_ALREADY_REVOKED', 'ERR_NOTHING_TO_REVOKE'].includes(err.code), err.code);
    assert.equal(err.code === 'ERR_ALREADY_REVOKED' ? err.exitCode : 5, 5);
  }
});
