/** A message by id: its status, the time of each step, and each delivery's gate decision with the consent it used. */
import { useState } from 'preact/hooks';
import { ApiFailure, get } from '../api';
import { Problem } from '../components/Problem';
import { useFormat, useT } from '../i18n';
import { href } from '../router';
import type { MessageView } from '../types';
import { usePoll } from '../usePoll';

export function Messages({ id }: { id?: string }) {
  const t = useT();
  const [typed, setTyped] = useState(id ?? '');
  return (
    <>
      <h1>{t('messages.title')}</h1>
      <form class="inline" onSubmit={(e) => { e.preventDefault(); if (typed.trim()) location.hash = href('messages', typed.trim()); }}>
        <label for="message-id">{t('messages.id')}</label>
        <input id="message-id" name="id" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} size={40} autoComplete="off" spellcheck={false} />
        <button type="submit">{t('messages.find')}</button>
      </form>
      {id ? <Message id={id} /> : null}
      <RecentMessages />
    </>
  );
}

interface Recent { id: string; status: string; outcome: string; category: string; createdAt: string }

/** A profile's latest messages, each a link to its page. */
function RecentMessages() {
  const t = useT();
  const f = useFormat();
  const [externalId, setExternalId] = useState('');
  const [found, setFound] = useState<{ messages?: Recent[]; error?: Error }>({});
  const show = async () => {
    if (!externalId.trim()) return;
    try {
      setFound(await get<{ messages: Recent[] }>(`/v1/profiles/${encodeURIComponent(externalId.trim())}/messages?limit=20`));
    } catch (err) {
      setFound({ error: err as Error });
    }
  };
  return (
    <section aria-labelledby="recent-title">
      <h2 id="recent-title">{t('messages.recent')}</h2>
      <form class="inline" onSubmit={(e) => { e.preventDefault(); void show(); }}>
        <label for="recent-profile">{t('journeys.profile')}</label>
        <input id="recent-profile" value={externalId} onInput={(e) => setExternalId(e.currentTarget.value)} autoComplete="off" spellcheck={false} />
        <button type="submit">{t('messages.showRecent')}</button>
      </form>
      <Problem error={found.error} />
      {found.messages ? (found.messages.length === 0 ? <p>{t('none')}</p> : (
        <ul data-testid="recent">
          {found.messages.map((m) => <li key={m.id}><a href={href('messages', m.id)}>{f.at(m.createdAt)}</a> · {m.outcome} · <code>{m.category}</code></li>)}
        </ul>
      )) : null}
    </section>
  );
}

function Message({ id }: { id: string }) {
  const t = useT();
  const f = useFormat();
  const m = usePoll(() => get<MessageView>(`/v1/messages/${encodeURIComponent(id)}`), 2000, [id]);
  if (m.error instanceof ApiFailure && m.error.status === 404) return <p role="alert">{t('messages.notFound')}</p>;
  if (!m.data) return m.error ? <Problem error={m.error} /> : <p>{t('loading')}</p>;
  const v = m.data;
  return (
    <article data-testid="message">
      <h2>{v.outcome}</h2>
      <dl class="counts">
        <div class="count"><dt>{t('messages.status')}</dt><dd data-testid="message-status"><code>{v.status}</code></dd></div>
        <div class="count"><dt>{t('messages.to')}</dt><dd>{v.to.externalId}</dd></div>
        <div class="count"><dt>{t('messages.category')}</dt><dd>{v.category}</dd></div>
      </dl>
      <h3>{t('messages.timeline')}</h3>
      <ol class="timeline" data-testid="timeline">
        {v.timeline.map((s, i) => <li key={i}><code>{s.step}</code> <time dateTime={s.at}>{f.at(s.at)}</time></li>)}
      </ol>
      {Object.keys(v.skipped).length > 0 ? (
        <>
          <h3>{t('messages.skipped')}</h3>
          <ul>{Object.entries(v.skipped).map(([channel, why]) => <li key={channel}><code>{channel}</code>: {why}</li>)}</ul>
        </>
      ) : null}
      <h3>{t('messages.deliveries')}</h3>
      <table class="list" data-testid="deliveries">
        <thead>
          <tr>
            <th scope="col">{t('messages.channel')}</th><th scope="col">{t('messages.status')}</th><th scope="col">{t('messages.recipient')}</th>
            <th scope="col">{t('messages.decision')}</th><th scope="col">{t('messages.consent')}</th><th scope="col">{t('messages.attempts')}</th>
            <th scope="col">{t('messages.sentAt')}</th><th scope="col">{t('messages.providerError')}</th>
          </tr>
        </thead>
        <tbody>
          {v.deliveries.map((d, i) => (
            <tr key={i}>
              <td>{d.channel}</td>
              <td><code>{d.state}</code></td>
              <td>{d.recipient}</td>
              <td>{d.decision.allowed ? t('messages.allowed') : t('messages.blocked')}: <code>{d.decision.reason}</code></td>
              <td>{d.decision.consent ? `${d.decision.consent.type} ${d.decision.consent.status} (${d.decision.consent.recipientType}, ${f.at(d.decision.consent.consentDate)})` : '—'}</td>
              <td class="num">{d.attempts}</td>
              <td>{f.at(d.sentAt)}</td>
              <td>{d.error ? <code>{`${d.error.provider} ${d.error.status ?? ''} ${d.error.code}`}</code> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}
