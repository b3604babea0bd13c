import * as z from 'zod';
import { argv, positiveMs } from '../../../config/parts/schema-parts.js';

export const REDIS_STORE = 'redis';

export const redisStateSchema = z
  .strictObject({
    type: z.literal(REDIS_STORE).describe('Redis: BGSAVE snapshots, restored by putting the RDB back and restarting the server.'),
    url: z
      .string()
      .regex(/^redis:\/\//, 'a redis:// URL')
      .describe('redis://[:password@]host:port[/db]; write the password as ${REDIS_PASSWORD} (interpolated from the environment): it is sent with AUTH and redacted everywhere.'),
    prefixes: z.array(z.string().min(1)).default([]).describe('Key prefixes whose key counts are recorded with each snapshot and compared after a restore (`sess:`).'),
    restart: argv
      .optional()
      .describe('argv that starts Redis again after a restore and returns once it is started (`[redis-server, /etc/redis/redis.conf, --daemonize, "yes"]`, `[systemctl, start, redis-server]`); rewind assumes no service manager.'),
    restoreOnRollback: z
      .enum(['with-database', 'always', 'never'])
      .default('with-database')
      .describe('with-database: restore the snapshot when the rollback restores the database; always: on every rollback that has a snapshot; never.'),
    dataDir: z.string().min(1).optional().describe('Redis `dir`, for a server whose CONFIG command is renamed or disabled (default: CONFIG GET dir).'),
    dbfilename: z.string().min(1).optional().describe('Redis `dbfilename` when CONFIG is unavailable (default: CONFIG GET dbfilename).'),
    appendDirname: z.string().min(1).optional().describe('Redis 7 `appenddirname` when CONFIG is unavailable (default: CONFIG GET appenddirname).'),
    backupDir: z.string().min(1).optional().describe('Where snapshots are copied (default ./backups/<env>/redis); relative to the config file.'),
    backupLog: z.string().min(1).default('./ops/backups.log').describe('Operator log: one JSON line per snapshot, restore and cleanup; relative to the config file.'),
    keep: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('After each snapshot, remove older snapshot files beyond the newest N, never the newest snapshot of a release that can still be rolled back to (default: keep every snapshot).'),
    timeoutMs: positiveMs.default(600_000).describe('Upper bound for one BGSAVE, and for Redis to load a snapshot after the restart.'),
    cleanup: z
      .strictObject({
        patterns: z.array(z.string().min(1)).default([]).describe('Glob patterns of keys to delete (SCAN + UNLINK, never KEYS): `sess:*`.'),
        flushdb: z.boolean().default(false).describe('FLUSHDB the whole database instead; only when set here explicitly.'),
        on: z.array(z.enum(['deploy', 'rollback'])).min(1).default(['rollback']).describe('Operations that run the cleanup: after the new release is unpacked (deploy), after any restore (rollback).'),
      })
      .refine((c) => c.flushdb || c.patterns.length > 0, { message: 'name patterns, or set flushdb: true', path: ['patterns'] })
      .optional()
      .describe('Session cleanup a deploy or rollback runs, journaled with counts.'),
  })
  .refine((s) => s.restoreOnRollback === 'never' || s.restart !== undefined, {
    message: 'restoring a snapshot restarts Redis: give `restart` (argv), or set restoreOnRollback: never',
    path: ['restart'],
  });

export type RedisStateConfig = z.infer<typeof redisStateSchema>;
