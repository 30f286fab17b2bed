// `edgewatt serve`: the datacenter side of offload (issue 16). Runs until SIGTERM/SIGINT, then
// answers every request already queued or running before it exits.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { isLoopbackHost, parseApiListen } from '../../agent/api/listen.js';
import { logger } from '../../common/logger.js';
import { trustFromKeyFiles } from '../../protocol/manifest/index.js';
import { startServe } from '../../serve/server.js';
import { resolveConfig } from '../config.js';
import { ConfigError } from '../config-error.js';
import { addSchemaOptions } from '../options.js';
import { modelTrustConfig } from '../schemas/agent-models.js';
import { defaultServerId, identityWarnings, serveSchema } from '../schemas/serve.js';
import { untilSignal } from '../signals.js';

const log = logger('cli.serve');

export function serveCommand(): Command {
  return addSchemaOptions(new Command('serve'), serveSchema, 'serve')
    .description(
      'inference server for offloaded requests: dynamic batching, device credentials, TLS, /metrics, and its energy per request',
    )
    .action(async (_options, command: Command) => {
      const config = await resolveConfig(serveSchema, 'serve', command);
      const listen = parseApiListen(config.listen);
      if (listen === null || listen.kind !== 'tcp')
        throw new ConfigError(`--listen ${config.listen}: expected host:port`);
      if ((config.tlsCert === undefined) !== (config.tlsKey === undefined))
        throw new ConfigError('--tls-cert and --tls-key go together: give both to serve HTTPS, or neither');
      if (config.credentials === undefined) {
        if (!config.insecureNoAuth)
          throw new ConfigError(
            'edgewatt serve needs device credentials: give --credentials <file> (lines "<device> <sha256 of its token>", or the password file provision-device writes); --insecure-no-auth serves without them on loopback',
          );
        if (!isLoopbackHost(listen.host))
          throw new ConfigError(
            `--insecure-no-auth is for loopback only, and --listen ${config.listen} is beyond this machine: give --credentials <file>`,
          );
        log.warn(
          '--insecure-no-auth: any local process may run inferences (development and benchmarks only)',
        );
      } else if (config.insecureNoAuth) {
        throw new ConfigError('--credentials and --insecure-no-auth contradict each other: give one');
      }
      for (const warning of identityWarnings(config)) log.warn(warning);
      const trustConfig = modelTrustConfig(config);
      const server = await startServe({
        host: listen.host,
        port: listen.port,
        tls:
          config.tlsCert === undefined || config.tlsKey === undefined
            ? undefined
            : { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) },
        modelPath: config.model,
        trust: trustFromKeyFiles(trustConfig.trustedKeys ?? [], trustConfig.allowUnsigned ?? false),
        backend: config.backend,
        maxBatchSize: config.maxBatchSize,
        maxQueueDelayMs: config.maxQueueDelayMs,
        maxQueue: config.maxQueue,
        maxBodyBytes: config.maxBodyBytes,
        credentialsPath: config.credentials ?? null,
        identity: {
          id: config.serverId ?? defaultServerId(),
          region: config.gridRegion,
          pueClass: config.pueClass,
        },
        energy: config.energy,
        hostBusyW: config.hostBusyW,
        hostIdleW: config.hostIdleW,
      });
      // A signal while the model loads stops the load's wait too.
      const outcome = await untilSignal(server.ready).catch(async (error: unknown) => {
        await server.close();
        throw error;
      });
      if (outcome === 'done') {
        process.stderr.write(`edgewatt serve: ready on ${server.url}\n`);
        await untilSignal();
      }
      await server.close();
    });
}
