import { targetContract } from '../contracts/target-contract.js';
import { SshFleet } from '../support/ssh-fleet.js';

// The releases target on a fleet of two hosts over SSH: real OpenSSH sshd processes on loopback
// (each its own port, host key and deploy root), the command runtime run on each host over ssh.
// `answering` is the set of versions the fleet's apps answer with (both hosts, deduplicated: the
// fleet is one app); test/targets/ssh-fleet-rollout.test.ts looks at each host on its own.
targetContract({
  name: 'ssh-fleet, 2 hosts, command runtime over ssh',
  provider: 'ssh-fleet',
  capabilities: { servedVersions: true, slots: false, releaseDir: false },
  create: async () => {
    const fleet = await SshFleet.start({ hosts: 2 });
    return {
      target: fleet.target,
      release: (version) => fleet.releases.artifact(version),
      answering: async () => [...new Set((await fleet.perHost()).filter((v): v is string => v !== null))].sort(),
      cleanup: () => fleet.cleanup(),
    };
  },
});
