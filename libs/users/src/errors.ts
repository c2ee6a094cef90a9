import { ProblemException } from '@app/common';

/** An account with the same canonical address exists (or was inserted concurrently). */
export class EmailTakenError extends Error {
  constructor() {
    super('An account with this email already exists');
    this.name = 'EmailTakenError';
  }
}

export const UsersErrors = {
  emailTaken: () => ProblemException.conflict('email_taken', 'An account with this email already exists'),
  userNotFound: () => ProblemException.notFound('User not found'),
} as const;
