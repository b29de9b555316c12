/**
 * SMS gateway adapter (`POST {base}/sms/send`). `reference` is the delivery id: gateways
 * keep the client reference unique, so a retried call is answered with the first send.
 */
import { postJson } from './http';

export interface SmsRequest {
  to: string;
  from: string;
  text: string;
  reference: string;
}

export interface SmsProvider {
  send(req: SmsRequest): Promise<{ providerMessageId: string }>;
}

export function createHttpSmsProvider(baseUrl: string): SmsProvider {
  const url = new URL('/sms/send', baseUrl).toString();
  return {
    async send(req) {
      const res = await postJson<{ id: string }>(url, req);
      return { providerMessageId: res.id };
    },
  };
}
