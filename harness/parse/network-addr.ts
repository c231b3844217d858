// The IPv4 address of one interface, from `ip -4 addr show dev X` or, where iproute2 is missing, `ifconfig X`
// (busybox/toybox print `inet addr:A Mask:M`, net-tools prints `inet A netmask M`).
import { parseCidr, parseIpv4, prefixOfMask, type Cidr } from './network-ipv4.ts';

export interface IfaceAddress {
  address: string;
  prefix: number;
  /** the subnet the address belongs to, e.g. 172.17.0.0/16 */
  subnet: Cidr;
}

export function parseIfaceAddresses(text: string): IfaceAddress[] {
  const out: IfaceAddress[] = [];
  for (const line of text.split('\n')) {
    let address: string | undefined;
    let prefix: number | undefined;
    const ipStyle = /^\s*inet\s+(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})\b/.exec(line);
    const boxStyle = /^\s*inet addr:\s*(\d+\.\d+\.\d+\.\d+)\b.*\bMask:\s*(\d+\.\d+\.\d+\.\d+)/.exec(line);
    const netTools = /^\s*inet\s+(\d+\.\d+\.\d+\.\d+)\s+netmask\s+(\d+\.\d+\.\d+\.\d+)/.exec(line);
    if (ipStyle) [address, prefix] = [ipStyle[1], Number(ipStyle[2])];
    else if (boxStyle) [address, prefix] = [boxStyle[1], prefixOfMask(boxStyle[2]!)];
    else if (netTools) [address, prefix] = [netTools[1], prefixOfMask(netTools[2]!)];
    if (address === undefined || prefix === undefined || parseIpv4(address) === undefined) continue;
    const subnet = parseCidr(`${address}/${prefix}`);
    if (subnet) out.push({ address, prefix, subnet });
  }
  return out;
}
