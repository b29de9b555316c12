/**
 * data/driverWriteOnClose.ts, against the real driver and the run's database server: a command
 * whose write found the socket full (`write` answered false) fails with the connection's network
 * error once the connection closes, rather than waiting for a `drain` that never comes. Without
 * the fix the command below stays pending, and this test fails.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { connectDb, type Db } from '../../data/db';
import { testDbUri } from '../support/testDb';

const driverRequire = createRequire(createRequire(__filename).resolve('mongoose'));
const { connect } = driverRequire('mongodb/lib/cmap/connect');
const { ns } = driverRequire('mongodb/lib/utils');

let db: Db;
beforeAll(async () => {
  db = await connectDb(testDbUri('driverwrite'));
});
afterAll(async () => {
  await db.conn.dropDatabase();
  await db.close();
});

/** A connection of the driver's own to the server, opened the way its server monitor opens one. */
async function driverConnection() {
  const client = db.conn.getClient() as unknown as { topology: { s: { servers: Map<string, { monitor: { connectOptions: object } }> } } };
  const [server] = client.topology.s.servers.values();
  return connect({ ...server!.monitor.connectOptions, id: 'test' });
}

test('a connection works before anything is done to it', async () => {
  const c = await driverConnection();
  await expect(c.command(ns('admin.$cmd'), { ping: 1 }, {})).resolves.toMatchObject({ ok: 1 });
  c.destroy();
});

test('a command waiting for its write to drain fails with a network error when the connection closes', async () => {
  const c = await driverConnection();
  // The socket the server has just closed: the write is not taken, and no `drain` or `error` follows.
  c.socket.write = () => false;
  let outcome: unknown = 'pending';
  const command = c.command(ns('admin.$cmd'), { ping: 1 }, {}).then(
    () => (outcome = 'answered'),
    (err: Error) => (outcome = err),
  );
  const closed = once(c, 'close');
  c.socket.destroy();
  await closed;
  await new Promise((r) => setImmediate(r));
  expect(outcome).toBeInstanceOf(Error);
  expect((outcome as Error).name).toBe('MongoNetworkError');
  expect((outcome as Error).message).toMatch(/closed/);
  await command;
});
