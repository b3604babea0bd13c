import { describe, expect, it } from 'vitest';
import { maskUrlPastHost, splitUrlCredentials, urlWithoutPassword } from './url-credentials.js';

describe('url-credentials', () => {
  it('moves user info out of a URL into a Basic authorization value, decoded', () => {
    expect(splitUrlCredentials('https://us%20er:p%40ss@hooks.example.com/T0/B0/x?y=1')).toEqual({
      url: 'https://hooks.example.com/T0/B0/x?y=1',
      authorization: `Basic ${Buffer.from('us er:p@ss').toString('base64')}`,
    });
    expect(splitUrlCredentials('https://hooks.example.com/x')).toEqual({ url: 'https://hooks.example.com/x' });
  });

  it('names a webhook by scheme and host only', () => {
    expect(maskUrlPastHost('https://u:p@hooks.example.com:8443/services/T0/B0/x?token=t#f')).toBe('https://***@hooks.example.com:8443/***');
    expect(maskUrlPastHost('http://127.0.0.1:9000/')).toBe('http://127.0.0.1:9000');
    expect(maskUrlPastHost('not a url')).toBe('***');
  });

  it('keeps a URL readable without its password', () => {
    expect(urlWithoutPassword('http://probe:s3cret@127.0.0.1:3000/health?x=1')).toBe('http://probe:***@127.0.0.1:3000/health?x=1');
    expect(urlWithoutPassword('http://127.0.0.1:3000/health?password=s3cret')).toBe('http://127.0.0.1:3000/health?password=***');
    expect(urlWithoutPassword('http://127.0.0.1:3000/health')).toBe('http://127.0.0.1:3000/health');
  });
});
