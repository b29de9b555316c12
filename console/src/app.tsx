/** The console's frame: language, sign-in, the sections the key's roles allow, and the page the URL names. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiFailure, get, whenUnauthorized } from './api';
import { I18n, LANGUAGES, saveLanguage, savedLanguage, translator, type Language, type MessageKey } from './i18n';
import { Campaign } from './pages/Campaign';
import { Campaigns } from './pages/Campaigns';
import { Iys } from './pages/Iys';
import { Journey, Journeys } from './pages/Journeys';
import { Messages } from './pages/Messages';
import { Segments } from './pages/Segments';
import { SignIn } from './pages/SignIn';
import { href, useHashPath } from './router';
import { allows, forgetKey, keepKey, keepWhoami, keptWhoami, Session, sessionKey, type Ability, type Whoami } from './session';

const SECTIONS: { path: string; label: MessageKey; needs: Ability }[] = [
  { path: 'campaigns', label: 'nav.campaigns', needs: 'campaigns.read' },
  { path: 'journeys', label: 'nav.journeys', needs: 'journeys.read' },
  { path: 'messages', label: 'nav.messages', needs: 'messages.read' },
  { path: 'iys', label: 'nav.iys', needs: 'iys.read' },
  { path: 'segments', label: 'nav.segments', needs: 'segments.read' },
];

export function App() {
  const [lang, setLang] = useState<Language>(savedLanguage);
  const i18n = useMemo(() => ({ lang, t: translator(lang) }), [lang]);
  const [who, setWho] = useState<Whoami | null>(keptWhoami);
  const [checking, setChecking] = useState(() => who === null && sessionKey() !== null);
  const parts = useHashPath();

  useEffect(() => {
    document.documentElement.lang = lang;
    saveLanguage(lang);
  }, [lang]);
  const signOut = () => {
    forgetKey();
    setWho(null);
  };
  useEffect(() => {
    whenUnauthorized(signOut);
    // A reload in the same tab: the page shows at once with what the key could do when kept, and the key is asked again
    // (changed roles show; a revoked key signs out, as any 401 does).
    if (sessionKey()) {
      get<Whoami>('/v1/whoami')
        .then((w) => {
          keepWhoami(w);
          setWho(w);
        }, (err: unknown) => {
          // The API down for a moment leaves a kept session as it is; a refusal (401, 403) signs out.
          const refused = err instanceof ApiFailure && err.status < 500;
          if (refused || !keptWhoami()) signOut();
        })
        .finally(() => setChecking(false));
    }
  }, []);

  const t = i18n.t;
  const session = who ? { who, can: (a: Ability) => allows(who.roles, a), signOut } : null;
  const visible = session ? SECTIONS.filter((s) => session.can(s.needs)) : [];
  const section = visible.find((s) => s.path === parts[0]) ?? visible[0];
  useEffect(() => {
    document.title = `${section ? `${t(section.label)} · ` : ''}${t('app.title')}`;
  }, [section, t]);

  return (
    <I18n.Provider value={i18n}>
      <header class="top">
        <a class="skip" href="#main">{lang === 'tr' ? 'İçeriğe geç' : 'Skip to content'}</a>
        <span class="brand">{t('app.title')}</span>
        {session ? (
          <nav aria-label={t('nav.label')}>
            <ul>
              {visible.map((s) => <li key={s.path}><a href={href(s.path)} aria-current={s === section ? 'page' : undefined}>{t(s.label)}</a></li>)}
            </ul>
          </nav>
        ) : null}
        <span class="spacer" />
        {session ? (
          <span class="who" data-testid="who">
            {t('session.app')}: <strong>{session.who.app.name}</strong> · {t('session.roles')}: <span data-testid="roles">{session.who.roles.join(', ')}</span>
          </span>
        ) : null}
        <label for="lang">{t('lang.label')}</label>
        <select id="lang" value={lang} onChange={(e) => setLang(e.currentTarget.value as Language)}>
          {(Object.keys(LANGUAGES) as Language[]).map((l) => <option key={l} value={l}>{l === 'tr' ? 'Türkçe' : 'English'}</option>)}
        </select>
        {session ? <button type="button" onClick={signOut}>{t('signout')}</button> : null}
      </header>
      {checking ? <main id="main"><p>{t('loading')}</p></main> : !session ? (
        <SignIn onSignedIn={(key, w) => { keepKey(key, w); setWho(w); }} />
      ) : (
        <Session.Provider value={session}>
          <main id="main" tabIndex={-1}>{section ? <Page section={section.path} rest={section.path === parts[0] ? parts.slice(1) : []} /> : <p>{t('forbidden')}</p>}</main>
        </Session.Provider>
      )}
    </I18n.Provider>
  );
}

function Page({ section, rest }: { section: string; rest: string[] }) {
  switch (section) {
    case 'campaigns':
      return rest[0] ? <Campaign id={rest[0]} /> : <Campaigns />;
    case 'journeys':
      return rest[0] ? <Journey id={rest[0]} /> : <Journeys />;
    case 'messages':
      return <Messages id={rest[0]} />;
    case 'iys':
      return <Iys />;
    default:
      return <Segments />;
  }
}
