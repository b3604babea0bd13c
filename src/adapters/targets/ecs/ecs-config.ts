import * as z from 'zod';

export const ECS_TARGET_TYPE = 'ecs';

export const ecsTargetSchema = z.strictObject({
  type: z.literal(ECS_TARGET_TYPE),
  cluster: z.string().min(1).describe('The ECS cluster (name or ARN) the service runs in.'),
  service: z.string().min(1).describe('The ECS service (name or ARN) a release is deployed to with UpdateService.'),
  region: z.string().regex(/^[a-z0-9-]+$/, 'an AWS region such as eu-west-1').describe('The AWS region of the cluster.'),
  endpoint: z
    .url()
    .optional()
    .describe('Overrides the ECS API endpoint (a VPC endpoint, or a local fake in tests). Default: the region\'s public endpoint.'),
  stateDir: z
    .string()
    .min(1)
    .optional()
    .describe('Where rewind keeps the record of each prepared release (its task definition ARN and images). Default: rewind-ecs/<env> next to rewind.yaml.'),
  keep: z.number().int().min(1).default(5).describe('Prepared releases whose records are kept (the task definitions themselves are never deregistered by rewind).'),
  requireDigests: z.boolean().default(true).describe('Refuse a task definition whose container images are not pinned by digest (repository@sha256:...).'),
  stableTimeoutMs: z.number().int().min(1000).default(600_000).describe('How long activate waits for the service to be stable on the release (aws ecs wait services-stable waits 10 minutes).'),
  pollMs: z.number().int().min(10).default(15_000).describe('How often DescribeServices is asked while waiting (the aws CLI waiter asks every 15 s).'),
});

export type EcsTargetConfig = z.output<typeof ecsTargetSchema>;
