#!/usr/bin/env node
import { main } from './rewind-cli.js';

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
process.exitCode = code;
// Everything rewind started has finished by now (operations, notifications, ledger writes); what
// can still hold the event loop is a client library's idle socket or timer (PM2's bus takes ~50 ms to
// wind down). Exit once stdout and stderr are flushed instead of waiting for those.
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => (stream.writableLength === 0 ? resolve() : stream.write('', () => resolve())));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
