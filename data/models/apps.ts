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
