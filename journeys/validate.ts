/**
 * A journey definition, as given over the API, checked completely before anything is
 * stored: the shape of the settings and of each step, each step's own rules, the graph, and
 * what it refers to in the app. Every issue is answered at once, each with a path naming the
 * step (`body.steps.wait_cart.timeout`), never its position in the list.
 */
import type { z } from 'zod';
import type { JourneyDefinition, JourneyStep } from '../domain/journeys';
import type { FieldIssue } from '../lib/invalidInput';
import type { JourneyCatalog } from './catalog';
import { entryScope, settingsIssues, stepIssues, type AttributeRefs, type EntryScope } from './checks';
import { graphIssues, type PlacedStep } from './graph';
import { referenceIssues } from './references';
import { journeyShapeSchema, stepIdSchema, stepSchema } from './schemas';

export type JourneyValidation =
  | { ok: true; definition: JourneyDefinition; templateVersions: Map<string, number> }
  | { ok: false; issues: FieldIssue[] };

type RawStep = { id?: unknown; kind?: unknown };

/** A step is named by its id when it has a usable one, else by its position. */
function stepLabel(raw: unknown, index: number): string {
  const id = (raw as RawStep | null)?.id;
  return stepIdSchema.safeParse(id).success ? (id as string) : String(index);
}

/** zod's issues as field issues under `prefix`: an unknown key is named itself, and of a union's failed alternatives the one for the value's type is told. */
function zodIssues(error: z.ZodError | { issues: z.core.$ZodIssue[] }, prefix: string): FieldIssue[] {
  return error.issues.flatMap((i): FieldIssue[] => {
    const path = [prefix, ...i.path.map(String)].join('.');
    if (i.code === 'unrecognized_keys') return i.keys.map((k) => ({ path: `${path}.${k}`, message: 'unknown field' }));
    if (i.code === 'invalid_union' && i.errors.length > 0) {
      const fitting = i.errors.find((alt) => !alt.some((a) => a.code === 'invalid_type' && a.path.length === 0));
      if (fitting) return zodIssues({ issues: fitting }, path);
    }
    return [{ path, message: i.message }];
  });
}

export async function validateJourney(raw: unknown, catalog: JourneyCatalog, at = 'body'): Promise<JourneyValidation> {
  const issues: FieldIssue[] = [];
  const shape = journeyShapeSchema.safeParse(raw);
  if (!shape.success) issues.push(...zodIssues(shape.error, at));
  const settings = shape.success ? shape.data : undefined;

  const rawSteps: unknown[] = Array.isArray((raw as { steps?: unknown } | null)?.steps) ? (raw as { steps: unknown[] }).steps : [];
  const placed: PlacedStep[] = [];
  const knownIds = new Set<string>();
  const positions = new Map<string, number[]>();
  rawSteps.forEach((rawStep, index) => {
    const path = `${at}.steps.${stepLabel(rawStep, index)}`;
    const id = (rawStep as RawStep | null)?.id;
    if (typeof id === 'string') {
      knownIds.add(id);
      positions.set(id, [...(positions.get(id) ?? []), index]);
    }
    const parsed = stepSchema.safeParse(rawStep);
    if (parsed.success) placed.push({ step: parsed.data as JourneyStep, path });
    else issues.push(...zodIssues(parsed.error, path));
  });
  for (const [id, where] of positions) {
    if (where.length > 1) issues.push({ path: `${at}.steps.${id}.id`, message: `duplicate step id: the steps at positions ${where.join(', ')} (from 0) all have the id ${id}` });
  }

  // Where an entry.<attribute> may point is known from the entry even when other settings are wrong.
  const rawEntryKind = (raw as { entry?: { kind?: unknown } } | null)?.entry?.kind;
  const scope: EntryScope = settings ? entryScope(settings) : rawEntryKind === 'event' ? 'event' : 'noEvent';
  const refs: AttributeRefs = [];
  if (settings) issues.push(...settingsIssues(settings, at, refs));
  for (const s of placed) issues.push(...stepIssues(s, scope, refs));

  const rawStart = (raw as { start?: unknown } | null)?.start;
  const explicitStart = stepIdSchema.safeParse(rawStart).success ? (rawStart as string) : undefined;
  const firstId = (rawSteps[0] as RawStep | undefined)?.id;
  const startId = explicitStart ?? (typeof firstId === 'string' ? firstId : undefined);
  if (startId !== undefined) {
    issues.push(...graphIssues({
      steps: placed,
      knownIds,
      start: { id: startId, path: explicitStart !== undefined ? `${at}.start` : `${at}.steps` },
      stepsPath: `${at}.steps`,
      whole: placed.length === rawSteps.length && [...positions.values()].every((p) => p.length === 1),
    }));
  }

  const references = await referenceIssues(settings, placed, refs, catalog, at);
  issues.push(...references.issues);
  if (issues.length > 0 || !settings) return { ok: false, issues };
  return { ok: true, definition: { ...settings, steps: placed.map((p) => p.step) }, templateVersions: references.templateVersions };
}
