import { expect } from 'chai';
import { huntingOutcome } from '../../../lib/defender/hunting';

const INFO = { query: 'DeviceInfo | take 3', timespan: null, limit: 50, tables: ['DeviceInfo'] };

describe('hunting results (lib/defender/hunting)', () => {
  it("fills the case-wall table from rows whose keys differ from the schema's column names only in case", () => {
    const schema = [{ name: 'DeviceName', type: 'string' }, { name: 'Timestamp', type: 'datetime' }, { name: 'RemoteIP', type: 'string' }];
    const rows = [
      { devicename: 'h1', TIMESTAMP: '2024-05-01T00:00:00Z', RemoteIP: '10.0.0.1' },
      { DeviceName: 'h2', timestamp: '2024-05-02T00:00:00Z' },
    ];
    const out = huntingOutcome({ schema, rows }, INFO);
    expect(out.tables[0]!.columns).to.deep.equal(['DeviceName', 'Timestamp', 'RemoteIP']);
    expect(out.tables[0]!.rows).to.deep.equal([
      ['h1', '2024-05-01T00:00:00Z', '10.0.0.1'],
      ['h2', '2024-05-02T00:00:00Z', null],
    ]);
    // the data itself is Microsoft's, as it came
    expect(out.json.rows).to.deep.equal(rows);
  });

  it('prefers the exact spelling, and never takes a cell from the prototype (a column named constructor)', () => {
    const schema = [{ name: 'Name', type: 'string' }, { name: 'constructor', type: 'string' }, { name: 'toString', type: 'string' }];
    const out = huntingOutcome({ schema, rows: [{ name: 'lower', Name: 'exact' }] }, INFO);
    expect(out.tables[0]!.rows).to.deep.equal([['exact', null, null]]);
    const own = huntingOutcome({ schema, rows: [{ Name: 'x', Constructor: 'c' }] }, INFO);
    expect(own.tables[0]!.rows).to.deep.equal([['x', 'c', null]]);
  });
});
