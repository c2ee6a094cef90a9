import { ProblemException } from '@app/common';

export const WebhooksErrors = {
  endpointNotFound: () => ProblemException.notFound('Webhook endpoint not found'),
  urlNotAllowed: (why = 'must point at a public address (not loopback, private, link-local or unique-local)') =>
    ProblemException.validation([{ field: 'url', message: why }]),
  emptyChange: () => ProblemException.validation([{ field: 'body', message: 'must contain url, events, description or enabled' }]),
} as const;
