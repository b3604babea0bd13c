// The set-up `npm test` runs before the build and vitest: the tests drive real programs and servers
// (PostgreSQL 15 and MariaDB with their client tools, nginx, haproxy, Prometheus, supervisor, zstd,
// util-linux, OpenSSH, a Docker engine with docker-compose and docker-registry), so a machine without one of them would fail whole test files at set-up. This installs what is
// missing (as root, with Debian's apt-get), starts PostgreSQL and MariaDB when they do not answer,
// checks that they take the tests' connections, and otherwise says exactly what is missing and the
// command that installs it, exiting non-zero before any test starts. It runs on every `npm test`,
// so when nothing is missing it only looks: file lookups, two TCP connects, one query to each database.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * The programs the tests run, each with the Debian package that brings it and what needs it. A bare
 * name must be on PATH (the code spawns it by name); a path must be at that path.
 */
export const PROGRAMS = [
  { program: `${PG_BIN}/initdb`, pkg: 'postgresql-15', why: 'PITR tests: throwaway PostgreSQL 15 clusters' },
  { program: `${PG_BIN}/pg_ctl`, pkg: 'postgresql-15', why: 'PITR tests: throwaway PostgreSQL 15 clusters' },
  { program: `${PG_BIN}/postgres`, pkg: 'postgresql-15', why: 'PITR tests: throwaway PostgreSQL 15 clusters' },
  { program: `${PG_BIN}/psql`, pkg: 'postgresql-client-15', why: 'PostgreSQL restores, and this set-up' },
  { program: 'psql', pkg: 'postgresql-client-15', why: 'PostgreSQL restores' },
  { program: 'pg_dump', pkg: 'postgresql-client-15', why: 'PostgreSQL backups' },
  { program: 'pg_restore', pkg: 'postgresql-client-15', why: 'PostgreSQL restores' },
  { program: 'mariadb', pkg: 'mariadb-client', why: 'MariaDB restores, and this set-up' },
  { program: 'mariadb-dump', pkg: 'mariadb-client', why: 'MariaDB backups' },
  { program: 'mariadb-admin', pkg: 'mariadb-client', why: 'waiting for MariaDB to start' },
  { program: 'zstd', pkg: 'zstd', why: 'compressed database backups' },
  { program: 'nginx', pkg: 'nginx', why: 'the nginx traffic router (blue-green, canary)' },
  { program: 'haproxy', pkg: 'haproxy', why: 'the haproxy traffic router (blue-green, canary)' },
  { program: 'supervisord', pkg: 'supervisor', why: 'the command runtime under a real supervisord' },
  { program: 'supervisorctl', pkg: 'supervisor', why: 'the command runtime under a real supervisord' },
  { program: '/usr/bin/prometheus', pkg: 'prometheus', why: 'the Prometheus metric source' },
  { program: '/usr/bin/setpriv', pkg: 'util-linux', why: 'children that die with rewind' },
  { program: 'runuser', pkg: 'util-linux', why: 'PostgreSQL clusters run as the postgres user' },
  { program: 'mount', pkg: 'mount', why: 'the full-disk test mounts a small tmpfs' },
  { program: 'umount', pkg: 'mount', why: 'the full-disk test mounts a small tmpfs' },
  { program: 'tar', pkg: 'tar', why: 'artifact tests' },
  { program: 'mkfifo', pkg: 'coreutils', why: 'restores through a FIFO, artifact tests' },
  { program: 'mknod', pkg: 'coreutils', why: 'artifact tests (device files)' },
  { program: 'dd', pkg: 'coreutils', why: 'artifact tests (sparse files)' },
  { program: '/usr/sbin/sshd', pkg: 'openssh-server', why: 'the ssh-fleet target: one real sshd per test host on loopback' },
  { program: 'ssh', pkg: 'openssh-client', why: 'the ssh-fleet target drives its hosts with the OpenSSH client' },
  { program: 'scp', pkg: 'openssh-client', why: 'the ssh-fleet target uploads releases with scp' },
  { program: 'ssh-keygen', pkg: 'openssh-client', why: 'host and client keys of the ssh-fleet test hosts' },
  { program: 'sha256sum', pkg: 'coreutils', why: 'the ssh-fleet target checks each upload on the host' },
  { program: 'dockerd', pkg: 'docker.io', why: 'the compose target: a Docker engine per test file (vfs storage, no bridge, in its temp dir)' },
  { program: '/usr/bin/docker', pkg: 'docker.io', why: 'the compose target: the docker CLI matching that engine (preferred over any other docker on PATH)' },
  { program: 'docker-compose', pkg: 'docker-compose', why: 'the compose target: Compose v1 (1.29), which the tests drive' },
  { program: 'docker-registry', pkg: 'docker-registry', why: 'the compose target: a local registry, so images are pushed and pulled by real digests' },
  { program: '/bin/busybox', pkg: 'busybox-static', why: 'the compose target: the static busybox the test images are built from (FROM scratch)' },
];

