//! What `LetsencryptService::new` makes of the boot arguments: the
//! resolver it will ask, and clear errors for what it cannot use.

use bootargs::Parsed;
use dns_server::catalog::Catalog;
use dns_service::{DnsService, ServiceConfig};
use letsencrypt::{config_from_args, LETSENCRYPT_ARGS};
use letsencrypt_service::LetsencryptService;

fn log(_: core::fmt::Arguments<'_>) {}

fn service(cmdline: &str) -> Result<LetsencryptService, String> {
    let Parsed::Args(args) = bootargs::parse("letsencrypt", LETSENCRYPT_ARGS, cmdline).unwrap()
    else {
        panic!("no --help here")
    };
    let config = config_from_args(&args)?;
    let dns = DnsService::new(Catalog::new(), ServiceConfig::default(), log);
    LetsencryptService::new(&config, dns, Vec::new(), [3; 32])
}

const BASE: &str = "--dns-key=le._update.example.com:SHA256:c2VjcmV0c2VjcmV0 --dns-server=192.0.2.10 --port=5353 --account-key-seed=s --acme-server=https://ca.example:14000/dir";

#[test]
fn the_resolver_is_the_primary_unless_given() {
    let s = service(BASE).unwrap();
    assert_eq!(s.resolver(), "192.0.2.10:5353".parse().unwrap());
    let s = service(&format!("{BASE} --resolver=192.0.2.53")).unwrap();
    assert_eq!(s.resolver(), "192.0.2.53:53".parse().unwrap());
    assert!(s.manager().is_none(), "made at the first poll");
}

#[test]
fn an_unreadable_authenticator_is_a_clear_error() {
    let error = service(&format!("{BASE} --tls-authenticator=key-fp:MD5:AAAA"))
        .err()
        .expect("refused");
    assert!(
        error.starts_with("--tls-authenticator=key-fp:MD5:AAAA: "),
        "{error}"
    );
    assert!(service(&format!(
        "{BASE} --tls-authenticator=trust-anchor:notbase64!"
    ))
    .is_err());
}
