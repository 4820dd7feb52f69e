import * as dns from 'node:dns';
import { isPublicUnicast } from '../common/net/ip-policy';
import * as ipaddr from 'ipaddr.js';

export interface LookupAddressEntry {
  address: string;
  family: 4 | 6;
}

export type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddressEntry[],
  family?: 4 | 6,
) => void;

/** The `(hostname, options, callback)` form of `dns.lookup` that Node's http agents and axios call. */
export type LookupFunction = (
  hostname: string,
  options: dns.LookupOptions | number | undefined,
  callback: LookupCallback,
) => void;

/** Raised when a Lacework hostname resolves to an address that is not public unicast. */
export class UnsafeAddressError extends Error {
  readonly code = 'ERR_LACEWORK_UNSAFE_ADDRESS';

  constructor(hostname: string, address: string) {
    super(`${hostname} resolved to non-public address ${address}`);
    this.name = 'UnsafeAddressError';
  }
}

const systemLookup: LookupFunction = (hostname, options, callback) => {
  const base: dns.LookupOptions = typeof options === 'number' ? { family: options } : { ...options };
  dns.lookup(hostname, { ...base, all: true }, (error, addresses) =>
    callback(
      error,
      (addresses ?? []).map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 })),
    ),
  );
};

/** True for hostnames under `lacework.net`, the only domain Lacework serves its API from. */
export function isLaceworkHostname(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.+$/, '');
  return name === 'lacework.net' || name.endsWith('.lacework.net');
}

/** True only for globally routable unicast addresses; IPv4-mapped IPv6 is judged as the IPv4 it carries. */
export function isPublicUnicastAddress(address: string): boolean {
  // One address policy for the whole service: the same classification the URL validators use.
  return ipaddr.isValid(address) && isPublicUnicast(address);
}

/**
 * Wraps a resolver so that `*.lacework.net` names only ever connect to public unicast addresses; any other
 * hostname is resolved unchanged (it is reachable only because an operator allowlisted it).
 */
export function createSafeLookup(resolve: LookupFunction = systemLookup): LookupFunction {
  return (hostname, options, callback) => {
    if (!isLaceworkHostname(hostname)) {
      resolve(hostname, options, callback);
      return;
    }
    const wantsAll = typeof options === 'object' && options.all === true;
    const base: dns.LookupOptions = typeof options === 'number' ? { family: options } : { ...options };
    resolve(hostname, { ...base, all: true }, (error, address, family) => {
      if (error) {
        callback(error, wantsAll ? [] : '');
        return;
      }
      const entries: LookupAddressEntry[] = Array.isArray(address)
        ? address
        : [{ address, family: family ?? (ipaddr.IPv6.isValid(address) ? 6 : 4) }];
      if (entries.length === 0) {
        const notFound: NodeJS.ErrnoException = new Error(`${hostname} has no addresses`);
        notFound.code = 'ENOTFOUND';
        callback(notFound, wantsAll ? [] : '');
        return;
      }
      // Every address is checked, not only the first, so a mixed answer cannot smuggle in a private one.
      const unsafe = entries.find((entry) => !isPublicUnicastAddress(entry.address));
      if (unsafe) {
        callback(new UnsafeAddressError(hostname, unsafe.address), wantsAll ? [] : '');
        return;
      }
      if (wantsAll) {
        callback(null, entries);
      } else {
        callback(null, entries[0].address, entries[0].family);
      }
    });
  };
}

/** `dns.lookup` replacement for the Lacework HTTP client. */
export const safeLookup: LookupFunction = createSafeLookup();
