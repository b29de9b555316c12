/**
 * The unsubscribe link of commercial e-mail (RFC 8058): `POST` is the one-click unsubscribe
 * a mail client sends for `List-Unsubscribe-Post`, and the form a person submits; `GET`
 * only shows that form, because mail scanners open links and must not unsubscribe anyone.
 * Public: the signed token in the path is the authority.
 */
import { z } from 'zod';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { route } from '../routing';
import { readUnsubscribeToken } from '../../lib/unsubscribeTokens';
import { unsubscribeEmail } from '../../consents/unsubscribe';
import { wakeOutbox } from '../../iys/outbox/wake';

const paramsSchema = z.object({ token: z.string().min(10).max(500).describe('the token of the link in the e-mail') });

const page = (title: string, body: string) =>
  `<!doctype html><html lang="tr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>` +
  `<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem"><h1 style="font-size:1.4rem">${title}</h1>${body}</body></html>`;

export function unsubscribeRoutes(deps: ApiDeps) {
  const tokenOr404 = (token: string) => {
    const target = readUnsubscribeToken(deps.config.RECEIPT_SECRET, token);
    if (!target) throw new ApiError(404, 'not_found', 'no such unsubscribe link', [{ path: 'params.token', message: 'not a link this deployment made' }]);
    return target;
  };
  return [
    route({
      method: 'get', path: '/v1/unsubscribe/:token', tag: 'e-mail', access: 'public',
      summary: 'The page behind an e-mail\'s unsubscribe link: a button that confirms (opening the link changes nothing)',
      params: paramsSchema,
      responses: { 200: { description: 'an HTML page with the confirm button', contentType: 'text/html' }, 404: { description: 'not a link of this deployment' } },
      handler: ({ params, res }) => {
        tokenOr404(params.token);
        res.type('html').send(page('E-posta aboneliğinden çık', `<p>Ticari e-posta almak istemiyorsanız onaylayın.</p><form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Aboneliğimden çık</button></form>`));
      },
    }),
    route({
      method: 'post', path: '/v1/unsubscribe/:token', tag: 'e-mail', access: 'public',
      summary: 'Unsubscribe (one-click, RFC 8058): records an EPOSTA RET through the consent store; repeating it changes nothing',
      params: paramsSchema,
      body: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
      bodyTypes: ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'],
      responses: {
        200: { description: 'unsubscribed, or already (an HTML page for a person; mail clients read the status only)', contentType: 'text/html' },
        404: { description: 'not a link of this deployment, or the profile is gone' },
        503: { description: 'the consent it refuses was given this very second: retry' },
      },
      handler: async ({ params, res }) => {
        const { appId, profileId } = tokenOr404(params.token);
        const result = await unsubscribeEmail(deps.db, appId, profileId);
        if (result.outcome === 'unknown_profile') throw new ApiError(404, 'not_found', 'no such recipient', [{ path: 'params.token', message: 'the profile is gone' }]);
        if (result.outcome === 'retry') throw new ApiError(503, 'retry', 'try again in a second', [], { 'retry-after': '1' });
        if (result.outcome === 'unsubscribed') await wakeOutbox(deps, appId, { changeIds: [result.changeId] });
        res.type('html').send(page('Abonelikten çıktınız', '<p>Bu adrese artık ticari e-posta göndermeyeceğiz.</p>'));
      },
    }),
  ];
}
