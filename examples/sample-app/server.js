'use strict';
// rewind's sample app: plain node:http, no dependencies, so it boots in tens of milliseconds.
// Its version and any injected fault come from release.json beside this file, which the demo and the
// tests write per release, e.g. {"version":"1.1.0","fault":{"health":"fail"}}. Faults:
//   health: "fail"       /health answers 500
//   bootDelayMs          listen that much later
//   errorRate (0–1)      that fraction of ordinary requests answers 500. Deterministic, not random:
//                        of the first n ordinary requests (counted from errorAfterMs on) exactly
//                        floor(n × errorRate) fail, so tests can assert exact counts
//   errorAfterMs         errors start that long after the process started (a release that goes bad later)
//   latencyMs, latencyJitterMs   ordinary requests wait latencyMs + [0, latencyJitterMs) before answering
//   auth: "fail"         /auth/login answers 500 (health stays green: only the smoke suite notices)
// The smoke surface, kept in memory (one process): POST /auth/register {email,password} → 201,
// POST /auth/login → {token}, GET /auth/me (Bearer token) → {email}; POST /projects {name} → 201 {id},
// GET /projects → {projects:[…]} newest first, DELETE /projects/:id → 204 (404 if absent).
// "Ordinary" is everything but /health, /health/internal and /metrics: health has its own fault, and
// a broken /metrics would hide the very errors it should show.
// GET /metrics serves Prometheus' text format: http_requests_total{path,status} and the histogram
// http_request_duration_seconds{path}, counting every request (scrapes included). Unknown paths are
// counted as path="other" so a scanner cannot grow the series without bound.
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

// A drill release (`rewind drill`, docs/drills.md) is the running release's code with rewind-drill.json
// beside it: {"drill":true,"failure":"health"|"smoke"|"migration","of":"1.0.0","version":"1.0.0-drill.3"}.
// The app honours it as docs/drills.md asks apps to: it answers with the drill's version, fails /health
// for a health drill and /auth/login (what the smoke suite checks) for a smoke drill.
function readDrill() {
  try {
    return JSON.parse(fs.readFileSync(path.join(__dirname, 'rewind-drill.json'), 'utf8'));
  } catch {
    return null;
  }
}

const drill = readDrill();
const release = drill ? { ...readRelease(), version: drill.version } : readRelease();
const fault = { ...(release.fault || {}), ...(drill?.failure === 'health' ? { health: 'fail' } : {}), ...(drill?.failure === 'smoke' ? { auth: 'fail' } : {}) };
const started = Date.now();
const operatorToken = process.env.OPERATOR_TOKEN || '';
let draining = false;

const ROUTES = new Set(['/', '/health', '/health/internal', '/metrics', '/auth/register', '/auth/login', '/auth/me', '/projects']);
const users = new Map(); // email → password
const sessions = new Map(); // token → email
const projects = new Map(); // id → { id, name, owner }
let nextProjectId = 1;
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const requestCounts = new Map(); // `${path}\0${status}` → count
const durations = new Map(); // path → { buckets: number[], sum, count }

