// POST /write for the InfluxDB sink, with the body sent as the Buffer it is. The `influx`
// client's pool copied every body once just to learn its length (`Buffer.from(body).length`):
// 1.6 MB a write of 5,000 points, and its garbage, about a tenth of the collector's CPU in a
// bench:ingest profile. Failures are the pool's kinds: a RequestError (with the response) for any
// answer but 2xx, so that the sink's rules (400 refused, 401/403 credentials, 404 no database, 5xx
// retried) read the status as before; network errors and timeouts as they come.

import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import { RequestError } from 'influx/lib/src/pool.js';

export interface InfluxWriteTarget {
  host: string;
  port: number;
  database: string;
  https: boolean;
  /** CA, client certificate and key (https). */
  tls: Pick<RequestOptions, 'ca' | 'cert' | 'key'>;
  /** `user:password` for Basic authentication. */
  auth?: string;
  timeoutMs: number;
}

export class InfluxWriteRequests {
  private readonly agent: HttpAgent;
  private readonly path: string;
  private readonly authorization: string | undefined;

  constructor(private readonly target: InfluxWriteTarget) {
    // Keep-alive: a connection per write in flight, reused (the pool relied on Node's global agent).
    this.agent = target.https
      ? new HttpsAgent({ keepAlive: true, ...target.tls })
      : new HttpAgent({ keepAlive: true });
    this.path = `/write?${new URLSearchParams({ db: target.database, precision: 'n' })}`;
    this.authorization =
      target.auth === undefined ? undefined : `Basic ${Buffer.from(target.auth).toString('base64')}`;
  }

  /** Resolves once InfluxDB answered 2xx; rejects with RequestError for any other answer. */
  write(body: Buffer): Promise<void> {
    const { host, port, https, tls, timeoutMs } = this.target;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { 'content-length': body.length };
      if (this.authorization !== undefined) headers.authorization = this.authorization;
      const request = https ? httpsRequest : httpRequest;
      const req = request(
        {
          host,
          port,
          method: 'POST',
          path: this.path,
          headers,
          agent: this.agent,
          timeout: timeoutMs,
          ...tls,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          // An answer cut off before its end (the connection dropped) fails the write: without
          // this its promise would never settle and the sink would wait on it for ever.
          res.on('close', () => {
            if (!res.complete) reject(new Error('InfluxDB closed the connection before its answer ended'));
          });
          if (status >= 200 && status < 300) {
            res.resume();
            res.on('end', () => resolve());
            return;
          }
          RequestError.Create(req, res, reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`InfluxDB did not answer a write within ${timeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
