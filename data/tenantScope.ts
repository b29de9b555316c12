/**
 * Tenant isolation lives in the data layer: a mongoose plugin that refuses any query on a
 * tenant-owned collection whose filter names neither `appId` nor tenant-scoped `_id`s
 * (`{appId}:…`, see lib/ids.ts `scopedId`). A route cannot forget the tenant, because the
 * query would throw before it reached the database.
 */
import type { Schema } from 'mongoose';

const QUERY_OPS = [
  'find', 'findOne', 'countDocuments', 'updateOne', 'updateMany', 'deleteOne', 'deleteMany',
  'findOneAndUpdate', 'findOneAndDelete', 'replaceOne', 'distinct',
] as const;

export class TenantScopeError extends Error {
  override name = 'TenantScopeError';
}

const SCOPED_ID = /^[a-z0-9-]+:./;

function isScopedIdFilter(id: unknown): boolean {
  if (typeof id === 'string') return SCOPED_ID.test(id);
  const $in = (id as { $in?: unknown } | undefined)?.$in;
  return Array.isArray($in) && $in.every((v) => typeof v === 'string' && SCOPED_ID.test(v));
}

export function tenantScoped(schema: Schema): void {
  for (const op of QUERY_OPS) {
    schema.pre(op, function () {
      const filter = this.getFilter();
      const appId: unknown = filter.appId;
      if ((typeof appId !== 'string' || appId.length === 0) && !isScopedIdFilter(filter._id)) {
        throw new TenantScopeError(`${op} on ${this.model.collection.name} without an appId or a tenant-scoped _id in its filter`);
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
