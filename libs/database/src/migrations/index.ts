import { Accounts1764000000000 } from './1764000000000-accounts';

/** Every migration, in order. Listed explicitly so the same array serves ts-node, jest and dist. */
export const MIGRATIONS = [Accounts1764000000000];
