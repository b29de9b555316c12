/**
 * A fix for the MongoDB driver (the copy mongoose uses, 7.8): a command written while the server
 * closes the connection can wait forever.
 *
 * `Connection.writeCommand` waits for the socket's `drain` when `write` returns false, and only
 * an `error` on the socket ends that wait. A socket the server has just closed can answer a
 * write with false and then be destroyed, which emits `close` but never `drain` or `error`:
 * the connection marks itself closed, and the command is left pending. When that command is the
 * server monitor's `hello`, the monitor never checks again, the server stays Unknown, and every
 * operation of the process fails server selection for good, though the database is back.
 * Seen about once in twenty FerretDB restarts under load, and by the campaign restart soak at
 * 100 000 recipients (test/integration/driverWriteOnClose.test.ts recreates the race).
 *
 * So a write also ends, with the connection's own network error, when the connection closes.
 */
import { createRequire } from 'node:module';

interface DriverConnection {
  closed: boolean;
  error?: Error;
  id: number | '<monitor>';
  address: string;
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
  writeCommand(command: unknown, options: unknown): Promise<void>;
}

const PATCHED = Symbol.for('rota.writeCommandEndsOnClose');
const driverRequire = createRequire(createRequire(__filename).resolve('mongoose'));

/** The driver's Connection class: internal, so its shape is checked here rather than trusted. */
export function driverConnectionClass(): { prototype: DriverConnection } {
  const { Connection } = driverRequire('mongodb/lib/cmap/connection') as { Connection?: { prototype: DriverConnection } };
  if (typeof Connection?.prototype?.writeCommand !== 'function') {
    throw new Error('the MongoDB driver has no Connection.writeCommand any more: review data/driverWriteOnClose.ts against the new driver');
  }
  return Connection;
}

export function endWritesOnClose(): void {
  const proto = driverConnectionClass().prototype as DriverConnection & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const { MongoNetworkError } = driverRequire('mongodb') as { MongoNetworkError: new (message: string) => Error };
  const write = proto.writeCommand;
  const closedError = (c: DriverConnection) => c.error ?? new MongoNetworkError(`connection ${c.id} to ${c.address} closed`);
  proto.writeCommand = async function (this: DriverConnection, command: unknown, options: unknown): Promise<void> {
    if (this.closed) throw closedError(this);
    let onClose!: () => void;
    const closed = new Promise<never>((_, reject) => (onClose = () => reject(closedError(this))));
    this.once('close', onClose);
    try {
      return await Promise.race([write.call(this, command, options), closed]);
    } finally {
      this.off('close', onClose);
    }
  };
  proto[PATCHED] = true;
}
