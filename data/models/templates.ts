import { Schema } from 'mongoose';
import type { MissingVariablePolicy, TemplateChannels } from '../../templates/channels';
import { tenantScoped } from '../tenantScope';

/**
 * A message template and its draft. `_id` is `{appId}:{templateId}`. The draft is edited in
 * place (`revision` counts its edits); publishing copies it into an immutable numbered
 * version (templateVersions) and raises `latestVersion`, which sends without a version use.
 */
export interface TemplateDoc {
  _id: string;
  appId: string;
  name: string;
  description?: string;
  missingVariable: MissingVariablePolicy;
  channels: TemplateChannels;
  revision: number;
  /** 0 until the first publish. */
  latestVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

/** One published version, never changed. `_id` is `{appId}:{templateId}:{version}`. */
export interface TemplateVersionDoc {
  _id: string;
  appId: string;
  templateId: string;
  version: number;
  /** The draft revision it was published from (a second publish of an unchanged draft answers this version). */
  revision: number;
  name: string;
  description?: string;
  missingVariable: MissingVariablePolicy;
  channels: TemplateChannels;
  publishedAt: Date;
}

export const templateSchema = new Schema<TemplateDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    name: { type: String, required: true },
    description: String,
    missingVariable: { type: String, required: true },
    channels: { type: Schema.Types.Mixed, required: true },
    revision: { type: Number, required: true },
    latestVersion: { type: Number, required: true },
  },
  { timestamps: true, versionKey: false, minimize: false },
);
templateSchema.plugin(tenantScoped);

export const templateVersionSchema = new Schema<TemplateVersionDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    templateId: { type: String, required: true },
    version: { type: Number, required: true },
    revision: { type: Number, required: true },
    name: { type: String, required: true },
    description: String,
    missingVariable: { type: String, required: true },
    channels: { type: Schema.Types.Mixed, required: true },
    publishedAt: { type: Date, required: true },
  },
  { versionKey: false, minimize: false },
);
templateVersionSchema.index({ appId: 1, templateId: 1, version: -1 });
templateVersionSchema.plugin(tenantScoped);
