/**
 * Buttons for state changes (pause, resume, stop, recall): each asks for confirmation in a
 * modal dialog, is disabled while its request is in flight (no double submit: a second
 * press does nothing), and shows the state the API acknowledged, or its refusal.
 */
import { useRef, useState } from 'preact/hooks';
import { useT } from '../i18n';
import { Problem } from './Problem';

export interface ActionSpec {
  name: string;
  label: string;
  help: string;
  allowed: boolean;
}

interface Props {
  actions: ActionSpec[];
  /** The question the dialog asks for an action. */
  question: (a: ActionSpec) => string;
  /** Runs the action; answers the acknowledgement to show. */
  run: (name: string) => Promise<string>;
  label: string;
}

export function Actions({ actions, question, run, label }: Props) {
  const t = useT();
  const dialog = useRef<HTMLDialogElement>(null);
  const ack = useRef<HTMLParagraphElement>(null);
  const busy = useRef(false);
  const [asking, setAsking] = useState<ActionSpec | null>(null);
  const [inFlight, setInFlight] = useState<string | null>(null);
  const [answer, setAnswer] = useState<{ text?: string; error?: Error }>({});

  const ask = (a: ActionSpec) => {
    setAsking(a);
    dialog.current?.showModal();
  };
  const confirm = async () => {
    const a = asking;
    dialog.current?.close();
    if (!a || busy.current) return;
    busy.current = true;
    setInFlight(a.name);
    setAnswer({});
    try {
      setAnswer({ text: await run(a.name) });
    } catch (err) {
      setAnswer({ error: err as Error });
    } finally {
      busy.current = false;
      setInFlight(null);
      // The pressed button may now be disabled: the answer takes the focus, and is read out.
      setTimeout(() => ack.current?.focus(), 0);
    }
  };

  return (
    <section aria-labelledby="actions-title" class="actions">
      <h2 id="actions-title">{label}</h2>
      <div class="buttons" role="group" aria-label={label}>
        {actions.map((a) => (
          <button
            key={a.name} type="button" class={`action action-${a.name}`} data-action={a.name}
            disabled={!a.allowed || inFlight !== null} aria-describedby={`help-${a.name}`} onClick={() => ask(a)}
          >
            {inFlight === a.name ? t('action.sending') : a.label}
          </button>
        ))}
      </div>
      <ul class="help">
        {actions.map((a) => <li key={a.name} id={`help-${a.name}`}><strong>{a.label}:</strong> {a.help}</li>)}
      </ul>
      <p ref={ack} tabIndex={-1} role="status" class="ack" data-testid="ack">{answer.text ?? ''}</p>
      <Problem error={answer.error} />
      <dialog ref={dialog} aria-labelledby="confirm-title" aria-describedby="confirm-help" onClose={() => setAsking(null)}>
        <h2 id="confirm-title">{asking ? question(asking) : ''}</h2>
        <p id="confirm-help">{asking?.help}</p>
        <div class="buttons">
          <button type="button" autoFocus onClick={() => dialog.current?.close()}>{t('confirm.cancel')}</button>
          <button type="button" class="confirm" data-testid="confirm" onClick={() => void confirm()}>
            {t('confirm.ok', { action: asking?.label.toLocaleLowerCase() ?? '' })}
          </button>
        </div>
      </dialog>
    </section>
  );
}
