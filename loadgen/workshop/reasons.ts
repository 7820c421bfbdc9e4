import type { FailureReason } from '../../core/metrics.js';
import { HubApiError } from '../clients/hub-model.js';

/**
 * Failure reasons of the workshop steps. A spawn the hub failed because of the options (KubeSpawner
 * `_get_profile` / `_validate_user_options` messages, or the hub's 400 on the body) is
 * `profile-invalid`, whatever else the spawn failure says.
 */
export function workshopFailureReason(err: unknown): FailureReason | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === 'GITPULL_FAILED') return 'gitpull-failed';
  if (code === 'BROWSER_TIMEOUT') return 'browser-timeout';
  if (code === 'BROWSER_FAILED') return 'browser-failed';
  if (
    err instanceof HubApiError &&
    (err.reason === 'spawn-failed' || err.reason === 'bad-request') &&
    /No such profile|No such choice|Received unlisted_choice|Unable to determine a default choice/.test(
      err.hubMessage ?? err.message,
    )
  )
    return 'profile-invalid';
  return undefined;
}
