package ratelimit

import (
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address of the client that sent r. Without a
// trusted proxy in front it is the RemoteAddr host: X-Forwarded-For is
// ignored, since any client can write it. When RemoteAddr is inside one of
// trustedProxies, the X-Forwarded-For hops (all header lines, in order) are
// walked from the right and the first hop outside trustedProxies is the
// client: hops to its left were written by the client and may be spoofed.
// If every hop is trusted the left-most one is returned; a hop that is not
// an address ends the walk at the last trusted address seen. Addresses are
// returned in canonical form (IPv4-mapped IPv6 as IPv4, zones and ports
// dropped); a RemoteAddr that is not an address (a Unix socket) is returned
// as is.
func ClientIP(r *http.Request, trustedProxies []netip.Prefix) string {
	remote, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !trusted(remote, trustedProxies) {
		return remote.String()
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := remote
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseAddr(strings.TrimSpace(hops[i]))
		if !ok {
			break
		}
		client = a
		if !trusted(a, trustedProxies) {
			break
		}
	}
	return client.String()
}

// parseAddr reads "ip", "ip:port", "[ipv6]" or "[ipv6]:port" (zones
// allowed), in canonical form.
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func trusted(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// DefaultIPv6PrefixBits is the IPv6 network a client counts as: one
// subscriber usually holds a whole /64, so counting each /128 would hand a
// single client 2^64 fresh buckets.
const DefaultIPv6PrefixBits = 64

// ClientNetwork is ClientIP grouped for limits: an IPv4 address as is, an
// IPv6 address as its network of ipv6Bits bits (e.g. "2001:db8:1:2::/64").
// ipv6Bits outside 1..128 means DefaultIPv6PrefixBits. A RemoteAddr that
// is not an address is returned as is.
func ClientNetwork(r *http.Request, trustedProxies []netip.Prefix, ipv6Bits int) string {
	ip := ClientIP(r, trustedProxies)
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() {
		return ip
	}
	if ipv6Bits < 1 || ipv6Bits > 128 {
		ipv6Bits = DefaultIPv6PrefixBits
	}
	p, err := a.Prefix(ipv6Bits)
	if err != nil {
		return ip
	}
	return p.String()
}
