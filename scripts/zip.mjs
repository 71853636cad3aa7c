// A small ZIP writer (PKWARE APPNOTE 6.3: local headers, central directory, end record; deflate or stored, no zip64),
// enough for the marketplace archive without a dependency. Output is reproducible: entries in the order given, one
// fixed timestamp, Unix mode 0644, UTF-8 names.
import zlib from 'node:zlib';

const DOS_EPOCH = Date.UTC(1980, 0, 1);

/** MS-DOS date and time of a UTC instant (2-second resolution; the format has no time zone). */
function dosDateTime(ms) {
  const d = new Date(Math.max(ms, DOS_EPOCH));
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  const date = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  return { time, date };
}

/**
 * @param {Array<{name: string, data: Buffer}>} entries  file paths with forward slashes, relative, no `..`
 * @param {{mtimeMs?: number}} [options]  the timestamp of every entry (default 1980-01-01T00:00:00Z)
 * @returns {Buffer}
 */
export function writeZip(entries, options = {}) {
  const { time, date } = dosDateTime(options.mtimeMs ?? DOS_EPOCH);
  const locals = [];
  const centrals = [];
  let offset = 0;
  const seen = new Set();
  for (const { name, data } of entries) {
    if (!/^[^/\\][^\\]*$/.test(name) || name.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new Error(`zip: bad entry name ${JSON.stringify(name)}`);
    if (seen.has(name)) throw new Error(`zip: ${name} twice`);
    seen.add(name);
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = zlib.crc32(data);
    const deflated = zlib.deflateRawSync(data, { level: 9 });
    const stored = deflated.length >= data.length;
    const body = stored ? data : deflated;
    if (data.length > 0xfffffffe || offset > 0xfffffffe) throw new Error('zip: entries over 4 GB need zip64, which this writer does not do');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // flags: names in UTF-8
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBytes, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode below is read)
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt16LE(time, 12);
    central.writeUInt16LE(date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    // extra length, comment length, disk number, internal attributes: 0
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + body.length;
  }
  if (entries.length > 0xfffe) throw new Error('zip: more than 65,534 entries need zip64');
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}
