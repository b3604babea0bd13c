import { targetContract } from '../contracts/target-contract.js';
import { SshFleet } from '../support/ssh-fleet.js';

// The Target contract on the fleet with PM2 on its hosts: two real sshd hosts on loopback, each
// with its own PM2_HOME whose daemon the real `pm2` command line drives over ssh (pm2-cli-runtime.ts).
// servedVersions comes from each host's PM2 processes (/proc on the host), not from a status argv.
targetContract({
  name: 'ssh-fleet, 2 hosts, pm2 command line over ssh',
  provider: 'ssh-fleet',
  capabilities: { servedVersions: true, slots: false, releaseDir: false },
  create: async () => {
    const fleet = await SshFleet.start({ hosts: 2, runtime: 'pm2' });
    return {
      target: fleet.target,
      release: (version) => fleet.releases.artifact(version),
      answering: async () => [...new Set((await fleet.perHost()).filter((v): v is string => v !== null))].sort(),
      cleanup: () => fleet.cleanup(),
    };
  },
});
