/** One MongoDB connection and the models bound to it; the rest of Rota gets a `Db`. */
import mongoose, { type Connection } from 'mongoose';
import { endWritesOnClose } from './driverWriteOnClose';
import { apiKeySchema } from './models/apiKeys';
import { appSchema, iysBrandSchema } from './models/apps';
import { attributeDefinitionSchema } from './models/attributeDefinitions';
import { campaignBatchSchema, campaignRecipientSchema, campaignSchema } from './models/campaigns';
import { capLedgerSchema } from './models/capLedgers';
import { channelCredentialsSchema } from './models/channelCredentials';
import { consentAuditSchema } from './models/consentAudit';
import { consentChangeSchema } from './models/consentChanges';
import { deliverySchema } from './models/deliveries';
import { deliverySettingsSchema } from './models/deliverySettings';
import { eventCounterSchema } from './models/eventCounters';
import { eventSchema } from './models/events';
import { iysBatchSchema } from './models/iysBatches';
import { iysOutcomeSchema } from './models/iysOutcomes';
import { iysDriftChunkSchema, iysDriftReportSchema } from './models/iysDrift';
import { iysSyncRunSchema, iysSyncStateSchema } from './models/iysSync';
import { journeySchema, journeyVersionSchema } from './models/journeys';
import { journeyCountSchema, journeyProfileSchema, journeyTallySchema } from './models/journeyRuns';
import { messageSchema } from './models/messages';
import { profileKeySchema } from './models/profileKeys';
import { profileSchema } from './models/profiles';
import { receiptTallySchema } from './models/receiptTallies';
import { eventTypeSchema } from './models/eventTypes';
import { segmentSchema } from './models/segments';
import { templateSchema, templateVersionSchema } from './models/templates';
import { uninstallProbeRunSchema, uninstallProbeSettingsSchema } from './models/uninstallProbe';

function bindModels(conn: Connection) {
  return {
    apps: conn.model('App', appSchema, 'apps'),
    apiKeys: conn.model('ApiKey', apiKeySchema, 'apiKeys'),
    profiles: conn.model('Profile', profileSchema, 'profiles'),
    profileKeys: conn.model('ProfileKey', profileKeySchema, 'profileKeys'),
    attributeDefinitions: conn.model('AttributeDefinition', attributeDefinitionSchema, 'attributeDefinitions'),
    messages: conn.model('Message', messageSchema, 'messages'),
    deliveries: conn.model('Delivery', deliverySchema, 'deliveries'),
    events: conn.model('Event', eventSchema, 'events'),
    eventCounters: conn.model('EventCounter', eventCounterSchema, 'eventCounters'),
    eventTypes: conn.model('EventType', eventTypeSchema, 'eventTypes'),
    segments: conn.model('Segment', segmentSchema, 'segments'),
    consentChanges: conn.model('ConsentChange', consentChangeSchema, 'consentChanges'),
    consentAudit: conn.model('ConsentAudit', consentAuditSchema, 'consentAudit'),
    iysOutcomes: conn.model('IysOutcome', iysOutcomeSchema, 'iysOutcomes'),
    iysBatches: conn.model('IysBatch', iysBatchSchema, 'iysBatches'),
    iysSyncState: conn.model('IysSyncState', iysSyncStateSchema, 'iysSyncState'),
    iysSyncRuns: conn.model('IysSyncRun', iysSyncRunSchema, 'iysSyncRuns'),
    iysDriftReports: conn.model('IysDriftReport', iysDriftReportSchema, 'iysDriftReports'),
    iysDriftChunks: conn.model('IysDriftChunk', iysDriftChunkSchema, 'iysDriftChunks'),
    iysBrands: conn.model('IysBrand', iysBrandSchema, 'iysBrands'),
    deliverySettings: conn.model('DeliverySettings', deliverySettingsSchema, 'deliverySettings'),
    capLedgers: conn.model('CapLedger', capLedgerSchema, 'capLedgers'),
    campaigns: conn.model('Campaign', campaignSchema, 'campaigns'),
    campaignRecipients: conn.model('CampaignRecipient', campaignRecipientSchema, 'campaignRecipients'),
    campaignBatches: conn.model('CampaignBatch', campaignBatchSchema, 'campaignBatches'),
    receiptTallies: conn.model('ReceiptTally', receiptTallySchema, 'receiptTallies'),
    journeys: conn.model('Journey', journeySchema, 'journeys'), journeyVersions: conn.model('JourneyVersion', journeyVersionSchema, 'journeyVersions'),
    journeyProfiles: conn.model('JourneyProfile', journeyProfileSchema, 'journeyProfiles'),
    journeyTallies: conn.model('JourneyTally', journeyTallySchema, 'journeyTallies'),
    journeyCounts: conn.model('JourneyCount', journeyCountSchema, 'journeyCounts'),
    channelCredentials: conn.model('ChannelCredentials', channelCredentialsSchema, 'channelCredentials'),
    templates: conn.model('Template', templateSchema, 'templates'), templateVersions: conn.model('TemplateVersion', templateVersionSchema, 'templateVersions'),
    uninstallProbeSettings: conn.model('UninstallProbeSettings', uninstallProbeSettingsSchema, 'uninstallProbeSettings'),
    uninstallProbeRuns: conn.model('UninstallProbeRun', uninstallProbeRunSchema, 'uninstallProbeRuns'),
  };
}

export type Models = ReturnType<typeof bindModels>;
export type Db = Models & { conn: Connection; ping(): Promise<void>; close(): Promise<void> };

export async function connectDb(uri: string): Promise<Db> {
  endWritesOnClose();
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 5000, autoIndex: false }).asPromise();
  const models = bindModels(conn);
  // Indexes once at connect (not per model lazily), so a duplicate key is caught from the first write.
  await Promise.all(Object.values(models).map((m) => m.createIndexes()));
  return {
    ...models,
    conn,
    async ping() {
      await conn.db!.admin().ping();
    },
    async close() {
      await conn.close();
    },
  };
}

export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
