import { readFileSync } from 'node:fs';
import { type FrontSettings, startFront } from './front/server.js';

/**
 * Entry of the BinderHub-API front daemon started by `rehearse up local`:
 * `node front-main.js <front-settings.json>`, the hub token in REHEARSE_HUB_TOKEN.
 */
const settingsFile = process.argv[2];
const token = process.env.REHEARSE_HUB_TOKEN;
if (!settingsFile || !token) {
  console.error('usage: REHEARSE_HUB_TOKEN=... node front-main.js <front-settings.json>');
  process.exit(2);
}
const settings = JSON.parse(readFileSync(settingsFile, 'utf8')) as Omit<FrontSettings, 'hubToken'>;
const front = await startFront({ ...settings, hubToken: token });
console.log(`rehearse BinderHub-API front (emulated builds) listening at ${front.url}`);
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.on(sig, () => {
    front.close().finally(() => process.exit(0));
  });
}
