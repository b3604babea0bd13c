import { isIP } from 'node:net';
import { RewindError } from '../../errors/rewind-error.js';
import type { RouterBackend, RouterBackends } from '../../ports/traffic-router.js';

// Names and hosts end up inside an nginx config file or an haproxy runtime-API command line, where a
// space, `;`, `#`, `{` or newline would start another directive or command. Plain tokens only.
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** Checks both backends (names distinct, hosts and ports plain). Throws `REWIND_E_ROUTER_INVALID` naming the field. */
export function validateBackends(backends: RouterBackends): RouterBackends {
  const stable = validateBackend('stable', backends?.stable);
  const canary = validateBackend('canary', backends?.canary);
  if (stable.name === canary.name) throw invalid(`backends.stable.name and backends.canary.name must differ, both are ${JSON.stringify(stable.name)}`);
  return { stable, canary };
}

/** A name the router config or runtime API can carry as one token (upstream, haproxy backend). */
export function validateName(field: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw invalid(`${field} must be 1–64 letters, digits, '_', '.' or '-', got ${JSON.stringify(name)}`);
  return name;
}

/** `host:port` as proxies write it: IPv6 addresses in brackets. */
export function hostPort(backend: RouterBackend): string {
  return isIP(backend.host) === 6 ? `[${backend.host}]:${backend.port}` : `${backend.host}:${backend.port}`;
}

function validateBackend(role: 'stable' | 'canary', backend: RouterBackend | undefined): RouterBackend {
  if (typeof backend !== 'object' || backend === null) throw invalid(`backends.${role} must be { name, host, port }`);
  const name = validateName(`backends.${role}.name`, backend.name);
  const bare = typeof backend.host === 'string' ? backend.host.replace(/^\[(.*)\]$/, '$1') : backend.host;
  if (typeof bare !== 'string' || (isIP(bare) === 0 && !HOSTNAME.test(bare))) {
    throw invalid(`backends.${role}.host must be a hostname or an IP address, got ${JSON.stringify(backend.host)}`);
  }
  if (!Number.isInteger(backend.port) || backend.port < 1 || backend.port > 65535) {
    throw invalid(`backends.${role}.port must be a port 1–65535, got ${JSON.stringify(backend.port)}`);
  }
  return { name, host: bare, port: backend.port };
}

function invalid(message: string): RewindError {
  return new RewindError('REWIND_E_ROUTER_INVALID', message);
}
