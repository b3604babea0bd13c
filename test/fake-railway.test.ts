import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRailway } from './support/fake-railway.js';
import { waitFor } from './support/sandbox.js';

/**
 * The fake Railway API answers as a GraphQL server over HTTP does, with Railway's names: what the
 * railway target relies on is checked here against the fake itself, so a lenient fake cannot make
 * the target's tests pass. (Railway's official CLI cannot be installed here to check it against.)
 */
describe('fake Railway GraphQL API', () => {
  let fake: FakeRailway;
  let projectId: string;
  let environmentId: string;
  let serviceId: string;
  let token: string;
  const post = async (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = { 'project-access-token': token }) => {
    const response = await fetch(fake.endpoint, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
    return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown> | null; errors?: { message: string }[] } };
  };

  beforeAll(async () => {
    fake = await FakeRailway.start();
    projectId = fake.project();
    environmentId = fake.environment(projectId, 'production');
    serviceId = fake.service(projectId, 'web');
    token = fake.token('project', [projectId], environmentId);
  });
  afterAll(async () => {
    await fake?.stop();
  });

  it('runs a deployment through INITIALIZING, BUILDING, DEPLOYING to SUCCESS and removes the one before; a failed build leaves the old one serving', async () => {
    const first = fake.push(serviceId, environmentId, { commit: 'a'.repeat(40), image: 'web:1' });
    const seen = new Set<string>();
    await waitFor(async () => {
      const { body } = await post('query d($id: String!) { deployment(id: $id) { status } }', { id: first.id });
      seen.add((body.data!.deployment as { status: string }).status);
      return seen.has('SUCCESS');
    }, 5000, 5);
    expect([...seen].filter((s) => s !== 'SUCCESS').every((s) => ['INITIALIZING', 'BUILDING', 'DEPLOYING'].includes(s))).toBe(true);
    const second = fake.push(serviceId, environmentId, { commit: 'b'.repeat(40), image: 'web:2' });
    await waitFor(async () => fake.find(second.id).status === 'SUCCESS' || (fake.running(serviceId, environmentId), false), 5000, 5);
    expect(fake.statuses(serviceId, environmentId)).toEqual(['web:1:REMOVED', 'web:2:SUCCESS']);
    const broken = fake.push(serviceId, environmentId, { commit: 'c'.repeat(40), image: 'web:3', behaviour: 'fail-build' });
    await waitFor(async () => (fake.running(serviceId, environmentId), fake.find(broken.id).status === 'FAILED'), 5000, 5);
    expect(fake.running(serviceId, environmentId)).toEqual(['web:2']);
  });

  it('answers the documented list query with edges and nodes, newest first, and canRollback only for a built deployment that is not live', async () => {
    const { status, body } = await post(
      'query deployments($input: DeploymentListInput!, $first: Int) { deployments(input: $input, first: $first) { edges { node { id status canRollback meta } } pageInfo { hasNextPage } } }',
      { input: { projectId, environmentId, serviceId }, first: 10 },
    );
    expect(status).toBe(200);
    const nodes = (body.data!.deployments as { edges: { node: { status: string; canRollback: boolean; meta: { image: string } } }[] }).edges.map((e) => e.node);
    expect(nodes.map((n) => `${n.meta.image}:${n.status}:${n.canRollback}`)).toEqual(['web:3:FAILED:false', 'web:2:SUCCESS:false', 'web:1:REMOVED:true']);
  });

  it('refuses what a GraphQL server refuses, with HTTP 200 and errors: unknown fields, a selection on a Boolean, none on an object, a syntax error, an undeclared variable', async () => {
    const cases: [string, RegExp][] = [
      ['query { deployment(id: "x") { id nope } }', /Cannot query field "nope" on type "Deployment"/],
      ['query { deploymentz(id: "x") { id } }', /Cannot query field "deploymentz" on type "Query"/],
      ['mutation { deploymentRollback(id: "x") { id status } }', /./],
      ['query { service(id: "x") }', /./],
      ['query { deployment(id: "x") { id ', /Syntax Error/],
      ['query { deployment(id: $id) { id } }', /Variable "\$id" is not defined/],
    ];
    const id = fake.deployments[0]!.id;
    for (const [query, message] of cases) {
      const { status, body } = await post(query.replace('"x"', JSON.stringify(id)));
      expect(status, query).toBe(200);
      expect(body.data ?? null, query).toBeNull();
      expect(body.errors?.[0]?.message, query).toMatch(message);
    }
    // deploymentRollback is Boolean! in Railway's schema (the docs' example selects { id status } on it);
    // the document is refused before it runs, so no deployment is made.
    const before = fake.deployments.length;
    expect((await post('mutation r($id: String!) { deploymentRollback(id: $id) { id } }', { id })).body.errors![0]!.message).toMatch(/must not have a selection since type "Boolean!"/);
    expect(fake.deployments.length).toBe(before);
  });

  it('authorizes as Railway does: Project-Access-Token scoped to its environment, Bearer for account tokens, "Not Authorized" otherwise', async () => {
    const staging = fake.environment(projectId, 'staging');
    const stagingToken = fake.token('project', [projectId], staging);
    const account = fake.token('account', [projectId]);
    const query = 'query d($id: String!) { deployment(id: $id) { id } }';
    const id = fake.deployments[0]!.id;
    expect((await post(query, { id }, {})).body.errors![0]!.message).toBe('Not Authorized');
    expect((await post(query, { id }, { 'project-access-token': stagingToken })).body.errors![0]!.message).toBe('Not Authorized');
    expect((await post(query, { id }, { 'project-access-token': 'nope' })).body.errors![0]!.message).toBe('Project Token not found');
    expect((await post(query, { id }, { authorization: `Bearer ${token}` })).body.errors![0]!.message).toBe('Not Authorized');
    expect((await post(query, { id }, { authorization: `Bearer ${account}` })).body.data).toEqual({ deployment: { id } });
    expect((await post(query, { id: '00000000-0000-4000-8000-000000000000' })).body.errors![0]!.message).toBe('Deployment not found');
  });

  it('a rollback is a new deployment of the old image without a build, with the old variables restored', async () => {
    const old = fake.deployments.find((d) => d.image === 'web:1')!;
    fake.setVariables(serviceId, environmentId, { FEATURE: 'new' });
    old.variables = { FEATURE: 'old' };
    const before = fake.deployments.length;
    expect((await post('mutation r($id: String!) { deploymentRollback(id: $id) }', { id: old.id })).body).toEqual({ data: { deploymentRollback: true } });
    const made = fake.deployments[before]!;
    expect(made).toMatchObject({ image: 'web:1', meta: old.meta, skipBuild: true });
    expect(fake.variablesOf(serviceId, environmentId)).toEqual({ FEATURE: 'old' });
    await waitFor(async () => fake.running(serviceId, environmentId).join() === 'web:1', 5000, 5);
    fake.expire(fake.deployments.find((d) => d.image === 'web:2')!.id);
    expect((await post('mutation r($id: String!) { deploymentRollback(id: $id) }', { id: fake.deployments.find((d) => d.image === 'web:2')!.id })).body.errors![0]!.message).toMatch(/cannot be rolled back/);
  });
});
