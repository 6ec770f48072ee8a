import ipaddr from 'ipaddr.js';

/**
 * Whether an address belongs to the public internet, for calls a client directs (webhooks): a
 * client must not make the server call its own loopback, its network's private or link-local
 * addresses (the cloud metadata service at 169.254.169.254), or any other special range — the
 * classic server-side request forgery. IPv4-mapped IPv6 addresses count as their IPv4 address.
 *
 * `addressRange`: for an IP address literal (IPv6 with or without brackets) that is not public,
 * its range's name (`loopback`, `private`, `linkLocal`, …); undefined for a public address and for
 * anything that is not a literal (a name must be resolved, and its addresses checked, when called).
 */
export function addressRange(host: string): string | undefined {
  const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!ipaddr.isValid(literal)) return undefined;
  const range = ipaddr.process(literal).range();
  return range === 'unicast' ? undefined : range;
}

/** `addressRange`, and `loopback` for the names that always mean this machine (`localhost`, `*.localhost`). */
export function nonPublicRange(host: string): string | undefined {
  return addressRange(host) ?? (/(^|\.)localhost\.?$/i.test(host) ? 'loopback' : undefined);
}
