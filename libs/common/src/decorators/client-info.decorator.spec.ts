import type { FastifyRequest } from 'fastify';
import { clientInfoOf } from './client-info.decorator';

describe('clientInfoOf', () => {
  const req = (ip: string | undefined, ua?: string) =>
    ({ ip, headers: ua === undefined ? {} : { 'user-agent': ua }, socket: { remoteAddress: '10.0.0.9' }, id: 'r1' }) as unknown as FastifyRequest;

  it('takes the address the HTTP adapter derived, else the socket address', () => {
    expect(clientInfoOf(req('203.0.113.7', 'Browser/1.0'))).toEqual({ ip: '203.0.113.7', userAgent: 'Browser/1.0', requestId: 'r1' });
    expect(clientInfoOf(req(undefined)).ip).toBe('10.0.0.9');
  });

  it('bounds the address and the user agent to their columns (64 and 512 characters)', () => {
    const info = clientInfoOf(req('a'.repeat(300), 'u'.repeat(2000)));
    expect(info.ip).toHaveLength(64);
    expect(info.userAgent).toHaveLength(512);
  });
});
