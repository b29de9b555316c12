/** Every campaign with its state and a progress bar, read again every few seconds. */
import { get } from '../api';
import { ProgressBar } from '../components/ProgressBar';
import { Problem } from '../components/Problem';
import { StateBadge } from '../components/StateBadge';
import { useFormat, useT } from '../i18n';
import { href } from '../router';
import type { Campaign } from '../types';
import { usePoll } from '../usePoll';

export function Campaigns() {
  const t = useT();
  const f = useFormat();
  const list = usePoll(() => get<{ campaigns: Campaign[] }>('/v1/campaigns?limit=100'), 3000, []);
  return (
    <>
      <h1>{t('campaigns.title')}</h1>
      <Problem error={list.error} />
      {!list.data ? <p>{t('loading')}</p> : list.data.campaigns.length === 0 ? <p>{t('campaigns.empty')}</p> : (
        <table class="list" data-testid="campaigns">
          <thead>
            <tr><th scope="col">{t('campaign.name')}</th><th scope="col">{t('campaign.state')}</th><th scope="col">{t('campaign.progress')}</th><th scope="col">{t('campaign.sentPush')}</th><th scope="col">{t('campaign.delivered')}</th></tr>
          </thead>
          <tbody>
            {list.data.campaigns.map((c) => (
              <tr key={c.id} data-campaign={c.id}>
                <td><a href={href('campaigns', c.id)}>{c.name}</a></td>
                <td><StateBadge state={c.state} /></td>
                <td><ProgressBar done={c.progress.processed} total={c.progress.audience} label={t('campaign.progressLabel', { name: c.name })} /></td>
                <td class="num">{f.n(c.progress.sent.push)}</td>
                <td class="num">{f.n(c.progress.delivered)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
