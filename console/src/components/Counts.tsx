/** A list of named figures; each value carries a test id so tests read the page as a person does. */
import type { ComponentChildren } from 'preact';

export function Counts({ items, label }: { items: { id: string; label: string; value: ComponentChildren }[]; label?: string }) {
  return (
    <dl class="counts" aria-label={label}>
      {items.map((i) => (
        <div key={i.id} class="count">
          <dt>{i.label}</dt>
          <dd data-testid={`count-${i.id}`}>{i.value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Counts by reason (gated out, failed): "None" when empty. */
export function Reasons({ counts, none, id }: { counts: Record<string, number>; none: string; id: string }) {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  if (entries.length === 0) return <p data-testid={`reasons-${id}`}>{none}</p>;
  return (
    <ul class="reasons" data-testid={`reasons-${id}`}>
      {entries.map(([reason, n]) => (
        <li key={reason}><code>{reason}</code> <span>{n}</span></li>
      ))}
    </ul>
  );
}
