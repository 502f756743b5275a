// PII detectors, one table per category: positives (with the span that must be found) and the tricky negatives that
// must stay (numbers failing checksums, dates, version strings, ISBNs, order numbers, file names). Then redaction and
// pseudonymisation, and the PII step's counts. Leaves out: precision/recall on a large corpus (see detect-eval.test.ts).
import { describe, expect, it } from 'vitest';
import { cardValid, chinaIdValid, ibanValid, ipv4Valid, luhnValid } from './checks.js';
import { detectPii, type PiiCategory } from './detect.js';
import { piiStep, redactPii } from './redact.js';

const found = (text: string, category: PiiCategory) =>
  detectPii(text)
    .filter((f) => f.category === category)
    .map((f) => text.slice(f.start, f.end));

type Case = [text: string, expected: string[], why: string];

const table: Record<PiiCategory, Case[]> = {
  email: [
    ['mail me at jane.doe+ml@example.co.uk today', ['jane.doe+ml@example.co.uk'], 'plus tag, two-level TLD'],
    ['联系邮箱：zhang.san@163.com。', ['zhang.san@163.com'], 'next to CJK punctuation'],
    ['install lodash@4.17.21 now', [], 'npm version spec, not an address'],
    ['see icon@2x.png for the retina asset', [], 'file name'],
    ['ssh user@localhost', [], 'no top-level domain'],
  ],
  phone: [
    ['call +44 20 7946 0958 now', ['+44 20 7946 0958'], 'international with spaces'],
    ['手机 13812345678 或 +86 139-1234-5678', ['13812345678', '+86 139-1234-5678'], 'mainland mobile, plain and +86'],
    ['电话 010-62345678，分机', ['010-62345678'], 'Beijing landline'],
    ['tel (0755) 83456789', ['(0755) 83456789'], 'landline with area code in brackets'],
    ['call (415) 555-2671', ['(415) 555-2671'], 'North American'],
    ['on 2024-01-15 at 10:30', [], 'date and time'],
    ['order no. 13812345678 shipped', [], 'order number that looks like a mobile'],
    ['订单号：13912345678', [], 'order number (Chinese)'],
    ['ISBN 978-3-16-148410-0', [], 'ISBN'],
    ['version 12.3.4567.89', [], 'version string'],
    ['+12 34', [], 'too few digits for E.164'],
  ],
  cn_id: [
    ['身份证号11010519491231002X。', ['11010519491231002X'], 'valid, X check character'],
    ['ID 440304199001011233 on file', ['440304199001011233'], 'valid'],
    ['ID 440304199001011234 on file', [], 'check digit wrong'],
    ['ID 440304199002301233 on file', [], 'February 30th'],
    ['serial 990304199001011233', [], 'region 99 does not exist'],
  ],
  payment_card: [
    ['card 4111 1111 1111 1111 exp 12/29', ['4111 1111 1111 1111'], 'Visa, grouped'],
    ['mc 5555-5555-5555-4444.', ['5555-5555-5555-4444'], 'Mastercard, hyphens'],
    ['amex 3782 822463 10005', ['3782 822463 10005'], 'Amex 4-6-5'],
    ['银联 6212345678901232', ['6212345678901232'], 'UnionPay'],
    ['card 4111 1111 1111 1112', [], 'fails Luhn'],
    ['tracking 9400111899223197428490', [], 'too long and wrong prefix'],
    ['order #4000000000000002', [], 'order number context'],
    ['id 1234567812345670', [], 'Luhn-valid but no issuer prefix'],
    ['ISBN 9780306406157', [], 'ISBN-13'],
  ],
  ip_address: [
    ['from 192.168.1.20 and 8.8.8.8', ['192.168.1.20', '8.8.8.8'], 'IPv4'],
    ['host 2001:db8:85a3::8a2e:370:7334 up', ['2001:db8:85a3::8a2e:370:7334'], 'IPv6 compressed'],
    ['link fe80::1 local', ['fe80::1'], 'IPv6 link-local'],
    ['bad 256.1.1.1 and 1.2.3', [], 'octet over 255, three parts'],
    ['release v1.2.3.4 and version 10.0.0.1', [], 'version strings'],
    ['python 3.10.12.1.5', [], 'five parts'],
    ['at 12:30:45 and std::vector and ab::cd', [], 'time, C++ scope, hex-looking words'],
  ],
  iban: [
    ['IBAN GB82 WEST 1234 5698 7654 32 thanks', ['GB82 WEST 1234 5698 7654 32'], 'UK, grouped'],
    ['DE89370400440532013000', ['DE89370400440532013000'], 'Germany, compact'],
    ['GB82 WEST 1234 5698 7654 33', [], 'fails mod-97'],
    ['XX82 WEST 1234 5698 7654 32', [], 'unknown country'],
  ],
  url_credentials: [
    ['db at postgres://admin:s3cr3t@db.internal:5432/app', ['admin:s3cr3t'], 'userinfo only'],
    ['see https://example.com/a:b@c', [], 'colon and @ in the path, no userinfo'],
    ['plain https://user@example.com', [], 'user without password'],
  ],
  secret: [
    ['key sk-proj-AbC123dEf456GhI789jKl012MnO345', ['sk-proj-AbC123dEf456GhI789jKl012MnO345'], 'OpenAI project key'],
    ['token ghp_0123456789abcdefghijABCDEFGHIJ012345 ok', ['ghp_0123456789abcdefghijABCDEFGHIJ012345'], 'GitHub'],
    ['aws AKIAIOSFODNN7EXAMPLE', ['AKIAIOSFODNN7EXAMPLE'], 'AWS access key id'],
    ['slack xoxb-1234567890-abcdefghij', ['xoxb-1234567890-abcdefghij'], 'Slack bot token'],
    ['we use sk-learn and task-list', [], 'words with the prefix'],
    ['sk-this-is-not-a-real-key-at-all', [], 'no digits: prose'],
  ],
};

