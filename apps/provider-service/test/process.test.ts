import { describeServiceProcess } from '@skyway/testkit';

// Ready once Redis answers and the consumer group is joined, shortly after listening.
describeServiceProcess('provider-service', {
  invalidEnv: [
    ['PORT', 'abc'],
    ['SUPPLIER_URLS', 'ftp://x'],
  ],
  readyBody: { status: 'ready', checks: { redis: 'ok', consumerGroup: 'ok' } },
});
