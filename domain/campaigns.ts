/**
 * Campaigns: states, the transitions operators may ask for, and the types the API, the
 * activities and (as types) the workflow share. No imports: workflow code reads it too.
 *
 *   draft ──start──▶ scheduled ──(its time)──▶ running ──(every batch sent)──▶ completed
 *                        │                      │   ▲
 *                        │                    pause resume
 *                        │                      ▼   │
 *                        └──────stop──────▶ stopped ◀── stop ── paused
 *   running, paused, stopped, completed ──recall──▶ recalling ──▶ recalled
 */

export const CAMPAIGN_STATES = ['draft', 'scheduled', 'running', 'paused', 'stopped', 'completed', 'recalling', 'recalled'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export const CAMPAIGN_ACTIONS = ['start', 'pause', 'resume', 'stop', 'recall'] as const;
export type CampaignAction = (typeof CAMPAIGN_ACTIONS)[number];

/** The states each action may be asked in; anything else is a 409 naming the current state. */
export const ALLOWED_FROM: Record<CampaignAction, readonly CampaignState[]> = {
  start: ['draft'],
  pause: ['scheduled', 'running'],
  resume: ['paused'],
  stop: ['scheduled', 'running', 'paused'],
  recall: ['running', 'paused', 'stopped', 'completed'],
};

/** The state an action leads to (start: scheduled or running, by the schedule). */
export const LEADS_TO: Record<Exclude<CampaignAction, 'start'>, CampaignState> = { pause: 'paused', resume: 'running', stop: 'stopped', recall: 'recalling' };

export const FINAL_STATES: readonly CampaignState[] = ['stopped', 'completed', 'recalled'];

export function mayDo(action: CampaignAction, state: CampaignState): boolean {
  return ALLOWED_FROM[action].includes(state);
}

export const CHANNEL_PLANS = ['push', 'push_then_sms', 'sms', 'email'] as const;
export type ChannelPlan = (typeof CHANNEL_PLANS)[number];

export interface CampaignSchedule {
  kind: 'now' | 'at' | 'localTime';
  /** `at`: the instant (ISO). */
  at?: string;
  /** `localTime`: HH:MM in each recipient's zone (their device's, else the app's), the next time it comes after the start. */
  localTime?: string;
}

/** What the workflow is started with; everything else it reads from the campaign's record. */
export interface CampaignRunInput {
  appId: string;
  campaignId: string;
  /** `recall`: the campaign already ended (stopped or completed): only its recall runs. */
  phase?: 'send' | 'recall';
  /** The state its record was given when the run was started (scheduled, running or recalling), so the updates' validators know it from the first moment. */
  state: CampaignState;
  /** Carried across continue-as-new. */
  resume?: CampaignCarry;
}

export interface CampaignCarry {
  state: CampaignState;
  audience: number;
  pages: number;
  /** The next page to send, in send order (page number, or for a local-time schedule the index into its pages by due time). */
  nextSeq: number;
  /** Push batches whose SMS fallback is still to run: [batchNo, fallback due (epoch ms)]. */
  fallbacks: [number, number][];
}

/** Recipients per batch activity: the send pipeline's batch limit. */
export const CAMPAIGN_BATCH_SIZE = 500;
