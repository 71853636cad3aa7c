// A ZIP reader for the package test, independent of scripts/zip.mjs (a bug in the writer must not hide behind the same
// bug here): the end record, the central directory, each local header, inflate or stored, CRC-32 and sizes checked.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Buffer;
  /** Unix mode from the external attributes (0 when the archive was made elsewhere) */
  mode: number;
}

export function readZip(zip: Buffer): ZipEntry[] {
  let end = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error('zip: no end of central directory record');
  const count = zip.readUInt16LE(end + 10);
  const size = zip.readUInt32LE(end + 12);
  let at = zip.readUInt32LE(end + 16);
  if (at + size !== end) throw new Error('zip: the central directory does not end where the end record starts');
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`zip: central header ${n} has a bad signature`);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const uncompressed = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const madeBy = zip.readUInt16LE(at + 4) >> 8;
    const external = zip.readUInt32LE(at + 38);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error(`zip: ${name}: bad local header`);
    if (zip.toString('utf8', local + 30, local + 30 + zip.readUInt16LE(local + 26)) !== name) throw new Error(`zip: ${name}: local and central names differ`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const body = zip.subarray(start, start + compressed);
    const data = method === 0 ? Buffer.from(body) : method === 8 ? zlib.inflateRawSync(body) : undefined;
    if (!data) throw new Error(`zip: ${name}: compression method ${method} is not supported`);
    if (data.length !== uncompressed) throw new Error(`zip: ${name}: ${data.length} bytes, the header says ${uncompressed}`);
    if (zlib.crc32(data) !== crc) throw new Error(`zip: ${name}: CRC-32 mismatch`);
    entries.push({ name, data, mode: madeBy === 3 ? external >>> 16 : 0 });
  }
  return entries;
}

/** Unpacks into `dir`, refusing names that would land outside it. */
export function unzipTo(zip: Buffer, dir: string): ZipEntry[] {
  const entries = readZip(zip);
  for (const e of entries) {
    const target = path.resolve(dir, e.name);
    if (path.isAbsolute(e.name) || e.name.includes('\\') || !target.startsWith(path.resolve(dir) + path.sep)) throw new Error(`zip: ${e.name} would land outside ${dir}`);
    if (e.name.endsWith('/')) {
      fs.mkdirSync(target, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, e.data, { mode: 0o644 });
  }
  return entries;
}
