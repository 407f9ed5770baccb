use super::*;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn every_non_public_ipv4_range_is_refused() {
    for blocked in [
        "0.0.0.0",
        "0.1.2.3",
        "10.0.0.1",
        "100.64.0.1",
        "100.127.255.254",
        "127.0.0.1",
        "127.8.8.8",
        "169.254.169.254",
        "169.254.0.1",
        "172.16.0.1",
        "172.31.255.255",
        "192.0.0.8",
        "192.0.2.1",
        "192.88.99.1",
        "192.168.1.1",
        "198.18.0.1",
        "198.19.255.255",
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
    ] {
        assert!(!is_public(ip(blocked)), "{blocked} should be refused");
    }
}

#[test]
fn public_ipv4_addresses_pass() {
    for public in
        ["1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.1", "172.15.0.1", "172.32.0.1", "52.95.110.1"]
    {
        assert!(is_public(ip(public)), "{public} should pass");
    }
}

#[test]
fn every_non_public_ipv6_range_is_refused() {
    for blocked in [
        "::",
        "::1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "febf::1",
        "fec0::1",
        "ff02::1",
        "2001:db8::1",
        "2001::1",
        "100::1",
        "3fff::1",
        // IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms of private addresses
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "::10.1.1.1",
        "64:ff9b::192.168.0.1",
        "2002:7f00:1::",
    ] {
        assert!(!is_public(ip(blocked)), "{blocked} should be refused");
    }
}

#[test]
fn public_ipv6_addresses_pass_including_embedded_public_ipv4() {
    for public in [
        "2606:4700:4700::1111",
        "2a00:1450:4001::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::8.8.8.8",
        "2002:0808:0808::",
    ] {
        assert!(is_public(ip(public)), "{public} should pass");
    }
}

#[test]
fn the_allowlist_lets_named_ranges_through_and_nothing_else() {
    let policy = AddressPolicy::allowing("127.0.0.0/8, ::1/128").unwrap();
    assert!(policy.permits(ip("127.0.0.1")));
    assert!(policy.permits(ip("::1")));
    assert!(!policy.permits(ip("10.0.0.1")));
    assert!(!AddressPolicy::public_only().permits(ip("127.0.0.1")));
    assert!(AddressPolicy::allowing("").unwrap().allowed.is_empty());
    assert_eq!(AddressPolicy::allowing("127.0.0.1/99").unwrap_err(), CidrError("127.0.0.1/99".into()));
}

#[test]
fn urls_need_a_parseable_https_address_without_credentials() {
    let policy = AddressPolicy::public_only();
    assert!(policy.check_url("https://example.com/hook", false).is_ok());
    assert_eq!(policy.check_url("not a url", false), Err(UrlError::Unparsable));
    assert_eq!(policy.check_url("ftp://example.com/", false), Err(UrlError::Scheme));
    assert_eq!(policy.check_url("http://example.com/", false), Err(UrlError::Scheme));
    assert!(policy.check_url("http://example.com/", true).is_ok());
    assert_eq!(policy.check_url("https://user:pw@example.com/", false), Err(UrlError::Credentials));
    assert_eq!(policy.check_url("file:///etc/passwd", true), Err(UrlError::Scheme));
}

#[test]
fn literal_and_numeric_forms_of_private_addresses_are_refused_in_urls() {
    let policy = AddressPolicy::public_only();
    for (url, expected) in [
        ("https://127.0.0.1/", "127.0.0.1"),
        ("https://2130706433/", "127.0.0.1"),
        ("https://0x7f.1/", "127.0.0.1"),
        ("https://0177.0.0.1/", "127.0.0.1"),
        ("https://127.1/", "127.0.0.1"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254"),
        ("https://[::1]/", "::1"),
        ("https://[::ffff:7f00:1]/", "::ffff:127.0.0.1"),
        ("https://[fe80::1]/", "fe80::1"),
    ] {
        assert_eq!(policy.check_url(url, false), Err(UrlError::Blocked(ip(expected))), "{url}");
    }
}

#[test]
fn loopback_names_are_refused_like_loopback_addresses() {
    let policy = AddressPolicy::public_only();
    for url in [
        "https://localhost/hook",
        "https://LOCALHOST./hook",
        "https://api.localhost/hook",
        "https://a.b.localhost./hook",
        "https://localhost:8443/hook",
    ] {
        let refused = policy.check_url(url, false).unwrap_err();
        assert!(matches!(refused, UrlError::LoopbackName(_)), "{url}: {refused:?}");
        assert!(refused.is_blocked(), "{url}");
    }
    assert!(policy.check_url("https://localhost.example.com/hook", false).is_ok(), "only the suffix counts");
    assert!(policy.check_url("https://notlocalhost/hook", false).is_ok());
}

#[test]
fn a_local_allowlist_that_lets_loopback_through_lets_localhost_through() {
    let policy = AddressPolicy::allowing("127.0.0.0/8").unwrap();
    assert!(policy.check_url("http://localhost:9100/hook", true).is_ok());
}
