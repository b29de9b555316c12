/** An API failure in words: its message and code, and the fields it names. */
import { ApiFailure } from '../api';
import { useT } from '../i18n';

export function Problem({ error }: { error: Error | undefined }) {
  const t = useT();
  if (!error) return null;
  const code = error instanceof ApiFailure ? error.code : undefined;
  return (
    <p class="problem" role="alert">
      <strong>{t('error')}:</strong> {error.message} {code ? <code>{code}</code> : null}
    </p>
  );
}
