/**
 * Push provider adapter, FCM-v1 shaped (`POST {base}/v1/projects/{project}/messages:send`).
 * The same adapter talks to the push simulator, to FCM behind a relay, or to any gateway
 * that speaks this shape; `Idempotency-Key` carries the delivery id so a provider that
 * honours it (the simulator does) never delivers a retried call twice.
 */
import { postJson } from './http';

export interface PushRequest {
  token: string;
  platform: string;
  title: string;
  body: string;
  data: Record<string, string>;
  idempotencyKey: string;
}

export interface PushProvider {
  send(req: PushRequest): Promise<{ providerMessageId: string }>;
}

export function createHttpPushProvider(baseUrl: string, project = 'rota'): PushProvider {
  const url = new URL(`/v1/projects/${encodeURIComponent(project)}/messages:send`, baseUrl).toString();
  return {
    async send(req) {
      const res = await postJson<{ name: string }>(
        url,
        { message: { token: req.token, notification: { title: req.title, body: req.body }, data: req.data } },
        { headers: { 'idempotency-key': req.idempotencyKey } },
      );
      return { providerMessageId: res.name };
    },
  };
}

/**
 * Whether a refusal says the token is dead (the app was uninstalled): FCM's 404 with
 * `UNREGISTERED`, APNs' 410 `Unregistered`. Only in the provider's own words, so a wrong base
 * URL's 404 marks nobody's device.
 */
export function isDeadToken(refusal: { status?: number; error?: string }): boolean {
  return (refusal.status === 404 && /UNREGISTERED/.test(refusal.error ?? '')) || (refusal.status === 410 && /Unregistered/.test(refusal.error ?? ''));
}
