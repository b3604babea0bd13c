import { RewindError } from '../errors/rewind-error.js';

// The grammar from semver.org (2.0.0), anchored; it admits no whitespace, shell metacharacters or path
// separators, so a validated version is safe to use as a directory name.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const MAX_VERSION_LENGTH = 128;

/**
 * Validates a release version and returns its canonical form (without the optional leading `v` that
 * git tags carry). Throws REWIND_E_BAD_VERSION naming the offending string.
 */
export function parseVersion(input: string, what = 'version'): string {
  const candidate = input.startsWith('v') ? input.slice(1) : input;
  if (input.length > MAX_VERSION_LENGTH || !SEMVER.test(candidate)) {
    throw new RewindError('REWIND_E_BAD_VERSION', `${what} ${JSON.stringify(input)} is not a SemVer version (expected e.g. 1.4.0 or v1.4.0-rc.1)`, {
      argument: what,
      value: input,
    });
  }
  return candidate;
}
