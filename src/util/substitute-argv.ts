/** The placeholders user-given argv may hold: a release's directory, the `current` link, the version. */
export interface ArgvPlaceholders {
  releaseDir: string;
  currentDir: string;
  version: string;
}

/** Substitutes {release_dir}, {current_dir} and {version} inside each argument; never joins into a shell string. */
export function substituteArgv(argv: readonly string[], context: ArgvPlaceholders): string[] {
  const values: Record<string, string> = { release_dir: context.releaseDir, current_dir: context.currentDir, version: context.version };
  return argv.map((arg) => arg.replace(/\{(release_dir|current_dir|version)\}/g, (_, key: string) => values[key]!));
}
