import { Accounts1764000000000 } from './1764000000000-accounts';
import { Email1764000000100 } from './1764000000100-email';
import { OauthIdentities1764000000200 } from './1764000000200-oauth-identities';
import { AdminIndexes1764000000300 } from './1764000000300-admin-indexes';
import { CanonicalEmail1764000000400 } from './1764000000400-canonical-email';
import { AccessState1764000000500 } from './1764000000500-access-state';
import { Mfa1764000000600 } from './1764000000600-mfa';
import { SigningKeys1764000000800 } from './1764000000800-signing-keys';
import { Webhooks1764000000900 } from './1764000000900-webhooks';

/** Every migration, in order. Listed explicitly so the same array serves ts-node, jest and dist. */
export const MIGRATIONS = [
  Accounts1764000000000,
  Email1764000000100,
  OauthIdentities1764000000200,
  AdminIndexes1764000000300,
  CanonicalEmail1764000000400,
  AccessState1764000000500,
  Mfa1764000000600,
  SigningKeys1764000000800,
  Webhooks1764000000900,
];
