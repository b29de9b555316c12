/**
 * İYS for compliance: the mode, the outbox (what waits, what was delivered or refused, and the
 * attempt and last error while İYS is failing), İYS's latest refusals with their H-codes, the
 * sync schedule with its run history (run now / pause / resume), and a drift report.
 */
import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { Actions } from '../components/Actions';
import { Counts } from '../components/Counts';
import { Problem } from '../components/Problem';
import { useFormat, useT } from '../i18n';
import { useSession } from '../session';
import { usePoll } from '../usePoll';

interface Settings { mode: string; iysCode?: number; brandCode?: number; syncIntervalMinutes: number }
interface Outbox {
  running: boolean; state?: string;
  totals?: { rounds: number; delivered: number; rejected: number; skipped: number };
  waiting?: { changes: number; writes: number; sweep: boolean };
  retrying?: { attempt: number; lastFailure?: string };
}
interface Rejection { type: string; recipient: string; code?: string; message?: string; via: string; at: string }
interface SyncState { mode: string; scheduled: boolean; paused: boolean; note?: string; intervalMinutes: number; nextRunAt?: string; cursor?: string }
interface Run { runId: string; status: string; startedAt: string; finishedAt?: string; counts?: { pulled: number; applied: number; errors: number }; reason?: string }
interface Drift { id: string; status: string; requestedAt: string; finishedAt?: string; error?: string; counts?: Record<string, number> }

const DRIFT_KEY = 'rota.driftReport';

async function readAll() {
  const [settings, outbox, rejections, sync, runs] = await Promise.all([
    get<Settings>('/v1/iys/settings'), get<Outbox>('/v1/iys/outbox'), get<{ rejections: Rejection[] }>('/v1/iys/outbox/rejections?limit=20'),
    get<SyncState>('/v1/iys/sync'), get<{ runs: Run[] }>('/v1/iys/sync/runs?limit=10'),
  ]);
  return { settings, outbox, rejections: rejections.rejections, sync, runs: runs.runs };
}

