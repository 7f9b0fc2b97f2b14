//! What `LetsencryptService::new` makes of its configuration: the
//! resolver it will ask, and clear errors for what it cannot use.

use dns_server::catalog::Catalog;
use dns_service::{DnsService, ServiceConfig};
use letsencrypt::Config;
use letsencrypt_service::{ConfigError, LetsencryptService};

fn log(_: core::fmt::Arguments<'_>) {}

/// The configuration the letsencrypt unikernel makes of `--dns-key=le._update.example.com:SHA256:…
/// --dns-server=192.0.2.10 --port=5353 --account-key-seed=s --acme-server=https://ca.example:14000/dir`.
fn base() -> Config {
    let key = dns_keys::parse_cli_key("le._update.example.com:SHA256:c2VjcmV0c2VjcmV0").unwrap();
    Config {
        key,
        zone: letsencrypt::parse_name("example.com").unwrap(),
        dns_server: "192.0.2.10:5353".parse().unwrap(),
        directory_url: "https://ca.example:14000/dir".into(),
        production: false,
        account_key_seed: b"s".to_vec(),
        account_key_type: acme::KeyType::EcdsaP256,
        email: None,
        tls_authenticator: None,
        resolver: None,
    }
}

fn service(config: &Config) -> Result<LetsencryptService, ConfigError> {
    let dns = DnsService::new(Catalog::new(), ServiceConfig::default(), log);
    LetsencryptService::new(config, dns, Vec::new(), [3; 32])
}

#[test]
fn the_resolver_is_the_primary_unless_given() {
    let s = service(&base()).unwrap();
    assert_eq!(s.resolver(), "192.0.2.10:5353".parse().unwrap());
    let s = service(&Config {
        resolver: Some("192.0.2.53".parse().unwrap()),
        ..base()
    })
    .unwrap();
    assert_eq!(s.resolver(), "192.0.2.53:53".parse().unwrap());
    assert!(s.manager().is_none(), "made at the first poll");
}

#[test]
fn an_unreadable_authenticator_is_a_clear_error() {
    let with = |text: &str| Config {
        tls_authenticator: Some(text.into()),
        ..base()
    };
    let error = service(&with("key-fp:MD5:AAAA")).err().expect("refused");
    assert!(
        matches!(error, ConfigError::TlsAuthenticator(_)),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "TLS authenticator hash \"MD5\" is not supported: use SHA256, SHA384 or SHA512"
    );
    assert!(service(&with("trust-anchor:notbase64!")).is_err());
}
