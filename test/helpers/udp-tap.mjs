#!/usr/bin/env node
// A test's ear and mouth on a UDP group (never the real LAN: tests run it in a
// network namespace of their own or on 127.0.0.1).
//   udp-tap.mjs listen GROUP PORT SECONDS DIR [MAX]   save each datagram as DIR/N.bin (stop after
//                                                     MAX of them); print the count
//   udp-tap.mjs send GROUP PORT FILE…            send each file as one datagram
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [cmd, group, portText, ...rest] = process.argv.slice(2);
const port = Number(portText);
const multicast = /^2(2[4-9]|3\d)\./.test(group);

if (cmd === 'listen') {
  const [seconds, dir, max] = rest;
  mkdirSync(dir, { recursive: true });
  const sock = createSocket({ type: 'udp4', reuseAddr: true });
  let n = 0;
  let timer;
  const stop = () => {
    clearTimeout(timer);
    sock.close();
    console.log(n);
  };
  sock.on('message', (msg) => {
    writeFileSync(join(dir, `${++n}.bin`), msg);
    if (max !== undefined && n >= Number(max)) stop();
  });
  sock.bind(port, () => {
    if (multicast) sock.addMembership(group);
    writeFileSync(join(dir, 'ready'), '');
    timer = setTimeout(stop, Number(seconds) * 1000);
  });
} else if (cmd === 'send') {
  const sock = createSocket('udp4');
  sock.bind(0, async () => {
    if (multicast) sock.setMulticastTTL(1);
    for (const f of rest) await new Promise((r) => sock.send(readFileSync(f), port, group, r));
    sock.close();
  });
} else {
  console.error('usage: udp-tap.mjs listen GROUP PORT SECONDS DIR | send GROUP PORT FILE…');
  process.exit(2);
}
