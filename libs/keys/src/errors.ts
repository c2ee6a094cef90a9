import { ProblemException } from '@app/common';

export const KeysErrors = {
  noSigningKeys: () => ProblemException.conflict('signing_keys_unavailable', 'JWT_ALGORITHM=HS256 signs with JWT_SECRET: there are no signing keys to rotate'),
  invalidClient: () =>
    new ProblemException(401, 'unauthorized', 'Introspection needs a service client (HTTP Basic: SERVICE_CLIENTS id and secret)', {
      headers: { 'WWW-Authenticate': 'Basic realm="introspection", charset="UTF-8"' },
    }),
} as const;
