#!/usr/bin/env node
// What a pushed tag asks for, for examples/github-actions/deploy.yml:
//   v1.4.0            deploy 1.4.0 (build, register, deploy)
//   v1.4.0-rc.2       deploy 1.4.0-rc.2 (a SemVer pre-release is a version like any other)
//   v1.3.2-rollback   roll back to 1.3.2, an already registered release: build nothing
//                     (git tag -a v1.3.2-rollback -m "why"; git push origin v1.3.2-rollback)
// Anything else is refused (exit 1) before a job runs. With $GITHUB_OUTPUT set (in a workflow step),
// `action=` and `version=` are appended to it; they are printed either way.
// No dependencies: copy it into your repository next to the workflow.
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// semver.org's regular expression (numeric parts without leading zeros, dot-separated pre-release and build).
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
const ROLLBACK_SUFFIX = '-rollback';

/** `{ action: 'deploy' | 'rollback', version }` for a tag, or an Error saying why it is not a release tag. */
export function parseReleaseTag(tag) {
  const name = String(tag ?? '').replace(/^refs\/tags\//, '');
  if (!name.startsWith('v')) throw new Error(`tag ${JSON.stringify(name)} is not a release tag: expected vX.Y.Z or vX.Y.Z-rollback`);
  const rest = name.slice(1);
  const rollback = rest.endsWith(ROLLBACK_SUFFIX) && !rest.includes('+');
  const version = rollback ? rest.slice(0, -ROLLBACK_SUFFIX.length) : rest;
  if (!SEMVER.test(version)) throw new Error(`tag ${JSON.stringify(name)}: ${JSON.stringify(version)} is not a SemVer version (X.Y.Z[-pre][+build])`);
  // "v1.2.3-rollback.1" is a valid SemVer pre-release, but surely a mistyped rollback tag (and "v1.2.3-rollback-rollback"
  // a doubled one): a version whose pre-release says "rollback" is refused rather than built or rolled back to.
  if (/(^|[-.])rollback([.-]|$)/.test(version.split('+')[0].split('-').slice(1).join('-'))) {
    throw new Error(`tag ${JSON.stringify(name)} looks like a rollback tag: a rollback tag is exactly v<version>${ROLLBACK_SUFFIX}`);
  }
  return { action: rollback ? 'rollback' : 'deploy', version };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const { action, version } = parseReleaseTag(process.argv[2] ?? process.env.GITHUB_REF_NAME);
    const lines = `action=${action}\nversion=${version}\n`;
    process.stdout.write(lines);
    if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, lines);
  } catch (error) {
    process.stderr.write(`::error::${error.message}\n`);
    process.exit(1);
  }
}
