/** What an operator should do about an integration's last error, by the sync history's error class. */
const ADVICE: Record<string, string> = {
  auth:
    'Lacework refused the API key (401/403): the key was revoked, expired or its secret is wrong — rotate it: ' +
    'download a new key file in the Lacework console and drop it on the integration.',
  rate_limit:
    'Lacework answered 429 (rate limited): the connector waits for the reset by itself; if it keeps happening, ' +
    "lower the integration's requests per hour or share fewer keys between tools.",
  upstream:
    'Lacework did not answer or answered 5xx: usually transient, the next run retries; if it persists, check the ' +
    'organization URL and the network path to it.',
  bad_response:
    "Lacework's answer could not be used: check that the organization URL is the account's API host " +
    '(https://<account>.lacework.net) and that the sub-account exists.',
  internal: 'An error inside the connector: look for the run id in the service log.',
};

/**
 * Advice for the integration's current problem: an authentication error stored on the integration wins; otherwise
 * the error of its latest run when that run did not succeed; null when there is nothing to do.
 */
export function adviceFor(
  authError: string | null,
  lastRun: { status: string; errorClass: string | null } | null,
): string | null {
  if (authError !== null) {
    return ADVICE.auth;
  }
  if (
    lastRun === null ||
    lastRun.status === 'succeeded' ||
    lastRun.status === 'running' ||
    lastRun.errorClass === null
  ) {
    return null;
  }
  return ADVICE[lastRun.errorClass] ?? null;
}
