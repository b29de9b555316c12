/**
 * One campaign: its live counts (read every second while it moves, so they change without a
 * reload) and, for keys with the operator role, pause / resume / stop / recall.
 */
import { ALLOWED_FROM, FINAL_STATES, type CampaignState } from '../../../domain/campaigns';
import { post, get } from '../api';
import { Actions, type ActionSpec } from '../components/Actions';
import { Counts, Reasons } from '../components/Counts';
import { ProgressBar } from '../components/ProgressBar';
import { Problem } from '../components/Problem';
import { StateBadge } from '../components/StateBadge';
import { useFormat, useT, type MessageKey } from '../i18n';
import { href } from '../router';
import { useSession } from '../session';
import type { Campaign as CampaignView } from '../types';
import { usePoll } from '../usePoll';

const ACTIONS = ['start', 'pause', 'resume', 'stop', 'recall'] as const;

function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}

export function Campaign({ id }: { id: string }) {
  const t = useT();
  const f = useFormat();
  const { can } = useSession();
  const c = usePoll(() => get<CampaignView>(`/v1/campaigns/${encodeURIComponent(id)}`), 1000, [id]);
  const view = c.data;

  const run = async (action: string) => {
    const answer = await post<{ id: string; state: CampaignState }>(`/v1/campaigns/${encodeURIComponent(id)}/${action}`);
    c.set((v) => (v ? { ...v, state: answer.state } : v));
    c.refresh();
    return t('campaign.acknowledged', { state: t(`state.${answer.state}` as MessageKey) });
  };

  if (!view) return <><p><a href={href('campaigns')}>{t('back')}</a></p><Problem error={c.error} />{c.error ? null : <p>{t('loading')}</p>}</>;
  const p = view.progress;
  const actions: ActionSpec[] = ACTIONS.map((a) => ({
    name: a, label: t(`action.${a}`), help: t(`action.${a}Help`), allowed: (ALLOWED_FROM[a] as readonly string[]).includes(view.state),
  }));
  const recalled = view.state === 'recalling' || view.state === 'recalled' || p.recall.recallSent > 0;

  return (
    <>
      <p><a href={href('campaigns')}>{t('back')}</a></p>
      <h1>{view.name}</h1>
      <p class="meta">
        <span>{t('campaign.state')}: <span data-testid="state" aria-live="polite"><StateBadge state={view.state} /></span></span>
        <span>{t('campaign.channel')}: <code>{view.channelPlan}</code></span>
        <span>{t('campaign.template')}: <code>{view.template.id}{view.template.version ? ` v${view.template.version}` : ''}</code></span>
        <span>{t('campaign.started')}: {f.at(view.startedAt)}</span>
        {view.finishedAt ? <span>{t('campaign.finished')}: {f.at(view.finishedAt)}</span> : null}
      </p>
      <Problem error={c.error} />
      <ProgressBar done={p.processed} total={p.audience} label={t('campaign.progressLabel', { name: view.name })} />
      <p class="updated" aria-hidden="true">{c.at ? t('campaign.live', { time: c.at.toLocaleTimeString() }) : ''}</p>
      <Counts
        label={t('campaign.progress')}
        items={[
          { id: 'audience', label: t('campaign.audience'), value: f.n(p.audience) },
          { id: 'processed', label: t('campaign.processed'), value: f.n(p.processed) },
          { id: 'remaining', label: t('campaign.remaining'), value: f.n(p.remaining) },
          { id: 'sent-push', label: t('campaign.sentPush'), value: f.n(p.sent.push) },
          { id: 'sent-sms', label: t('campaign.sentSms'), value: f.n(p.sent.sms) },
          { id: 'sent-email', label: t('campaign.sentEmail'), value: f.n(p.sent.email) },
          { id: 'delivered', label: t('campaign.delivered'), value: f.n(p.delivered) },
          { id: 'fallback-sms', label: t('campaign.fallbackSms'), value: f.n(p.fallbackSms) },
          { id: 'deferred', label: t('campaign.deferred'), value: f.n(p.deferred) },
          { id: 'rate', label: t('campaign.rate'), value: p.ratePerSecond === null ? '—' : t('campaign.perSecond', { n: f.n(p.ratePerSecond) }) },
          { id: 'eta', label: t('campaign.eta'), value: FINAL_STATES.includes(view.state) ? '—' : duration(p.etaSeconds) },
        ]}
      />
      <div class="two">
        <section aria-labelledby="gated-title">
          <h2 id="gated-title">{t('campaign.gatedOut')}</h2>
          <Reasons counts={p.gatedOut} none={t('none')} id="gated" />
        </section>
        <section aria-labelledby="failed-title">
          <h2 id="failed-title">{t('campaign.failed')}</h2>
          <Reasons counts={p.failed} none={t('none')} id="failed" />
        </section>
      </div>
      {recalled ? (
        <section aria-labelledby="recall-title">
          <h2 id="recall-title">{t('campaign.recall')}</h2>
          <Counts
            items={[
              { id: 'recall-sent', label: t('campaign.recallSent'), value: f.n(p.recall.recallSent) },
              { id: 'recall-confirmed', label: t('campaign.recallConfirmed'), value: f.n(p.recall.recallConfirmed) },
              { id: 'recall-cancelled', label: t('campaign.cancelled'), value: f.n(p.recall.cancelled) },
              { id: 'recall-not-recallable', label: t('campaign.notRecallable'), value: f.n(p.recall.notRecallable) },
            ]}
          />
        </section>
      ) : null}
      {can('campaigns.act') ? (
        <Actions label={t('campaign.controls')} actions={actions} run={run} question={(a) => t('campaign.confirm', { action: a.label, name: view.name })} />
      ) : null}
    </>
  );
}
