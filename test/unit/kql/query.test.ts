import { expect } from 'chai';
import { MAX_ROWS, buildQuery, customQuery, wherePredicate, type QuerySpec } from '../../../lib/kql/query';
import { entityFilter } from '../../../lib/kql/entities';
import { ENTITY_TYPES, resolveEntities } from '../../../lib/runtime/entities';
import { analyze, errorOf, errorsOf, expectClean, kindName, loadKusto } from './kusto-support';

const RANGE = { from: new Date('2024-06-01T00:00:00Z'), to: new Date('2024-06-08T00:00:00.250Z') };
const base = (over: Partial<QuerySpec> = {}): QuerySpec => ({ tables: ['DeviceProcessEvents'], range: RANGE, sortOrder: 'desc', limit: 50, ...over });
const TIME = '| where Timestamp between (datetime(2024-06-01T00:00:00.000Z) .. datetime(2024-06-08T00:00:00.250Z))';

/** The operators of the query's last pipeline, as the parser sees them (after any comment or line break). */
function operators(text: string): string[] {
  const a = analyze(text);
  const out: string[] = [];
  let afterBar = false;
  for (const t of a.tokens) {
    if (afterBar) out.push(kindName(t));
    afterBar = kindName(t) === 'BarToken';
  }
  return out;
}

