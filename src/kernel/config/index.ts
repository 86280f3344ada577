export { loadConfig, assertCanRunModules, ConfigError, MODULE_PORTS, type Config, type AuthConfig, type AuthRateLimitName, type LoadOptions, type Settings } from './config.js';
export type { RateSpec } from './settings.js';
export { SETTINGS, MODULE_NAMES, ROLE_NAMES, type ModuleName, type RoleName } from './schema.js';
export { settingsTable } from './docs.js';
