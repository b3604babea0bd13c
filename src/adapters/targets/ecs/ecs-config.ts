import * as z from 'zod';

export const ECS_TARGET_TYPE = 'ecs';

const ecsSlotSchema = z.strictObject({ service: z.string().min(1).describe('The ECS service (name or ARN) of this slot, registered in its own ALB target group.') });

export const ecsTargetSchema = z.strictObject({
  type: z.literal(ECS_TARGET_TYPE),
  cluster: z.string().min(1).describe('The ECS cluster (name or ARN) the service runs in.'),
  service: z.string().min(1).optional().describe('The ECS service (name or ARN) a release is deployed to with UpdateService. Required unless `slots`.'),
  slots: z
    .strictObject({
      blue: ecsSlotSchema.describe("The first slot's service: the ALB router's blue target group fronts it."),
      green: ecsSlotSchema.describe("The second slot's service: the ALB router's green target group fronts it."),
    })
    .refine((s) => s.blue.service !== s.green.service, { message: 'blue and green need different services', path: ['green', 'service'] })
    .optional()
    .describe('Blue-green through an ALB (traffic.router.type alb): two services of the cluster, each attached to its own target group. A deploy rolls the idle one to the release; the other keeps running the previous one, so a rollback is a listener switch.'),
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
}).refine((t) => (t.service === undefined) !== (t.slots === undefined), { message: 'an ecs target names either service (one service, rolled in place) or slots (two services behind an ALB), not both and not neither', path: ['service'] });

export type EcsTargetConfig = z.output<typeof ecsTargetSchema>;
/** One service's settings: the single-service target's, or one slot's with the slot's service filled in. */
export type EcsServiceConfig = Omit<EcsTargetConfig, 'service' | 'slots'> & { service: string; stateDir: string };
export type EcsSlotsConfig = NonNullable<EcsTargetConfig['slots']>;

/** Whether an ecs target's config (validated or not) runs two slots: zod-free. */
export const ecsHasSlots = (target: { slots?: unknown }): boolean => target.slots !== undefined;
