/**
 * Reaching a paired peer's relay over HyperDHT: dial its key as our own
 * identity (Noise authenticates both ends; its firewall decides before any
 * byte), then speak the wire protocol through a RelayClient.
 */
import { CliError, EXIT } from '../cli/errors.ts';
import type { Identity } from '../identity/identity.ts';
import { NET, NetNode, identityKeyPair } from '../net/node.ts';
import { RelayClient } from './client.ts';
import { RELAY_MAX_FRAME } from './hyper-server.ts';

/** Dial `remote` and wait for the relay's hello. */
export async function connectHyper(remote: Uint8Array, identity: Identity, what: string): Promise<RelayClient> {
  const node = await NetNode.open();
  const keyPair = identityKeyPair(identity);
  let ch;
  try {
    ch = await node.dial(remote, keyPair, { maxFrame: RELAY_MAX_FRAME });
  } catch (err) {
    await node.close();
    // hyperdht reports a firewall refusal as PEER_CONNECTION_FAILED, which lib/net
    // (as of this writing) files under UNREACHABLE: both mean "not let in" here.
    const refused = err instanceof CliError && (err.code === NET.REFUSED || /peer_connection_failed/i.test(err.message));
    if (refused) {
      throw new CliError('ERR_REFUSED', `${what} refused the connection`, EXIT.AUTH, `is this machine paired with it, and does it run 'cc-relay serve'? (cc-pair)`);
    }
    throw err;
  } finally {
    keyPair.secretKey.fill(0);
  }
  const channel = ch;
  let closing = false;
  const client = new RelayClient({
    send: (line) => {
      channel.send(JSON.parse(line)).catch(() => undefined);
    },
    close: () => {
      if (closing) return;
      closing = true;
      void channel.close().finally(() => node.close());
    },
  });
  void (async () => {
    let failure: Error | undefined;
    try {
      for await (const m of channel) client.feed(JSON.stringify(m));
    } catch (err) {
      failure = err as Error;
    }
    client.closed(failure);
    if (!closing) void node.close();
  })();
  await client.hello();
  return client;
}
