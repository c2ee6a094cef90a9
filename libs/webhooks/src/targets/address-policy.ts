import { isIPv4, isIPv6 } from 'node:net';

type Range = [bytes: number[], prefixBits: number];

const v4 = (cidr: string): Range => {
  const [ip, bits] = cidr.split('/');
  return [ip.split('.').map(Number), Number(bits)];
};

/**
 * IPv4 ranges a webhook must not reach: this network, RFC 1918, CGNAT (RFC 6598), loopback,
 * link-local (the cloud metadata address 169.254.169.254 included), IETF protocol assignments,
 * documentation, 6to4 relays, benchmarking, multicast, reserved and broadcast.
 */
const V4_BLOCKED: Range[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
].map(v4);

const hex = (...groups: number[]): number[] => groups.flatMap((g) => [g >> 8, g & 0xff]);
/** Global unicast is 2000::/3; inside it these are not reachable hosts: Teredo, documentation (two blocks). */
const V6_GLOBAL: Range = [hex(0x2000), 3];
const V6_BLOCKED_GLOBAL: Range[] = [
  [hex(0x2001, 0), 32],
  [hex(0x2001, 0x0db8), 32],
  [hex(0x3fff, 0), 20],
];
/** Ranges that carry an IPv4 address in their last 32 bits (mapped, NAT64) or bits 16–48 (6to4): the IPv4 address decides. */
const V6_MAPPED: Range = [[...new Array(10).fill(0), 0xff, 0xff], 96];
const V6_NAT64: Range = [hex(0x64, 0xff9b, 0, 0, 0, 0), 96];
const V6_6TO4: Range = [hex(0x2002), 16];

function inRange(bytes: number[], [range, bits]: Range): boolean {
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i / 8] ?? 0) & mask) !== ((range[i / 8] ?? 0) & mask)) return false;
  }
  return true;
}

/** The 16 bytes of an IPv6 address (zone id dropped, an embedded dotted quad understood). */
export function ipv6Bytes(address: string): number[] {
  let text = address.split('%')[0];
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad[1].split('.').map(Number);
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  return hex(...groups);
}

function publicV4(bytes: number[]): boolean {
  return !V4_BLOCKED.some((r) => inRange(bytes, r));
}

/**
 * Whether a webhook may be delivered to `address` (an IP literal) without WEBHOOKS_ALLOW_PRIVATE:
 * a public unicast address. Refused: loopback, private, CGNAT, link-local and cloud metadata,
 * unique-local and site-local IPv6, multicast, unspecified, reserved and documentation ranges,
 * and IPv6 forms that carry a refused IPv4 address (IPv4-mapped, NAT64, 6to4). Anything that is
 * not an IP address is refused too.
 */
export function isPublicAddress(address: string): boolean {
  if (isIPv4(address)) return publicV4(address.split('.').map(Number));
  if (!isIPv6(address)) return false;
  const bytes = ipv6Bytes(address);
  if (inRange(bytes, V6_MAPPED) || inRange(bytes, V6_NAT64)) return publicV4(bytes.slice(12));
  if (inRange(bytes, V6_6TO4)) return publicV4(bytes.slice(2, 6));
  return inRange(bytes, V6_GLOBAL) && !V6_BLOCKED_GLOBAL.some((r) => inRange(bytes, r));
}
