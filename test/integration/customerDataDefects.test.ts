/**
 * Customer-data defects found from outside (issue 9): what a segment export writes into a
 * spreadsheet, attribute names that shadow JavaScript built-ins, and the cost bounds of
 * segment queries (time limit, abort when the client hangs up).
 */
import http from 'node:http';
import mongoose from 'mongoose';
import { queryBudget, SegmentQueryTimeoutError, withinBudget } from '../../segments/queryBudget';
import { eventually, startHarness, type Harness } from '../support/harness';

// The driver mongoose runs on (it may be another copy than a top-level `mongodb`).
const { Collection, MongoServerError } = mongoose.mongo;
type Collection = InstanceType<typeof Collection>;
type FindCursor = ReturnType<Collection['find']>;

let h: Harness;
beforeAll(async () => {
  h = await startHarness('customerDataDefects', { worker: false });
});
afterAll(async () => h?.close());
afterEach(() => jest.restoreAllMocks());

const bearer = () => ({ authorization: `Bearer ${h.apiKey}` });

async function exportCsv(segmentId: string): Promise<string[][]> {
  const res = await fetch(`${h.api.url}/v1/segments/${segmentId}/export?format=csv`, { headers: bearer() });
  expect(res.status).toBe(200);
  // The cells here hold no quotes, commas or line breaks, so a plain split reads them.
  return (await res.text()).replace(/^\uFEFF/, '').trim().split('\r\n').map((line) => line.split(','));
}

describe('CSV export', () => {
  test('every cell that a spreadsheet would run as a formula is kept as text: strings, anonymousIds and lists included', async () => {
    for (const [name, type] of [['tags', 'stringList'], ['note', 'string'], ['delta', 'number']] as const) {
      expect((await h.call('POST', '/v1/attributes', { name, type })).status).toBe(201);
    }
    expect((await h.call('POST', '/v1/profiles', { anonymousId: '=2+5', attributes: { tags: ['-2+3+cmd|calc!A0', 'ok'], note: '@SUM(A1)', delta: -4 } })).status).toBe(201);
    expect((await h.call('POST', '/v1/identify', { anonymousId: '=2+5', externalId: '+mallory' })).status).toBe(200);
    expect((await h.call('POST', '/v1/profiles', { externalId: 'plain', attributes: { tags: ['ok', '=HYPERLINK(1)'], note: 'fine' } })).status).toBe(201);
    expect((await h.call('POST', '/v1/segments', { id: 'csv-cells', name: 'CSV', rule: { attribute: 'tags', op: 'exists' } })).status).toBe(201);

    const [header, ...rows] = await exportCsv('csv-cells');
    expect(header).toEqual(['id', 'externalId', 'email', 'msisdn', 'anonymousIds', 'delta', 'note', 'tags']);
    const byExternalId = Object.fromEntries(rows.map((r) => [r[1], Object.fromEntries(header!.map((column, i) => [column, r[i]]))]));
    expect(byExternalId["'+mallory"]).toMatchObject({ anonymousIds: "'=2+5", tags: "'-2+3+cmd|calc!A0;ok", note: "'@SUM(A1)", delta: '-4' });
    // A formula after the first element cannot run: the cell starts with text.
    expect(byExternalId.plain).toMatchObject({ tags: 'ok;=HYPERLINK(1)', note: 'fine', anonymousIds: '', delta: '' });
    // Numbers are written as they are: a cell holding only a number is no formula.
    for (const cell of rows.flat().filter((c) => !/^-?\d+(\.\d+)?$/.test(c!))) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  test("an attribute named like a JavaScript built-in (defined before such names were refused) never leaks into other profiles' rows", async () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      await h.db.attributeDefinitions.create({ _id: `demo:${name}`, appId: 'demo', name, type: 'string', origin: 'api' });
    }
    await h.db.profiles.updateOne({ appId: 'demo', externalId: 'plain' }, { $set: { 'attributes.toString': 'kept' } });
    const [header, ...rows] = await exportCsv('csv-cells');
    const column = (name: string) => rows.map((r) => r[header!.indexOf(name)]).sort();
    expect(header).toEqual(expect.arrayContaining(['constructor', 'toString', 'hasOwnProperty']));
    expect(column('constructor')).toEqual(['', '']);
    expect(column('hasOwnProperty')).toEqual(['', '']);
    expect(column('toString')).toEqual(['', 'kept']);
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) await h.db.attributeDefinitions.deleteOne({ _id: `demo:${name}` });
  });
});

