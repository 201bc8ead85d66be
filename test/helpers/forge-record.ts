// Signs a record around ANY payload with the current HOME's key, skipping
// cc-seal's input checks: what a hostile or buggy publisher could put on the
// DHT. Usage: node --import tsx test/helpers/forge-record.ts '{"s":…,"h":…,"p":…}'
import { sealRecord } from '../../lib/handoff/seal.ts';
import { readKeyFile } from '../../lib/identity/key-file.ts';
import { keyFilePath } from '../../lib/config.ts';

const key = readKeyFile(keyFilePath());
if (key.kind !== 'plain') throw new Error('forge-record needs an unencrypted test key');
const payload = JSON.parse(process.argv[2]);
process.stdout.write(await sealRecord({ payload, seed: key.seed, ttl: 600, burn: false }) + '\n');
