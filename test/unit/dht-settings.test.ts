// Bootstrap, relay and transport settings (flag > env > config.toml >
// default), the CCKIT_TEST_NO_PUBLIC guard, the routing-table cache, and
// the checks made on a record before it is published.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolate } from '../helpers/testnet-env.ts';
import { PUBLIC_ROUTERS, assertLocalOnly, hyperBootstrap, isLoopbackHost, mainlineBootstrap, parseHostPorts, relayUrls } from '../../lib/dht/bootstrap.ts';
import { selectTransports } from '../../lib/dht/transports.ts';
import { loadRoutingCache, routingCachePath, saveRoutingCache } from '../../lib/dht/routing-cache.ts';
import { checkFoundUnder, checkNotExpired, checkPublisher, recordExpiry, recordObject } from '../../lib/dht/record-check.ts';
import { generateIdentity, toZ32 } from '../../lib/identity/identity.ts';

// config.toml is read once per process: write it before anything reads it.
const dir = isolate();
mkdirSync(process.env.CCKIT_CONFIG_DIR!, { recursive: true });
writeFileSync(
  join(process.env.CCKIT_CONFIG_DIR!, 'config.toml'),
  '[dht]\nbootstrap = ["127.0.0.1:7001", "127.0.0.2:7002"]\nrelays = ["http://127.0.0.1:8080/"]\ntransport = "mainline,relay"\n[hyper]\nbootstrap = "127.0.0.1:49737"\n',
);

const code = (c: string) => (e: Error & { code?: string }) => e.code === c;

test('parseHostPorts accepts host:port lists and rejects anything else', () => {
  assert.deepEqual(parseHostPorts('127.0.0.1:1, router.example:6881 [::1]:3', 'x'), [
    { host: '127.0.0.1', port: 1 },
    { host: 'router.example', port: 6881 },
    { host: '::1', port: 3 },
  ]);
  for (const bad of ['127.0.0.1', '127.0.0.1:0', 'h:65536', ':80', 'h:x']) assert.throws(() => parseHostPorts(bad, 'CCKIT_BOOTSTRAP'), code('ERR_BAD_BOOTSTRAP'));
});

test('loopback detection', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', 'LOCALHOST']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['10.0.0.1', 'router.bittorrent.com', '128.0.0.1', '::']) assert.ok(!isLoopbackHost(h), h);
});

test('config.toml gives dht.bootstrap, dht.relays, dht.transport and hyper.bootstrap', async () => {
  const boot = await mainlineBootstrap();
  assert.deepEqual(boot.nodes, [
    { host: '127.0.0.1', port: 7001 },
    { host: '127.0.0.2', port: 7002 },
  ]);
  assert.equal(boot.local, true);
  assert.deepEqual(await relayUrls(), ['http://127.0.0.1:8080']);
  assert.deepEqual(await selectTransports(undefined, 'x'), ['mainline', 'relay']);
  assert.deepEqual((await hyperBootstrap())!.nodes, [{ host: '127.0.0.1', port: 49737 }]);
});

test('the environment beats config.toml, and a flag beats both', async () => {
  process.env.CCKIT_BOOTSTRAP = '127.0.0.1:9999';
  process.env.CCKIT_TRANSPORT = 'hyper';
  try {
    assert.deepEqual((await mainlineBootstrap()).nodes, [{ host: '127.0.0.1', port: 9999 }]);
    assert.deepEqual(await selectTransports(undefined, 'x'), ['hyper']);
    assert.deepEqual(await selectTransports(['relay', 'mainline,relay'], 'x'), ['relay', 'mainline']);
    await assert.rejects(selectTransports(['udp'], 'cc-dht-get'), (e: Error & { hint?: string }) => /unknown transport 'udp'/.test(e.message) && /mainline, relay, hyper/.test(e.hint!));
  } finally {
    delete process.env.CCKIT_BOOTSTRAP;
    delete process.env.CCKIT_TRANSPORT;
  }
});

