import { ProblemException } from '@app/common';

export const AdminErrors = {
  emptyChange: () => ProblemException.validation([{ field: 'body', message: 'must contain role, is_active or unlock' }]),
  selfModification: () => ProblemException.conflict('self_modification', 'An admin cannot demote or disable itself'),
  lastAdmin: () => ProblemException.conflict('last_admin', 'The last active admin cannot be demoted or disabled'),
} as const;
