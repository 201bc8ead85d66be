// The reference for bench/carry-throughput.sh: stdin piped into a bare
// hyperdht stream (a fresh key pair, no firewall, no framing, no hashing) and
// counted on the other end of a node in the same testnet. Prints the bytes
// received. Usage: cc-seal --raw < FILE | node bench/bare-hyper-pipe.mjs BOOTSTRAP_HOST:PORT
import DHT from 'hyperdht';

const [host, port] = process.argv[2].split(':');
const bootstrap = [{ host, port: Number(port) }];
const a = new DHT({ bootstrap, host: '127.0.0.1' });
const b = new DHT({ bootstrap, host: '127.0.0.1' });
await a.fullyBootstrapped();
await b.fullyBootstrapped();
const kp = DHT.keyPair();
let received = 0;
const done = new Promise((resolve) => {
  const server = a.createServer((s) => {
    s.on('data', (d) => (received += d.length));
    s.on('end', () => {
      s.end();
      resolve(server);
    });
    s.on('error', () => {});
  });
  server.listen(kp);
});
await new Promise((r) => setTimeout(r, 100));
const s = b.connect(kp.publicKey);
s.on('error', (e) => {
  console.error(e);
  process.exit(1);
});
process.stdin.pipe(s);
const server = await done;
await server.close();
console.log(received);
await a.destroy();
await b.destroy();
process.exit(0);