describe.each(Object.entries(table))('%s', (category, cases) => {
  it.each(cases)('%s → %j (%s)', (text, expected) => {
    expect(found(text, category as PiiCategory)).toEqual(expected);
  });
});

describe('negatives find nothing at all', () => {
  it.each([
    'Meeting on 2024-03-15, room 12.',
    'Upgrade to node 20.19.0 or version 1.2.3.4.',
    'ISBN 978-0-306-40615-7 (paperback), ISBN-10 0-306-40615-2.',
    'Order #20240115123456 and invoice 2023-0042 are paid.',
    'Pi is 3.14159265358979 and e is 2.71828182845904.',
    '订单编号：202401151234567890 已发货。',
  ])('%s', (text) => {
    expect(detectPii(text)).toEqual([]);
  });
});

describe('checksums', () => {
  it('Luhn, cards, IDs, IBANs, IPv4', () => {
    expect([luhnValid('79927398713'), luhnValid('79927398710')]).toEqual([true, false]);
    expect([cardValid('4111111111111111'), cardValid('4111111111111112'), cardValid('0000000000000000')]).toEqual([
      true,
      false,
      false,
    ]);
    expect([
      chinaIdValid('11010519491231002X'),
      chinaIdValid('11010519491231002x'),
      chinaIdValid('110105194912310021'),
    ]).toEqual([true, true, false]);
    expect(chinaIdValid('110105209912310029', new Date('2026-01-01'))).toBe(false); // born in the future
    expect([ibanValid('FR1420041010050500013M02606'), ibanValid('FR1420041010050500013M02607')]).toEqual([true, false]);
    expect([ipv4Valid('10.0.0.1'), ipv4Valid('10.0.0.01'), ipv4Valid('10.0.0')]).toEqual([true, false, false]);
  });
});

describe('redaction', () => {
  const text = 'Mail a@x.com or b@y.org; again a@x.com. Card 4111111111111111.';
  it('pseudonymises with stable per-document numbers', () => {
    expect(redactPii(text, { mode: 'pseudonymise' })).toEqual({
      text: 'Mail <EMAIL_1> or <EMAIL_2>; again <EMAIL_1>. Card <CARD_1>.',
      findings: { email: 3, payment_card: 1 },
    });
  });
  it('redacts with labels', () => {
    expect(redactPii(text).text).toBe('Mail <EMAIL> or <EMAIL>; again <EMAIL>. Card <CARD>.');
  });
  it('a secret containing an address-like part is one finding', () => {
    expect(detectPii('postgres://bob:pw1@h.example.com/db').map((f) => f.category)).toEqual(['url_credentials']);
  });
});

describe('piiStep', () => {
  const rec = (text: string, fields: Record<string, unknown> = {}) => ({
    id: 'r',
    source: { file: 'f' },
    text,
    fields,
    tags: [],
  });
  it('edits, drops per category, cleans extra fields and reports counts only', () => {
    const step = piiStep({ categories: { secret: 'drop', phone: 'redact', ip_address: 'off' }, fields: ['title'] });
    const a = rec('Call 13812345678 or mail a@x.com from 10.0.0.1', { title: 'by a@x.com' });
    expect(step.process(a)).toEqual({ action: 'edit' });
    expect(a.text).toBe('Call <PHONE> or mail <EMAIL_1> from 10.0.0.1');
    expect(a.fields.title).toBe('by <EMAIL_1>');
    expect(step.process(rec('key AKIAIOSFODNN7EXAMPLE'))).toEqual({ action: 'drop', reason: 'pii:secret' });
    expect(step.process(rec('nothing here'))).toEqual({ action: 'keep' });
    expect(step.report?.()).toEqual({
      findings: { phone: 1, email: 2, secret: 1 },
      records: { phone: 1, email: 1, secret: 1 },
    });
    expect(JSON.stringify(step.report?.())).not.toContain('a@x.com');
  });
  it('refuses a config with every category off', () => {
    expect(() => piiStep({ default: 'off' })).toThrow(/every PII category is off/);
  });
});
