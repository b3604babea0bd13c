import type { CiChecksDefinition } from '../../../ports/adapter-definition.js';
import { GITHUB_CI, githubCiSchema, type GithubCiConfig } from './github-ci-config.js';

/** GitHub's checks API as the CI gate's source (docs/ci.md). The token is read from the environment, never from the config. */
export const githubCiDefinition: CiChecksDefinition<GithubCiConfig> = {
  kind: 'ci-checks',
  name: GITHUB_CI,
  type: GITHUB_CI,
  configSchema: githubCiSchema,
  capabilities: undefined,
  load: async () => {
    const { GithubChecks } = await import('./github-checks.js');
    return (config, deps) => new GithubChecks(config, deps.env);
  },
};
