import type { PortalUser } from './portal-user.js';

export type RegionScope = { readonly ok: true; readonly regions: readonly string[] | null } | { readonly ok: false; readonly forbidden: readonly string[] };

/**
 * The regions a request may read: what it asks for, within what the user may see. A user who sees
 * every region gets null (no filter) unless they ask for some; a regional user gets their regions,
 * or the subset asked for, and asking for any other region is refused (never silently widened).
 */
export function regionScope(user: PortalUser, requested: readonly string[] | undefined): RegionScope {
  const asked = [...new Set(requested ?? [])];
  if (user.regions.includes('*')) return { ok: true, regions: asked.length > 0 ? asked : null };
  const forbidden = asked.filter((r) => !user.regions.includes(r));
  if (forbidden.length > 0) return { ok: false, forbidden };
  return { ok: true, regions: asked.length > 0 ? asked : [...user.regions] };
}