/**
 * The servers the tests connect to, how they are started on a Debian machine without systemd, and
 * the programs starting them needs (their packages only when the server has to be started here).
 */
export const SERVICES = [
  {
    name: 'PostgreSQL',
    port: 5432,
    start: (version) => ['pg_ctlcluster', '--skip-systemctl-redirect', version, 'main', 'start'],
    ready: ['pg_isready', '-h', '127.0.0.1', '-p', '5432', '-q'],
    needs: [
      { program: 'pg_ctlcluster', pkg: 'postgresql-common', why: 'starting PostgreSQL' },
      { program: 'pg_isready', pkg: 'postgresql-client-15', why: 'waiting for PostgreSQL to start' },
    ],
    // The tests' connections: postgres and root, trust authentication, databases postgres and test.
    check: [`${PG_BIN}/psql`, '-X', '-w', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', '5432', '-U', 'postgres', '-d', 'postgres', '-c', 'select 1', '-c', '\\c test root', '-c', 'select 1'],
    expects: 'users postgres and root without a password (trust) over 127.0.0.1, databases postgres and test',
  },
  {
    name: 'MariaDB',
    port: 3306,
    start: () => ['start-stop-daemon', '--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd'],
    ready: ['mariadb-admin', 'ping', '-h', '127.0.0.1', '--silent'],
    needs: [
      { program: '/usr/sbin/mariadbd', pkg: 'mariadb-server', why: 'the MariaDB server' },
      { program: 'start-stop-daemon', pkg: 'dpkg', why: 'starting MariaDB' },
    ],
    check: ['mariadb', '-h', '127.0.0.1', '-P', '3306', '-u', 'root', '-D', 'test', '-N', '-e', 'select 1'],
    expects: 'user root without a password over 127.0.0.1, database test',
  },
];

/** Whether `program` can be run: a path must be an executable file there; a bare name, one on PATH. */
export function findProgram(program, path = process.env.PATH ?? '') {
  const candidates = isAbsolute(program) ? [program] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, program));
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function answers(port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * What to do, from what was found. Pure: `facts` are
 * `{ found(program) → boolean, answering: { [service name]: boolean }, root, apt, debian, path }`.
 * Returns the missing programs (each with its package), the packages to install (sorted, unique),
 * the services to start, and whether this process may install (root with apt-get on Debian).
 */
export function planSetup(facts) {
  const toStart = SERVICES.filter((service) => !facts.answering[service.name]);
  const required = [...PROGRAMS, ...toStart.flatMap((service) => service.needs)];
  const missing = required.filter((requirement) => !facts.found(requirement.program));
  const packages = [...new Set(missing.map((requirement) => requirement.pkg))].sort();
  return { missing, packages, toStart, canInstall: facts.root && facts.apt && facts.debian };
}

/** The argv arrays that install `packages` (empty when none is missing). */
export function installCommands(packages) {
  if (packages.length === 0) return [];
  return [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages],
  ];
}

/**
 * The message when programs are missing and this process may not install them, or installed their
 * packages and still does not find them: what is missing, why, and what to do.
 */
