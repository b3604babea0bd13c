/** `url` with its host and port replaced: the same request sent to one server instead of the router in front. */
export function urlOnHost(url: string, host: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = host.includes(':') ? `[${host}]` : host;
  parsed.port = String(port);
  return parsed.toString();
}
