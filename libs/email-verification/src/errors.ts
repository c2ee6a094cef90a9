import { ProblemException } from '@app/common';

export const EmailVerificationErrors = {
  invalidLink: () => ProblemException.badRequest('invalid_token', 'The verification link is invalid, expired or already used'),
} as const;
