// What the fleet target runs on a host: fixed POSIX sh scripts (constants, nothing of the config or
// a release in their text) given their values as positional parameters, `sh -c SCRIPT sh ARG...`.
// The argv goes through quoteArgv (shell-quote.ts) like every argv sent over ssh, so a value reaches
// the script as one parameter whatever it holds. Needs sh, readlink, ln, mv -T, tar, sha256sum, df:
// coreutils and GNU tar (Debian, Ubuntu, RHEL). Kamal's commands/ in spirit: argv builders, tested without a host.

import { RELEASE_MARKER } from '../../../artifacts/artifact-tree.js';

const script = (text: string, ...args: string[]): string[] => ['sh', '-c', text, 'sh', ...args];

/** Exit codes of the scripts, for messages. */
export const REMOTE_EXIT = { notPrepared: 44, checksum: 41, unpack: 42 } as const;

/**
 * What a host holds: `link:<where current points>` and one `release:<version>` per unpacked release
 * (a directory with its marker; staging and half-deleted directories start with a dot and are not listed).
 */
export function stateArgv(root: string): string[] {
  return script(
    `cd "$1" 2>/dev/null || { echo link:; exit 0; }
printf 'link:%s\\n' "$(readlink current 2>/dev/null)"
for m in releases/*/"$2"; do [ -f "$m" ] && printf 'release:%s\\n' "$(basename "$(dirname "$m")")"; done
exit 0`,
    root,
    RELEASE_MARKER,
  );
}

export interface HostState {
  /** The release `current` points at, or null. */
  link: string | null;
  installed: string[];
}

export function parseState(stdout: string): HostState {
  let link: string | null = null;
  const installed: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith('link:')) {
      const target = line.slice('link:'.length);
      link = target ? target.split('/').filter(Boolean).pop()! : null;
    } else if (line.startsWith('release:')) installed.push(line.slice('release:'.length));
  }
  return { link, installed };
}

/** Makes `releases/` and prints the marker of `version` (nothing when it is not unpacked). */
export function markerArgv(root: string, version: string): string[] {
  return script(`mkdir -p "$1/releases" && { cat "$1/releases/$2/$3" 2>/dev/null || true; }`, root, version, RELEASE_MARKER);
}

/**
 * Installs an uploaded tarball as releases/<version>: checks its sha256 (what was uploaded is what
 * was verified here), extracts into a dot-named staging directory (never listed as a release), and
 * renames it into place, so a release directory is complete or absent. The upload is removed either way.
 */
export function installArgv(root: string, version: string, upload: string, sha256: string): string[] {
  return script(
    `r="$1/releases"; v="$2"; up="$3"
if ! printf '%s  %s\\n' "$4" "$up" | sha256sum -c --status; then rm -f "$up"; echo "sha256 of the upload is not $4" >&2; exit ${REMOTE_EXIT.checksum}; fi
tmp="$r/.tmp-$v-$$"
rm -rf "$tmp" && mkdir "$tmp" || { rm -f "$up"; exit ${REMOTE_EXIT.unpack}; }
if ! tar -xzf "$up" -C "$tmp" --no-same-owner; then rm -rf "$tmp" "$up"; exit ${REMOTE_EXIT.unpack}; fi
rm -f "$up"
[ -f "$r/$v/$5" ] || rm -rf "$r/$v"
mv -T "$tmp" "$r/$v" || { rm -rf "$tmp"; exit ${REMOTE_EXIT.unpack}; }`,
    root,
    version,
    upload,
    sha256,
    RELEASE_MARKER,
  );
}

const SWITCH = `cd "$1" || exit 1
prev=$(readlink current 2>/dev/null || true)
printf 'prev:%s\\n' "$prev"
if [ -z "$2" ]; then rm -f current; exit 0; fi
[ -f "releases/$2/$3" ] || exit ${REMOTE_EXIT.notPrepared}
[ "$prev" = "releases/$2" ] && exit 0
ln -sfn "releases/$2" "current.tmp-$$" && mv -T "current.tmp-$$" current`;

/**
 * Points `current` at releases/<version> atomically (a new link under a temporary name, `mv -T` over
 * the old: rename is atomic, nothing sees `current` missing). Prints `prev:<what it pointed at>`
 * first. `version` empty: removes `current` (a host put back to "nothing was active").
 */
export function switchArgv(root: string, version: string): string[] {
  return script(SWITCH, root, version, RELEASE_MARKER);
}

/** The lines switchAndActivateArgv's script writes to stderr to say how far it got (parseActivation reads and removes them). */
const PHASE = 'rewind-fleet-phase:';

/** A runtime's activation commands, each as the command line ssh would send (SshConnection.remoteCommandLine). */
export interface ActivationLines {
  check?: string;
  start: string;
  reload: string;
}

/**
 * The link switch and the runtime's activation in one round trip: switchArgv's script (in a subshell:
 * its `exit` ends only that), then, once the link is in place, `check` (output discarded), then
 * `reload` if it exited 0 or there is none, else `start`; the script exits with that command's code.
 * A switch that fails exits with its own code before any runtime command runs. Each command line is
 * POSIX-quoted by rewind (quoteArgv) and run by `eval` in a subshell, as the login shell would run it
 * on its own (its `exec` then replaces the subshell, not the script).
 */
export function switchAndActivateArgv(root: string, version: string, lines: ActivationLines): string[] {
  return script(
    `( ${SWITCH}
)
s=$?
[ "$s" -eq 0 ] || exit "$s"
printf '${PHASE}linked\\n' >&2
action=reload
if [ -n "$4" ] && ! ( eval "$4" ) </dev/null >/dev/null 2>&1; then action=start; fi
printf '${PHASE}%s\\n' "$action" >&2
if [ "$action" = reload ]; then ( eval "$5" ); else ( eval "$6" ); fi`,
    root,
    version,
    RELEASE_MARKER,
    lines.check ?? '',
    lines.reload,
    lines.start,
  );
}

/** What switchAndActivateArgv's script said about itself, and its stderr without those lines. */
export function parseActivation(stderr: string): { linked: boolean; action: 'start' | 'reload' | null; stderr: string } {
  let linked = false;
  let action: 'start' | 'reload' | null = null;
  const rest: string[] = [];
  for (const line of stderr.split('\n')) {
    if (line === `${PHASE}linked`) linked = true;
    else if (line === `${PHASE}reload` || line === `${PHASE}start`) action = line.slice(PHASE.length) as 'start' | 'reload';
    else rest.push(line);
  }
  return { linked, action, stderr: rest.join('\n') };
}

/** Removes releases/<version>: renamed to a dot name first, so a half-deleted directory is never taken for a release. */
export function removeArgv(root: string, version: string): string[] {
  return script(`cd "$1/releases" 2>/dev/null || exit 0; [ -e "$2" ] || exit 0; d=".del-$2-$$"; mv -T "$2" "$d" && rm -rf "$d"`, root, version);
}

/** Free bytes where releases are unpacked (its nearest existing ancestor): `<bytes> <path>`. */
export function freeSpaceArgv(root: string): string[] {
  return script(
    `p="$1/releases"; while [ ! -d "$p" ] && [ "$p" != / ]; do p=$(dirname "$p"); done
df -Pk "$p" | awk -v p="$p" 'NR==2 { printf "%d %s\\n", $4 * 1024, p }'`,
    root,
  );
}
