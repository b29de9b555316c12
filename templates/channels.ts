/**
 * What a template holds and what rendering it answers: types and constants only, with no
 * imports, so that the API, the activities and (as types) the workflows can share them.
 */

export const TEMPLATE_CHANNELS = ['push', 'sms', 'email', 'webPush'] as const;
export type TemplateChannel = (typeof TEMPLATE_CHANNELS)[number];

/** Every string is a Liquid template; so is every value of `data`. */
export interface PushContent {
  title?: string;
  body: string;
  image?: string;
  deepLink?: string;
  /** Sent as the push payload's key/value data (FCM `data`, an APNs custom key). */
  data?: Record<string, string>;
}

export interface SmsContent {
  text: string;
}

/** At least one of `html` and `text`. */
export interface EmailContent {
  subject: string;
  html?: string;
  text?: string;
}

export interface WebPushContent {
  title: string;
  body?: string;
  icon?: string;
  url?: string;
}

export interface ChannelContent {
  push: PushContent;
  sms: SmsContent;
  email: EmailContent;
  webPush: WebPushContent;
}

/** A template's content: any subset of the channels. */
export type TemplateChannels = { [C in TemplateChannel]?: ChannelContent[C] };

/** The fields of each channel, in render order; `data` (push) is a map of fields. */
export const CHANNEL_FIELDS = {
  push: ['title', 'body', 'image', 'deepLink', 'data'],
  sms: ['text'],
  email: ['subject', 'html', 'text'],
  webPush: ['title', 'body', 'icon', 'url'],
} as const satisfies { [C in TemplateChannel]: readonly (keyof ChannelContent[C])[] };

/** Fields that must not render to nothing (e-mail also needs html or text to render to something). */
export const REQUIRED_FIELDS: { [C in TemplateChannel]: readonly (keyof ChannelContent[C])[] } = {
  push: ['body'],
  sms: ['text'],
  email: ['subject'],
  webPush: ['title'],
};

/**
 * What happens to a recipient whose data lacks a variable the template uses without a
 * `default` filter. Never a message with a hole: `skip` (the default) skips the recipient
 * with reason `template_missing_variable`, an expected outcome counted as skipped; `fail`
 * makes it a failed send, for templates where a missing value is a bug to look into (an
 * order confirmation without its order number).
 */
export const MISSING_VARIABLE_POLICIES = ['skip', 'fail'] as const;
export type MissingVariablePolicy = (typeof MISSING_VARIABLE_POLICIES)[number];

/** The variables a template sees. */
export const TEMPLATE_VARIABLE_ROOTS = ['profile', 'event', 'vars'] as const;
/** What `profile` holds: custom attributes are `profile.attributes.<name>`. */
export const PROFILE_VARIABLE_FIELDS = ['externalId', 'anonymousId', 'email', 'msisdn', 'attributes'] as const;
/** What `event` holds (the triggering event, in journeys): its attributes are `event.attributes.<name>`. */
export const EVENT_VARIABLE_FIELDS = ['name', 'occurredAt', 'attributes'] as const;

/** One version of a template, as a send uses it: a published version, or the draft (version null) for previews. */
export interface ResolvedTemplate {
  appId: string;
  id: string;
  version: number | null;
  name: string;
  missingVariable: MissingVariablePolicy;
  channels: TemplateChannels;
}

export type TemplateLookupFailure = {
  ok: false;
  reason: 'template_not_found' | 'template_version_not_found' | 'template_not_published';
  message: string;
};
export type TemplateLookup = { ok: true; template: ResolvedTemplate } | TemplateLookupFailure;

/** Whether the send pipeline skips the recipient (an expected outcome) or records a failed send. */
export type RenderAction = 'skip' | 'fail';

export type RenderFailure =
  | {
      ok: false;
      reason: 'template_missing_variable';
      /** e.g. `profile.attributes.city` */
      variable: string;
      /** e.g. `sms.text`, `push.data.orderId` */
      field: string;
      line?: number;
      action: RenderAction;
    }
  | { ok: false; reason: 'template_empty_content'; field: string; action: 'skip' }
  | { ok: false; reason: 'template_channel_missing'; channel: TemplateChannel; action: 'fail' }
  | { ok: false; reason: 'template_render_error'; field: string; message: string; line?: number; action: 'fail' };

export type RenderFailureReason = RenderFailure['reason'];

export type RenderResult<T> = { ok: true; content: T } | RenderFailure;
