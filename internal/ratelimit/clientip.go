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
