export { loadConfig, assertCanRunModules, isLoopbackHost, ConfigError, COMMAND_SETTINGS, MODULE_PORTS, MODULE_ROUTES, type Config, type LoadOptions, type ModuleSettings, type PlatformConfig, type Settings } from './config.js';
export { bool, int, list, oneOf, optional, str, url, rates, parseRate, formatRates, SettingError, type RateSpec, type Setting, type SettingsTable, type ParsedSettings } from './settings.js';
export { SETTINGS, MODULE_NAMES, ROLE_NAMES, type ModuleName, type RoleName } from './schema.js';
export { settingsTable } from './docs.js';
