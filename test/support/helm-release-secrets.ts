import { gunzipSync, gzipSync } from 'node:zlib';
import type { FakeKubeApiServer } from './fake-kube-apiserver.js';

/**
 * Helm 3's release Secrets (pkg/storage/driver/secrets.go) as the fake helm writes them into the fake
 * Kubernetes API: read back for assertions, and written the same way to stage a wedge by hand.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface HelmRevision {
  revision: number;
  status: string;
  app_version: string;
  /** The release's `config` (the values it was installed with). */
  values: Record<string, unknown>;
  /** The Secret's labels (owner, name, version, status, createdAt/modifiedAt). */
  labels: Record<string, string>;
  /** The decoded release object itself. */
  release: Json;
}

/** data.release is the API's base64 of Helm's base64(gzip(JSON)). */
export function decodeReleaseSecret(secret: Json): Json {
  const helmEncoded = Buffer.from(String(secret.data.release), 'base64').toString('utf8');
  return JSON.parse(gunzipSync(Buffer.from(helmEncoded, 'base64')).toString('utf8')) as Json;
}

/** The release's revisions in the fake API server, oldest first. */
export function helmRevisions(fake: FakeKubeApiServer, namespace: string, release: string): HelmRevision[] {
  return [...fake.secrets.values()]
    .filter((s) => s.metadata.namespace === namespace && s.type === 'helm.sh/release.v1' && s.metadata.labels?.owner === 'helm' && s.metadata.labels?.name === release)
    .map((s) => {
      const rls = decodeReleaseSecret(s);
      return { revision: rls.version, status: rls.info.status, app_version: rls.chart.metadata.appVersion, values: rls.config ?? {}, labels: s.metadata.labels, release: rls };
    })
    .sort((a, b) => a.revision - b.revision);
}

/** Every Secret of the namespace, as stored (resourceVersions included): to assert nothing changed. */
export function secretsSnapshot(fake: FakeKubeApiServer, namespace: string): string {
  return JSON.stringify([...fake.secrets.values()].filter((s) => s.metadata.namespace === namespace));
}

/** Creates a revision's Secret through the API (POST), encoded as Helm's secret driver does. */
export async function createReleaseSecret(fake: FakeKubeApiServer, namespace: string, rls: Json): Promise<void> {
  const helmEncoded = gzipSync(Buffer.from(JSON.stringify(rls)), { level: 9 }).toString('base64');
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `sh.helm.release.v1.${rls.name}.v${rls.version}`, namespace, labels: { name: rls.name, owner: 'helm', status: rls.info.status, version: String(rls.version), createdAt: String(Math.floor(Date.now() / 1000)) } },
    type: 'helm.sh/release.v1',
    data: { release: Buffer.from(helmEncoded).toString('base64') },
  };
  const res = await fetch(`${fake.url}/api/v1/namespaces/${namespace}/secrets`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(secret) });
  if (res.status !== 201) throw new Error(`creating ${secret.metadata.name}: ${res.status} ${await res.text()}`);
}
