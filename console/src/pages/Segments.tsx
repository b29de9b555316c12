/** A rule's member count and a sample of its members, before a campaign uses it; saved segments fill the rule in. */
import { useState } from 'preact/hooks';
import { get, post } from '../api';
import { Problem } from '../components/Problem';
import { useFormat, useT } from '../i18n';
import { usePoll } from '../usePoll';

interface Preview { count: number; sample: { externalId?: string; email?: string; msisdn?: string }[]; evaluatedAt: string }
interface Saved { id: string; name: string; rule: unknown }

export function Segments() {
  const t = useT();
  const f = useFormat();
  const saved = usePoll(() => get<{ segments: Saved[] }>('/v1/segments'), null, []);
  const [rule, setRule] = useState('{"channel": "msisdn"}');
  const [sample, setSample] = useState(10);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ preview?: Preview; error?: Error }>({});

  const count = async (text: string) => {
    if (busy) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return setResult({ error: new Error(t('segments.badJson')) });
    }
    setBusy(true);
    try {
      setResult({ preview: await post<Preview>('/v1/segments/preview', { rule: parsed, sample }) });
    } catch (err) {
      setResult({ error: err as Error });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>{t('segments.title')}</h1>
      <form onSubmit={(e) => { e.preventDefault(); void count(rule); }}>
        <label for="rule">{t('segments.rule')}</label>
        <textarea id="rule" rows={6} cols={80} value={rule} onInput={(e) => setRule(e.currentTarget.value)} spellcheck={false} />
        <label for="sample">{t('segments.sample')}</label>
        <input id="sample" type="number" min={0} max={100} value={sample} onInput={(e) => setSample(Number(e.currentTarget.value) || 0)} />
        <button type="submit" disabled={busy}>{t('segments.count')}</button>
      </form>
      <Problem error={result.error} />
      {result.preview ? (
        <section aria-labelledby="preview-title" data-testid="preview">
          <h2 id="preview-title" data-testid="segment-count">{t('segments.members', { n: f.n(result.preview.count) })}</h2>
          <ul>{result.preview.sample.map((p, i) => <li key={i}>{p.externalId ?? '—'} {p.msisdn ?? ''} {p.email ?? ''}</li>)}</ul>
        </section>
      ) : null}
      <section aria-labelledby="saved-title">
        <h2 id="saved-title">{t('segments.saved')}</h2>
        <Problem error={saved.error} />
        {saved.data?.segments.length === 0 ? <p>{t('none')}</p> : (
          <ul class="saved">
            {saved.data?.segments.map((s) => (
              <li key={s.id}>
                <button type="button" disabled={busy} onClick={() => { const text = JSON.stringify(s.rule, null, 2); setRule(text); void count(text); }}>
                  {t('segments.countSaved', { name: s.name })}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
