import * as z from 'zod';

export const NGINX_ROUTER_TYPE = 'nginx';

// The upstream in an nginx file rewind owns, in front of the two slots.
export const nginxTrafficRouterSchema = z.strictObject({
  type: z.literal(NGINX_ROUTER_TYPE).describe('Weighted upstream file + `nginx -t` + `nginx -s reload` (a reload closes idle keep-alive connections; see docs/benchmarks.md).'),
  upstreamFile: z.string().min(1).describe('The file rewind owns and replaces on every switch; include it inside `http {}`.'),
  upstream: z.string().min(1).default('rewind_app').describe('The upstream name, as in `proxy_pass http://<name>;`.'),
  binary: z.string().min(1).default('nginx').describe('The nginx program.'),
  configFile: z.string().min(1).optional().describe("nginx's main config (`-c`); default nginx's compiled-in one."),
  prefix: z.string().min(1).optional().describe('The prefix (`-p`) of a non-system nginx.'),
  errorLog: z.string().min(1).optional().describe('The error log nginx uses before it has read its config (`-e`).'),
  pidFile: z.string().min(1).optional().describe("The master's pid file, read to confirm a reload took effect (default /run/nginx.pid)."),
  timeoutMs: z.number().int().min(1).default(10_000).describe('Limit for each nginx command and for new workers to take over.'),
});

export type NginxRouterConfig = z.infer<typeof nginxTrafficRouterSchema>;
