/**
 * Tenant isolation lives in the data layer: a mongoose plugin that refuses any query on a
 * tenant-owned collection whose filter does not name `appId`. A route cannot forget the
 * tenant, because the query would throw before it reached the database.
 */
import type { Schema } from 'mongoose';

const QUERY_OPS = [
  'find', 'findOne', 'countDocuments', 'updateOne', 'updateMany', 'deleteOne', 'deleteMany',
  'findOneAndUpdate', 'findOneAndDelete', 'replaceOne', 'distinct',
] as const;

export class TenantScopeError extends Error {
  override name = 'TenantScopeError';
}

export function tenantScoped(schema: Schema): void {
  for (const op of QUERY_OPS) {
    schema.pre(op, function () {
      const appId: unknown = this.getFilter().appId;
      if (typeof appId !== 'string' || appId.length === 0) {
        throw new TenantScopeError(`${op} on ${this.model.collection.name} without an appId filter`);
      }
    });
  }
  schema.pre('aggregate', function () {
    const first = this.pipeline()[0] as { $match?: { appId?: unknown } } | undefined;
    if (typeof first?.$match?.appId !== 'string') {
      throw new TenantScopeError('aggregate without a leading $match on appId');
    }
  });
}
