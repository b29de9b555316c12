import { Schema } from 'mongoose';
import { ATTRIBUTE_MODES, type AttributeMode } from '../../domain/attributes';
import { IYS_MODES, type IysSettings } from '../../iys/appSettings';

/** A tenant. Apps and API keys are the only collections not scoped by appId: they define it. */
export interface AppDoc {
  _id: string;
  name: string;
  settings: { attributeMode: AttributeMode; iys?: IysSettings };
  createdAt: Date;
}

export const appSchema = new Schema<AppDoc>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    settings: {
      attributeMode: { type: String, enum: ATTRIBUTE_MODES, default: 'permissive' },
      iys: {
        type: new Schema({ mode: { type: String, enum: IYS_MODES, required: true }, iysCode: Number, brandCode: Number, syncIntervalMinutes: Number }, { _id: false }),
        required: false,
      },
    },
  },
  { timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);

/**
 * An İYS brand and the one app it is assigned to, by the platform administrator. `_id` is
 * `{iysCode}:{brandCode}`, so that a brand is held once is the `_id` index's guarantee, under
 * any concurrency. Like apps, not scoped by appId: a brand is unique across apps. Read by
 * `_id`; listing an app's brands scans one small record per brand of the İYS account.
 */
export interface IysBrandDoc {
  _id: string;
  appId: string;
  iysCode: number;
  brandCode: number;
  assignedAt: Date;
}

export const iysBrandSchema = new Schema<IysBrandDoc>(
  {
    _id: { type: String, required: true },
    appId: { type: String, required: true },
    iysCode: { type: Number, required: true },
    brandCode: { type: Number, required: true },
  },
  { timestamps: { createdAt: 'assignedAt', updatedAt: false }, versionKey: false },
);
