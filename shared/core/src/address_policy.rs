//! The address policy of the SSRF guard: Hookline POSTs to URLs its customers type in, so it must never
//! become a way into private networks or the instance metadata service. This module decides which
//! addresses and URLs are acceptable; resolving names (and pinning the connection to the checked
//! address) is the job of the lookup port and the HTTP adapter, which both ask this policy.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use url::{Host, Url};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("the URL does not parse")]
    Unparsable,
    #[error("the URL must use https (http only where the deployment allows it)")]
    Scheme,
    #[error("the URL must not carry a user name or password")]
    Credentials,
    #[error("the URL has no host")]
    NoHost,
    #[error("{0} is not a public address")]
    Blocked(IpAddr),
    #[error("{host} resolves to {ip}, which is not a public address")]
    Resolves { host: String, ip: IpAddr },
    /// `localhost` and `*.localhost` mean loopback (RFC 6761), whatever this machine's resolver says.
    #[error("{0} is a loopback name, not a public address")]
    LoopbackName(String),
}

impl UrlError {
    /// The URL is well-formed but points somewhere deliveries may not go.
    pub fn is_blocked(&self) -> bool {
        matches!(self, Self::Blocked(_) | Self::Resolves { .. } | Self::LoopbackName(_))
    }
}

/// Which addresses deliveries may reach: public ones, plus an opt-in allowlist (local development).
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allowed: Vec<IpNet>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a CIDR such as 127.0.0.0/8")]
pub struct CidrError(String);

impl AddressPolicy {
    pub fn public_only() -> Self {
        Self::default()
    }

    /// Comma-separated CIDRs that are let through although not public; empty means none.
    pub fn allowing(cidrs: &str) -> Result<Self, CidrError> {
        let allowed = cidrs
            .split(',')
            .map(str::trim)
            .filter(|cidr| !cidr.is_empty())
            .map(|cidr| cidr.parse().map_err(|_| CidrError(cidr.to_owned())))
            .collect::<Result<_, _>>()?;
        Ok(Self { allowed })
    }

    pub fn permits(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allowed.iter().any(|net| net.contains(&ip))
    }

    /// Checks an endpoint URL as far as can be done without DNS: scheme, credentials, literal addresses
    /// (including the numeric forms WHATWG parsing normalises, such as `http://2130706433/`).
    pub fn check_url(&self, text: &str, allow_http: bool) -> Result<Url, UrlError> {
        let url = Url::parse(text).map_err(|_| UrlError::Unparsable)?;
        match url.scheme() {
            "https" => {}
            "http" if allow_http => {}
            _ => return Err(UrlError::Scheme),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::Credentials);
        }
        let literal = match url.host() {
            None => return Err(UrlError::NoHost),
            Some(Host::Domain(name)) if is_loopback_name(name) => {
                // Treated as the loopback address it stands for, so a local allowlist covers it too.
                return if self.permits(IpAddr::V4(Ipv4Addr::LOCALHOST)) {
                    Ok(url.clone())
                } else {
                    Err(UrlError::LoopbackName(name.to_owned()))
                };
            }
            Some(Host::Domain(_)) => None,
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        };
        match literal {
            Some(ip) if !self.permits(ip) => Err(UrlError::Blocked(ip)),
            _ => Ok(url),
        }
    }
}

/// `localhost`, any name under `.localhost`, with or without the trailing dot of a fully qualified name.
pub fn is_loopback_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// True only for globally routable unicast addresses.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let non_public = a == 0 // "this network", including 0.0.0.0
        || a == 10 // RFC 1918
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local, including 169.254.169.254 (instance metadata)
        || (a == 172 && (16..32).contains(&b)) // RFC 1918
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168) // RFC 1918
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224; // multicast, reserved 240/4 and broadcast
    !non_public
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    // Forms that embed an IPv4 address are judged by that address.
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    let first = segments[0];
    let non_public = ip.is_unspecified()
        || ip.is_loopback()
        || segments[..6] == [0; 6] // IPv4-compatible ::/96 (deprecated) and the rest of ::/96
        || (first == 0x0100 && segments[1..4] == [0; 3]) // discard-only 100::/64
        || (first == 0x2001 && segments[1] < 0x0200) // IETF assignments 2001::/23, incl. Teredo
        || (first == 0x2001 && segments[1] == 0x0db8) // documentation
        || (first == 0x3fff && segments[1] < 0x1000) // documentation 3fff::/20
        || (first & 0xfe00) == 0xfc00 // unique-local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (first & 0xff00) == 0xff00; // multicast
    !non_public
}

/// The IPv4 address inside IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64
/// (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::) addresses.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let from = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    let v4_tail = from(s[6], s[7]);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(v4_tail),
        [0, 0, 0, 0, 0, 0, hi, _] if hi != 0 => Some(v4_tail),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(v4_tail),
        [0x2002, hi, lo, ..] => Some(from(hi, lo)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
