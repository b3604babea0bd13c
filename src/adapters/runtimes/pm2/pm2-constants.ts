/** The runtime `type` PM2 is configured by; zod-free, for what `status` reads without the schema library. */
export const PM2_RUNTIME_TYPE = 'pm2';
