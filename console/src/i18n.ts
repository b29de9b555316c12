/** The console's words in Turkish and English; the language is the reader's choice, kept in this browser. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

const en = {
  'app.title': 'Rota console',
  'lang.label': 'Language',
  'nav.label': 'Sections',
  'nav.campaigns': 'Campaigns', 'nav.journeys': 'Journeys', 'nav.messages': 'Messages', 'nav.iys': 'İYS', 'nav.segments': 'Segments',
  'signin.title': 'Sign in', 'signin.key': 'API key', 'signin.submit': 'Sign in',
  'signin.hint': 'The key stays in this browser tab only and is forgotten when the tab closes.',
  'signin.invalid': 'This key is unknown or revoked.', 'signin.platform': 'The platform administrator key is not bound to an app: use an app key.',
  'signout': 'Sign out', 'session.roles': 'Roles', 'session.app': 'App',
  'loading': 'Loading…', 'error': 'Error', 'none': 'None', 'yes': 'yes', 'no': 'no', 'back': 'Back',
  'forbidden': 'Your key’s roles do not allow this page.',
  'confirm.cancel': 'Cancel', 'confirm.ok': 'Yes, {action}',
  'campaigns.title': 'Campaigns', 'campaigns.empty': 'No campaigns yet.',
  'campaign.name': 'Name', 'campaign.state': 'State', 'campaign.progress': 'Progress', 'campaign.channel': 'Channel plan',
  'campaign.progressOf': '{done} of {total}', 'campaign.progressLabel': 'Progress of {name}',
  'campaign.audience': 'Audience', 'campaign.processed': 'Processed', 'campaign.remaining': 'Remaining',
  'campaign.sentPush': 'Sent by push', 'campaign.sentSms': 'Sent by SMS', 'campaign.sentEmail': 'Sent by e-mail',
  'campaign.delivered': 'Delivered (push receipts)', 'campaign.fallbackSms': 'Fallback SMS', 'campaign.deferred': 'Held for quiet hours',
  'campaign.rate': 'Rate', 'campaign.perSecond': '{n}/s', 'campaign.eta': 'Time left', 'campaign.gatedOut': 'Gated out, by reason',
  'campaign.failed': 'Failed, by reason', 'campaign.recall': 'Recall', 'campaign.recallSent': 'Recall pushes sent',
  'campaign.recallConfirmed': 'Removed from devices', 'campaign.cancelled': 'Cancelled (never sent)', 'campaign.notRecallable': 'Not recallable (web push)',
  'campaign.controls': 'Controls', 'campaign.live': 'Updated {time}', 'campaign.acknowledged': 'Acknowledged: the campaign is {state}.',
  'campaign.template': 'Template', 'campaign.started': 'Started', 'campaign.finished': 'Finished',
  'campaign.confirm': '{action} campaign “{name}”?',
  'action.start': 'Start', 'action.startHelp': 'Takes the audience once and begins sending (or waits for its scheduled time).',
  'action.pause': 'Pause', 'action.resume': 'Resume', 'action.stop': 'Stop', 'action.recall': 'Recall', 'action.sending': 'Sending…',
  'action.pauseHelp': 'No new batch starts; batches in flight finish.', 'action.resumeHelp': 'Sending goes on where it stopped.',
  'action.stopHelp': 'Nothing more is sent. This cannot be undone.', 'action.recallHelp': 'Stops the rest and removes the pushes already shown.',
  'state.draft': 'draft', 'state.scheduled': 'scheduled', 'state.running': 'running', 'state.paused': 'paused', 'state.stopped': 'stopped',
  'state.completed': 'completed', 'state.recalling': 'recalling', 'state.recalled': 'recalled', 'state.archived': 'archived', 'state.active': 'active',
  'messages.title': 'Messages', 'messages.id': 'Message id', 'messages.find': 'Look up', 'messages.notFound': 'No message with this id.',
  'messages.status': 'Status', 'messages.outcome': 'Outcome', 'messages.to': 'To', 'messages.category': 'Category', 'messages.timeline': 'Timeline',
  'messages.step': 'Step', 'messages.at': 'At', 'messages.deliveries': 'Deliveries', 'messages.channel': 'Channel', 'messages.recipient': 'Recipient',
  'messages.decision': 'Gate decision', 'messages.consent': 'Consent used', 'messages.attempts': 'Attempts', 'messages.sentAt': 'Sent at',
  'messages.providerError': 'Provider error', 'messages.recent': 'A profile’s recent messages', 'messages.showRecent': 'Show messages', 'messages.skipped': 'Channels not used', 'messages.allowed': 'allowed', 'messages.blocked': 'blocked',
  'iys.title': 'İYS', 'iys.settings': 'Settings', 'iys.mode': 'Mode', 'iys.brand': 'Brand', 'iys.interval': 'Sync interval',
  'iys.minutes': '{n} min', 'iys.outbox': 'Outbox (changes sent to İYS)', 'iys.running': 'Running', 'iys.pending': 'Pending',
  'iys.delivered': 'Delivered', 'iys.rejected': 'Rejected', 'iys.skipped': 'Held back', 'iys.retrying': 'Retrying',
  'iys.attempt': 'attempt {n}', 'iys.lastError': 'Last error', 'iys.rejections': 'Latest refusals by İYS', 'iys.code': 'Code',
  'iys.message': 'Message', 'iys.type': 'Type', 'iys.recipient': 'Recipient', 'iys.at': 'At',
  'iys.sync': 'Sync schedule', 'iys.paused': 'Paused', 'iys.nextRun': 'Next run', 'iys.cursor': 'Changes-feed cursor', 'iys.note': 'Note',
  'iys.runNow': 'Run now', 'iys.pause': 'Pause sync', 'iys.resume': 'Resume sync', 'iys.runs': 'Run history', 'iys.runStatus': 'Status',
  'iys.runStarted': 'Started', 'iys.runPulled': 'Pulled', 'iys.runApplied': 'Applied', 'iys.runErrors': 'Errors', 'iys.runReason': 'Reason',
  'iys.notSync': 'Sync controls work in sync mode only.', 'iys.drift': 'Drift report', 'iys.driftStart': 'Compare with İYS',
  'iys.driftStatus': 'Status', 'iys.driftCounts': 'Differences', 'iys.triggered': 'A run was asked for.',
  'iys.controls': 'Sync controls', 'iys.runNowHelp': 'Pulls İYS’s changes now, or right after the run still going.',
  'iys.pauseHelp': 'No scheduled run starts; a run going on finishes; run now still works.', 'iys.resumeHelp': 'Scheduled runs start again.',
  'segments.title': 'Segments', 'segments.rule': 'Rule (JSON)', 'segments.sample': 'Sample size', 'segments.count': 'Count and sample',
  'segments.members': '{n} members', 'segments.badJson': 'The rule is not valid JSON.', 'segments.saved': 'Saved segments',
  'segments.countSaved': 'Count {name}', 'segments.externalId': 'External id',
  'journeys.title': 'Journeys', 'journeys.empty': 'No journeys yet.', 'journeys.version': 'Latest version', 'journeys.steps': 'Steps',
  'journeys.graph': 'Steps of {name}', 'journeys.entered': 'Entered', 'journeys.waiting': 'Waiting', 'journeys.converted': 'Converted',
  'journeys.gatedOut': 'Gated out', 'journeys.totals': 'Totals', 'journeys.active': 'Active', 'journeys.completed': 'Completed',
  'journeys.kind': 'Kind', 'journeys.next': 'Leads to', 'journeys.profile': 'Profile external id', 'journeys.showPath': 'Show path',
  'journeys.runs': 'Runs', 'journeys.currentStep': 'Current step', 'journeys.enteredAt': 'Entered at', 'journeys.path': 'Path',
  'journeys.confirm': '{action} journey “{name}”?', 'journeys.acknowledged': 'Acknowledged: the journey is {state}.',
  'journeys.pauseHelp': 'No new entries; running profiles hold before their next send.', 'journeys.resumeHelp': 'Entries again; held profiles go on.',
};

export type MessageKey = keyof typeof en;

const tr: Record<MessageKey, string> = {
  'app.title': 'Rota konsolu',
  'lang.label': 'Dil',
  'nav.label': 'Bölümler',
  'nav.campaigns': 'Kampanyalar', 'nav.journeys': 'Yolculuklar', 'nav.messages': 'Mesajlar', 'nav.iys': 'İYS', 'nav.segments': 'Segmentler',
  'signin.title': 'Giriş', 'signin.key': 'API anahtarı', 'signin.submit': 'Giriş yap',
  'signin.hint': 'Anahtar yalnızca bu tarayıcı sekmesinde tutulur ve sekme kapanınca unutulur.',
  'signin.invalid': 'Bu anahtar tanınmıyor ya da iptal edilmiş.', 'signin.platform': 'Platform yöneticisi anahtarı bir uygulamaya bağlı değil: bir uygulama anahtarı kullanın.',
  'signout': 'Çıkış', 'session.roles': 'Roller', 'session.app': 'Uygulama',
  'loading': 'Yükleniyor…', 'error': 'Hata', 'none': 'Yok', 'yes': 'evet', 'no': 'hayır', 'back': 'Geri',
  'forbidden': 'Anahtarınızın rolleri bu sayfaya izin vermiyor.',
  'confirm.cancel': 'Vazgeç', 'confirm.ok': 'Evet, {action}',
  'campaigns.title': 'Kampanyalar', 'campaigns.empty': 'Henüz kampanya yok.',
  'campaign.name': 'Ad', 'campaign.state': 'Durum', 'campaign.progress': 'İlerleme', 'campaign.channel': 'Kanal planı',
  'campaign.progressOf': '{total} alıcının {done} tanesi', 'campaign.progressLabel': '{name} ilerlemesi',
  'campaign.audience': 'Hedef kitle', 'campaign.processed': 'İşlenen', 'campaign.remaining': 'Kalan',
  'campaign.sentPush': 'Push ile gönderilen', 'campaign.sentSms': 'SMS ile gönderilen', 'campaign.sentEmail': 'E-posta ile gönderilen',
  'campaign.delivered': 'Teslim edilen (push alındıları)', 'campaign.fallbackSms': 'Yedek SMS', 'campaign.deferred': 'Sessiz saatlerde bekleyen',
  'campaign.rate': 'Hız', 'campaign.perSecond': 'saniyede {n}', 'campaign.eta': 'Kalan süre', 'campaign.gatedOut': 'Kapıdan geçemeyen, nedene göre',
  'campaign.failed': 'Başarısız, nedene göre', 'campaign.recall': 'Geri çağırma', 'campaign.recallSent': 'Gönderilen geri çağırma push’ları',
  'campaign.recallConfirmed': 'Cihazlardan kaldırılan', 'campaign.cancelled': 'İptal edilen (hiç gönderilmedi)', 'campaign.notRecallable': 'Geri çağrılamayan (web push)',
  'campaign.controls': 'Denetimler', 'campaign.live': '{time} itibarıyla', 'campaign.acknowledged': 'Onaylandı: kampanya artık {state}.',
  'campaign.template': 'Şablon', 'campaign.started': 'Başladı', 'campaign.finished': 'Bitti',
  'campaign.confirm': '“{name}” kampanyası için: {action}?',
  'action.start': 'Başlat', 'action.startHelp': 'Hedef kitleyi bir kez alır ve gönderime başlar (ya da zamanını bekler).',
  'action.pause': 'Duraklat', 'action.resume': 'Sürdür', 'action.stop': 'Durdur', 'action.recall': 'Geri çağır', 'action.sending': 'Gönderiliyor…',
  'action.pauseHelp': 'Yeni parti başlamaz; yoldaki partiler biter.', 'action.resumeHelp': 'Gönderim kaldığı yerden sürer.',
  'action.stopHelp': 'Artık hiçbir şey gönderilmez. Geri alınamaz.', 'action.recallHelp': 'Kalanı durdurur, gösterilmiş push’ları kaldırır.',
  'state.draft': 'taslak', 'state.scheduled': 'zamanlandı', 'state.running': 'gönderiliyor', 'state.paused': 'duraklatıldı', 'state.stopped': 'durduruldu',
  'state.completed': 'tamamlandı', 'state.recalling': 'geri çağrılıyor', 'state.recalled': 'geri çağrıldı', 'state.archived': 'arşivlendi', 'state.active': 'etkin',
  'messages.title': 'Mesajlar', 'messages.id': 'Mesaj kimliği', 'messages.find': 'Bul', 'messages.notFound': 'Bu kimlikle bir mesaj yok.',
  'messages.status': 'Durum', 'messages.outcome': 'Sonuç', 'messages.to': 'Alıcı', 'messages.category': 'Kategori', 'messages.timeline': 'Zaman çizelgesi',
  'messages.step': 'Adım', 'messages.at': 'Zaman', 'messages.deliveries': 'Gönderimler', 'messages.channel': 'Kanal', 'messages.recipient': 'Alıcı adresi',
  'messages.decision': 'Kapı kararı', 'messages.consent': 'Kullanılan izin', 'messages.attempts': 'Deneme', 'messages.sentAt': 'Gönderim zamanı',
  'messages.providerError': 'Sağlayıcı hatası', 'messages.recent': 'Bir profilin son mesajları', 'messages.showRecent': 'Mesajları göster', 'messages.skipped': 'Kullanılmayan kanallar', 'messages.allowed': 'izin verildi', 'messages.blocked': 'engellendi',
  'iys.title': 'İYS', 'iys.settings': 'Ayarlar', 'iys.mode': 'Mod', 'iys.brand': 'Marka', 'iys.interval': 'Eşitleme aralığı',
  'iys.minutes': '{n} dk', 'iys.outbox': 'Giden kutusu (İYS’ye gönderilen değişiklikler)', 'iys.running': 'Çalışıyor', 'iys.pending': 'Bekleyen',
  'iys.delivered': 'İletilen', 'iys.rejected': 'Reddedilen', 'iys.skipped': 'Tutulan', 'iys.retrying': 'Yeniden deneniyor',
  'iys.attempt': '{n}. deneme', 'iys.lastError': 'Son hata', 'iys.rejections': 'İYS’nin son retleri', 'iys.code': 'Kod',
  'iys.message': 'Mesaj', 'iys.type': 'Tür', 'iys.recipient': 'Alıcı', 'iys.at': 'Zaman',
  'iys.sync': 'Eşitleme takvimi', 'iys.paused': 'Duraklatıldı', 'iys.nextRun': 'Sonraki çalışma', 'iys.cursor': 'Değişiklik akışı imleci', 'iys.note': 'Not',
  'iys.runNow': 'Şimdi çalıştır', 'iys.pause': 'Eşitlemeyi duraklat', 'iys.resume': 'Eşitlemeyi sürdür', 'iys.runs': 'Çalışma geçmişi', 'iys.runStatus': 'Durum',
  'iys.runStarted': 'Başladı', 'iys.runPulled': 'Çekilen', 'iys.runApplied': 'Uygulanan', 'iys.runErrors': 'Hata', 'iys.runReason': 'Neden',
  'iys.notSync': 'Eşitleme denetimleri yalnızca eşitleme modunda çalışır.', 'iys.drift': 'Fark raporu', 'iys.driftStart': 'İYS ile karşılaştır',
  'iys.driftStatus': 'Durum', 'iys.driftCounts': 'Farklar', 'iys.triggered': 'Bir çalışma istendi.',
  'iys.controls': 'Eşitleme denetimleri', 'iys.runNowHelp': 'İYS’deki değişiklikleri şimdi çeker, ya da süren çalışma bitince.',
  'iys.pauseHelp': 'Zamanlanmış çalışma başlamaz; süren çalışma biter; şimdi çalıştır yine çalışır.', 'iys.resumeHelp': 'Zamanlanmış çalışmalar yeniden başlar.',
  'segments.title': 'Segmentler', 'segments.rule': 'Kural (JSON)', 'segments.sample': 'Örnek sayısı', 'segments.count': 'Say ve örnekle',
  'segments.members': '{n} üye', 'segments.badJson': 'Kural geçerli bir JSON değil.', 'segments.saved': 'Kayıtlı segmentler',
  'segments.countSaved': '{name} say', 'segments.externalId': 'Dış kimlik',
  'journeys.title': 'Yolculuklar', 'journeys.empty': 'Henüz yolculuk yok.', 'journeys.version': 'Son sürüm', 'journeys.steps': 'Adımlar',
  'journeys.graph': '{name} adımları', 'journeys.entered': 'Giren', 'journeys.waiting': 'Bekleyen', 'journeys.converted': 'Dönüşen',
  'journeys.gatedOut': 'Kapıdan geçemeyen', 'journeys.totals': 'Toplamlar', 'journeys.active': 'Etkin', 'journeys.completed': 'Tamamlayan',
  'journeys.kind': 'Tür', 'journeys.next': 'Sonraki', 'journeys.profile': 'Profil dış kimliği', 'journeys.showPath': 'Yolu göster',
  'journeys.runs': 'Çalışmalar', 'journeys.currentStep': 'Şimdiki adım', 'journeys.enteredAt': 'Giriş zamanı', 'journeys.path': 'Yol',
  'journeys.confirm': '“{name}” yolculuğu için: {action}?', 'journeys.acknowledged': 'Onaylandı: yolculuk artık {state}.',
  'journeys.pauseHelp': 'Yeni giriş olmaz; içerideki profiller bir sonraki gönderimden önce bekler.', 'journeys.resumeHelp': 'Girişler yeniden açılır; bekleyenler devam eder.',
};

export const LANGUAGES = { tr, en } as const;
export type Language = keyof typeof LANGUAGES;

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Language): Translate {
  const words = LANGUAGES[lang];
  return (key, vars) => (words[key] ?? key).replace(/\{(\w+)\}/g, (_m, name: string) => String(vars?.[name] ?? `{${name}}`));
}

export const I18n = createContext<{ lang: Language; t: Translate }>({ lang: 'tr', t: translator('tr') });
export const useT = () => useContext(I18n).t;

/** Numbers and dates in the reader's language (Turkish: 1.234, English: 1,234). */
export const useFormat = () => {
  const { lang } = useContext(I18n);
  const locale = lang === 'tr' ? 'tr-TR' : 'en-GB';
  return {
    n: (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toLocaleString(locale)),
    at: (iso: string | undefined) => (iso ? new Date(iso).toLocaleString(locale) : '—'),
  };
};

const LANG_KEY = 'rota.lang';
export function savedLanguage(): Language {
  const v = localStorage.getItem(LANG_KEY);
  return v === 'en' || v === 'tr' ? v : navigator.language.startsWith('tr') ? 'tr' : 'en';
}
export function saveLanguage(lang: Language): void {
  localStorage.setItem(LANG_KEY, lang);
}
