/**
 * Public surface of `delivery/`: where alerts go besides the store. Signed webhooks with retries, the ECS
 * mapping of an alert and the NDJSON alert log.
 */
export { signWebhook, verifyWebhookSignature, WebhookDispatcher } from './webhook.js';
export type { WebhookOptions, WebhookStats } from './webhook.js';
export { alertToEcs, ECS_SEVERITY, ECS_VERSION } from './ecs.js';
export { AlertLog } from './alert-log.js';
export type { AlertLogOptions, AlertLogStats } from './alert-log.js';