export function Iys() {
  const t = useT();
  const f = useFormat();
  const { can } = useSession();
  const all = usePoll(readAll, 3000, []);
  if (!all.data) return <><h1>{t('iys.title')}</h1><Problem error={all.error} />{all.error ? null : <p>{t('loading')}</p>}</>;
  const { settings, outbox, rejections, sync, runs } = all.data;
  const inSync = settings.mode === 'sync';

  const runSync = async (name: string) => {
    if (name === 'run') await post('/v1/iys/sync/run');
    else await post(`/v1/iys/sync/${name}`, name === 'pause' ? {} : undefined);
    all.refresh();
    return name === 'run' ? t('iys.triggered') : name === 'pause' ? t('iys.paused') : t('iys.running');
  };

  return (
    <>
      <h1>{t('iys.title')}</h1>
      <Problem error={all.error} />
      <section aria-labelledby="iys-settings">
        <h2 id="iys-settings">{t('iys.settings')}</h2>
        <Counts items={[
          { id: 'iys-mode', label: t('iys.mode'), value: <code>{settings.mode}</code> },
          { id: 'iys-brand', label: t('iys.brand'), value: settings.brandCode ? `${settings.iysCode ?? ''} / ${settings.brandCode}` : '—' },
          { id: 'iys-interval', label: t('iys.interval'), value: t('iys.minutes', { n: settings.syncIntervalMinutes }) },
        ]} />
      </section>
      <section aria-labelledby="iys-outbox">
        <h2 id="iys-outbox">{t('iys.outbox')}</h2>
        <Counts items={[
          { id: 'outbox-running', label: t('iys.running'), value: outbox.running ? `${t('yes')}${outbox.state ? ` (${outbox.state})` : ''}` : t('no') },
          { id: 'outbox-pending', label: t('iys.pending'), value: f.n(outbox.waiting?.changes ?? 0) },
          { id: 'outbox-delivered', label: t('iys.delivered'), value: f.n(outbox.totals?.delivered ?? 0) },
          { id: 'outbox-rejected', label: t('iys.rejected'), value: f.n(outbox.totals?.rejected ?? 0) },
          { id: 'outbox-skipped', label: t('iys.skipped'), value: f.n(outbox.totals?.skipped ?? 0) },
          { id: 'outbox-retrying', label: t('iys.retrying'), value: outbox.retrying ? t('iys.attempt', { n: outbox.retrying.attempt }) : t('no') },
        ]} />
        {outbox.retrying?.lastFailure ? <p data-testid="outbox-last-error"><strong>{t('iys.lastError')}:</strong> {outbox.retrying.lastFailure}</p> : null}
        <h3>{t('iys.rejections')}</h3>
        {rejections.length === 0 ? <p>{t('none')}</p> : (
          <table class="list" data-testid="rejections">
            <thead><tr><th scope="col">{t('iys.code')}</th><th scope="col">{t('iys.type')}</th><th scope="col">{t('iys.recipient')}</th><th scope="col">{t('iys.message')}</th><th scope="col">{t('iys.at')}</th></tr></thead>
            <tbody>
              {rejections.map((r, i) => (
                <tr key={i}><td><code>{r.code ?? '—'}</code></td><td>{r.type}</td><td>{r.recipient}</td><td>{r.message ?? ''}</td><td>{f.at(r.at)}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="iys-sync">
        <h2 id="iys-sync">{t('iys.sync')}</h2>
        <Counts items={[
          { id: 'sync-paused', label: t('iys.paused'), value: sync.paused ? t('yes') : t('no') },
          { id: 'sync-next', label: t('iys.nextRun'), value: f.at(sync.nextRunAt) },
          { id: 'sync-cursor', label: t('iys.cursor'), value: sync.cursor ? <code>{sync.cursor}</code> : '—' },
        ]} />
        {sync.note ? <p data-testid="sync-note"><strong>{t('iys.note')}:</strong> {sync.note}</p> : null}
        {can('iys.act') ? (
          <>
            {inSync ? null : <p>{t('iys.notSync')}</p>}
            <Actions
              label={t('iys.controls')} run={runSync} question={(a) => `${a.label}?`}
              actions={[
                { name: 'run', label: t('iys.runNow'), help: t('iys.runNowHelp'), allowed: inSync },
                { name: 'pause', label: t('iys.pause'), help: t('iys.pauseHelp'), allowed: inSync && !sync.paused },
                { name: 'resume', label: t('iys.resume'), help: t('iys.resumeHelp'), allowed: inSync && sync.paused },
              ]}
            />
          </>
        ) : null}
        <h3>{t('iys.runs')}</h3>
        {runs.length === 0 ? <p>{t('none')}</p> : (
          <table class="list" data-testid="runs">
            <thead><tr><th scope="col">{t('iys.runStarted')}</th><th scope="col">{t('iys.runStatus')}</th><th scope="col">{t('iys.runPulled')}</th><th scope="col">{t('iys.runApplied')}</th><th scope="col">{t('iys.runErrors')}</th><th scope="col">{t('iys.runReason')}</th></tr></thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.runId}><td>{f.at(r.startedAt)}</td><td><code>{r.status}</code></td><td class="num">{f.n(r.counts?.pulled)}</td><td class="num">{f.n(r.counts?.applied)}</td><td class="num">{f.n(r.counts?.errors)}</td><td>{r.reason ?? ''}</td></tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <DriftReport enabled={can('iys.act') && settings.mode !== 'off'} />
    </>
  );
}

function DriftReport({ enabled }: { enabled: boolean }) {
  const t = useT();
  const f = useFormat();
  const [id, setId] = useState(() => sessionStorage.getItem(DRIFT_KEY));
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<Error>();
  const report = usePoll(async () => (id ? get<Drift>(`/v1/iys/drift/${encodeURIComponent(id)}`) : undefined), 2000, [id]);
  const start = async () => {
    if (starting) return;
    setStarting(true);
    setError(undefined);
    try {
      const started = await post<{ id: string }>('/v1/iys/drift');
      sessionStorage.setItem(DRIFT_KEY, started.id);
      setId(started.id);
    } catch (err) {
      setError(err as Error);
    } finally {
      setStarting(false);
    }
  };
  const r = report.data;
  return (
    <section aria-labelledby="iys-drift">
      <h2 id="iys-drift">{t('iys.drift')}</h2>
      {enabled ? <button type="button" disabled={starting} onClick={() => void start()}>{t('iys.driftStart')}</button> : null}
      <Problem error={error ?? report.error} />
      {r ? (
        <Counts items={[
          { id: 'drift-status', label: t('iys.driftStatus'), value: <code>{r.status}</code> },
          { id: 'drift-requested', label: t('iys.at'), value: f.at(r.requestedAt) },
          ...Object.entries(r.counts ?? {}).map(([kind, n]) => ({ id: `drift-${kind}`, label: kind, value: f.n(n) })),
        ]} />
      ) : null}
    </section>
  );
}