test('the test guard refuses public addresses; without it the public routers are the default', async () => {
  assert.throws(() => assertLocalOnly('nodes', ['127.0.0.1', 'router.bittorrent.com'], 'fix'), (e: Error & { code?: string; hint?: string }) => e.code === 'ERR_PUBLIC_NETWORK' && /router\.bittorrent\.com/.test(e.message) && e.hint === 'fix');
  process.env.CCKIT_BOOTSTRAP = '127.0.0.1:1,192.0.2.1:6881';
  try {
    await assert.rejects(mainlineBootstrap(), code('ERR_PUBLIC_NETWORK'));
    delete process.env.CCKIT_TEST_NO_PUBLIC;
    const mixed = await mainlineBootstrap();
    assert.equal(mixed.local, false, 'one public node: sockets are not bound to loopback');
  } finally {
    process.env.CCKIT_TEST_NO_PUBLIC = '1';
    delete process.env.CCKIT_BOOTSTRAP;
  }
  assert.deepEqual(PUBLIC_ROUTERS, ['router.bittorrent.com:6881', 'dht.transmissionbt.com:6881', 'router.utorrent.com:6881', 'dht.libtorrent.org:25401']);
});

test('routing cache: saved 0600, reloaded for the same bootstrap set only, public nodes dropped under the guard', () => {
  const id = Buffer.alloc(20, 1);
  const nodes = [
    { id: Buffer.alloc(20, 2), host: '127.0.0.1', port: 5000 },
    { id: Buffer.alloc(20, 3), host: '198.51.100.7', port: 6881 },
  ];
  saveRoutingCache('127.0.0.1:5000', id, nodes);
  const path = routingCachePath('127.0.0.1:5000');
  assert.ok(path.startsWith(dir));
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const back = loadRoutingCache('127.0.0.1:5000');
  assert.deepEqual(back.id, id);
  assert.deepEqual(back.nodes, [nodes[0]]);
  delete process.env.CCKIT_TEST_NO_PUBLIC;
  try {
    assert.equal(loadRoutingCache('127.0.0.1:5000').nodes.length, 2);
  } finally {
    process.env.CCKIT_TEST_NO_PUBLIC = '1';
  }
  assert.deepEqual(loadRoutingCache('127.0.0.1:5001'), { nodes: [] });
  writeFileSync(path, '{"version":1,"bootstrap":"127.0.0.1:5000","nodes":[{"id":"zz","host":"127.0.0.1","port":1},{"id":"' + '0'.repeat(40) + '","host":"127.0.0.1","port":70000}]}');
  assert.deepEqual(loadRoutingCache('127.0.0.1:5000').nodes, []);
  writeFileSync(path, 'not json');
  assert.deepEqual(loadRoutingCache('127.0.0.1:5000'), { nodes: [] });
  assert.equal(readFileSync(path, 'utf8'), 'not json');
});

test('record checks: an object, our own key, not expired', () => {
  const me = generateIdentity();
  const z = toZ32(me.publicKey);
  assert.throws(() => recordObject([1]), code('ERR_NOT_A_RECORD'));
  assert.throws(() => recordObject('x'), code('ERR_NOT_A_RECORD'));
  checkPublisher({ pubkey: z }, me.publicKey);
  checkPublisher({ pubkey: `pk:${z.toUpperCase()}` }, me.publicKey);
  checkPublisher({ note: 'no pubkey field' }, me.publicKey);
  const other = toZ32(generateIdentity().publicKey);
  assert.throws(() => checkPublisher({ pubkey: other }, me.publicKey), (e: Error & { code?: string; exitCode?: number }) => e.code === 'ERR_NOT_MY_RECORD' && e.exitCode === 4);
  assert.throws(() => checkPublisher({ pubkey: 42 }, me.publicKey), code('ERR_NOT_MY_RECORD'));
  assert.throws(() => checkFoundUnder({ pubkey: other }, me.publicKey), code('ERR_RECORD_KEY_MISMATCH'));
  checkFoundUnder({ pubkey: z }, me.publicKey);
  checkFoundUnder('a string record', me.publicKey);
  assert.equal(recordExpiry({ created_at: 100, ttl: 50 }), 150_000);
  assert.equal(recordExpiry({ created_at: '100', ttl: 50 }), undefined);
  checkNotExpired({ created_at: 100, ttl: 50 }, 149_999);
  assert.throws(() => checkNotExpired({ created_at: 100, ttl: 50 }, 150_000), (e: Error & { exitCode?: number }) => e.exitCode === 5);
});
