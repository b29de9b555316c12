/** Sign-in with an API key: checked with GET /v1/whoami before it is kept (in this tab only). */
import { useState } from 'preact/hooks';
import { api, ApiFailure } from '../api';
import { Problem } from '../components/Problem';
import { useT } from '../i18n';
import type { Whoami } from '../session';

export function SignIn({ onSignedIn }: { onSignedIn: (key: string, who: Whoami) => void }) {
  const t = useT();
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const submit = async () => {
    if (busy || !key.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(key.trim(), await api<Whoami>('GET', '/v1/whoami', undefined, key.trim()));
    } catch (err) {
      const e = err instanceof ApiFailure && err.status === 401 ? new Error(t('signin.invalid')) : err instanceof ApiFailure && err.status === 403 ? new Error(t('signin.platform')) : (err as Error);
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>{t('signin.title')}</h1>
      <form onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <label for="api-key">{t('signin.key')}</label>
        <input id="api-key" name="key" type="password" autoComplete="off" spellcheck={false} required value={key} onInput={(e) => setKey(e.currentTarget.value)} aria-describedby="key-hint" />
        <p id="key-hint" class="hint">{t('signin.hint')}</p>
        <button type="submit" disabled={busy}>{t('signin.submit')}</button>
      </form>
      <Problem error={error} />
    </main>
  );
}
