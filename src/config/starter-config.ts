/**
 * What `rewind init` writes: every section of an environment, the optional ones (slots, smoke, watch,
 * notify, database, traffic) commented out, each key with its default. It passes `rewind config check`
 * as written, and with any commented section turned on (test/init-config.test.ts checks both).
 * A commented section is a YAML block whose every line is `<indent># `; docs/config.md explains each key.
 */
export const STARTER_CONFIG = `# rewind.yaml — release ledger and rollback orchestrator configuration.
# Full reference: docs/config.md. JSON Schema for editors: \`rewind config schema > rewind.schema.json\`.
# \${VAR} reads an environment variable (an error if unset); \${VAR:-default} gives a default; $\${ is a literal \${.
# Turn a commented section on by removing the "# " in front of each of its lines.
version: 1

# Where the ledger lives: a SQLite file (relative to this file) or a postgres:// URL for teams.
ledger: ./rewind.db
# ledger: postgres://rewind:\${REWIND_LEDGER_PASSWORD}@db.internal:5432/rewind

log:
  # Every event as one JSON line, appended.
  file: ./rewind-events.log

# rewind copies every registered artifact here (by digest) and deploys and rolls back from the copy,
# so rebuilding or removing the build folder never strands a release. Default: rewind-artifacts/
# beside a SQLite ledger file, or beside this file with a postgres:// ledger.
# artifacts:
#   store: ./rewind-artifacts

# Rollback drills (docs/drills.md): \`rewind status\` warns when an environment's last drill is older
# than this, or it never had one. \`rewind drill\` refuses production environments unless --force --reason.
# drills:
#   maxAgeDays: 90

# One entry per environment. With only one, commands that take <env> use it when you leave it out.
environments:
  production:
    production: true            # \`rewind drill\` refuses it (true is the default for one named production)
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
      # Two warm slots for blue-green or canary (needs traffic: below): a rollback is a traffic switch.
      # slots:
      #   blue: { port: 3001 }
      #   green: { port: 3002 }
      #   host: 127.0.0.1       # where both slots listen, as the router reaches them
      #   portEnv: PORT         # the variable that tells the app its slot's port
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
    # A smoke suite: HTTP steps in order (the first failure skips the rest), cleanup steps always,
    # after every activation and every rollback; a failing step fails the deploy, which rolls back.
    # Format: examples/smoke/minimal.yaml. \`rewind smoke\` runs it on its own.
    # smoke:
    #   suite: ./smoke.yaml               # relative to this file
    #   baseUrl: http://127.0.0.1:3000    # joined to the suite's relative step URLs
    #   timeoutMs: 5000                   # per request
    # Watch a new release before marking it good: measured every interval; a failing metric rolls
    # it back by itself, missing data pauses the deploy and a human decides.
    # watch:
    #   windowMs: 180000                  # 3 minutes
    #   intervalMs: 10000
    #   errorRateThreshold: 0.05          # an error rate above 5 % fails the release
    #   latencyFactor: 1.5                # a p95 more than 50 % above the preflight baseline fails
    #   latencyFloorMs: 50                # the baseline p95 is taken as at least this
    #   source:
    #     type: http-probe                # or prometheus (PromQL queries, see docs/config.md)
    #     url: http://127.0.0.1:3000/     # an ordinary page of the app, not /health
    #     requests: 100                   # per measurement
    #   afterRollbackMs: 1800000          # also watch the restored release 30 min after every rollback
    #                                     # (off when absent; rollback --watch 30m asks for one run)
    deploy:
      autoRollback: true        # roll back to the last known good release when a deploy fails after activation
      baselineHealth: true      # probe the running release before changing anything
      minFreeMb: 100
    lock:
      ttlMs: 60000
    # Who hears about rollbacks, paused watches and failed deploys: one POST per event, with a
    # Slack-ready "text". A webhook that is down only prints a warning.
    # notify:
    #   webhooks:
    #     - url: \${SLACK_WEBHOOK_URL}
    #       events: [rollback_start, rollback_complete, watch_paused, deploy_complete, restore_complete, down_complete, lock_forced]
    #       timeoutMs: 3000
    #       # signingSecret: \${REWIND_WEBHOOK_SECRET}  # signs each POST (HMAC-SHA256; docs/config.md, Signed webhooks)
    #   # slack: [{ webhookUrl: \${SLACK_WEBHOOK_URL} }]            # incident alert and resolution, Block Kit
    #   # pagerduty: [{ routingKey: \${PAGERDUTY_ROUTING_KEY} }]     # an incident per rollback, change events for deploys
    #   # delivery: { maxAttempts: 8, baseMs: 1000, maxMs: 300000, maxAgeMs: 86400000, drainMs: 5000 }  # the outbox's retries
    #   # drills: summary   # rewind drill: a one-line [DRILL] notice, never a page or an incident text; quiet: no PagerDuty; off: nothing
    # The database your releases migrate: backed up before every deploy, restored when a breaking
    # migration has to be undone (see docs/config.md for mysql and sqlite).
    # database:
    #   engine: postgres
    #   url: \${DATABASE_URL}
    #   criticalTables: [users, orders]   # row counts recorded with each backup, checked after a restore
    #   retainDays: 7                     # backups younger than this are never pruned
    #   keep: 5                           # nor the newest 5
    #   migrations:
    #     tool: prisma
    #     dir: prisma/migrations          # relative to the release directory
    #     apply: [npx, prisma, migrate, deploy]
    #     env:
    #       DATABASE_URL: \${DATABASE_URL}
    # Redis next to the database: snapshotted (BGSAVE) before every deploy, restored with the database
    # on a rollback that needs it; the traps (AOF, TTLs) are in docs/config.md.
    # state:
    #   type: redis
    #   url: redis://127.0.0.1:6379/0     # with a password: redis://:PASSWORD@host:6379/0, PASSWORD from an environment variable
    #   prefixes: ["sess:"]               # key counts recorded with each snapshot, checked after a restore
    #   restart: [redis-server, /etc/redis/redis.conf, --daemonize, "yes"]   # starts Redis after a restore
    #   restoreOnRollback: with-database  # or always, never
    # The CI gate (docs/ci.md): whether a release passed CI is read from its commit's check runs on
    # GitHub (release register then needs --commit), and read again at every deploy and rollback.
    # ci:
    #   type: github
    #   repository: your-org/your-app
    #   tokenEnv: GITHUB_TOKEN            # fine-grained token, this repository only: Checks read, Commit statuses read
    #   requiredChecks: [test]            # default: every check on the commit must pass
    # The feature flags a release turns on (release register --flag): a rollback turns them off.
    # flags:
    #   file: ./flags.json                # JSON or YAML the app or a flag daemon reads
    #   # or, instead of file, a flag service's admin API (GET/PUT/DELETE <url>/flags/<key>):
    #   # http: { url: "https://flags.internal/admin", tokenEnv: FLAG_ADMIN_TOKEN }
    # Blue-green or canary through a router in front of the two slots (target.slots above).
    # traffic:
    #   strategy: blue-green              # or canary (needs watch:)
    #   router: { type: haproxy, socket: /run/haproxy/admin.sock, backend: app }
    #   canary: { steps: [10, 50], measurements: 3 }
`;