function record(route, status, seconds) {
  const key = `${route}\0${status}`;
  requestCounts.set(key, (requestCounts.get(key) || 0) + 1);
  let histogram = durations.get(route);
  if (!histogram) durations.set(route, (histogram = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
  BUCKETS.forEach((le, i) => {
    if (seconds <= le) histogram.buckets[i]++;
  });
  histogram.sum += seconds;
  histogram.count++;
}

function exposition() {
  const lines = ['# HELP http_requests_total Requests answered, by path and status.', '# TYPE http_requests_total counter'];
  for (const [key, count] of requestCounts) {
    const [route, status] = key.split('\0');
    lines.push(`http_requests_total{path="${route}",status="${status}"} ${count}`);
  }
  lines.push('# HELP http_request_duration_seconds Time from request to response, by path.', '# TYPE http_request_duration_seconds histogram');
  for (const [route, h] of durations) {
    BUCKETS.forEach((le, i) => lines.push(`http_request_duration_seconds_bucket{path="${route}",le="${le}"} ${h.buckets[i]}`));
    lines.push(`http_request_duration_seconds_bucket{path="${route}",le="+Inf"} ${h.count}`);
    lines.push(`http_request_duration_seconds_sum{path="${route}"} ${h.sum}`);
    lines.push(`http_request_duration_seconds_count{path="${route}"} ${h.count}`);
  }
  return `${lines.join('\n')}\n`;
}

function send(res, status, body, contentType = 'application/json') {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  // Counted before the answer leaves, so a client that has its answer can rely on the counter.
  record(res.routePath, status, (performance.now() - res.startedAt) / 1000);
  const headers = { 'content-type': contentType, 'content-length': Buffer.byteLength(text), 'x-release': release.version };
  // While draining, tell keep-alive clients to reconnect (to the new worker) instead of reusing this socket.
  if (draining) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

const errorRate = Math.min(1, Math.max(0, Number(fault.errorRate || 0)));
const errorAfterMs = Number(fault.errorAfterMs || 0);
const latencyMs = Number(fault.latencyMs || 0);
const latencyJitterMs = Number(fault.latencyJitterMs || 0);
let eligible = 0;

/** Whether this ordinary request fails: the n-th fails when floor(n × rate) steps up, spreading errors evenly. */
function injectError() {
  if (errorRate <= 0 || Date.now() - started < errorAfterMs) return false;
  eligible++;
  // The epsilon keeps float products such as 100 × 0.29 = 28.999… from losing an error.
  return Math.floor(eligible * errorRate + 1e-9) > Math.floor((eligible - 1) * errorRate + 1e-9);
}

function handle(req, res, url) {
  if (url.pathname === '/metrics') return send(res, 200, exposition(), 'text/plain; version=0.0.4; charset=utf-8');
  if (url.pathname === '/health') {
    if (fault.health === 'fail') return send(res, 500, { status: 'failing', version: release.version });
    return send(res, 200, { status: 'ok', version: release.version });
  }
  if (url.pathname === '/health/internal') {
    if (!operatorToken || req.headers['x-operator-token'] !== operatorToken) return send(res, 401, { error: 'operator token required' });
    return send(res, 200, { status: 'ok', version: release.version, pid: process.pid, uptimeMs: Date.now() - started, memory: process.memoryUsage().rss });
  }
  if (injectError()) return send(res, 500, { error: 'injected fault', version: release.version });
  if (url.pathname === '/') return send(res, 200, { app: 'rewind-sample-app', version: release.version });
  if (url.pathname.startsWith('/auth/') || url.pathname === '/projects' || url.pathname.startsWith('/projects/')) return readJson(req, res, (body) => api(req, res, url, body));
  return send(res, 404, { error: 'not found' });
}

function readJson(req, res, next) {
  let text = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => {
    text += chunk;
    if (text.length > 65536) req.destroy();
  });
  req.on('end', () => {
    if (!text) return next({});
    try {
      next(JSON.parse(text));
    } catch {
      send(res, 400, { error: 'body is not JSON' });
    }
  });
}

function api(req, res, url, body) {
  const route = `${req.method} ${url.pathname.replace(/^\/projects\/[^/]+$/, '/projects/:id')}`;
  const email = sessions.get(String(req.headers.authorization || '').replace(/^Bearer /, ''));
  switch (route) {
    case 'POST /auth/register':
      if (typeof body.email !== 'string' || typeof body.password !== 'string') return send(res, 400, { error: 'email and password required' });
      if (users.has(body.email)) return send(res, 409, { error: 'already registered' });
      users.set(body.email, body.password);
      return send(res, 201, { email: body.email });
    case 'POST /auth/login': {
      if (fault.auth === 'fail') return send(res, 500, { error: 'injected auth fault', version: release.version });
      if (users.get(body.email) !== body.password) return send(res, 401, { error: 'wrong email or password' });
      const token = require('node:crypto').randomBytes(16).toString('hex');
      sessions.set(token, body.email);
      return send(res, 200, { token });
    }
    case 'GET /auth/me':
      return email ? send(res, 200, { email }) : send(res, 401, { error: 'login required' });
    case 'POST /projects': {
      if (!email) return send(res, 401, { error: 'login required' });
      if (typeof body.name !== 'string' || !body.name) return send(res, 400, { error: 'name required' });
      const project = { id: nextProjectId++, name: body.name, owner: email };
      projects.set(project.id, project);
      return send(res, 201, project);
    }
    case 'GET /projects':
      if (!email) return send(res, 401, { error: 'login required' });
      return send(res, 200, { projects: [...projects.values()].filter((p) => p.owner === email).reverse() });
    case 'DELETE /projects/:id': {
      if (!email) return send(res, 401, { error: 'login required' });
      const project = projects.get(Number(url.pathname.split('/')[2]));
      if (!project || project.owner !== email) return send(res, 404, { error: 'no such project' });
      projects.delete(project.id);
      res.routePath = '/projects';
      return send(res, 204, '');
    }
    default:
      return send(res, 404, { error: 'not found' });
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  res.startedAt = performance.now();
  res.routePath = ROUTES.has(url.pathname) ? url.pathname : 'other';
  const ordinary = url.pathname !== '/metrics' && url.pathname !== '/health' && url.pathname !== '/health/internal';
  const delay = ordinary && (latencyMs > 0 || latencyJitterMs > 0) ? latencyMs + Math.random() * latencyJitterMs : 0;
  if (delay > 0) setTimeout(() => handle(req, res, url), delay);
  else handle(req, res, url);
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
