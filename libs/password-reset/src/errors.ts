import { ProblemException } from '@app/common';

export const PasswordResetErrors = {
  invalidLink: () => ProblemException.badRequest('invalid_token', 'The reset link is invalid, expired or already used'),
} as const;
