// The options of `emperor systemd-unit` that belong to the unit, not to the emperor it runs.

/** Durations in systemd's syntax (`30s`); watchdog `0` turns it off. */
export interface UnitOptions {
  timeoutStop: string;
  watchdog: string;
}

/** A stop takes each vassal's stop-timeout, dependents first: be generous. */
export const UNIT_DEFAULTS: UnitOptions = { timeoutStop: '300s', watchdog: '30s' };
