// Type declarations for the untyped DHT dependencies, only as much of each
// API as lib/dht/pkarr.ts and lib/dht/ use. Kept here so that those modules stay
// type-checked instead of falling back to `any` at every call.

declare module 'bencode' {
  const bencode: {
    encode(value: unknown): Uint8Array;
    decode(data: Uint8Array, encoding?: string): unknown;
  };
  export default bencode;
}

declare module 'dns-packet' {
  export interface Answer {
    name: string;
    type: string;
    class?: string;
    ttl?: number;
    flush?: boolean;
    data?: unknown;
  }
  export interface Packet {
    id?: number;
    type?: 'query' | 'response';
    flags?: number;
    questions?: { name: string; type: string; class?: string }[];
    answers?: Answer[];
    authorities?: Answer[];
    additionals?: Answer[];
  }
  const dns: {
    encode(packet: Packet): Buffer;
    decode(buf: Uint8Array): Packet;
    encodingLength(packet: Packet): number;
    answer: { encode(a: Answer): Buffer; encodingLength(a: Answer): number };
    AUTHORITATIVE_ANSWER: number;
  };
  export default dns;
}

declare module 'bittorrent-dht' {
  import { EventEmitter } from 'node:events';
  export interface KNode {
    id: Buffer;
    host: string;
    port: number;
    token?: Buffer;
  }
  export interface KrpcMessage {
    r?: Record<string, unknown> & { id?: Buffer; v?: Buffer; k?: Buffer; sig?: Buffer; seq?: number; token?: Buffer };
    e?: unknown;
  }
  export interface KrpcError extends Error {
    code?: number | string;
  }
  export interface DhtOptions {
    bootstrap?: false | string[] | { host: string; port: number }[];
    nodes?: string[] | { host: string; port: number }[];
    nodeId?: Buffer;
    verify?: (sig: Buffer, msg: Buffer, pubkey: Buffer) => boolean;
    timeout?: number;
    concurrency?: number;
    k?: number;
    maxValues?: number;
    host?: string;
  }
  interface KBucket {
    closest(target: Buffer, n?: number): KNode[];
    toArray(): KNode[];
    count(): number;
  }
  export default class DHT extends EventEmitter {
    constructor(opts?: DhtOptions);
    nodeId: Buffer;
    destroyed: boolean;
    listening: boolean;
    ready?: boolean;
    listen(port?: number, host?: string, cb?: () => void): void;
    address(): { address: string; port: number; family: string };
    addNode(node: { id?: Buffer | string; host: string; port: number }): void;
    destroy(cb?: () => void): void;
    toJSON(): { nodes: { host: string; port: number }[]; values: Record<string, unknown> };
    get(target: Buffer, opts: Record<string, unknown> | null, cb: (err: Error | null, value: KrpcMessage['r'] | null) => void): void;
    put(opts: Record<string, unknown>, cb?: (err: Error | null, key: Buffer, n: number) => void): Buffer;
    // Internals used on purpose (bittorrent-dht 11): the iterative lookup with a
    // per-reply callback, the per-target tables of nodes with write tokens,
    // the KRPC layer, and the values a node stores.
    _closest(
      target: Buffer,
      message: Record<string, unknown>,
      onmessage: ((message: KrpcMessage, from: { host?: string; address?: string; port: number }) => boolean | void) | null,
      cb: (err: Error | null, n?: number) => void,
    ): void;
    _tables: { get(key: string): KBucket | undefined };
    _values: { get(key: string): unknown; set(key: string, value: unknown): void };
    _rpc: {
      id: Buffer;
      k: number;
      nodes: KBucket;
      query(
        node: KNode | { host: string; port: number },
        message: Record<string, unknown>,
        cb: (err: KrpcError | null, res?: KrpcMessage, peer?: { address?: string; host?: string; port: number }) => void,
      ): void;
      response(peer: unknown, query: unknown, response: Record<string, unknown>, nodes?: unknown): void;
    };
    _onget(query: { a: { target?: Buffer } }, peer: { address?: string; host?: string; port: number }): void;
    _generateToken(host: string): Buffer;
  }
}

declare module 'hyperdht' {
  import { EventEmitter } from 'node:events';
  export interface HyperKeyPair {
    publicKey: Buffer;
    secretKey?: Buffer;
  }
  export interface MutableResult {
    seq: number;
    value: Buffer;
    signature: Buffer;
    from?: { host: string; port: number };
  }
  export default class HyperDHT extends EventEmitter {
    constructor(opts?: Record<string, unknown>);
    static keyPair(seed?: Uint8Array): Required<HyperKeyPair>;
    static hash(data: Uint8Array): Buffer;
    fullyBootstrapped(): Promise<void>;
    ready(): Promise<void>;
    destroy(opts?: { force?: boolean }): Promise<void>;
    address(): { host: string; port: number };
    mutablePut(
      keyPair: HyperKeyPair,
      value: Uint8Array,
      opts?: { seq?: number; signMutable?: (seq: number, value: Uint8Array, keyPair: HyperKeyPair) => Promise<Buffer> | Buffer },
    ): Promise<{ publicKey: Buffer; closestNodes: unknown[]; seq: number; signature: Buffer }>;
    mutableGet(publicKey: Uint8Array, opts?: { seq?: number; latest?: boolean }): Promise<MutableResult | null>;
    request(req: { command: number; [k: string]: unknown }, to: unknown, opts?: unknown): Promise<unknown>;
  }
}

declare module 'hyperdht/testnet.js' {
  import type HyperDHT from 'hyperdht';
  export interface HyperTestnet {
    nodes: HyperDHT[];
    bootstrap: { host: string; port: number }[];
    destroy(): Promise<void>;
  }
  export default function createTestnet(size?: number, opts?: { host?: string; port?: number; bootstrap?: { host: string; port: number }[] }): Promise<HyperTestnet>;
}

declare module 'hyperdht/lib/persistent.js' {
  const Persistent: {
    signMutable(seq: number, value: Uint8Array, keyPair: { publicKey: Uint8Array; secretKey: Uint8Array }): Buffer;
    verifyMutable(signature: Uint8Array, seq: number, value: Uint8Array, publicKey: Uint8Array): boolean;
  };
  export default Persistent;
}

declare module 'hyperdht/lib/constants.js' {
  export const COMMANDS: { MUTABLE_PUT: number; MUTABLE_GET: number };
}
