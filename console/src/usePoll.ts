/**
 * Reads a value now and again every `everyMs` after each answer (never two reads in flight),
 * until the page goes away: live counts without a reload. `refresh` reads at once.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data?: T;
  error?: Error;
  at?: Date;
  refresh: () => void;
  /** Shows a value at once (e.g. the state an action's answer gave), until the next read. */
  set: (update: (v: T | undefined) => T | undefined) => void;
}

export function usePoll<T>(read: () => Promise<T>, everyMs: number | null, deps: unknown[]): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; at?: Date }>({});
  const wake = useRef<() => void>(() => {});
  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let reading = false;
    let again = false;
    setState({});
    const once = async () => {
      clearTimeout(timer);
      reading = true;
      try {
        const data = await read();
        if (alive) setState({ data, at: new Date() });
      } catch (err) {
        if (alive) setState((s) => ({ ...s, error: err as Error }));
      }
      reading = false;
      if (!alive) return;
      if (again) {
        again = false;
        void once();
      } else if (everyMs !== null) {
        timer = setTimeout(() => {
          if (!document.hidden) void once();
        }, everyMs);
      }
    };
    // A hidden tab stops reading (an operator's forgotten tabs put no load on the API); shown again, it reads at once.
    const visible = () => {
      if (!document.hidden && !reading) void once();
    };
    if (everyMs !== null) document.addEventListener('visibilitychange', visible);
    wake.current = () => {
      if (reading) again = true;
      else void once();
    };
    void once();
    return () => {
      alive = false;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', visible);
    };
  }, deps);
  const refresh = useCallback(() => wake.current(), []);
  const set = useCallback((update: (v: T | undefined) => T | undefined) => setState((s) => ({ ...s, data: update(s.data) })), []);
  return { ...state, refresh, set };
}
