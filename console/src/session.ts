/**
 * Who is signed in: the API key (in this tab's sessionStorage only, never localStorage or a
 * cookie) and what GET /v1/whoami says it may do. The console hides what the roles do not allow;
 * the API refuses it anyway.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Role } from '../../domain/auth';

export type { Role };

const KEY = 'rota.apiKey';
const WHO = 'rota.whoami';

export interface Whoami {
  app: { id: string; name: string };
  key: { id: string; name: string };
  roles: Role[];
}

export const sessionKey = (): string | null => sessionStorage.getItem(KEY);
/** The key and what it may do, kept together: a reload shows its page at once, and asks whoami again beside the page's own read. */
export const keepKey = (key: string, who: Whoami) => {
  sessionStorage.setItem(KEY, key);
  keepWhoami(who);
};
export const keepWhoami = (who: Whoami) => sessionStorage.setItem(WHO, JSON.stringify(who));
export const forgetKey = () => {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(WHO);
};
export function keptWhoami(): Whoami | null {
  const kept = sessionKey() ? sessionStorage.getItem(WHO) : null;
  try {
    return kept ? (JSON.parse(kept) as Whoami) : null;
  } catch {
    return null;
  }
}

/** What each part of the console needs, as the API's routes declare it (admin may do anything). */
const NEEDS = {
  'campaigns.read': ['operator', 'designer'],
  'campaigns.act': ['operator'],
  'messages.read': ['operator'],
  'iys.read': ['compliance'],
  'iys.act': ['compliance'],
  'segments.read': ['designer'],
  'journeys.read': ['operator', 'designer'],
  'journeys.act': ['designer'],
} as const satisfies Record<string, readonly Role[]>;

export type Ability = keyof typeof NEEDS;

export function allows(roles: readonly Role[], ability: Ability): boolean {
  return roles.includes('admin') || NEEDS[ability].some((r: Role) => roles.includes(r));
}

export const Session = createContext<{ who: Whoami; can: (a: Ability) => boolean; signOut: () => void } | null>(null);

export function useSession() {
  const s = useContext(Session);
  if (!s) throw new Error('outside a signed-in session');
  return s;
}
