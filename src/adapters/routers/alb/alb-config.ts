import * as z from 'zod';

export const ALB_ROUTER_TYPE = 'alb';

// An AWS Application Load Balancer listener in front of two target groups, one per slot.
export const albTrafficRouterSchema = z.strictObject({
  type: z.literal(ALB_ROUTER_TYPE).describe("An ALB listener's default forward action, weighted between a blue and a green target group (ModifyListener)."),
  listenerArn: z.string().regex(/^arn:aws[a-z-]*:elasticloadbalancing:/, 'an ELBv2 listener ARN').describe('The listener whose default action rewind rewrites.'),
  blueTargetGroupArn: z.string().regex(/^arn:aws[a-z-]*:elasticloadbalancing:/, 'an ELBv2 target group ARN').describe('The target group of the blue slot.'),
  greenTargetGroupArn: z.string().regex(/^arn:aws[a-z-]*:elasticloadbalancing:/, 'an ELBv2 target group ARN').describe('The target group of the green slot.'),
  region: z.string().regex(/^[a-z0-9-]+$/, 'an AWS region such as eu-west-1').describe('The AWS region of the load balancer.'),
  endpoint: z.url().optional().describe('Overrides the ELBv2 API endpoint (a local fake in tests).'),
});

export type AlbRouterConfig = z.infer<typeof albTrafficRouterSchema>;
