/**
 * The checks of a definition against its app: every template exists, is published and has
 * content for each channel its send asks; every segment exists; every profile attribute is
 * registered (and a value written to it fits its type); every event (entry, waitForEvent,
 * goal) is one the app declared or has sent; branch rules pass the segment
 * rule validation. Each lookup is made once for the whole definition.
 */
import { coerce } from '../attributes/coerce';
import type { JourneyDefinition, SendStep } from '../domain/journeys';
import type { Channel } from '../domain/messages';
import type { FieldIssue } from '../lib/invalidInput';
import type { TemplateChannel } from '../templates/channels';
import type { JourneyCatalog } from './catalog';
import type { AttributeRefs } from './checks';
import type { PlacedStep } from './graph';

/** The template content each send channel needs (web devices get webPush content when there is some, as campaigns do). */
const CONTENT_FOR: Record<Channel, TemplateChannel> = { push: 'push', sms: 'sms', email: 'email' };

export interface ReferenceResult {
  issues: FieldIssue[];
  /** The template version each send step would use now, by step id: what publish pins. */
  templateVersions: Map<string, number>;
}

export async function referenceIssues(
  settings: Omit<JourneyDefinition, 'steps'> | undefined,
  steps: PlacedStep[],
  refs: AttributeRefs,
  catalog: JourneyCatalog,
  at: string,
): Promise<ReferenceResult> {
  const issues: FieldIssue[] = [];
  const segments: { id: string; path: string }[] = [];
  const attributes: AttributeRefs = [...refs];
  const writes: { name: string; value: unknown; path: string }[] = [];
  const rules: { rule: unknown; path: string }[] = [];
  const sends: { step: SendStep; path: string }[] = [];
  const events: { name: string; path: string }[] = [];

  if (settings?.entry.kind === 'segment') segments.push({ id: settings.entry.segmentId, path: `${at}.entry.segmentId` });
  if (settings?.exitSegment !== undefined) segments.push({ id: settings.exitSegment, path: `${at}.exitSegment` });
  if (settings?.entry.kind === 'event') events.push({ name: settings.entry.event, path: `${at}.entry.event` });
  if (settings?.goal !== undefined) events.push({ name: settings.goal.event, path: `${at}.goal.event` });
  for (const { step, path } of steps) {
    if (step.kind === 'send') sends.push({ step, path });
    if (step.kind === 'waitForEvent') events.push({ name: step.event, path: `${path}.event` });
    if (step.kind === 'updateProfile') {
      for (const [name, value] of Object.entries(step.set)) {
        attributes.push({ name, path: `${path}.set.${name}` });
        const copied = value !== null && typeof value === 'object' && !Array.isArray(value);
        if (value !== null && !copied) writes.push({ name, value, path: `${path}.set.${name}` });
      }
    }
    if (step.kind === 'branch') {
      step.branches.forEach(({ when }, i) => {
        const w = `${path}.branches.${i}.when`;
        if (when.rule !== undefined) rules.push({ rule: when.rule, path: `${w}.rule` });
        if (when.inSegment !== undefined) segments.push({ id: when.inSegment, path: `${w}.inSegment` });
        if (when.notInSegment !== undefined) segments.push({ id: when.notInSegment, path: `${w}.notInSegment` });
      });
    }
  }

  const [templates, foundSegments, defs, knownEvents, ruleIssues] = await Promise.all([
    templateIssues(sends, catalog),
    catalog.segments([...new Set(segments.map((s) => s.id))]),
    catalog.attributes([...new Set(attributes.map((a) => a.name))]),
    catalog.events([...new Set(events.map((e) => e.name))]),
    Promise.all(rules.map((r) => catalog.checkRule(r.rule, r.path))),
  ]);
  issues.push(...templates.issues);
  for (const s of segments) if (!foundSegments.has(s.id)) issues.push({ path: s.path, message: `unknown segment ${s.id}` });
  for (const a of attributes) if (!defs.has(a.name)) issues.push({ path: a.path, message: `unknown attribute ${a.name} (define it with POST /v1/attributes)` });
  for (const e of events) if (!knownEvents.has(e.name)) issues.push({ path: e.path, message: `unknown event ${e.name}: the app has not sent it (declare it with POST /v1/event-types)` });
  for (const w of writes) {
    const def = defs.get(w.name);
    const fits = def && coerce(def, w.value);
    if (fits && 'error' in fits) issues.push({ path: w.path, message: `${fits.error} (${w.name} is a ${def.type} attribute)` });
  }
  issues.push(...ruleIssues.flat());
  return { issues, templateVersions: templates.templateVersions };
}

async function templateIssues(sends: { step: SendStep; path: string }[], catalog: JourneyCatalog): Promise<ReferenceResult> {
  const templateVersions = new Map<string, number>();
  const perStep = await Promise.all(
    sends.map(async ({ step, path }): Promise<FieldIssue[]> => {
      const found = await catalog.template(step.template.id, step.template.version);
      if (!found.ok) return [{ path: `${path}.template`, message: found.message }];
      templateVersions.set(step.id, found.version);
      return step.channels.flatMap((channel, i) =>
        found.channels.includes(CONTENT_FOR[channel]) ? [] : [{ path: `${path}.channels.${i}`, message: `template ${step.template.id} (version ${found.version}) has no ${channel} content` }],
      );
    }),
  );
  return { issues: perStep.flat(), templateVersions };
}
