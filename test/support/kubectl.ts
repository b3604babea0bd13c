import { spawn } from 'node:child_process';
import { dirname } from 'node:path';

/** The real kubectl from Debian's kubernetes-client, used to check the fake Kubernetes API server. */
export const KUBECTL = '/usr/bin/kubectl';

/** Runs kubectl against `kubeconfig` (argv array; HOME next to it so no cache leaks between tests). */
export function kubectl(kubeconfig: string, args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: dirname(kubeconfig) } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