describe('kql/query', () => {
  before(function () {
    this.timeout(60_000);
    loadKusto();
  });

  it('one table: time filter, sort, take, nothing else', () => {
    const q = buildQuery(base());
    expect(q).to.equal(['DeviceProcessEvents', TIME, '| sort by Timestamp desc', '| take 50'].join('\n'));
    expectClean(q);
  });

  it('several tables: union; fields projected last, after sort and take', () => {
    const q = buildQuery(base({ tables: ['DeviceProcessEvents', ' DeviceNetworkEvents', 'DeviceProcessEvents'], fields: ['DeviceName', 'Timestamp', 'DeviceName'], sortOrder: 'asc', limit: MAX_ROWS }));
    expect(q).to.equal(['union DeviceProcessEvents, DeviceNetworkEvents', TIME, '| sort by Timestamp asc', '| take 100000', '| project DeviceName, Timestamp'].join('\n'));
    expectClean(q);
  });

  it('a sort field outside the projection is valid: the parser sees it before project', () => {
    const q = buildQuery(base({ fields: ['DeviceName', 'FileName'], sortField: 'ProcessCommandLine' }));
    expectClean(q);
    expect(q.indexOf('| sort by ProcessCommandLine desc')).to.be.lessThan(q.indexOf('| project DeviceName, FileName'));
    // the other order is what the parser refuses: proof that the check means something
    expect(errorsOf('DeviceProcessEvents | project DeviceName | sort by ProcessCommandLine desc').map((d) => d.Code)).to.deep.equal(['KS142']);
  });

  it('the where clause with or without `|` and `where`', () => {
    for (const w of ['FileName =~ "cmd.exe"', '| where FileName =~ "cmd.exe"', 'where FileName =~ "cmd.exe"', '  |where   FileName =~ "cmd.exe"  ', '|  where\nFileName =~ "cmd.exe"']) {
      const q = buildQuery(base({ where: w }));
      expect(q, w).to.equal(['DeviceProcessEvents', TIME, '| where FileName =~ "cmd.exe"', '| sort by Timestamp desc', '| take 50'].join('\n'));
      expectClean(q);
    }
    expect(wherePredicate('whereabouts == 1')).to.equal('whereabouts == 1');
    expect(wherePredicate('where(FileName == "x")')).to.equal('(FileName == "x")');
    for (const empty of ['', '  ', '|', 'where', '| where ']) {
      expect(buildQuery(base({ where: empty }))).to.equal(buildQuery(base()));
    }
  });

  it('a trailing // comment in the where clause cannot swallow the sort, the limit or the projection', () => {
    const q = buildQuery(base({ where: 'FileName =~ "cmd.exe" // and take 1000000', fields: ['FileName'] }));
    expectClean(q);
    expect(operators(q)).to.deep.equal(['WhereKeyword', 'WhereKeyword', 'SortKeyword', 'TakeKeyword', 'ProjectKeyword']);
    const multi = buildQuery(base({ where: '// a first comment\nFileName =~ "cmd.exe" // second', limit: 7 }));
    expectClean(multi);
    expect(operators(multi)).to.deep.equal(['WhereKeyword', 'WhereKeyword', 'SortKeyword', 'TakeKeyword']);
    expect(multi.endsWith('\n| take 7')).to.equal(true);
  });

  it('per-table entity filters: union of filtered sub-queries, each valid', () => {
    const entities = resolveEntities([
      { EntityType: 'ADDRESS', Identifier: '10.0.0.5' }, { EntityType: 'HOSTNAME', Identifier: 'pc01' }, { EntityType: 'USER', Identifier: 'alice@contoso.com' },
    ], 'All entities', ENTITY_TYPES).entities;
    const tables = ['DeviceNetworkEvents', 'DeviceLogonEvents', 'IdentityLogonEvents', 'EmailEvents'];
    const tableFilters: Record<string, string> = {};
    for (const t of tables) {
      const f = entityFilter(t, entities, {}, 'or').filter;
      if (f) tableFilters[t] = f;
    }
    const q = buildQuery(base({ tables: Object.keys(tableFilters), tableFilters, fields: ['Timestamp', 'DeviceName'], sortField: 'RemoteIP' }));
    expect(q.split('\n').slice(0, 5)).to.deep.equal([
      'union',
      '    (DeviceNetworkEvents | where (RemoteIP in ("10.0.0.5") or DeviceName in~ ("pc01") or InitiatingProcessAccountUpn in~ ("alice@contoso.com"))),',
      '    (DeviceLogonEvents | where (RemoteIP in ("10.0.0.5") or DeviceName in~ ("pc01") or InitiatingProcessAccountUpn in~ ("alice@contoso.com"))),',
      '    (IdentityLogonEvents | where (IPAddress in ("10.0.0.5") or DeviceName in~ ("pc01") or AccountUpn in~ ("alice@contoso.com"))),',
      '    (EmailEvents | where ((SenderIPv4 in ("10.0.0.5") or SenderIPv6 in ("10.0.0.5")) or (SenderFromAddress in~ ("alice@contoso.com") or RecipientEmailAddress in~ ("alice@contoso.com"))))',
    ]);
    expectClean(q);
    // ReportId is long in Device* and string in EmailEvents: the union of the two names it ReportId_long / ReportId_string
    const two = { DeviceNetworkEvents: tableFilters.DeviceNetworkEvents, EmailEvents: tableFilters.EmailEvents };
    expect(errorsOf(buildQuery(base({ tables: Object.keys(two), tableFilters: two, sortField: 'ReportId' }))).map((d) => d.Code)).to.deep.equal(['KS142']);
    expectClean(buildQuery(base({ tables: Object.keys(two), tableFilters: two, sortField: 'ReportId_long', fields: ['ReportId_string'] })));
    // one table: no union
    const one = buildQuery(base({ tables: ['DeviceNetworkEvents'], tableFilters: { DeviceNetworkEvents: tableFilters.DeviceNetworkEvents } }));
    expect(one.split('\n')[0]).to.equal(`DeviceNetworkEvents | where ${tableFilters.DeviceNetworkEvents}`);
    expectClean(one);
    // a table without a filter is a bug of the caller, never an unfiltered run
    errorOf('INTERNAL', () => buildQuery(base({ tables: ['DeviceNetworkEvents', 'DeviceEvents'], tableFilters: { DeviceNetworkEvents: tableFilters.DeviceNetworkEvents } })));
    errorOf('INTERNAL', () => buildQuery(base({ tables: ['DeviceEvents'], tableFilters: { DeviceEvents: '  ' } })));
  });

  it('refuses bad identifiers, naming the parameter', () => {
    for (const t of ['Device Events', 'T; drop', 'T|take 1', '']) {
      expect(errorOf('INVALID_INPUT', () => buildQuery(base({ tables: [t] })))).to.contain("Parameter 'table_names'");
    }
    expect(errorOf('INVALID_INPUT', () => buildQuery(base({ tables: [] })))).to.contain("Parameter 'table_names' is empty");
    expect(errorOf('INVALID_INPUT', () => buildQuery(base({ fields: ['DeviceName', 'x | take 1'] })))).to.contain("Parameter 'fields_to_return'");
    expect(errorOf('INVALID_INPUT', () => buildQuery(base({ sortField: 'Timestamp desc | take 1000000' })))).to.contain("Parameter 'sort_field'");
    expect(buildQuery(base({ sortField: '  ' }))).to.contain('| sort by Timestamp desc');
    errorOf('INTERNAL', () => buildQuery(base({ sortOrder: 'up' as 'asc' })));
    expect(buildQuery(base({ sortOrder: 'ASC' as 'asc' }))).to.contain('| sort by Timestamp asc');
  });

  it('the limit: a whole number from 1 to 100,000, always applied', () => {
    for (const bad of [0, -1, 1.5, MAX_ROWS + 1, NaN, Infinity]) {
      expect(errorOf('INVALID_INPUT', () => buildQuery(base({ limit: bad })))).to.contain("Parameter 'max_results_to_return'").and.contain('100,000');
      errorOf('INVALID_INPUT', () => customQuery('DeviceEvents', bad));
    }
    expect(buildQuery(base({ limit: 1 }))).to.contain('\n| take 1');
  });

  it('another table\'s fields and sort column parse against its schema', () => {
    const q = buildQuery(base({ tables: ['AlertInfo'], fields: ['Title', 'Category'], sortField: 'Severity' }));
    expectClean(q);
  });

  describe('customQuery', () => {
    it('appends the limit on a new line', () => {
      expect(customQuery('DeviceEvents | where ActionType == "x"', 10)).to.equal('DeviceEvents | where ActionType == "x"\n| take 10');
      expectClean(customQuery('DeviceEvents | where ActionType == "x"', 10));
    });

    it('a trailing // comment cannot swallow the limit', () => {
      const q = customQuery('DeviceEvents\n| where ActionType == "x" // only these', 25);
      expectClean(q);
      expect(operators(q)).to.deep.equal(['WhereKeyword', 'TakeKeyword']);
      expect(analyze(q).tokens.map((t) => t.Text).slice(-3)).to.deep.equal(['|', 'take', '25']);
    });

    it('keeps let statements, drops trailing semicolons and blanks', () => {
      const q = customQuery('let ip = "10.0.0.5";\nDeviceNetworkEvents | where RemoteIP == ip;  \n', 5);
      expect(q).to.equal('let ip = "10.0.0.5";\nDeviceNetworkEvents | where RemoteIP == ip\n| take 5');
      expectClean(q);
    });

    it('refuses an empty query', () => {
      for (const q of ['', '   ', '\n;\n']) expect(errorOf('INVALID_INPUT', () => customQuery(q, 5))).to.contain("Parameter 'query' is empty");
    });

    it('an unterminated multi-line string in the user text does not hide the limit: the query fails to parse', () => {
      expect(errorsOf(customQuery('DeviceEvents | where ActionType == ```x', 5))).to.not.deep.equal([]);
    });
  });
});
