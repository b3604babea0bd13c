import * as z from 'zod';

// Pieces of the config schema that several adapters' schemas and config-schema.ts share.

/** Names end up in file paths, PM2 process names and ledger keys, so they are kept to a safe alphabet. */
export const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, ".", "_" and "-" only, at most 63 characters');
export const argv = z.array(z.string()).min(1, 'an argv array needs at least the program');
export const positiveMs = z.number().int().nonnegative();
export const port = z.number().int().min(1).max(65535);
