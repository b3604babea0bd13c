/** What `rewind init` writes: every key, commented, with the defaults. docs/config.md explains each. */
export const STARTER_CONFIG = `# rewind.yaml — release ledger and rollback orchestrator configuration.
# Full reference: docs/config.md. JSON Schema for editors: \`rewind config schema > rewind.schema.json\`.
# \${VAR} reads an environment variable (an error if unset); \${VAR:-default} gives a default; $\${ is a literal \${.
version: 1

# Where the ledger lives: a SQLite file (relative to this file) or a postgres:// URL for teams.
ledger: ./rewind.db
# ledger: postgres://rewind:\${REWIND_LEDGER_PASSWORD}@db.internal:5432/rewind

log:
  # Every event as one JSON line (pino), appended.
  file: ./rewind-events.log

# rewind copies every registered artifact here (by digest) and deploys and rolls back from the copy,
# so rebuilding or removing the build folder never strands a release. Default: rewind-artifacts/
# beside a SQLite ledger file, or beside this file with a postgres:// ledger.
# artifacts:
#   store: ./rewind-artifacts

environments:
  production:
    target:
      type: releases            # releases/<version>/ plus an atomically switched \`current\` symlink
      path: /srv/myapp          # deploy root
      keep: 5                   # release directories kept (current, LKG and in-use ones never pruned)
      runtime:
        type: pm2               # or: command (argv arrays for systemd and the like, see docs/config.md)
        name: myapp
        script: server.js       # relative to the release directory
        execMode: cluster       # cluster reloads with zero downtime; fork restarts
        instances: 2
        env:
          PORT: "3000"
        # pm2Home: /var/lib/myapp/.pm2
    health:
      url: http://127.0.0.1:3000/health
      expectStatus: 200
      # headers:
      #   x-operator-token: \${OPERATOR_TOKEN}
      json:
        status: ok
        version: "{{version}}"  # the release being checked
      timeoutMs: 2000
      retries: 5
      backoffMs: 200
      maxBackoffMs: 2000
      readinessDelayMs: 0
    deploy:
      autoRollback: true        # roll back to the last known good release when a deploy fails after activation
      baselineHealth: true      # probe the running release before changing anything
      minFreeMb: 100
    lock:
      ttlMs: 60000
    # The database your releases migrate: backed up before every deploy, restored when a breaking
    # migration has to be undone (see docs/config.md for mysql and sqlite).
    # database:
    #   engine: postgres
    #   url: \${DATABASE_URL}
    #   criticalTables: [users, orders]   # row counts recorded with each backup, checked after a restore
    #   migrations:
    #     tool: prisma
    #     dir: prisma/migrations          # relative to the release directory
    #     apply: [npx, prisma, migrate, deploy]
    #     env:
    #       DATABASE_URL: \${DATABASE_URL}
    # Blue-green or canary: two warm slots behind haproxy (or nginx), so a rollback is a traffic
    # switch. Add under target:  slots: { blue: { port: 3001 }, green: { port: 3002 } }
    # traffic:
    #   strategy: blue-green              # or canary (needs watch:), see docs/config.md
    #   router: { type: haproxy, socket: /run/haproxy/admin.sock, backend: app }
    #   canary: { steps: [10, 50], measurements: 3 }
`;
