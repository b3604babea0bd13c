import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpProbeSource, HTTP_PROBE_TYPE } from '../../src/adapters/metrics/http-probe/http-probe-sampler.js';
import { freePort } from '../../src/demo/sample-artifacts.js';
import { metricSourceContract } from '../contracts/metric-source-contract.js';

// The HTTP probe against a local HTTP server that answers 200 to everything.
metricSourceContract({
  name: 'http-probe (local HTTP server)',
  provider: 'http-probe',
  type: HTTP_PROBE_TYPE,
  capabilities: { supportsHistory: false },
  skip: [
    {
      reason: 'the probe measures the service itself: a service that does not answer is data (every request an error, error_rate 1), never REWIND_E_METRIC_UNAVAILABLE',
      tests: ['a backend that does not answer rejects with REWIND_E_METRIC_UNAVAILABLE, its password never shown'],
    },
  ],
  create: async () => {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const closed = `http://127.0.0.1:${await freePort()}/`;
    return {
      source: createHttpProbeSource({ url, requests: 10, concurrency: 2, timeoutMs: 2000 }),
      withData: { query: 'error_rate', value: 0 },
      // No request answered, so no latency was observed: null, while error_rate says 1.
      noData: { query: 'latency_p95', source: createHttpProbeSource({ url: closed, requests: 3, concurrency: 1, timeoutMs: 1000 }) },
      invalid: 'latency_p42',
      cleanup: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    };
  },
});
