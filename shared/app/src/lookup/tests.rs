use std::net::IpAddr;

use super::*;
use crate::testing::ScriptedLookup;

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn answers(answers: Vec<Vec<&str>>) -> Arc<ScriptedLookup> {
    Arc::new(ScriptedLookup::new(answers.into_iter().map(|ips| ips.into_iter().map(ip).collect()).collect()))
}

fn resolver(script: Vec<Vec<&str>>) -> GuardedLookup {
    GuardedLookup::new(AddressPolicy::public_only(), answers(script))
}

#[tokio::test]
async fn a_name_that_rebinds_to_a_private_address_is_refused_on_the_lookup_that_connects() {
    let resolver = resolver(vec![vec!["93.184.216.34"], vec!["127.0.0.1"]]);
    assert_eq!(resolver.resolve_checked("rebind.example").await.unwrap(), vec![ip("93.184.216.34")]);
    let second = resolver.resolve_checked("rebind.example").await;
    assert!(matches!(second, Err(ResolveError::Blocked { first, .. }) if first == ip("127.0.0.1")));
}

#[tokio::test]
async fn only_the_permitted_addresses_of_a_mixed_answer_are_returned() {
    let resolver = resolver(vec![vec!["10.0.0.1", "93.184.216.34", "169.254.169.254"]]);
    assert_eq!(resolver.resolve_checked("mixed.example").await.unwrap(), vec![ip("93.184.216.34")]);
}

#[tokio::test]
async fn an_empty_answer_is_a_dns_failure_not_a_block() {
    let resolver = resolver(vec![vec![]]);
    assert!(matches!(resolver.resolve_checked("nothing.example").await, Err(ResolveError::NotFound { .. })));
}

#[tokio::test]
async fn a_url_whose_name_resolves_only_to_private_addresses_is_refused_when_written() {
    let guard =
        UrlGuard::new(AddressPolicy::public_only(), false, answers(vec![vec!["10.1.2.3", "fd00::1"]]));
    let refused = guard.check("https://internal.example.com/hook").await.unwrap_err();
    assert_eq!(refused, UrlError::Resolves { host: "internal.example.com".into(), ip: ip("10.1.2.3") });
    assert!(refused.is_blocked());
}

#[tokio::test]
async fn a_url_with_a_public_or_not_yet_resolvable_name_is_accepted_when_written() {
    let public = UrlGuard::new(AddressPolicy::public_only(), false, answers(vec![vec!["93.184.216.34"]]));
    assert!(public.check("https://hooks.example.com/in").await.is_ok());
    let unresolvable = UrlGuard::new(AddressPolicy::public_only(), false, answers(vec![vec![]]));
    assert!(unresolvable.check("https://not-yet.example.com/in").await.is_ok());
}

#[tokio::test]
async fn the_write_time_check_also_refuses_what_needs_no_dns() {
    let lookup = answers(vec![vec!["93.184.216.34"]]);
    let guard = UrlGuard::new(AddressPolicy::public_only(), false, lookup.clone());
    assert_eq!(guard.check("http://hooks.example.com/").await, Err(UrlError::Scheme));
    assert_eq!(guard.check("https://169.254.169.254/").await, Err(UrlError::Blocked(ip("169.254.169.254"))));
    assert_eq!(lookup.lookups(), 0, "literal addresses and bad schemes never reach DNS");
}
