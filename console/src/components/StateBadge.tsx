import { useT, type MessageKey } from '../i18n';

export function StateBadge({ state }: { state: string }) {
  const t = useT();
  const key = `state.${state}` as MessageKey;
  return <span class={`badge badge-${state}`} data-state={state}>{t(key)}</span>;
}
