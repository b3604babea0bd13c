import { join } from 'node:path';
import { RewindError } from '../../../errors/rewind-error.js';

/**
 * PM2's client and daemon talk over Unix sockets in PM2_HOME (rpc.sock, pub.sock), and a socket
 * path is limited by the kernel's sun_path: 108 bytes with the terminating NUL on Linux, 104 on
 * macOS and the BSDs. Past that the daemon cannot listen and PM2's client waits for it forever
 * (no error, no timeout), which is how a deep TMPDIR once hung the demo for five minutes. So the
 * length is checked before PM2 is touched, and refused with a coded error.
 */
export const UNIX_SOCKET_PATH_MAX_BYTES = process.platform === 'linux' ? 107 : 103;

/** The sockets PM2's daemon binds in PM2_HOME (the longest decides). */
export const PM2_DAEMON_SOCKETS = ['rpc.sock', 'pub.sock'] as const;

/** null: every socket path of this PM2_HOME fits; else the error to report, before anything changed. */
export function pm2HomeTooLong(pm2Home: string): RewindError | null {
  const longest = PM2_DAEMON_SOCKETS.map((name) => join(pm2Home, name)).sort((a, b) => Buffer.byteLength(b) - Buffer.byteLength(a))[0]!;
  const bytes = Buffer.byteLength(longest);
  if (bytes <= UNIX_SOCKET_PATH_MAX_BYTES) return null;
  return new RewindError(
    'REWIND_E_PM2_HOME_TOO_LONG',
    `PM2_HOME ${pm2Home} is too deep for PM2: its daemon socket ${longest} would be ${bytes} bytes, and a Unix socket path holds at most ${UNIX_SOCKET_PATH_MAX_BYTES}`,
    { pm2Home, socket: longest, bytes, maxBytes: UNIX_SOCKET_PATH_MAX_BYTES },
  );
}
