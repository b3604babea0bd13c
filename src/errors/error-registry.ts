/**
 * The one registry of coded errors. Every error rewind reports to a person or a script has a code
 * here, an exit code for the CLI, an HTTP status for the server, and a one-line hint saying what to
 * do next. `docs/errors.md` lists exactly these codes; a test keeps the two equal.
 */
export interface ErrorSpec {
  readonly exitCode: number;
  readonly httpStatus: number;
  readonly hint: string;
}

/**
 * The placeholders a hint may use for values the error itself knows: `<env>` is the environment and
 * `<version>` the release the error is about, filled from its `details.env` / `details.version`
 * (RewindError.hint, hintFor). Give an error those details and its hint names them; use these two
 * placeholders for nothing else. Any other `<…>` in a hint (`--config <path>`, `-- rewind:ignore
 * <code> <reason>`) is for the operator to choose and is never filled.
 */
export const HINT_PLACEHOLDERS = ['env', 'version'] as const;

export const ERROR_REGISTRY = {
  REWIND_E_USAGE: { exitCode: 2, httpStatus: 400, hint: 'Run the command with --help to see its arguments and flags.' },
  REWIND_E_CONFIG_NOT_FOUND: { exitCode: 2, httpStatus: 500, hint: 'Run `rewind init` to write a starter rewind.yaml, or pass --config <path>.' },
  REWIND_E_CONFIG_EXISTS: { exitCode: 2, httpStatus: 409, hint: 'Pass --force to overwrite the existing file.' },
  REWIND_E_CONFIG_YAML: { exitCode: 2, httpStatus: 500, hint: 'Fix the YAML syntax at the line and column shown.' },
  REWIND_E_CONFIG_TOO_LARGE: { exitCode: 2, httpStatus: 500, hint: 'Keep rewind.yaml under 1 MiB and its aliases small: each *alias counts as a full copy of what its &anchor holds (docs/config.md, YAML limits).' },
  REWIND_E_CONFIG_INVALID: { exitCode: 2, httpStatus: 500, hint: 'Fix the listed keys; `rewind config schema` prints the full JSON Schema.' },
  REWIND_E_CONFIG_ENV_MISSING: { exitCode: 2, httpStatus: 500, hint: 'Export the variable, or give a default with ${VAR:-default}.' },
  REWIND_E_UNKNOWN_ENV: { exitCode: 2, httpStatus: 404, hint: 'Use one of the environments defined in rewind.yaml.' },
  REWIND_E_BAD_VERSION: { exitCode: 2, httpStatus: 400, hint: 'Versions are SemVer: MAJOR.MINOR.PATCH with optional -prerelease and +build, an optional leading v.' },
  REWIND_E_CONFIRM_REQUIRED: { exitCode: 2, httpStatus: 400, hint: 'Review the plan with --dry-run, then pass --yes to proceed.' },
  REWIND_E_ARTIFACT_NOT_FOUND: { exitCode: 3, httpStatus: 404, hint: 'At `release register`, pass --artifact with an existing directory or .tgz file. At deploy or rollback, neither rewind\'s stored copy nor the registered path holds the release: put the build back at that path, or register the build under a new version.' },
  REWIND_E_ARTIFACT_DIGEST_MISMATCH: { exitCode: 3, httpStatus: 409, hint: 'The artifact changed since it was registered; rebuild it and register a new version.' },
  REWIND_E_ARTIFACT_UNPACK: { exitCode: 3, httpStatus: 500, hint: 'Check that the artifact is a readable directory or gzip tarball and the target path is writable.' },
  REWIND_E_ARTIFACT_STORE: { exitCode: 3, httpStatus: 500, hint: 'rewind keeps a copy of every registered artifact in its store (artifacts.store, docs/config.md#artifacts): make sure that folder is writable, has room and is outside the build folder, then register again; nothing was registered.' },
  REWIND_E_ARTIFACT_UNSAFE: { exitCode: 3, httpStatus: 422, hint: 'The artifact holds an entry rewind does not install (only regular files, directories, and symlinks that resolve inside the release): remove the named entries from the build, then register it again.' },
  REWIND_E_RELEASE_DIGEST_CONFLICT: { exitCode: 3, httpStatus: 409, hint: 'Releases are immutable: give the new build a new version.' },
  REWIND_E_RELEASE_NOT_FOUND: { exitCode: 3, httpStatus: 404, hint: 'Register it first with `rewind release register <env> <version> --artifact <path>`.' },
  REWIND_E_RELEASE_UNTESTED: { exitCode: 3, httpStatus: 409, hint: 'That release did not pass CI; pass --allow-untested if you accept running untested code.' },
  REWIND_E_RELEASE_NOT_GOOD: { exitCode: 3, httpStatus: 409, hint: 'Only releases that reached good are rollback targets; pass --force to override.' },
  REWIND_E_INCIDENT_NOT_FOUND: { exitCode: 3, httpStatus: 404, hint: 'No incident has that id: list them with `rewind incident list`.' },
  REWIND_E_INCIDENT_CLOSED: { exitCode: 4, httpStatus: 409, hint: 'That incident is closed and no longer changes; a new rollback opens a new one.' },
  REWIND_E_CHANGELOG_NOT_CONFIGURED: { exitCode: 2, httpStatus: 400, hint: 'Set incidents.changelog.path in the config to the Keep a Changelog file to annotate (docs/incidents.md).' },
  REWIND_E_CHANGELOG_NOT_FOUND: { exitCode: 3, httpStatus: 404, hint: 'The configured CHANGELOG file does not exist; create it or fix incidents.changelog.path. Nothing was changed.' },
  REWIND_E_CHANGELOG_NO_ENTRY: { exitCode: 4, httpStatus: 409, hint: 'The CHANGELOG has no "## [<version>]" entry for the rolled-back release; add it, then run `rewind incident changelog` again. Nothing was changed.' },
  REWIND_E_CHANGELOG_NO_IMPACT: { exitCode: 4, httpStatus: 409, hint: 'Only an incident with user impact goes in the CHANGELOG: record it with `rewind incident update <id> --impact ...`.' },
  REWIND_E_FLAGS_SOURCE: { exitCode: 4, httpStatus: 409, hint: 'The flag source is missing, unreadable, not a map of flag names to true/false, or holds a non-boolean for a flag rewind sets; fix it and retry. Nothing was written.' },
  REWIND_E_OPERATION_NOT_FOUND: { exitCode: 3, httpStatus: 404, hint: 'No rollback operation has that id: find it with `rewind history` or `rewind status`.' },
  REWIND_E_CHECKLIST_ITEM_UNKNOWN: { exitCode: 2, httpStatus: 400, hint: 'Tick an item the checklist has: see them with `rewind checklist show <operation-id>`.' },
  REWIND_E_NO_LKG: { exitCode: 4, httpStatus: 409, hint: 'No release reached good before the current one; name one with --to <version>.' },
  REWIND_E_NOTHING_TO_DO: { exitCode: 4, httpStatus: 409, hint: 'The environment already runs that release.' },
  REWIND_E_NOTHING_TO_RESUME: { exitCode: 4, httpStatus: 404, hint: 'No interrupted operation was found; `rewind history <env>` shows what ran.' },
  REWIND_E_LOCKED: { exitCode: 5, httpStatus: 423, hint: 'Wait for the holder to finish, or if it is gone run `rewind unlock <env> --force --reason "..."`.' },
  REWIND_E_OPERATION_INTERRUPTED: { exitCode: 5, httpStatus: 409, hint: 'An earlier operation did not finish: run `rewind resume <env>` (or `rewind resume <env> --abandon`).' },
  REWIND_E_INTERRUPTED: { exitCode: 130, httpStatus: 503, hint: 'A signal (Ctrl-C, SIGTERM) stopped the operation at a safe point between two steps: the step in flight finished (a reload completed on every process) and the next did not start. It is unfinished (unless only preflight steps had run: then nothing changed, it is closed, and the command can simply be run again), its lock released, and the message names both steps and what the ledger, the link and the processes name now: `rewind resume <env>` continues it, `rewind resume <env> --abandon` stops it there. A second signal exits at once (130, without this error), naming the step it cut short, which the journal keeps as running and `rewind resume <env>` runs again.' },
  REWIND_E_PREFLIGHT_FAILED: { exitCode: 6, httpStatus: 412, hint: 'Nothing was changed: the message names the preflight step that stopped and its cause code (`cause` with --json; its row in docs/errors.md says what to do); fix that and run the command again.' },
  REWIND_E_DEPLOY_ROLLED_BACK: { exitCode: 7, httpStatus: 500, hint: 'The new release failed and the last known good release serves again; see `rewind history <env>`.' },
  REWIND_E_DEPLOY_FAILED: { exitCode: 8, httpStatus: 500, hint: 'The release failed after activation and was not rolled back; run `rewind rollback <env>`.' },
  REWIND_E_ROLLBACK_FAILED: { exitCode: 9, httpStatus: 500, hint: 'The environment needs a human: read the journal with `rewind history <env> --json`, fix, then `rewind resume <env>`.' },
  REWIND_E_RUNTIME_UNAVAILABLE: { exitCode: 3, httpStatus: 500, hint: 'Install the runtime. PM2 is an optional peer, never bundled: `npm install -g pm2` beside a global rewind, `npm install --save-dev pm2` in the project of a project-local one; the message names the exact command for this install (README, Install).' },
  REWIND_E_PM2_HOME_TOO_LONG: { exitCode: 3, httpStatus: 422, hint: 'Point PM2_HOME at a shorter directory: `target.runtime.pm2Home` in rewind.yaml, or the PM2_HOME variable; for `rewind demo`, a shorter TMPDIR (its sandbox, PM2_HOME included, lives there). Nothing was started or changed.' },
  REWIND_E_RUNTIME_BUSY: { exitCode: 5, httpStatus: 423, hint: 'The runtime is shared (one PM2 daemon per PM2_HOME) and stayed busy longer than `busyTimeoutMs` (another rewind process, or a `pm2 reload` by hand, named in the message); nothing was left half-done by the wait: run the command again, or raise `target.runtime.busyTimeoutMs`.' },
  REWIND_E_COMMAND_FAILED: { exitCode: 1, httpStatus: 500, hint: 'The command shown exited non-zero; its stderr is included.' },
  REWIND_E_LEDGER: { exitCode: 3, httpStatus: 503, hint: 'Check the `ledger:` setting and that the database is reachable; when it failed in the middle of an operation, run `rewind resume <env>` once it is back.' },
  REWIND_E_NO_DATABASE: { exitCode: 2, httpStatus: 404, hint: 'Add a `database:` block (engine, url or path) to the environment in rewind.yaml.' },
  REWIND_E_NO_SMOKE_SUITE: { exitCode: 2, httpStatus: 404, hint: 'Add `environments.<env>.smoke.suite` to rewind.yaml: the suite file, relative to rewind.yaml (docs/config.md#smoke-suite; examples/smoke/minimal.yaml is a start).' },
  REWIND_E_SMOKE_SUITE_NOT_FOUND: { exitCode: 2, httpStatus: 500, hint: 'The file `environments.<env>.smoke.suite` names (shown, resolved against rewind.yaml) does not exist or cannot be read: create it (examples/smoke/minimal.yaml is a start), or point smoke.suite at the right file.' },
  REWIND_E_DB_UNREACHABLE: { exitCode: 3, httpStatus: 503, hint: 'Check `database.url` (host, port, user, password) and that the database server is running.' },
  REWIND_E_BACKUP_FAILED: { exitCode: 1, httpStatus: 500, hint: 'The dump command failed and no backup was recorded; its stderr is included (disk space, privileges, client tools on PATH).' },
  REWIND_E_BACKUP_CORRUPT: { exitCode: 3, httpStatus: 409, hint: 'The backup does not match its recorded sha256 or cannot be read; use another backup (`rewind db list <env>`).' },
  REWIND_E_BACKUP_NOT_FOUND: { exitCode: 3, httpStatus: 404, hint: 'Pass a backup id or path from `rewind db list <env>`.' },
  REWIND_E_RESTORE_FAILED: { exitCode: 1, httpStatus: 500, hint: 'The restore command failed; its stderr is included. A PostgreSQL custom-format restore is one transaction and changed nothing.' },
  REWIND_E_LINT_FINDINGS: { exitCode: 10, httpStatus: 422, hint: 'Each finding names a safe alternative: fix the migration, or after review add `-- rewind:ignore <code> <reason>` above the statement (`rewind lint --help`).' },
  REWIND_E_REPLAY_FAILED: { exitCode: 1, httpStatus: 422, hint: 'A migration failed when replayed into a scratch database (dropped again): fix the migration named, or give the database user CREATEDB.' },
  REWIND_E_DRIFT: { exitCode: 11, httpStatus: 409, hint: 'The live schema differs from what its migrations build: review the listed differences, then write a migration for the wanted ones and revert the rest.' },
  REWIND_E_MIGRATION_BLOCKED: { exitCode: 3, httpStatus: 409, hint: 'The migration history records a failed or dirty migration; resolve it with the migration tool (e.g. `prisma migrate resolve`) before deploying.' },
  REWIND_E_MIGRATION_UNSAFE: { exitCode: 3, httpStatus: 409, hint: 'A pending migration is breaking and has no down migration, so a rollback could not undo it: make it additive (expand/contract), add a down migration, or pass --allow-breaking.' },
  REWIND_E_MIGRATION_FAILED: { exitCode: 1, httpStatus: 500, hint: 'The migration command failed or left migrations unapplied; its output is included. The pre-upgrade backup is recorded for the rollback.' },
  REWIND_E_RESTORE_MISMATCH: { exitCode: 1, httpStatus: 500, hint: 'After the restore the migration table or the critical tables\' row counts differ from the backup\'s record; the safety backup named in the message holds the state before the restore.' },
  REWIND_E_ROLLBACK_UNSAFE: { exitCode: 4, httpStatus: 409, hint: 'Neither a code-only rollback nor a restore is safe (reasons listed): roll forward with a fix, or pass --db skip --yes to roll back the code only, at your own risk.' },
  REWIND_E_PITR_NOT_READY: { exitCode: 3, httpStatus: 409, hint: 'A point-in-time recovery check failed: change the setting each failure names (then restart PostgreSQL if it says so) and run `rewind db pitr check` again.' },
  REWIND_E_CANARY_FAILED: { exitCode: 7, httpStatus: 409, hint: 'The canary failed its analysis at a traffic step (readings of both slots are in the journal); all traffic went back to the stable release.' },
  REWIND_E_WATCH_FAILED: { exitCode: 7, httpStatus: 409, hint: 'A metric failed during the watch window (the measurements are in the journal); the deploy rolled back by itself.' },
  REWIND_E_WATCH_PAUSED: { exitCode: 12, httpStatus: 409, hint: 'The watch window or a canary step could not judge the release (metric source errors or no data): after the watch it is live but not marked good; after a canary step all traffic is back on the stable release. Check the metric source, then run `rewind rollback <env>` or deploy again.' },
  REWIND_E_INTERNAL: { exitCode: 1, httpStatus: 500, hint: 'This is a bug in rewind; please report it with the output of --json.' },
  REWIND_E_PITR_INVALID: { exitCode: 2, httpStatus: 400, hint: 'Nothing was changed: fix the option named (target time as ISO 8601 with a zone, after the base backup and not in the future; a new empty data directory; a free port; quotable paths).' },
  REWIND_E_PITR_FAILED: { exitCode: 1, httpStatus: 500, hint: 'The restored server did not finish recovery and was stopped; read the server log tail included (WAL missing from the archive, a target after the last archived WAL, wrong binaries).' },
  REWIND_E_METRIC_UNAVAILABLE: { exitCode: 3, httpStatus: 503, hint: 'The metric source at the URL shown could not be queried (refused, timed out, HTTP error): check its url, credentials and that it runs; the analysis counts this as an error, never a failure.' },
  REWIND_E_METRIC_QUERY_INVALID: { exitCode: 2, httpStatus: 400, hint: 'The metric source rejected the query shown or answered with more than one number per point in time: fix the query (aggregate several series with sum() or max()).' },
  REWIND_E_ROUTER_INVALID: { exitCode: 2, httpStatus: 400, hint: 'Nothing was changed: weights are whole percentages 0–100 for stable and canary that sum to 100 (e.g. { stable: 90, canary: 10 }); backend names, hosts and ports are plain tokens.' },
  REWIND_E_ROUTER_FAILED: { exitCode: 1, httpStatus: 502, hint: 'The traffic router refused or did not confirm the change (nginx -t / reload output or the haproxy runtime API answer is included); the previous split still applies.' },
  REWIND_E_SSH_HOST_KEY: { exitCode: 3, httpStatus: 502, hint: "The host's SSH key is not the one in `ssh.knownHosts` (changed, or not listed and `hostKeyPolicy` is strict): compare its fingerprint out of band (`ssh-keygen -lf` on the host), then fix the known_hosts file. Nothing was changed on any host." },
  REWIND_E_SSH_UNREACHABLE: { exitCode: 3, httpStatus: 503, hint: "rewind could not open an SSH connection to the host named (refused, timed out, unknown name, key not accepted, or the connection dropped): check that the host and its sshd are up, its port, and `ssh.user` / `ssh.identityFile` or the agent. A refusal before the rollout changed nothing on any host." },
  REWIND_E_FLEET_HOST_FAILED: { exitCode: 7, httpStatus: 502, hint: "A host failed its switch, restart or health check during a fleet rollout: the rollout stopped there and every host already switched was put back on what it ran before, or the message says which could not be (per-host results are in the message and the journal; `rewind status` shows what each host runs). Fix that host or the release, then deploy again." },
  REWIND_E_COMPOSE_UNAVAILABLE: { exitCode: 3, httpStatus: 500, hint: 'Neither `docker compose version` (the v2 plugin) nor `docker-compose version` (v1) answered (their errors are included): install one, or name the one you have with `target.command`, and check that the Docker engine answers (`target.dockerHost` or DOCKER_HOST).' },
  REWIND_E_COMPOSE_FILE_MISSING: { exitCode: 2, httpStatus: 500, hint: 'A file `target.files` names does not exist (shown, resolved against rewind.yaml): fix the path. Nothing was changed.' },
  REWIND_E_COMPOSE_SERVICE_UNKNOWN: { exitCode: 2, httpStatus: 400, hint: 'The release names a service the compose files do not define (the defined ones are listed): fix the --image service name or the compose files. Nothing was changed.' },
  REWIND_E_IMAGE_DIGEST_REQUIRED: { exitCode: 2, httpStatus: 400, hint: "Give the image as repository@sha256:<digest> (`docker image inspect --format '{{json .RepoDigests}}' <image>` shows it after a push), or drop `requireDigests` so rewind resolves the tag once at register. A locally built image needs a push to a registry to have one." },
  REWIND_E_IMAGE_PULL_FAILED: { exitCode: 3, httpStatus: 502, hint: 'docker pull failed (its stderr is included): the registry is unreachable, refuses the credentials of `docker login`, or does not have that digest. Nothing that serves was changed; fix the registry and run the command again.' },
  REWIND_E_COMPOSE_UNHEALTHY: { exitCode: 1, httpStatus: 500, hint: "A container of the release reported unhealthy by its own healthcheck, exited, or did not become healthy within `healthTimeoutMs` (the service and container are named; `docker logs <container>` shows why). rewind's pins were put back; a deploy rolls back as for any failed activation." },
  REWIND_E_COMPOSE_FAILED: { exitCode: 1, httpStatus: 500, hint: "A docker or compose command exited non-zero (its argv and stderr are included); rewind's pins were put back when it was `up`." },
  REWIND_E_HELM_FAILED: { exitCode: 1, httpStatus: 500, hint: "A helm command failed (the release, the command, helm's last lines of output and, after an upgrade or rollback, the revision it made and its status are included): a chart that did not become ready within `target.timeout` ends `failed`. A deploy rolls back to the LKG's recorded revision with `helm rollback`." },
  REWIND_E_HELM_RELEASE_PENDING: { exitCode: 1, httpStatus: 409, hint: "The Helm release's last revision is pending-install / pending-upgrade / pending-rollback (an interrupted helm, helm/helm#4558): every helm operation would fail with 'another operation is in progress'. Nothing was changed. Set `target.recoverPending: true` and run the deploy or rollback again: its activate step first runs `helm rollback` to the last deployed revision, recorded in the journal." },
  REWIND_E_KUBE_UNREACHABLE: { exitCode: 3, httpStatus: 503, hint: "The Kubernetes API server did not answer (refused, timed out, TLS or auth failure, an HTTP error other than 404; its address and the error are included), or the kubeconfig could not be loaded: check `target.kubeconfig` / KUBECONFIG / ~/.kube/config and `target.context`. Nothing was changed by the call that failed." },
  REWIND_E_KUBE_NOT_FOUND: { exitCode: 2, httpStatus: 400, hint: "A Deployment or container the release names is not in `target.deployments`, or does not exist in the namespace (named, with the ones that do): fix the --image name, the config or the cluster. Nothing was changed." },
  REWIND_E_KUBE_ROLLOUT_FAILED: { exitCode: 1, httpStatus: 500, hint: "A Deployment's rollout failed as `kubectl rollout status` decides: its Progressing condition has reason ProgressDeadlineExceeded (the condition's message and the Deployment are included; `kubectl describe deployment` and the pods' events say why). A deploy rolls back to the LKG's recorded images." },
  REWIND_E_KUBE_ROLLOUT_TIMEOUT: { exitCode: 1, httpStatus: 500, hint: "A Deployment's rollout did not finish within `target.rolloutTimeoutMs` (what it was waiting for is included). A deploy rolls back to the LKG's recorded images." },
  REWIND_E_DOCKER_UNAVAILABLE: { exitCode: 3, httpStatus: 503, hint: 'No Docker engine answers where DOCKER_HOST (or the local socket) points, or a program the compose demo uses is missing (named, with its Debian package): start the engine (`sudo systemctl start docker`, or `sudo dockerd &` without systemd) or install what is named, then run the command again. Nothing was changed.' },
  REWIND_E_STATE_UNREACHABLE: { exitCode: 3, httpStatus: 503, hint: 'Check `state.url` (host, port, db, password) and that Redis is running; nothing was changed.' },
  REWIND_E_STATE_SNAPSHOT_FAILED: { exitCode: 1, httpStatus: 500, hint: 'Redis did not take the snapshot (BGSAVE refused or renamed with rename-command, MISCONF after a failed save, the background save failed, or CONFIG refused and state.dataDir / state.dbfilename not set): the message names it; nothing was changed and the deploy stopped in its preflight.' },
  REWIND_E_STATE_RESTORE_FAILED: { exitCode: 1, httpStatus: 500, hint: 'Redis was stopped for the restore and did not come back (the restart argv failed, or it did not answer PING with loading:0 in time): the snapshot is in place in its data directory and the previous append-only file was moved aside, not deleted (named in the journal); start Redis by hand, then `rewind resume <env>`.' },
  REWIND_E_ECS_UNREACHABLE: { exitCode: 3, httpStatus: 503, hint: 'The ECS API did not answer (refused, timed out, DNS) after the SDK\'s 3 attempts: check `target.region`, `target.endpoint` and the network. A failure before UpdateService changed nothing; `rewind status` says what runs once it answers.' },
  REWIND_E_ECS_NOT_FOUND: { exitCode: 2, httpStatus: 404, hint: 'The ECS cluster, service or task definition revision named does not exist in that region (or the credentials cannot see it): fix `target.cluster`, `target.service`, `target.region` or the --task-definition. Nothing was changed.' },
  REWIND_E_ECS_TASK_DEFINITION_INACTIVE: { exitCode: 2, httpStatus: 409, hint: 'The release\'s task definition revision was deregistered (INACTIVE): ECS cannot start new tasks from it. Register a new revision with the same images and register it as a new release. Nothing was changed.' },
  REWIND_E_ECS_CIRCUIT_BREAKER_ROLLBACK: { exitCode: 1, httpStatus: 500, hint: 'ECS\'s deployment circuit breaker failed the rollout (tasks of the new revision kept failing) and ECS rolled the service back by itself: the PRIMARY deployment runs another revision than the one asked for, even though `aws ecs wait services-stable` would succeed. The deploy is recorded as failed and rolls back to the LKG as for any failed activation; see the service\'s events for why the tasks stopped.' },
  REWIND_E_ECS_TIMEOUT: { exitCode: 1, httpStatus: 504, hint: 'The ECS service was not stable on the release within `target.stableTimeoutMs` (the last state is included): tasks still starting, failing without a circuit breaker, or not enough capacity. A deploy rolls back as for any failed activation.' },
  REWIND_E_ECS_API: { exitCode: 1, httpStatus: 502, hint: 'An ECS call failed (the operation and AWS error name are included): AccessDenied means the credentials lack that action (docs/config.md, ECS, lists the least privilege), throttling or a 5xx after the SDK\'s retries means try again.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_REGISTRY;
