// Bench: seed 100,000 rows per event table and time `run` of a query that returns 100,000 rows.
// Run: npx tsc -p test/emulator && node build/test/emulator/hunting/bench.js [rowsPerTable]
import { createHuntingEngine } from './index';

function mb(n: number): string { return `${(n / 1048576).toFixed(0)} MB`; }

function main(): void {
  const rowsPerTable = Number(process.argv[2] ?? 100_000);
  const now = new Date('2024-03-01T12:00:00Z');
  const entities = {
    devices: Array.from({ length: 20 }, (_, i) => ({ deviceId: `dev${i}`, deviceName: `ws-${i}.contoso.com`, aadDeviceId: `aad-${i}`, osPlatform: 'Windows11', publicIp: `203.0.113.${i}`, localIp: `10.0.0.${i}` })),
    users: Array.from({ length: 20 }, (_, i) => ({ accountName: `user${i}`, accountDomain: 'CONTOSO', upn: `user${i}@contoso.com`, sid: `S-1-5-21-${i}`, objectId: `obj-${i}`, displayName: `User ${i}` })),
    ips: Array.from({ length: 20 }, (_, i) => `198.51.100.${i}`),
    urls: Array.from({ length: 20 }, (_, i) => `https://site${i}.example.com/p`),
    files: Array.from({ length: 20 }, (_, i) => ({ fileName: `f${i}.exe`, folderPath: `C:\\temp\\f${i}.exe`, md5: `md5-${i}`, sha1: `sha1-${i}`, sha256: `sha256-${i}`, size: 1000 + i })),
    mailboxes: Array.from({ length: 20 }, (_, i) => `user${i}@contoso.com`),
  };
  let t = process.hrtime.bigint();
  const ms = () => { const now2 = process.hrtime.bigint(); const d = Number(now2 - t) / 1e6; t = now2; return `${d.toFixed(0)} ms`; };
  const engine = createHuntingEngine({ seed: 7, now, entities, alerts: [], rowsPerTable });
  console.log(`seed ${rowsPerTable} rows/table: ${ms()}, rss ${mb(process.memoryUsage().rss)}`);
  engine.run('DeviceInfo | take 1', { now });
  console.log(`first query (library load + grammar): ${ms()}`);
  const window = { now, from: new Date(now.getTime() - 60 * 86_400_000), to: now };
  for (const q of [
    'DeviceProcessEvents',
    'DeviceProcessEvents | where DeviceName has "contoso" | project Timestamp, DeviceName, FileName, SHA1',
    'DeviceProcessEvents | sort by Timestamp desc',
    'union DeviceProcessEvents, DeviceNetworkEvents | where Timestamp > ago(60d) | take 100000',
    'DeviceNetworkEvents | summarize count() by RemoteIP, DeviceName',
  ]) {
    ms();
    const r = engine.run(q, window);
    const runMs = ms();
    const json = JSON.stringify({ schema: r.schema, results: r.rows });
    console.log(`${q}\n  rows ${r.rows.length}, columns ${r.schema.length}: run ${runMs}, JSON ${mb(json.length)} in ${ms()}, rss ${mb(process.memoryUsage().rss)}`);
  }
}

main();
