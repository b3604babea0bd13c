'use strict';
// rewind's sample app: plain node:http, no dependencies, so it boots in tens of milliseconds.
// Its version and any injected fault come from release.json beside this file, which the demo and the
// tests write per release, e.g. {"version":"1.1.0","fault":{"health":"fail"}}.
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

function readRelease() {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, 'release.json'), 'utf8'));
  } catch {
    return { version: require('./package.json').version };
  }
}

const release = readRelease();
const fault = release.fault || {};
const started = Date.now();
const operatorToken = process.env.OPERATOR_TOKEN || '';
let draining = false;

function send(res, status, body) {
  const text = JSON.stringify(body);
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-release': release.version };
  // While draining, tell keep-alive clients to reconnect (to the new worker) instead of reusing this socket.
  if (draining) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/health') {
    if (fault.health === 'fail') return send(res, 500, { status: 'failing', version: release.version });
    return send(res, 200, { status: 'ok', version: release.version });
  }
  if (url.pathname === '/health/internal') {
    if (!operatorToken || req.headers['x-operator-token'] !== operatorToken) return send(res, 401, { error: 'operator token required' });
    return send(res, 200, { status: 'ok', version: release.version, pid: process.pid, uptimeMs: Date.now() - started, memory: process.memoryUsage().rss });
  }
  if (url.pathname === '/') return send(res, 200, { app: 'rewind-sample-app', version: release.version });
  return send(res, 404, { error: 'not found' });
});

const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';
setTimeout(() => {
  server.listen(port, host, () => {
    if (process.send) process.send('ready');
  });
}, Number(fault.bootDelayMs || 0));

// Graceful stop, which is what makes a reload zero-downtime: PM2 sends SIGINT once the new worker
// listens. Closing at once would reset keep-alive sockets that clients are about to reuse, so for a
// short drain window every answer says `Connection: close`, and only then does the server close.
const drainMs = Number(process.env.DRAIN_MS || 300);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (draining) return;
    draining = true;
    setTimeout(() => server.close(() => process.exit(0)), drainMs).unref();
    setTimeout(() => process.exit(0), drainMs + 2000).unref();
  });
}
