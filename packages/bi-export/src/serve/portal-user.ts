/** A signed-in portal user, as the session holds it. `regions` is `['*']` for every region. */
export interface PortalUser {
  readonly name: string;
  readonly role: 'admin' | 'analyst' | 'viewer';
  readonly regions: readonly string[];
}

export function seesEveryRegion(user: PortalUser): boolean {
  return user.regions.includes('*');
}
