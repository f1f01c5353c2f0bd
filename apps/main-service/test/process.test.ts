import { describeServiceProcess } from '@skyway/testkit';

// Ready once Redis answers and the results reader has started, shortly after listening.
describeServiceProcess('main-service', {
  invalidEnv: [
    ['PORT', 'abc'],
    ['SEARCH_TIMEOUT_MS', 'soon'],
  ],
  readyBody: { status: 'ready' },
});
