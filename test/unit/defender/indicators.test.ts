// Indicator values and settings (lib/defender/indicators.ts): type detection, the refusals made before anything is
// sent, the expiration, and whether an indicator already is as asked.
import { expect } from 'chai';
import { detectDomain, detectEntity, detectFileHash, detectIpAddress, detectThumbprint, detectUrl, indicatorBody, listFilter, parseExpiration, parseGroupNames, parseIndicatorAction, parseSubmitSettings, parseValueList, sameAsAsked } from '../../../lib/defender/indicators';
import { ActionError } from '../../../lib/runtime/errors';

const NOW = new Date('2026-12-02T03:00:00.000Z');
const failure = (fn: () => unknown): string => {
  try { fn(); } catch (err) { return err instanceof ActionError ? `${err.code}: ${err.message}` : String(err); }
  return 'no error';
};
const problem = (d: { problem: string } | { value: string }): string => ('problem' in d ? d.problem : `ok ${d.value}`);

describe('indicators (lib/defender/indicators.ts)', () => {
  it('types a file hash by its length and refuses any other by name', () => {
    expect(detectFileHash('d41d8cd98f00b204e9800998ecf8427e')).to.deep.equal({ value: 'd41d8cd98f00b204e9800998ecf8427e', type: 'FileMd5' });
    expect(detectFileHash(' DA39A3EE5E6B4B0D3255BFEF95601890AFD80709 ')).to.deep.equal({ value: 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', type: 'FileSha1' });
    expect(detectFileHash('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')).to.deep.include({ type: 'FileSha256' });
    expect(problem(detectFileHash('abc123'))).to.match(/^"abc123" is 6 hexadecimal digits, which is no hash .*32 \(MD5\), 40 \(SHA-1\) or 64 \(SHA-256\)/);
    expect(problem(detectFileHash('g'.repeat(32)))).to.match(/is not a file hash: a hash is hexadecimal digits only/);
    expect(problem(detectFileHash('a'.repeat(128)))).to.match(/128 hexadecimal digits/);
  });

  it('takes one external IP address and refuses CIDR, ranges, internal addresses and malformed ones', () => {
    expect(detectIpAddress('203.0.113.7')).to.deep.equal({ value: '203.0.113.7', type: 'IpAddress' });
    expect(detectIpAddress('2001:db8::1')).to.deep.include({ type: 'IpAddress' });
    expect(detectIpAddress('8.8.8.8')).to.deep.include({ type: 'IpAddress' });
    expect(problem(detectIpAddress('203.0.113.0/24'))).to.match(/is a CIDR range; Microsoft takes single IP addresses only/);
    expect(problem(detectIpAddress('1.2.3.4-1.2.3.9'))).to.match(/range of addresses/);
    for (const internal of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00::5', '::ffff:10.0.0.1']) {
      expect(problem(detectIpAddress(internal)), internal).to.match(/internal or reserved address; Microsoft creates indicators for external IPs only/);
    }
    expect(problem(detectIpAddress('172.32.0.1'))).to.equal('ok 172.32.0.1');
    for (const bad of ['1.2.3', '256.1.1.1', '01.2.3.4', 'host', '1.2.3.4.5']) expect(problem(detectIpAddress(bad)), bad).to.match(/is not an IP address/);
  });

  it('checks URLs, domains and certificate thumbprints', () => {
    expect(detectUrl('https://malicious.contoso.com/path?q=1')).to.deep.equal({ value: 'https://malicious.contoso.com/path?q=1', type: 'Url' });
    expect(detectUrl('malicious.contoso.com/x')).to.deep.include({ type: 'Url' });
    expect(detectUrl('http://203.0.113.9/a')).to.deep.include({ type: 'Url' });
    expect(problem(detectUrl('ftp://contoso.com/a'))).to.match(/is a ftp URL; .*http or https/);
    expect(problem(detectUrl('http://10.0.0.1/a'))).to.match(/internal or reserved address/);
    expect(problem(detectUrl('https://user:pw@contoso.com/'))).to.match(/user name or password/);
    expect(problem(detectUrl('https://contoso/'))).to.match(/its host has no top-level domain/);
    expect(problem(detectUrl('http://a b.com'))).to.match(/contains spaces/);
    expect(problem(detectUrl(`https://contoso.com/${'a'.repeat(2100)}`))).to.match(/longer than 2048/);
    expect(detectDomain('Malicious.Contoso.com')).to.deep.equal({ value: 'Malicious.Contoso.com', type: 'DomainName' });
    for (const bad of ['contoso', 'https://contoso.com', '*.contoso.com', '-a.contoso.com', 'a..com', 'contoso.123']) expect(problem(detectDomain(bad)), bad).to.match(/is not a domain name/);
    expect(detectThumbprint('AB:CD:' + 'ef'.repeat(18))).to.deep.equal({ value: 'ABCD' + 'ef'.repeat(18), type: 'CertificateThumbprint' });
    expect(problem(detectThumbprint('abcd'))).to.match(/40 hexadecimal digits/);
    expect(detectEntity('FILEHASH', 'a'.repeat(40))).to.deep.include({ type: 'FileSha1' });
    expect(detectEntity('DestinationURL', 'https://contoso.com')).to.deep.include({ type: 'Url' });
  });

  it('refuses a list parameter with any bad value, naming each, before anything is sent', () => {
    expect(parseValueList('contoso.com, fabrikam.net', 'domains', detectDomain).map((d) => d.value)).to.deep.equal(['contoso.com', 'fabrikam.net']);
    expect(failure(() => parseValueList('contoso.com, bad, https://x.com', 'domains', detectDomain))).to.match(/^INVALID_INPUT: Parameter 'domains': "bad" is not a domain name.*; "https:\/\/x.com" is not a domain name.*Nothing was sent\.$/);
  });

  it('takes the current actions, refuses the legacy ones saying what to use, and requires generate_alert with Audit', () => {
    expect(parseIndicatorAction('blockandremediate')).to.equal('BlockAndRemediate');
    expect(failure(() => parseIndicatorAction('Alert'))).to.match(/legacy action .*January 2022.*use Audit with generate_alert true/);
    expect(failure(() => parseIndicatorAction('AlertAndBlock'))).to.match(/use Block \(or BlockAndRemediate\) with generate_alert true/);
    expect(failure(() => parseIndicatorAction('Quarantine'))).to.match(/valid: Block, BlockAndRemediate, Audit, Warn, Allowed/);
    expect(failure(() => parseSubmitSettings({ action: 'Audit' }, NOW, 'c1'))).to.match(/^INVALID_INPUT: Parameter 'generate_alert' must be true with action Audit/);
    const s = parseSubmitSettings({ action: 'audit', generate_alert: true, severity: 'high', expiration: '30d', rbac_group_names: 'Servers, Laptops, Servers' }, NOW, 'c1');
    expect(s).to.deep.equal({ action: 'Audit', title: 'Indicator from case c1', description: 'Submitted by the SOAR playbook of case c1.', severity: 'High', expirationTime: '2027-01-01T03:00:00Z', generateAlert: true, rbacGroupNames: ['Servers', 'Laptops'] });
    expect(indicatorBody('x.com', 'DomainName', s)).to.deep.equal({ indicatorValue: 'x.com', indicatorType: 'DomainName', action: 'Audit', title: s.title, description: s.description, severity: 'High', expirationTime: s.expirationTime, generateAlert: true, rbacGroupNames: ['Servers', 'Laptops'] });
    expect(failure(() => parseGroupNames('ok, bad\u0007'))).to.match(/control characters/);
    // whole seconds as Microsoft's examples write them, whatever the clock's milliseconds
    const odd = new Date('2026-12-02T03:00:00.789Z');
    expect(parseSubmitSettings({ action: 'Block', expiration: '30d' }, odd, 'c1').expirationTime).to.equal('2027-01-01T03:00:00Z');
    expect(parseSubmitSettings({ action: 'Block', expiration: '2027-02-01T10:20:30.456Z' }, odd, 'c1').expirationTime).to.equal('2027-02-01T10:20:30Z');
  });

  it('reads the expiration as a span ahead or an instant, never in the past', () => {
    expect(parseExpiration('12h', NOW).toISOString()).to.equal('2026-12-02T15:00:00.000Z');
    expect(parseExpiration('2 weeks', NOW).toISOString()).to.equal('2026-12-16T03:00:00.000Z');
    expect(parseExpiration('2027-01-01T00:00:00+01:00', NOW).toISOString()).to.equal('2026-12-31T23:00:00.000Z');
    expect(parseExpiration('2027-02-01', NOW).toISOString()).to.equal('2027-02-01T00:00:00.000Z');
    expect(failure(() => parseExpiration('2026-12-01T00:00:00Z', NOW))).to.match(/^INVALID_INPUT: Parameter 'expiration' .*not in the future/);
    expect(failure(() => parseExpiration('3d ago', NOW))).to.match(/a time in the past/);
    expect(failure(() => parseExpiration('soon', NOW))).to.match(/which is not a span from now \(30d, 12h/);
    expect(failure(() => parseExpiration('0d', NOW))).to.match(/not in the future/);
  });

  it('says whether an indicator already is as a body asks', () => {
    const body = { indicatorValue: 'ABC', indicatorType: 'FileMd5', action: 'Block', title: 't', description: 'd', generateAlert: false, rbacGroupNames: ['b', 'a'] };
    const current = { id: '1', indicatorValue: 'abc', indicatorType: 'FileMd5', action: 'Block', title: 't', description: 'd', generateAlert: false, rbacGroupNames: ['a', 'b'], severity: 'Low' };
    expect(sameAsAsked(current, body)).to.equal(true);
    expect(sameAsAsked({ ...current, action: 'Audit' }, body)).to.equal(false);
    expect(sameAsAsked({ ...current, rbacGroupNames: ['a'] }, body)).to.equal(false);
    const { rbacGroupNames: _groups, ...allDevices } = body;
    expect(sameAsAsked(current, allDevices)).to.equal(false);
    expect(sameAsAsked({ ...current, expirationTime: '2027-01-01T00:00:00Z' }, { ...body, expirationTime: '2027-01-01T00:00:00.000Z' })).to.equal(true);
  });

  it('builds the List Indicators filter from its parameters, every value quoted', () => {
    expect(listFilter({ indicator_value: "o'brien.com", indicator_type: 'domainname', action: 'alertandblock', created_by: 'app', created_from: '2026-11-01', created_to: '1d' }, NOW))
      .to.equal("indicatorValue eq 'o''brien.com' and indicatorType eq 'DomainName' and action eq 'AlertAndBlock' and createdBy eq 'app' and creationTimeDateTimeUtc ge 2026-11-01T00:00:00.000Z and creationTimeDateTimeUtc le 2026-12-01T03:00:00.000Z");
    expect(listFilter({}, NOW)).to.equal(undefined);
    expect(failure(() => listFilter({ indicator_type: 'Hash' }, NOW))).to.match(/valid: FileSha1, FileMd5, CertificateThumbprint/);
  });
});