describe('cost bounds of segment queries', () => {
  const PROFILES = 3000;

  beforeAll(async () => {
    const docs = Array.from({ length: PROFILES }, (_, i) => ({ _id: `demo:prf_bulk${String(i).padStart(5, '0')}`, appId: 'demo', externalId: `bulk-${i}`, email: `bulk${i}@example.com`, attributes: {}, devices: [] }));
    for (let i = 0; i < docs.length; i += 500) await h.db.profiles.insertMany(docs.slice(i, i + 500));
    expect((await h.call('POST', '/v1/segments', { id: 'bulk', name: 'Bulk', rule: { and: [{ channel: 'email' }, { event: 'purchase', op: 'never' }] } })).status).toBe(201);
  });

  /** The options of every driver call of `method` on `collection` while `run` runs. */
  async function driverOptions(method: 'countDocuments' | 'find' | 'aggregate', collection: string, run: () => Promise<unknown>) {
    const spy = jest.spyOn(Collection.prototype, method);
    try {
      await run();
      return spy.mock.calls.filter((_args, i) => (spy.mock.contexts[i] as Collection).collectionName === collection).map((args) => args[1] as { maxTimeMS?: number; signal?: AbortSignal });
    } finally {
      spy.mockRestore();
    }
  }

  test('every segment query of count, preview, members and export runs under maxTimeMS and the request’s abort signal', async () => {
    const bounded = expect.objectContaining({ maxTimeMS: expect.any(Number), signal: expect.any(AbortSignal) });
    const preview = () => h.call('POST', '/v1/segments/preview', { rule: { and: [{ channel: 'email' }, { event: 'purchase', op: 'never' }] }, sample: 5 });
    expect(await driverOptions('countDocuments', 'profiles', preview)).toEqual([bounded]);
    expect(await driverOptions('find', 'profiles', preview)).toEqual([bounded]);
    expect(await driverOptions('aggregate', 'eventCounters', preview)).toEqual([bounded]);
    expect(await driverOptions('countDocuments', 'profiles', () => h.call('GET', '/v1/segments/bulk/count'))).toEqual([bounded]);
    expect(await driverOptions('find', 'profiles', () => h.call('GET', '/v1/segments/bulk/members?limit=10'))).toEqual([bounded]);
    expect(await driverOptions('find', 'profiles', async () => (await fetch(`${h.api.url}/v1/segments/bulk/export`, { headers: bearer() })).text())).toEqual([bounded]);
  });

  test('a count whose client hung up before it reached the database is never run', async () => {
    const original = Collection.prototype.countDocuments;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let signal: AbortSignal | undefined;
    let outcome: Promise<string> | undefined;
    // The count is held back on its way to the driver until the client has gone.
    jest.spyOn(Collection.prototype, 'countDocuments').mockImplementation(function (this: Collection, ...args: Parameters<Collection['countDocuments']>) {
      if (this.collectionName !== 'profiles') return original.apply(this, args);
      signal = args[1]?.signal ?? new AbortController().signal;
      const run = released.then(() => original.apply(this, args));
      outcome = run.then(() => 'counted', (err) => (err === signal?.reason ? 'aborted' : `failed: ${String(err)}`));
      return run;
    });
    const req = http.request(`${h.api.url}/v1/segments/bulk/count`, { headers: bearer() });
    req.on('error', () => {});
    req.end();
    await eventually(async () => outcome !== undefined);
    req.destroy();
    await eventually(async () => signal?.aborted, 20_000);
    release();
    expect(await outcome).toBe('aborted');
  });

  test('an export whose client hangs up stops reading: its database cursor is killed before the end', async () => {
    const cursors: FindCursor[] = [];
    const original = Collection.prototype.find;
    jest.spyOn(Collection.prototype, 'find').mockImplementation(function (this: Collection, ...args: Parameters<Collection['find']>) {
      const cursor = original.apply(this, args);
      if (this.collectionName === 'profiles') cursors.push(cursor);
      return cursor;
    } as Collection['find']);
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${h.api.url}/v1/segments/bulk/export`, { headers: bearer() }, (res) => {
        expect(res.statusCode).toBe(200);
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    });
    await eventually(async () => cursors.length === 1 && cursors[0]!.killed, 30_000);
  });

  test('a segment query past its time limit is a timeout error, never a 500', async () => {
    const expired = new MongoServerError({ code: 50, codeName: 'MaxTimeMSExpired', errmsg: 'operation exceeded time limit' });
    await expect(withinBudget(queryBudget(5000), () => Promise.reject(expired))).rejects.toBeInstanceOf(SegmentQueryTimeoutError);
    // A budget already spent stops before the database is asked.
    const spent = queryBudget(1);
    await eventually(async () => Date.now() > spent.deadline);
    let asked = false;
    await expect(withinBudget(spent, async (options) => { asked = options.maxTimeMS > 0; })).rejects.toBeInstanceOf(SegmentQueryTimeoutError);
    expect(asked).toBe(false);
  });
});