export function missingMessage(plan, facts, afterInstall = false) {
  const lines = ['npm test: the tests need programs this machine does not have:'];
  for (const { program, pkg, why } of plan.missing) lines.push(`  ${program}  (Debian package ${pkg}; ${why})`);
  if (afterInstall) {
    lines.push(`Still not found after apt-get install ${plan.packages.join(' ')}: a bare name must be on PATH (${facts.path}).`);
    return lines.join('\n');
  }
  const reason = !facts.debian ? 'this is not a Debian machine' : !facts.apt ? 'apt-get is not on PATH' : 'this is not root';
  lines.push(`Not installed automatically: ${reason}. Install them as root, then run npm test again:`);
  lines.push(`  ${installCommands(plan.packages).map((argv) => argv.filter((arg) => arg !== '-qq').join(' ')).join(' && ')}`);
  return lines.join('\n');
}

/** The message when a service is down and may not be started here. */
export function startMessage(service, argv) {
  return `npm test: ${service.name} does not answer on 127.0.0.1:${service.port}; the tests need it (${service.expects}). Start it as root:\n  ${argv.join(' ')}`;
}

/** Runs argv (never a shell), output to ours; resolves to the exit code (127 when it cannot start). */
export function run(argv, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: options.quiet ? 'ignore' : ['ignore', 'inherit', 'inherit'], env: options.env ?? process.env });
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** Runs argv quietly; its stderr, trimmed, when it failed; null when it succeeded. */
function probe(argv) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PGCONNECT_TIMEOUT: '5' } });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('error', (error) => resolve(error.message));
    child.once('close', (code) => resolve(code === 0 ? null : stderr.trim() || `${argv[0]} exited ${code}`));
  });
}

/** Repeats `argv` until it succeeds, for at most `timeoutMs`. */
async function waitFor(argv, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await run(argv, { quiet: true })) === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The PostgreSQL version whose cluster `main` is started: 15 when it has one, else the first. */
function clusterVersion() {
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort() : [];
  return versions.includes('15') ? '15' : (versions[0] ?? '15');
}

async function gatherFacts(env) {
  const answering = Object.fromEntries(await Promise.all(SERVICES.map(async (service) => [service.name, await answers(service.port)])));
  return {
    path: env.PATH ?? '',
    found: (program) => findProgram(program, env.PATH),
    answering,
    root: process.getuid?.() === 0,
    apt: findProgram('apt-get', env.PATH),
    debian: existsSync('/etc/debian_version'),
  };
}

/** The whole set-up; resolves to the exit code (0: the tests can run). */
export async function main(env = process.env, log = (line) => console.error(line)) {
  let facts = await gatherFacts(env);
  let plan = planSetup(facts);
  if (plan.packages.length > 0) {
    if (!plan.canInstall) {
      log(missingMessage(plan, facts));
      return 1;
    }
    log(`npm test: installing what the tests need: ${plan.packages.join(' ')}`);
    const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const argv of installCommands(plan.packages)) {
      const code = await run(argv, { env: aptEnv });
      if (code !== 0) {
        log(`npm test: ${argv.join(' ')} exited ${code}; the tests cannot run without ${plan.packages.join(', ')}`);
        return 1;
      }
    }
    facts = await gatherFacts(env);
    plan = planSetup(facts);
    if (plan.missing.length > 0) {
      log(missingMessage(plan, facts, true));
      return 1;
    }
  }
  for (const service of plan.toStart) {
    const argv = service.start(clusterVersion());
    if (!facts.root) {
      log(startMessage(service, argv));
      return 1;
    }
    log(`npm test: starting ${service.name}: ${argv.join(' ')}`);
    await run(argv, { env });
    if (!(await waitFor(service.ready, 60_000)) || !(await answers(service.port))) {
      log(`npm test: ${service.name} did not answer on 127.0.0.1:${service.port} within 60 s of: ${argv.join(' ')}`);
      return 1;
    }
  }
  const refused = await Promise.all(SERVICES.map(async (service) => [service, await probe(service.check)]));
  for (const [service, error] of refused) {
    if (error === null) continue;
    log(`npm test: ${service.name} on 127.0.0.1:${service.port} refused the tests' connection (they need ${service.expects}):\n  ${error.split('\n').join('\n  ')}`);
  }
  return refused.some(([, error]) => error !== null) ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
