import { BenchContext } from '../lib/context';
import { BenchOptions } from '../lib/options';

/** The admin listings, on the seeded volume (the search is for information: it has no target). */
const LISTINGS = [
  { key: 'admin-users', name: '(c) GET /api/v1/admin/users?limit=20', path: '/api/v1/admin/users?limit=20' },
  { key: 'admin-audit-logs', name: '(c) GET /api/v1/admin/audit-logs?limit=20', path: '/api/v1/admin/audit-logs?limit=20' },
  { key: 'admin-users-search', name: '(c) GET /api/v1/admin/users?q=user 4&limit=20 (info)', path: '/api/v1/admin/users?q=user%204&limit=20' },
];

/** Whether any listing runs: only then is the volume worth seeding. */
export const wantsAdminListings = (options: BenchOptions) => LISTINGS.some((l) => options.wanted(l.key));

export async function measureAdminListings(ctx: BenchContext): Promise<void> {
  const headers = { authorization: `Bearer ${ctx.admin.access_token}` };
  for (const { key, name, path } of LISTINGS) {
    if (ctx.options.wanted(key)) ctx.results[key] = await ctx.measurer.one(name, ctx.product.url, () => ({ connections: 4, path, headers }));
  }
}
