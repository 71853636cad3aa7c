// What the incident actions take from the input, bounded before anything is sent: incident ids in Microsoft's form,
// names looked up without the prototype chain, and a search whose URL stays within what Microsoft Graph takes.
import { expect } from 'chai';
import type { DefenderApi } from '../../../lib/defender/api';
import { checkIncidentId, incidentsClient, type IncidentQuery } from '../../../lib/defender/incidents';
import { alertFromLegacy } from '../../../lib/defender/legacy';
import { CLASSIFICATIONS, DETERMINATIONS, INCIDENT_STATUSES, SEVERITIES } from '../../../lib/defender/model';
import { checkRequestUrl, MAX_REQUEST_URL } from '../../../lib/defender/odata';
import { parseTimeInput } from '../../../lib/defender/time';
import type { Config } from '../../../lib/runtime/config';
import type { Logger } from '../../../lib/runtime/log';
import { actionErrorOf, syncActionErrorOf } from '../../support/errors';

const log: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, enabled: () => false };

/** A DefenderApi that records what would be sent and answers an empty page. */
function fakeApi(flavor: 'graph' | 'defender', apiUrl: string): DefenderApi & { sent: string[] } {
  const sent: string[] = [];
  return {
    flavor,
    apiUrl,
    name: flavor === 'graph' ? 'Microsoft Graph' : 'the Defender XDR API',
    surface: { id: flavor, name: flavor === 'graph' ? 'Microsoft Graph' : 'the Defender XDR API', root: apiUrl, scope: `${apiUrl}/.default`, permissions: {} },
    sent,
    tokens: {} as DefenderApi['tokens'],
    async call(call: { path: string }): Promise<unknown> {
      sent.push(call.path);
      return { value: [] };
    },
  };
}

describe('incident ids', () => {
  it('come back as Microsoft writes them: no leading zeros, from 1 to the largest signed 64-bit integer', () => {
    expect(checkIncidentId('42')).to.equal('42');
    expect(checkIncidentId(' 007 ')).to.equal('7');
    expect(checkIncidentId('0000000000000000042')).to.equal('42');
    expect(checkIncidentId('9223372036854775807')).to.equal('9223372036854775807');
    for (const bad of ['0', '000', '9223372036854775808', '9999999999999999999', '-1', '4 2', '', '0x2A', '１２']) {
      expect(syncActionErrorOf('INVALID_INPUT', () => checkIncidentId(bad)), bad).to.match(/^Parameter 'incident_id' must be an incident number such as 42/);
    }
    expect(syncActionErrorOf('INVALID_INPUT', () => checkIncidentId('9223372036854775808'))).to.contain('from 1 to 9223372036854775807');
  });
});

describe('names from the input or an answer are looked up without the prototype chain', () => {
  it('a relative time with the "unit" constructor names no unit', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    for (const unit of ['constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
      expect(syncActionErrorOf('INVALID_INPUT', () => parseTimeInput(`5${unit}`, 'created_from', now)), unit).to.contain(`has an unknown unit '${unit}'`);
    }
    expect(parseTimeInput('5 days', 'created_from', now).toISOString()).to.equal('2025-12-27T00:00:00.000Z');
  });

  it('a legacy alert whose service or detection source is "constructor" keeps it as a name, not a function', () => {
    const alert = alertFromLegacy({ alertId: 'a1', incidentId: 1, serviceSource: 'constructor', detectionSource: '__proto__', status: 'New', severity: 'Low', creationTime: '2026-01-01T00:00:00Z', lastUpdatedTime: '2026-01-01T00:00:00Z', entities: [] });
    expect(alert.serviceSource).to.equal('constructor');
    expect(alert.detectionSource).to.equal('__proto__');
  });
});

describe('Search Incidents stays within the URL length Microsoft Graph takes', () => {
  const config = { cloud: 'Worldwide' } as Config;
  const widest: IncidentQuery = {
    statuses: INCIDENT_STATUSES,
    severities: SEVERITIES,
    classifications: CLASSIFICATIONS,
    determinations: DETERMINATIONS,
    assignedTo: `${'a'.repeat(308)}@contoso.com`,
    createdFrom: new Date('2026-01-01T00:00:00Z'),
    createdTo: new Date('2026-02-01T00:00:00Z'),
    updatedFrom: new Date('2026-01-01T00:00:00Z'),
    updatedTo: new Date('2026-02-01T00:00:00Z'),
    includeAlerts: true,
    maxResults: 5000,
  };

  it('the widest search the parameters allow in ASCII (every value of every list, a 320-character assignee) is sent', async () => {
    for (const flavor of ['graph', 'defender'] as const) {
      const api = fakeApi(flavor, flavor === 'graph' ? 'https://dod-graph.microsoft.us' : 'https://api-gov.security.microsoft.us');
      await incidentsClient(api, config, log).search(flavor === 'graph' ? widest : { ...widest, statuses: INCIDENT_STATUSES.filter((st) => st !== 'awaitingAction') });
      expect(api.sent, flavor).to.have.length(1);
      expect(`${api.apiUrl}${api.sent[0]}`.length, flavor).to.be.at.most(MAX_REQUEST_URL);
    }
  });

  it('one that would need a longer URL is refused before anything is sent, saying what to shorten', async () => {
    for (const flavor of ['graph', 'defender'] as const) {
      const api = fakeApi(flavor, 'https://graph.microsoft.com');
      // 320 characters outside ASCII (what assigned_to allows): each is up to 12 in the URL once quoted and percent-encoded
      const msg = await actionErrorOf('INVALID_INPUT', () => incidentsClient(api, config, log).search({ ...widest, statuses: ['active'], assignedTo: '😀'.repeat(320) }));
      expect(msg, flavor).to.match(/^Searching incidents would need a request URL of [\d,]+ characters, more than the 2,048 this package sends \(the URL length Microsoft Graph documents\); shorten 'assigned_to'/);
      expect(api.sent, flavor).to.deep.equal([]);
    }
    expect(() => checkRequestUrl(`https://x/${'a'.repeat(MAX_REQUEST_URL - 10)}`, 'x', 'y')).not.to.throw();
  });
});
