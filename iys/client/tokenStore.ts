/**
 * Where the İYS token pair lives, so every worker of an app uses one login: İYS allows
 * few token requests per hour per IP (H084), and a refresh rotates the refresh token.
 */

export interface IysToken {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms (client clock). */
  accessExpiresAt: number;
  refreshExpiresAt: number;
}

export interface TokenStore {
  get(): Promise<IysToken | undefined>;
  put(token: IysToken): Promise<void>;
  clear(): Promise<void>;
}

/** One process's token (tests, a single worker). */
export function createMemoryTokenStore(): TokenStore {
  let token: IysToken | undefined;
  return {
    get: () => Promise.resolve(token),
    put: (t) => {
      token = t;
      return Promise.resolve();
    },
    clear: () => {
      token = undefined;
      return Promise.resolve();
    },
  };
}
