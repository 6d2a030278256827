import { defineFeatureConfig, IntegerSetting } from '../config/feature-config.js';

export class DevicesVariables {
  /** How long a device token stays known after the last login that presented it. */
  @IntegerSetting(1, 3650)
  DEVICE_TOKEN_DAYS = 365;
}

/** Known devices (issue #20): the device token a login hands out. */
export const devicesConfig = defineFeatureConfig({
  namespace: 'devices',
  title: 'Known devices',
  variables: DevicesVariables,
  settings: (env) => ({
    /** A device is forgotten this long after its last login; each login slides it. */
    deviceTokenTtlSeconds: env.DEVICE_TOKEN_DAYS * 24 * 60 * 60,
  }),
});

export type DevicesConfig = ReturnType<typeof devicesConfig.settings>;
