const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Link to an alert in the Lacework console, on the organization's own origin (cluster and port included):
 * `<origin>/ui/investigation/monitor/AlertInbox/<alertId>/details?accountName=<subAccount or account>`, where the
 * account is the first label of the organization's host. A URL given without a scheme is taken as https.
 * @throws Error when the organization URL is not an http(s) URL with a host, or the alert id is empty.
 */
export function laceworkConsoleUrl(
  organizationUrl: string,
  alertId: string,
  subAccount: string | null,
): string {
  const raw = organizationUrl.trim();
  let url: URL;
  try {
    url = new URL(HAS_SCHEME.test(raw) ? raw : `https://${raw}`);
  } catch {
    throw new Error(`organization URL "${organizationUrl}" is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`organization URL must be http or https, got ${url.protocol}`);
  }
  const account = url.hostname.split('.')[0];
  if (account === '') {
    throw new Error(`organization URL "${organizationUrl}" has no host`);
  }
  const id = alertId.trim();
  if (id === '') {
    throw new Error('alert id must not be empty');
  }
  const accountName = subAccount?.trim() || account;
  return (
    `${url.origin}/ui/investigation/monitor/AlertInbox/${encodeURIComponent(id)}/details` +
    `?accountName=${encodeURIComponent(accountName)}`
  );
}
