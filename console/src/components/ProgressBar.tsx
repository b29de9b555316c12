/** A labelled progress bar: the native element, so assistive technology reads its value. */
import { useFormat, useT } from '../i18n';

export function ProgressBar({ done, total, label }: { done: number; total: number | null; label: string }) {
  const t = useT();
  const f = useFormat();
  const max = total ?? 0;
  return (
    <span class="progress">
      {/* Before the snapshot there is no total: an empty bar, not a busy one. */}
      <progress aria-label={label} value={max > 0 ? Math.min(done, max) : 0} max={max > 0 ? max : 1} />
      <span class="progress-text">{total === null ? f.n(done) : t('campaign.progressOf', { done: f.n(done), total: f.n(total) })}</span>
    </span>
  );
}
