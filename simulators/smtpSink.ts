/**
 * An SMTP sink: a real SMTP listener (the nodemailer project's smtp-server) that keeps
 * every message it accepts, with a small HTTP API shaped like Mailpit's
 * (`GET /api/v1/messages`, `DELETE /api/v1/messages`) so tests and people read mail the
 * same way whether the sink or Mailpit is behind `SMTP_URL`.
 */
import { SMTPServer } from 'smtp-server';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SunkMessage {
  id: string;
  from: string;
  to: string[];
  raw: string;
  subject: string;
  receivedAt: string;
}

export interface SmtpSink {
  smtpUrl: string;
  apiUrl: string;
  messages: SunkMessage[];
  close(): Promise<void>;
}

function header(raw: string, name: string): string {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(raw);
  return m?.[1]?.trim() ?? '';
}

export async function startSmtpSink(opts: { smtpPort?: number; apiPort?: number; host?: string } = {}): Promise<SmtpSink> {
  const host = opts.host ?? '127.0.0.1';
  const messages: SunkMessage[] = [];
  let seq = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          id: String(++seq),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: header(raw, 'Subject'),
          receivedAt: new Date().toISOString(),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    smtp.once('error', reject);
    smtp.listen(opts.smtpPort ?? 0, host, () => resolve());
  });
  const smtpPort = (smtp.server.address() as AddressInfo).port;

  const api = http.createServer((req, res) => {
    if (req.url?.startsWith('/api/v1/messages')) {
      if (req.method === 'DELETE') messages.length = 0;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ total: messages.length, messages }));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => api.listen(opts.apiPort ?? 0, host, () => resolve()));
  const apiPort = (api.address() as AddressInfo).port;

  return {
    smtpUrl: `smtp://${host}:${smtpPort}`,
    apiUrl: `http://${host}:${apiPort}`,
    messages,
    async close() {
      await new Promise<void>((r) => smtp.close(() => r()));
      api.closeAllConnections();
      await new Promise<void>((r) => api.close(() => r()));
    },
  };
}
