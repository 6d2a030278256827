import { defineFeatureConfig, IntegerSetting } from '../../config/feature-config.js';

export class ChangeFeedVariables {
  /**
   * How often each instance asks PostgreSQL what changed that no message announced: a lost
   * one, or a change made in plain SQL. The safety net under the change feed.
   */
  @IntegerSetting(1, 3600)
  CHANGE_FEED_POLL_SECONDS = 1;
}

/** What keeps each instance's memory of revocations and users current. */
export const changeFeedConfig = defineFeatureConfig({
  namespace: 'changeFeed',
  title: 'Change feed',
  variables: ChangeFeedVariables,
  settings: (env) => ({
    /** How often the database is polled for changes no message announced. */
    pollIntervalMs: env.CHANGE_FEED_POLL_SECONDS * 1000,
  }),
});

export type ChangeFeedConfig = ReturnType<typeof changeFeedConfig.settings>;
