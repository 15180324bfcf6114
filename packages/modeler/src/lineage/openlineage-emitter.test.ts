import { describe, expect, it } from 'vitest';
import { openLineageSettings, redactReceiverUrl } from './openlineage-emitter.js';

describe('openLineageSettings', () => {
  it('puts the endpoint under the base URL and keeps its query', () => {
    expect(openLineageSettings({ OPENLINEAGE_URL: 'https://lineage.example.com/' }, 'f')?.http).toEqual({ url: 'https://lineage.example.com/api/v1/lineage' });
    expect(openLineageSettings({ OPENLINEAGE_URL: 'https://lineage.example.com/ol?token=t1', OPENLINEAGE_ENDPOINT: '/events' }, 'f')?.http).toEqual({ url: 'https://lineage.example.com/ol/events?token=t1' });
  });

  it('sends the API key as Bearer, else the URL user-info as Basic, and never keeps user-info in the URL', () => {
    expect(openLineageSettings({ OPENLINEAGE_URL: 'https://lineage.example.com', OPENLINEAGE_API_KEY: 'k1' }, 'f')?.http).toEqual({ url: 'https://lineage.example.com/api/v1/lineage', authorization: 'Bearer k1' });
    expect(openLineageSettings({ OPENLINEAGE_URL: 'https://ann:p%40ss@lineage.example.com' }, 'f')?.http).toEqual({ url: 'https://lineage.example.com/api/v1/lineage', authorization: `Basic ${Buffer.from('ann:p@ss').toString('base64')}` });
    expect(openLineageSettings({ OPENLINEAGE_URL: 'https://tok3n@lineage.example.com', OPENLINEAGE_API_KEY: 'k1' }, 'f')?.http).toEqual({ url: 'https://lineage.example.com/api/v1/lineage', authorization: 'Bearer k1' });
  });

  it('is off with OPENLINEAGE_DISABLED', () => {
    expect(openLineageSettings({ OPENLINEAGE_DISABLED: 'true', OPENLINEAGE_URL: 'https://x' }, 'f')).toBeUndefined();
  });
});

describe('redactReceiverUrl', () => {
  it.each([
    ['https://ann:s3cret@host/api/v1/lineage', 'https://ann:****@host/api/v1/lineage'],
    ['https://tok3n@host/api/v1/lineage', 'https://****@host/api/v1/lineage'],
    ['https://host/api/v1/lineage?token=t1&api_key=k1&apikey=k2&password=p1&sslpassword=p2&auth=a1&sig=s1&client_secret=c1&page=2', 'https://host/api/v1/lineage?token=****&api_key=****&apikey=****&password=****&sslpassword=****&auth=****&sig=****&client_secret=****&page=2'],
    ['https://host/api/v1/lineage', 'https://host/api/v1/lineage'],
  ])('%s', (url, shown) => {
    expect(redactReceiverUrl(url)).toBe(shown);
  });
});
