/** The shapes of the API's answers the console reads (a subset of each; the API's OpenAPI document is the full one). */
import type { CampaignState } from '../../domain/campaigns';

export interface CampaignProgress {
  audience: number | null;
  processed: number;
  remaining: number | null;
  sent: { push: number; sms: number; email: number };
  delivered: number;
  fallbackSms: number;
  gatedOut: Record<string, number>;
  deferred: number;
  failed: Record<string, number>;
  recall: { cancelled: number; recallSent: number; recallConfirmed: number; notRecallable: number };
  ratePerSecond: number | null;
  etaSeconds: number | null;
}

export interface Campaign {
  id: string;
  name: string;
  channelPlan: string;
  template: { id: string; version?: number };
  state: CampaignState;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  progress: CampaignProgress;
}

export interface MessageView {
  id: string;
  to: { externalId: string };
  category: string;
  status: string;
  outcome: string;
  timeline: { step: string; at: string }[];
  skipped: Record<string, string>;
  deliveries: {
    channel: string;
    state: string;
    recipient: string;
    decision: { allowed: boolean; reason: string; consent?: { type: string; status: string; recipientType: string; consentDate: string } };
    attempts: number;
    sentAt?: string;
    error?: { provider: string; status?: string; code: string };
  }[];
  createdAt: string;
}

export interface JourneyStepDef {
  id: string;
  name?: string;
  kind: string;
  next?: string | Record<string, string>;
  default?: string;
  branches?: { name?: string; next: string }[];
  paths?: { name?: string; percent: number; next: string }[];
}

export interface Journey {
  id: string;
  name: string;
  state: string;
  latestVersion: number;
  draft: { start?: string; steps: JourneyStepDef[] };
}

export interface JourneyStats {
  steps: Record<string, { entered: number; waiting: number; left: Record<string, number>; gatedOut: Record<string, number>; converted: number }>;
  totals: { entered: number; active: number; completed: number; converted: number };
}

export interface JourneyRuns {
  runs: { version: number; status: string; currentStep?: string; enteredAt: string; path: { stepId: string; at: string; outcome?: string }[] }[];
}
