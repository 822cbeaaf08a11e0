import { isIP } from 'node:net';

/**
 * True for a host that names only this machine: `localhost` (RFC 6761 §6.3 reserves it for the
 * loopback interface, and RFC 8252 §8.3 lets a native client use it), an IPv4 address in
 * 127.0.0.0/8, `::1`, or an IPv4-mapped 127.x address (bracketed or not, in any spelling).
 * Case-insensitive.
 *
 * Where the difference matters (a name can be remapped in `/etc/hosts`), the caller pins the
 * connection to the address it resolved; this function only classifies the name.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host).toLowerCase();
  if (bare === 'localhost') return true;
  const family = isIP(bare);
  if (family === 4) return bare.split('.')[0] === '127';
  if (family === 6) {
    // The URL parser normalises every spelling: `0:0::1` → `[::1]`, `::ffff:127.0.0.1` → `[::ffff:7f00:1]`.
    const normal = new URL(`http://[${bare}]/`).hostname;
    return normal === '[::1]' || normal.startsWith('[::ffff:7f');
  }
  return false;
}
