// The driver's configuration, defined by the config.js that the test writes before
// background.js runs (harness.mjs). For the type check only.
declare const SENDGUARD_E2E: { collectorPort: number };
