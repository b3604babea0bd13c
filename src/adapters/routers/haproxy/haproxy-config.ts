import * as z from 'zod';

export const HAPROXY_ROUTER_TYPE = 'haproxy';

// The router in front of the two slots. The router's own names for the slots: haproxy server names
// inside one backend.
export const haproxyTrafficRouterSchema = z.strictObject({
  type: z.literal(HAPROXY_ROUTER_TYPE).describe('haproxy runtime API (`set weight`): switches without a reload, so no connection is dropped.'),
  socket: z.string().min(1).describe('The admin stats socket (`stats socket <path> level admin` in haproxy.cfg).'),
  backend: z.string().min(1).describe('The haproxy backend that holds both slot servers (balance roundrobin or another dynamic one).'),
  servers: z
    .strictObject({ blue: z.string().min(1).default('blue'), green: z.string().min(1).default('green') })
    .prefault({})
    .describe('The haproxy server names of the blue and green slots in that backend.'),
  timeoutMs: z.number().int().min(1).default(5000).describe('Limit for each runtime-API request.'),
});

export type HaproxyRouterConfig = z.infer<typeof haproxyTrafficRouterSchema>;
