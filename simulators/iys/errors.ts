/** İYS's error envelope `{"errors":[{code,message,location?,value?,index?}]}`, thrown from handlers and sent by one middleware. */
import { IYS_CODES, type IysCode } from '../../iys/errorCodes';

export interface IysErrorItem {
  code: string;
  message: string;
  location?: (string | number)[];
  value?: unknown;
  index?: number;
}

export function errorItem(code: IysCode, extra: Omit<Partial<IysErrorItem>, 'code'> = {}): IysErrorItem {
  return { code, message: IYS_CODES[code].message, ...extra };
}

/** An answer other than success. `body` is sent as is (the token endpoint has its own OAuth shape). */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }

  /** One or more errors of the İYS envelope; the status is the first code's. */
  static of(items: IysErrorItem[], status = IYS_CODES[items[0]!.code as IysCode].status): SimHttpError {
    return new SimHttpError(status, { errors: items });
  }

  static code(code: IysCode, extra?: Omit<Partial<IysErrorItem>, 'code'>): SimHttpError {
    return SimHttpError.of([errorItem(code, extra)]);
  }

  /** The first H-code of the body, for the violations report. */
  get code(): string | undefined {
    const b = this.body as { errors?: { code?: string }[]; error?: string };
    return b.errors?.[0]?.code ?? b.error;
  }
}
