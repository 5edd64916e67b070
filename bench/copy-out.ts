/**
 * The binary COPY's message framing taken off by pg-copy-streams' `to()` and by
 * CopyOutStream (adapters/postgres/copy-out-stream.ts), on the same bytes, alternating in
 * one process, as JSON lines:
 *   npx tsx bench/copy-out.ts URL TABLE [--repeat 5]
 * Reads `COPY (SELECT * FROM TABLE) TO STDOUT (FORMAT binary)` once, frames its rows as
 * the server does (one CopyData message per row, between CopyOutResponse and CopyDone,
 * CommandComplete, ReadyForQuery), cuts that into 64 KB chunks (the socket's), and hands
 * the chunks to each stream's parser with nothing downstream: CPU seconds of the framing
 * alone, no socket and no server in the figure, and the bytes each passed on (which must
 * be the COPY's).
 */
import { Buffer } from 'node:buffer';
import { loadavg } from 'node:os';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { CopyOutStream } from '../adapters/postgres/copy-out-stream.js';

const [url, table] = process.argv.slice(2);
if (!url || !table || url.startsWith('--')) throw new Error('usage: npx tsx bench/copy-out.ts URL TABLE [--repeat 5]');
const args = process.argv.slice(2);
const repeats = args.includes('--repeat') ? Number(args[args.indexOf('--repeat') + 1]) : 5;

const client = new pg.Client({ connectionString: url });
await client.connect();
const parts: Buffer[] = [];
for await (const chunk of client.query(copyStreams.to(`COPY (SELECT * FROM ${client.escapeIdentifier(table)}) TO STDOUT (FORMAT binary)`)) as AsyncIterable<Buffer>) parts.push(chunk);
await client.end();
const content = Buffer.concat(parts);

function message(code: number, body: Buffer): Buffer[] {
  const header = Buffer.alloc(5);
  header[0] = code;
  header.writeUInt32BE(body.length + 4, 1);
  return [header, body];
}
// The binary format's 19-byte header, then rows: an int16 field count and each field's int32 length and bytes; -1 ends.
const messages: Buffer[] = [...message(0x48, Buffer.alloc(3)), ...message(0x64, content.subarray(0, 19))];
let rows = 0;
for (let at = 19; at < content.length; ) {
  const start = at;
  const fields = content.readInt16BE(at);
  at += 2;
  for (let field = 0; field < fields; field++) {
    const size = content.readInt32BE(at);
    at += 4 + Math.max(0, size);
  }
  if (fields >= 0) rows++;
  messages.push(...message(0x64, content.subarray(start, at)));
}
messages.push(...message(0x63, Buffer.alloc(0)), ...message(0x43, Buffer.from(`COPY ${rows}\0`)), ...message(0x5a, Buffer.from('I')));
const framed = Buffer.concat(messages);
const chunks: Buffer[] = [];
for (let at = 0; at < framed.length; at += 65_536) chunks.push(framed.subarray(at, at + 65_536));

/** What the benchmark calls of a CopyToStreamQuery: its parser, with the stream and the connection stubbed. */
interface Parser {
  _parse(chunk: Buffer): unknown;
  push(chunk: Buffer | null): boolean;
  _detach(): void;
  _cleanup(): void;
}

function run(parser: Parser): { cpu_seconds: number; bytes: number } {
  let bytes = 0;
  parser.push = (chunk) => {
    if (chunk !== null) bytes += chunk.length;
    return true;
  };
  // No connection to hand back to: the messages after CopyDone are dropped.
  parser._detach = () => {};
  parser._cleanup = () => {};
  // Fresh copies, as a socket gives each read: CopyOutStream moves the contents within the chunk.
  const fresh = chunks.map((chunk) => Buffer.from(chunk));
  const start = process.cpuUsage();
  for (const chunk of fresh) parser._parse(chunk);
  const used = process.cpuUsage(start);
  return { cpu_seconds: Math.round((used.user + used.system) / 1e3) / 1e3, bytes };
}

for (let repeat = 1; repeat <= repeats; repeat++) {
  for (const [name, parser] of [
    ['pg-copy-streams', copyStreams.to('COPY') as unknown as Parser],
    ['CopyOutStream', new CopyOutStream('COPY') as unknown as Parser],
  ] as const) {
    const { cpu_seconds, bytes } = run(parser);
    if (bytes !== content.length) throw new Error(`${name} passed on ${bytes} bytes of the COPY's ${content.length}`);
    console.log(JSON.stringify({ bench: 'copy-out', table, rows, mb: Math.round(framed.length / 1e6), repeat, parser: name, cpu_seconds, load_1m: loadavg()[0] }));
  }
}
