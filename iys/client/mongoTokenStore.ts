/** The token pair shared by all workers of an app, in the `iysTokens` collection under `{appId}:iys-token`. */
import type { Db } from '../../data/db';
import { scopedId } from '../../lib/ids';
import type { IysToken, TokenStore } from './tokenStore';

interface TokenDoc extends IysToken {
  _id: string;
  updatedAt: Date;
}

export function createMongoTokenStore(db: Pick<Db, 'conn'>, appId: string): TokenStore {
  const tokens = db.conn.collection<TokenDoc>('iysTokens');
  const _id = scopedId(appId, 'iys-token');
  return {
    async get() {
      const doc = await tokens.findOne({ _id });
      if (!doc) return undefined;
      const { accessToken, refreshToken, accessExpiresAt, refreshExpiresAt } = doc;
      return { accessToken, refreshToken, accessExpiresAt, refreshExpiresAt };
    },
    async put(token) {
      await tokens.updateOne({ _id }, { $set: { ...token, updatedAt: new Date() } }, { upsert: true });
    },
    async clear() {
      await tokens.deleteOne({ _id });
    },
  };
}
