/**
 * Server options the way JupyterHub and KubeSpawner take them (kubespawner/spawner.py @ 4161d544,
 * `options_from_form`, `_validate_user_options`, `_load_profile`):
 *
 * - REST API: `POST /hub/api/users/{name}/server` (or `/servers/{server_name}`) with the
 *   user_options as the JSON body itself: `{"profile": "<slug>", "<option>": "<choice>",
 *   "<option>--unlisted-choice": "<free value>"}`. JupyterHub ≤ 5 stores the body as user_options
 *   unchanged; 6.0 also accepts `{"user_options": {…}}` and still treats a bare body as options.
 * - Spawn form (`POST /hub/spawn[/<user>[/<server>]]`): fields `profile=<slug>`,
 *   `profile-option-<slug>--<option>=<choice>` and `profile-option-<slug>--<option>--unlisted-choice=<value>`
 *   (the select then carries `unlisted_choice`); `options_from_form` strips the prefix back into
 *   the same user_options.
 *
 * Raw `userOptions` are merged first, so the profile fields win on a clash.
 */
import type { ServerOptionFields } from '../../scenarios/workshop.js';

export const UNLISTED_SUFFIX = '--unlisted-choice';

/** The JSON body of the REST API's start-server call. Undefined when there is nothing to send. */
export function userOptionsBody(o: ServerOptionFields): Record<string, unknown> | undefined {
  const body: Record<string, unknown> = { ...(o.userOptions ?? {}) };
  if (o.profile !== undefined) body.profile = o.profile;
  for (const [name, value] of Object.entries(o.profileOptions ?? {})) {
    if (typeof value === 'string') body[name] = value;
    else body[`${name}${UNLISTED_SUFFIX}`] = value.unlisted;
  }
  return Object.keys(body).length > 0 ? body : undefined;
}

/** The spawn form's fields (name → value, in order), as KubeSpawner's profile form posts them. */
export function profileFormFields(o: ServerOptionFields): [string, string][] {
  if (o.profile === undefined) return [];
  const fields: [string, string][] = [['profile', o.profile]];
  for (const [name, value] of Object.entries(o.profileOptions ?? {})) {
    const key = `profile-option-${o.profile}--${name}`;
    if (typeof value === 'string') fields.push([key, value]);
    else fields.push([key, 'unlisted_choice'], [`${key}${UNLISTED_SUFFIX}`, value.unlisted]);
  }
  return fields;
}

/**
 * KubeSpawner's `options_from_form`, for checking the two encodings against each other: the
 * profile, and every `profile-option-<slug>--` field with the prefix stripped.
 */
export function userOptionsFromForm(form: Record<string, string[]>): Record<string, string> {
  const slug = form.profile?.[0];
  const out: Record<string, string> = {};
  if (!slug) return out;
  out.profile = slug;
  const prefix = `profile-option-${slug}--`;
  for (const [k, v] of Object.entries(form)) {
    if (k.startsWith(prefix) && v[0] !== undefined) out[k.slice(prefix.length)] = v[0];
  }
  return out;
}

/** A short label of a cohort's options for reports: `large image=scipy @workshop`. */
export function describeServerOptions(o: ServerOptionFields): string {
  const parts: string[] = [o.profile ?? 'default profile'];
  for (const [k, v] of Object.entries(o.profileOptions ?? {}))
    parts.push(`${k}=${typeof v === 'string' ? v : `other:${v.unlisted}`}`);
  if (o.userOptions) parts.push(`+${Object.keys(o.userOptions).length} raw option(s)`);
  if (o.server) parts.push(`@${o.server}`);
  return parts.join(' ');
}
