import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Injectable } from '@nestjs/common';
import type { ResolvedAddress } from '../targets/webhook-targets';

export interface WebhookRequest {
  url: URL;
  /** the checked address the connection must go to, whatever the host name resolves to by then */
  address: ResolvedAddress;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** How much of an answer is read before the connection is dropped: the status is all that counts. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs one webhook: to the pinned address (TLS still verifies the certificate for the URL's host
 * name), no redirect followed (Node's client never follows one: a 3xx is an answer like any
 * other non-2xx), no connection reuse, one deadline for connect + send + answer. Resolves the
 * HTTP status; rejects on a network error or the deadline.
 */
@Injectable()
export class WebhookSender {
  send(req: WebhookRequest): Promise<number> {
    const { url, address } = req;
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // Node 20 connects with autoSelectFamily, which asks for every address (`all`): answer both forms
    const pinned: LookupFunction = (_host, options, callback) =>
      options.all ? callback(null, [address]) : (callback as (e: null, a: string, f: number) => void)(null, address.address, address.family);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<number>((resolve, reject) => {
      const request = client.request({
        protocol: url.protocol,
        hostname,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        agent: false,
        lookup: pinned,
        ...(isIP(hostname) ? {} : { servername: hostname }),
      });
      const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${req.timeoutMs} ms`)), req.timeoutMs);
      request.once('error', (err) => {
        clearTimeout(deadline);
        reject(err);
      });
      request.once('response', (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        res.once('close', () => {
          clearTimeout(deadline);
          resolve(res.statusCode ?? 0);
        });
      });
      request.end(req.body);
    });
  }
}
