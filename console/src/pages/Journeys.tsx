/** Journeys: the list, and one journey drawn as its graph with per-step counts, pause / resume and one profile's path. */
import { useState } from 'preact/hooks';
import { ALLOWED_FROM } from '../../../domain/journeys';
import { ApiFailure, get, post } from '../api';
import { Actions, type ActionSpec } from '../components/Actions';
import { Counts } from '../components/Counts';
import { JourneyGraph } from '../components/JourneyGraph';
import { Problem } from '../components/Problem';
import { StateBadge } from '../components/StateBadge';
import { useFormat, useT, type MessageKey } from '../i18n';
import { nextOf } from '../journeyLayout';
import { href } from '../router';
import { useSession } from '../session';
import type { Journey as JourneyView, JourneyRuns, JourneyStats } from '../types';
import { usePoll } from '../usePoll';

/** An endpoint not there yet (the stats and profile paths come with journey runs) answers 404: nothing is shown. */
async function orNothing<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 404) return undefined;
    throw err;
  }
}

export function Journeys() {
  const t = useT();
  const list = usePoll(() => get<{ journeys: JourneyView[] }>('/v1/journeys?limit=200'), 5000, []);
  return (
    <>
      <h1>{t('journeys.title')}</h1>
      <Problem error={list.error} />
      {!list.data ? <p>{t('loading')}</p> : list.data.journeys.length === 0 ? <p>{t('journeys.empty')}</p> : (
        <table class="list" data-testid="journeys">
          <thead><tr><th scope="col">{t('campaign.name')}</th><th scope="col">{t('campaign.state')}</th><th scope="col">{t('journeys.version')}</th><th scope="col">{t('journeys.steps')}</th></tr></thead>
          <tbody>
            {list.data.journeys.map((j) => (
              <tr key={j.id}>
                <td><a href={href('journeys', j.id)}>{j.name}</a></td>
                <td><StateBadge state={j.state} /></td>
                <td class="num">{j.latestVersion || '—'}</td>
                <td class="num">{j.draft.steps.length}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function Journey({ id }: { id: string }) {
  const t = useT();
  const f = useFormat();
  const { can } = useSession();
  const path = `/v1/journeys/${encodeURIComponent(id)}`;
  const j = usePoll(() => get<JourneyView>(path), 5000, [id]);
  const stats = usePoll(() => orNothing(get<JourneyStats>(`${path}/stats`)), 3000, [id]);
  if (!j.data) return <><p><a href={href('journeys')}>{t('back')}</a></p><Problem error={j.error} />{j.error ? null : <p>{t('loading')}</p>}</>;
  const v = j.data;
  const s = stats.data;
  const run = async (action: string) => {
    const answer = await post<{ state: string }>(`${path}/${action}`);
    j.set((old) => (old ? { ...old, state: answer.state } : old));
    j.refresh();
    return t('journeys.acknowledged', { state: t(`state.${answer.state}` as MessageKey) });
  };
  const actions: ActionSpec[] = (['pause', 'resume'] as const).map((a) => ({
    name: a, label: t(`action.${a}`), help: t(`journeys.${a}Help`), allowed: (ALLOWED_FROM[a] as readonly string[]).includes(v.state),
  }));
  return (
    <>
      <p><a href={href('journeys')}>{t('back')}</a></p>
      <h1>{v.name}</h1>
      <p class="meta">
        <span>{t('campaign.state')}: <span data-testid="state" aria-live="polite"><StateBadge state={v.state} /></span></span>
        <span>{t('journeys.version')}: {v.latestVersion || '—'}</span>
      </p>
      {s ? (
        <Counts label={t('journeys.totals')} items={[
          { id: 'j-entered', label: t('journeys.entered'), value: f.n(s.totals.entered) },
          { id: 'j-active', label: t('journeys.active'), value: f.n(s.totals.active) },
          { id: 'j-completed', label: t('journeys.completed'), value: f.n(s.totals.completed) },
          { id: 'j-converted', label: t('journeys.converted'), value: f.n(s.totals.converted) },
        ]} />
      ) : null}
      <JourneyGraph steps={v.draft.steps} start={v.draft.start} stats={s} name={v.name} />
      <table class="list" data-testid="journey-steps">
        <caption>{t('journeys.steps')}</caption>
        <thead>
          <tr>
            <th scope="col">id</th><th scope="col">{t('journeys.kind')}</th><th scope="col">{t('journeys.next')}</th>
            {s ? <><th scope="col">{t('journeys.entered')}</th><th scope="col">{t('journeys.waiting')}</th><th scope="col">{t('journeys.gatedOut')}</th><th scope="col">{t('journeys.converted')}</th></> : null}
          </tr>
        </thead>
        <tbody>
          {v.draft.steps.map((step) => {
            const c = s?.steps[step.id];
            return (
              <tr key={step.id}>
                <td><code>{step.id}</code>{step.name ? ` ${step.name}` : ''}</td>
                <td>{step.kind}</td>
                <td>{nextOf(step).map((e) => `${e.label ? `${e.label} → ` : ''}${e.to}`).join(', ') || '—'}</td>
                {s ? <><td class="num">{f.n(c?.entered ?? 0)}</td><td class="num">{f.n(c?.waiting ?? 0)}</td><td class="num">{f.n(Object.values(c?.gatedOut ?? {}).reduce((a, b) => a + b, 0))}</td><td class="num">{f.n(c?.converted ?? 0)}</td></> : null}
              </tr>
            );
          })}
        </tbody>
      </table>
      {can('journeys.act') ? <Actions label={t('campaign.controls')} actions={actions} run={run} question={(a) => t('journeys.confirm', { action: a.label, name: v.name })} /> : null}
      <ProfilePath path={path} />
    </>
  );
}

function ProfilePath({ path }: { path: string }) {
  const t = useT();
  const f = useFormat();
  const [externalId, setExternalId] = useState('');
  const [runs, setRuns] = useState<{ data?: JourneyRuns; error?: Error }>({});
  const show = async () => {
    if (!externalId.trim()) return;
    try {
      setRuns({ data: await orNothing(get<JourneyRuns>(`${path}/profiles/${encodeURIComponent(externalId.trim())}`)) });
    } catch (err) {
      setRuns({ error: err as Error });
    }
  };
  return (
    <section aria-labelledby="path-title">
      <h2 id="path-title">{t('journeys.path')}</h2>
      <form class="inline" onSubmit={(e) => { e.preventDefault(); void show(); }}>
        <label for="path-profile">{t('journeys.profile')}</label>
        <input id="path-profile" value={externalId} onInput={(e) => setExternalId(e.currentTarget.value)} autoComplete="off" />
        <button type="submit">{t('journeys.showPath')}</button>
      </form>
      <Problem error={runs.error} />
      {runs.data?.runs.map((r, i) => (
        <article key={i} class="run">
          <h3>v{r.version} <code>{r.status}</code> · {t('journeys.currentStep')}: <code>{r.currentStep ?? '—'}</code> · {t('journeys.enteredAt')}: {f.at(r.enteredAt)}</h3>
          <ol>{r.path.map((p, k) => <li key={k}><code>{p.stepId}</code> {f.at(p.at)} {p.outcome ? <code>{p.outcome}</code> : null}</li>)}</ol>
        </article>
      ))}
    </section>
  );
}
