/** Shapes of the segment API. */
import { z } from 'zod';
import { profileViewSchema } from '../profiles/schemas';
import { EXPORT_FORMATS } from './exportMembers';
import { ruleDoc } from './rules';

export const segmentIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, _ and -, at most 64');

export const segmentCreateSchema = z.strictObject({
  id: segmentIdSchema.optional().describe('default: generated'),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  rule: z.unknown().describe('the rule tree; see the preview route for its shape'),
});
export const segmentCreateDoc = segmentCreateSchema.extend({ rule: ruleDoc });

export const previewSchema = z.strictObject({
  rule: z.unknown(),
  sample: z.number().int().min(0).max(100).default(10).describe('how many matching profiles to show'),
});
export const previewDoc = previewSchema.extend({ rule: ruleDoc });

export const segmentViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  rule: z.unknown(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const countSchema = z.object({ count: z.number().int(), evaluatedAt: z.iso.datetime().describe('relative dates and day windows were fixed at this time') });
export const previewResultSchema = countSchema.extend({ sample: z.array(profileViewSchema) });
export const membersQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().max(200).optional().describe('the `next` cursor of the previous page'),
});
export const membersPageSchema = z.object({ members: z.array(profileViewSchema), next: z.string().optional(), evaluatedAt: z.iso.datetime() });
export const exportQuerySchema = z.object({ format: z.enum(EXPORT_FORMATS).default('ndjson') });
