export { webModule } from './web.module.js';
export type { WebConfig } from './web.settings.js';
