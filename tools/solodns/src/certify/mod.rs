//! `solodns certify HOST --dns-server IP --key K`: a TLS certificate
//! through DNS, the way OCaml-DNS's `ocertify` gets one from its
//! letsencrypt service.
//!
//! The convention (OCaml-DNS `dns-certify`, DESIGN.md §7): a certificate
//! signing request is published as `_letsencrypt._tcp.HOST. 3600 TLSA 3
//! 255 0 <DER CSR>` (usage domain-issued, selector "private", no hash); the
//! service that watches the zone orders the certificate and publishes it
//! at the same name as `TLSA 3 0 0 <DER certificate>`, with the issuing
//! chain as `TLSA 2 0 0 <DER certificate>` records. One CSR per name.
//!
//! The steps, each with its own error:
//! 1. the private key (made and written before anything is sent, mode
//!    0600, or `HOST.key` reused) and the CSR; or a CSR of the user's
//!    (`--csr`), whose public key is then the one the certificate must
//!    have;
//! 2. a look at the name: a valid certificate for the key that covers
//!    the names is taken as it is, as ocertify takes a "cached
//!    certificate" (`--force` publishes the CSR all the same);
//! 3. a TSIG-signed UPDATE that deletes the name's CSR records, keeps
//!    its certificates, and adds ours;
//! 4. polling the name until a certificate for the key, valid now,
//!    covering the names, appears with its chain; certificates for other
//!    keys (stale ones) are passed over;
//! 5. `HOST.pem`: the certificate, then its chain from the issuer up.
//!
//! The checks of the records found (step 4) are pure functions
//! ([`find_certificate`]), tested on their own.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use dns_update::{check_response, ResponseFailure, Update, UpdateBuilder};
use dns_wire::{class, opcode, rcode, Header, Message, MessageBuilder, Name, RecordType};
use dns_zone::Rdata;
use tsig::Key;
use x509_cert::der::asn1::{
    Any, BitString, Ia5String, Ia5StringRef, OctetString, PrintableStringRef, SetOfVec,
    Utf8StringRef,
};
use x509_cert::der::oid::{AssociatedOid, ObjectIdentifier};
use x509_cert::der::pem::LineEnding;
use x509_cert::der::{Decode, Encode, EncodePem, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::Extension;
use x509_cert::request::{CertReq, CertReqInfo, ExtensionReq};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;

use crate::explain::{self, Request};
use crate::{net, show_name};

/// TTL of the CSR record (the OCaml-DNS convention).
pub const CSR_TTL: u32 = 3600;

/// Time between two looks for the certificate: often enough that a
/// certificate issued in seconds is seen in seconds, rarely enough not to
/// load the server.
const POLL_INTERVAL: Duration = Duration::from_secs(3);

/// The longest wait for one DNS answer.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// Chains are short (Let's Encrypt: one or two intermediates); the bound
/// stops a loop of certificates that name each other as issuer.
const MAX_CHAIN: usize = 8;

/// The longest common name (X.520 `ub-common-name`); longer host names
/// are in the SAN only, as Let's Encrypt does.
const MAX_COMMON_NAME: usize = 64;

/// TLSA fields of the convention (RFC 6698 §2.1, OCaml-DNS `Tlsa`).
mod tlsa {
    /// Usage 2, CA constraint: a certificate of the issuing chain.
    pub const CA_CONSTRAINT: u8 = 2;
    /// Usage 3, domain-issued certificate: the CSR and the certificate.
    pub const DOMAIN_ISSUED: u8 = 3;
    /// Selector 0: the full certificate.
    pub const FULL_CERTIFICATE: u8 = 0;
    /// Selector 255 (private use): OCaml-DNS puts the CSR there.
    pub const PRIVATE: u8 = 255;
    /// Matching type 0: the data itself, not a hash.
    pub const NO_HASH: u8 = 0;
}

/// `id-ecPublicKey` (RFC 5480).
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `rsaEncryption` (RFC 8017).
const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `ecdsa-with-SHA256` (RFC 5758).
const OID_ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// `sha256WithRSAEncryption` (RFC 8017).
const OID_SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
/// `commonName` (X.520).
const OID_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// Arguments of `certify`.
#[derive(Debug, Args)]
pub struct CertifyArgs {
    /// The host name the certificate is for: its subject CN and first SAN
    /// (a wildcard `*.example.com` is allowed). The CSR goes to
    /// `_letsencrypt._tcp.HOST`.
    #[arg(value_parser = parse_host)]
    pub host: String,
    /// The authoritative server that takes the UPDATE and answers the
    /// queries: IP[:PORT] (IPv6 as [ADDRESS]:PORT), port 53 by default.
    #[arg(long, value_name = "IP[:PORT]", value_parser = net::parse_server)]
    pub dns_server: SocketAddr,
    /// The TSIG key that may update the zone, as `NAME:ALG:SECRET` (what
    /// `solodns keygen` prints; `NAME._update.ZONE` names the zone).
    /// Read from $SOLODNS_KEY when not given.
    #[arg(long, env = "SOLODNS_KEY", hide_env_values = true, value_parser = crate::KeyParser)]
    pub key: Key,
    /// Another name for the certificate (a subject alternative name);
    /// repeat for more. Wildcards are allowed.
    #[arg(long = "san", value_name = "NAME", value_parser = parse_host)]
    pub sans: Vec<String>,
    /// The kind of private key to make (default ecdsa-p256). An existing
    /// HOST.key is reused whatever its kind, unless this asks for another.
    #[arg(long, value_enum, value_name = "TYPE")]
    pub key_type: Option<KeyType>,
    /// Publish this CSR (PEM or DER) instead of making a key and a CSR;
    /// the certificate must then have the CSR's public key.
    #[arg(long, value_name = "FILE", conflicts_with = "key_type")]
    pub csr: Option<PathBuf>,
    /// The directory of HOST.key, HOST.req (the CSR) and HOST.pem (the
    /// certificate and its chain); made if missing.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Seconds to wait for the certificate after publishing the CSR.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    /// Publish the CSR even when a valid certificate for the key is
    /// already in DNS.
    #[arg(long)]
    pub force: bool,
}

/// The kinds of private key `certify` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyType {
    /// ECDSA on NIST P-256, signing with SHA-256 (ES256).
    EcdsaP256,
    /// RSA with a 2048-bit modulus, PKCS #1 v1.5 signatures with SHA-256.
    Rsa2048,
}

/// Runs `certify`.
pub fn run(args: CertifyArgs) -> ExitCode {
    match certify(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("solodns certify: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A host name argument: ASCII letters, digits, hyphens (and underscores,
/// which some CAs refuse but DNS allows), a leftmost `*` label for a
/// wildcard; no final dot; lower case.
pub fn parse_host(s: &str) -> Result<String, String> {
    let name = s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
    if name.is_empty() {
        return Err(String::from("the host name is empty"));
    }
    if name.len() > 253 {
        return Err(format!(
            "'{s}' is longer than a domain name may be (253 characters)"
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err(format!(
            "'{s}' has one label: give the full name (www.example.com)"
        ));
    }
    for (i, label) in labels.iter().enumerate() {
        if label.is_empty() {
            return Err(format!("'{s}' has an empty label"));
        }
        if label.len() > 63 {
            return Err(format!("'{s}': the label '{label}' is longer than 63"));
        }
        if *label == "*" {
            if i == 0 {
                continue;
            }
            return Err(format!("'{s}': a wildcard '*' may only be the first label"));
        }
        let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if !label.chars().all(ok) {
            return Err(format!(
                "'{s}': '{label}' is not a host name label (letters, digits, '-'; internationalised names in their xn-- form)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "'{s}': the label '{label}' starts or ends with '-'"
            ));
        }
    }
    Ok(name)
}

/// The DNS name the CSR and the certificates of `host` are published at.
pub fn letsencrypt_name(host: &str) -> Result<Name, String> {
    crate::parse_name(&format!("_letsencrypt._tcp.{host}."))
}

/// The file name stem of `host`'s files: the host name, with a wildcard
/// label written `_wildcard` (no `*` in file names; no host is named
/// with an underscore label, so it cannot collide).
pub fn file_stem(host: &str) -> String {
    match host.strip_prefix("*.") {
        Some(rest) => format!("_wildcard.{rest}"),
        None => host.to_owned(),
    }
}

/// A private key of a kind `certify` signs with.
pub enum PrivateKey {
    /// ECDSA P-256.
    P256(p256::SecretKey),
    /// RSA (any size read from a file; 2048 bits when made).
    Rsa(Box<rsa::RsaPrivateKey>),
}

impl PrivateKey {
    /// A fresh key from the operating system's random source.
    pub fn generate(kind: KeyType) -> Result<Self, String> {
        let mut rng = rand_core::OsRng;
        match kind {
            KeyType::EcdsaP256 => Ok(Self::P256(p256::SecretKey::random(&mut rng))),
            KeyType::Rsa2048 => rsa::RsaPrivateKey::new(&mut rng, 2048)
                .map(|k| Self::Rsa(Box::new(k)))
                .map_err(|e| format!("cannot make an RSA key: {e}")),
        }
    }

    /// What kind of key it is, for people.
    pub fn describe(&self) -> String {
        use rsa::traits::PublicKeyParts;
        match self {
            Self::P256(_) => String::from("ECDSA P-256"),
            Self::Rsa(k) => format!("RSA {} bits", k.size() * 8),
        }
    }

    /// The `--key-type` that makes a key of this kind.
    pub fn kind(&self) -> Option<KeyType> {
        use rsa::traits::PublicKeyParts;
        match self {
            Self::P256(_) => Some(KeyType::EcdsaP256),
            Self::Rsa(k) if k.size() == 256 => Some(KeyType::Rsa2048),
            Self::Rsa(_) => None,
        }
    }

    /// Writes the key as PEM PKCS #8 to a new file `path` of mode 0600;
    /// fails if the file exists (a key is never overwritten).
    pub fn write_new(&self, path: &Path) -> Result<(), String> {
        use p256::pkcs8::EncodePrivateKey;
        let shown = path.display();
        let pem = match self {
            Self::P256(k) => k.to_pkcs8_pem(LineEnding::LF),
            Self::Rsa(k) => k.to_pkcs8_pem(LineEnding::LF),
        }
        .map_err(|e| format!("cannot encode the private key: {e}"))?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("{shown}: {e}"))?;
        file.write_all(pem.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("{shown}: {e}"))
    }

    /// Reads a PEM private key: PKCS #8 (`PRIVATE KEY`), SEC1 (`EC
    /// PRIVATE KEY`, what `openssl ecparam -genkey` writes) or PKCS #1
    /// (`RSA PRIVATE KEY`).
    pub fn from_pem(text: &[u8]) -> Result<Self, String> {
        use p256::pkcs8::DecodePrivateKey;
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let blocks = pem_blocks(text)?;
        let p256_only = |e: &dyn std::fmt::Display| {
            format!("not an ECDSA P-256 key ({e}); only the curve P-256 is supported")
        };
        for (label, der) in &blocks {
            match label.as_str() {
                "PRIVATE KEY" => {
                    let info = p256::pkcs8::PrivateKeyInfo::from_der(der)
                        .map_err(|e| format!("an unreadable PKCS #8 key: {e}"))?;
                    let oid = info.algorithm.oid;
                    return if oid == OID_EC_PUBLIC_KEY {
                        p256::SecretKey::from_pkcs8_der(der)
                            .map(Self::P256)
                            .map_err(|e| p256_only(&e))
                    } else if oid == OID_RSA_ENCRYPTION {
                        rsa::RsaPrivateKey::from_pkcs8_der(der)
                            .map(|k| Self::Rsa(Box::new(k)))
                            .map_err(|e| format!("an unreadable RSA key: {e}"))
                    } else {
                        Err(format!(
                            "a key of algorithm {oid}: only ECDSA P-256 and RSA are supported"
                        ))
                    };
                }
                "EC PRIVATE KEY" => {
                    return p256::SecretKey::from_sec1_der(der)
                        .map(Self::P256)
                        .map_err(|e| p256_only(&e));
                }
                "RSA PRIVATE KEY" => {
                    return rsa::RsaPrivateKey::from_pkcs1_der(der)
                        .map(|k| Self::Rsa(Box::new(k)))
                        .map_err(|e| format!("an unreadable RSA key: {e}"));
                }
                "ENCRYPTED PRIVATE KEY" => return Err(String::from(
                    "the key is encrypted: decrypt it first (openssl pkey -in KEY -out KEY.plain)",
                )),
                _ => {}
            }
        }
        let labels: Vec<&str> = blocks.iter().map(|(l, _)| l.as_str()).collect();
        Err(format!(
            "no private key in it (PEM blocks: {})",
            if labels.is_empty() {
                String::from("none")
            } else {
                labels.join(", ")
            }
        ))
    }

    /// The public key, as it stands in a CSR and a certificate.
    pub fn public_key_info(&self) -> Result<SubjectPublicKeyInfoOwned, String> {
        use p256::pkcs8::EncodePublicKey;
        let der = match self {
            Self::P256(k) => k.public_key().to_public_key_der(),
            Self::Rsa(k) => k.to_public_key().to_public_key_der(),
        }
        .map_err(|e| format!("cannot encode the public key: {e}"))?;
        SubjectPublicKeyInfoOwned::from_der(der.as_bytes())
            .map_err(|e| format!("cannot encode the public key: {e}"))
    }

    /// Signs `message` with SHA-256: the algorithm identifier and the
    /// signature as a certificate or CSR holds them.
    pub fn sign(&self, message: &[u8]) -> Result<(AlgorithmIdentifierOwned, Vec<u8>), String> {
        use p256::ecdsa::signature::{SignatureEncoding, Signer};
        match self {
            Self::P256(k) => {
                let signing = p256::ecdsa::SigningKey::from(k);
                let sig: p256::ecdsa::DerSignature = signing.sign(message);
                let alg = AlgorithmIdentifierOwned {
                    oid: OID_ECDSA_WITH_SHA256,
                    parameters: None,
                };
                Ok((alg, sig.to_vec()))
            }
            Self::Rsa(k) => {
                let signing = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new((**k).clone());
                let sig = signing
                    .try_sign(message)
                    .map_err(|e| format!("cannot sign with the RSA key: {e}"))?;
                let alg = AlgorithmIdentifierOwned {
                    oid: OID_SHA256_WITH_RSA,
                    // RFC 4055 §5: the parameters are NULL.
                    parameters: Some(Any::null()),
                };
                Ok((alg, sig.to_vec()))
            }
        }
    }
}

/// The PEM blocks of `text`, in order: label and DER.
fn pem_blocks(text: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let text = std::str::from_utf8(text).map_err(|_| String::from("not PEM text (not UTF-8)"))?;
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = &rest[start..];
        let label_end = block[11..]
            .find("-----")
            .ok_or_else(|| String::from("a PEM BEGIN line without its closing dashes"))?;
        let label = &block[11..11 + label_end];
        let end_line = format!("-----END {label}-----");
        let end = block
            .find(&end_line)
            .ok_or_else(|| format!("a PEM block '{label}' without its END line"))?;
        let whole = &block[..end + end_line.len()];
        let (_, der) = x509_cert::der::pem::decode_vec(whole.as_bytes())
            .map_err(|e| format!("the PEM block '{label}' is malformed: {e}"))?;
        blocks.push((label.to_owned(), der));
        rest = &block[end + end_line.len()..];
    }
    Ok(blocks)
}

/// A CSR for `names` (the first is the subject's common name, unless it
/// is longer than a common name may be), signed by `key`.
pub fn make_csr(key: &PrivateKey, names: &[String]) -> Result<CertReq, String> {
    let bad = |e: x509_cert::der::Error| format!("cannot encode the CSR: {e}");
    let first = names
        .first()
        .ok_or_else(|| String::from("a CSR needs a name"))?;
    let subject = if first.len() <= MAX_COMMON_NAME {
        // Host names have no RFC 4514 special characters (parse_host).
        format!("CN={first}").parse().map_err(bad)?
    } else {
        x509_cert::name::Name::default()
    };
    let san = SubjectAltName(
        names
            .iter()
            .map(|n| Ia5String::new(n).map(GeneralName::DnsName))
            .collect::<Result<_, _>>()
            .map_err(bad)?,
    );
    let extension = Extension {
        extn_id: SubjectAltName::OID,
        critical: false,
        extn_value: OctetString::new(san.to_der().map_err(bad)?).map_err(bad)?,
    };
    let mut attributes = SetOfVec::new();
    attributes
        .insert(ExtensionReq(vec![extension]).try_into().map_err(bad)?)
        .map_err(bad)?;
    let info = CertReqInfo {
        version: x509_cert::request::Version::V1,
        subject,
        public_key: key.public_key_info()?,
        attributes,
    };
    let (algorithm, signature) = key.sign(&info.to_der().map_err(bad)?)?;
    Ok(CertReq {
        info,
        algorithm,
        signature: BitString::from_bytes(&signature).map_err(bad)?,
    })
}

/// Reads a CSR file: PEM (`CERTIFICATE REQUEST`, also `NEW CERTIFICATE
/// REQUEST`) or DER.
pub fn read_csr(bytes: &[u8]) -> Result<CertReq, String> {
    if bytes.first() == Some(&0x30) {
        return CertReq::from_der(bytes).map_err(|e| format!("not a DER CSR: {e}"));
    }
    let blocks = pem_blocks(bytes)?;
    let (_, der) = blocks
        .iter()
        .find(|(label, _)| label == "CERTIFICATE REQUEST" || label == "NEW CERTIFICATE REQUEST")
        .ok_or_else(|| String::from("no CERTIFICATE REQUEST in it (PEM or DER expected)"))?;
    CertReq::from_der(der).map_err(|e| format!("an unreadable CSR: {e}"))
}

/// The DNS names in a SAN extension's value (other kinds of names are
/// skipped).
fn san_names(extn_value: &[u8]) -> Result<Vec<String>, String> {
    let san = SubjectAltName::from_der(extn_value)
        .map_err(|e| format!("an unreadable subjectAltName: {e}"))?;
    Ok(san
        .0
        .iter()
        .filter_map(|g| match g {
            GeneralName::DnsName(n) => Some(n.as_str().to_ascii_lowercase()),
            _ => None,
        })
        .collect())
}

/// The common names of a subject.
fn common_names(subject: &x509_cert::name::Name) -> Vec<String> {
    subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| atv.oid == OID_COMMON_NAME)
        .filter_map(|atv| {
            let v = &atv.value;
            v.decode_as::<Utf8StringRef<'_>>()
                .map(|s| s.as_str().to_owned())
                .or_else(|_| {
                    v.decode_as::<PrintableStringRef<'_>>()
                        .map(|s| s.as_str().to_owned())
                })
                .or_else(|_| {
                    v.decode_as::<Ia5StringRef<'_>>()
                        .map(|s| s.as_str().to_owned())
                })
                .ok()
        })
        .map(|s| s.to_ascii_lowercase())
        .collect()
}

/// The names a certificate or CSR is for: the DNS names of its SAN, or
/// without a SAN its common names (the old way, RFC 6125 §6.4.4).
fn names_or_common_names(san: Option<Vec<String>>, subject: &x509_cert::name::Name) -> Vec<String> {
    match san {
        Some(names) => names,
        None => common_names(subject),
    }
}

/// The names a CSR asks for.
pub fn csr_names(csr: &CertReq) -> Result<Vec<String>, String> {
    let mut san = None;
    for attribute in csr.info.attributes.iter() {
        if attribute.oid != ExtensionReq::OID {
            continue;
        }
        for value in attribute.values.iter() {
            let extensions: Vec<Extension> = value
                .decode_as()
                .map_err(|e| format!("an unreadable extension request in the CSR: {e}"))?;
            for ext in extensions
                .iter()
                .filter(|e| e.extn_id == SubjectAltName::OID)
            {
                san.get_or_insert_with(Vec::new)
                    .extend(san_names(ext.extn_value.as_bytes())?);
            }
        }
    }
    Ok(names_or_common_names(san, &csr.info.subject))
}

/// The names a certificate is for.
pub fn certificate_names(cert: &Certificate) -> Result<Vec<String>, String> {
    let mut san = None;
    for ext in cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == SubjectAltName::OID)
    {
        san.get_or_insert_with(Vec::new)
            .extend(san_names(ext.extn_value.as_bytes())?);
    }
    Ok(names_or_common_names(san, &cert.tbs_certificate.subject))
}

/// Whether two public keys are the same key: same algorithm, same key
/// octets, and the same curve when both name one (the parameters are
/// also written as absent or NULL for RSA by some encoders).
pub fn same_public_key(a: &SubjectPublicKeyInfoOwned, b: &SubjectPublicKeyInfoOwned) -> bool {
    let params = |s: &SubjectPublicKeyInfoOwned| {
        s.algorithm
            .parameters
            .as_ref()
            .filter(|p| p.tag() != x509_cert::der::Tag::Null)
            .cloned()
    };
    a.algorithm.oid == b.algorithm.oid
        && params(a) == params(b)
        && a.subject_public_key == b.subject_public_key
}

/// A TLSA record (RFC 6698 §2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlsa {
    /// Certificate usage.
    pub usage: u8,
    /// Selector.
    pub selector: u8,
    /// Matching type.
    pub matching: u8,
    /// The certificate association data.
    pub data: Vec<u8>,
}

impl Tlsa {
    /// A CSR record of the convention.
    pub fn csr(der: Vec<u8>) -> Self {
        Self {
            usage: tlsa::DOMAIN_ISSUED,
            selector: tlsa::PRIVATE,
            matching: tlsa::NO_HASH,
            data: der,
        }
    }

    /// Reads RDATA; `None` when shorter than the three fields.
    pub fn from_rdata(rdata: &[u8]) -> Option<Self> {
        match rdata {
            [usage, selector, matching, data @ ..] => Some(Self {
                usage: *usage,
                selector: *selector,
                matching: *matching,
                data: data.to_vec(),
            }),
            _ => None,
        }
    }

    /// The RDATA.
    pub fn to_rdata(&self) -> Vec<u8> {
        let mut out = vec![self.usage, self.selector, self.matching];
        out.extend_from_slice(&self.data);
        out
    }

    fn is(&self, usage: u8, selector: u8) -> bool {
        self.usage == usage && self.selector == selector && self.matching == tlsa::NO_HASH
    }

    /// `TLSA 3 255 0`: a CSR.
    pub fn is_csr(&self) -> bool {
        self.is(tlsa::DOMAIN_ISSUED, tlsa::PRIVATE)
    }

    /// `TLSA 3 0 0`: an issued certificate.
    pub fn is_certificate(&self) -> bool {
        self.is(tlsa::DOMAIN_ISSUED, tlsa::FULL_CERTIFICATE)
    }

    /// `TLSA 2 0 0`: a certificate of the issuing chain.
    pub fn is_chain(&self) -> bool {
        self.is(tlsa::CA_CONSTRAINT, tlsa::FULL_CERTIFICATE)
    }
}

/// What the certificate must be: for this public key, naming these names.
pub struct Wanted {
    /// The CSR's public key.
    pub public_key: SubjectPublicKeyInfoOwned,
    /// Every name the certificate must cover (lower case).
    pub names: Vec<String>,
}

/// The outcome of a look at the records of the name.
pub enum Found {
    /// A certificate for the key, valid now, covering the names, and its
    /// chain from its issuer up.
    Issued {
        /// The certificate (boxed: the other variant is small).
        leaf: Box<Certificate>,
        /// Its chain, issuer first.
        chain: Vec<Certificate>,
    },
    /// Nothing usable yet; why each certificate there was passed over.
    NotYet(Vec<String>),
}

/// How a certificate is shown in notes: subject, serial, expiry.
fn short(cert: &Certificate) -> String {
    let tbs = &cert.tbs_certificate;
    format!(
        "'{}' (serial {}, expires {})",
        tbs.subject, tbs.serial_number, tbs.validity.not_after
    )
}

/// Looks through the TLSA records of the name for the certificate
/// `wanted` describes, at `now` (seconds since the epoch). Certificates for
/// other keys (stale ones), for fewer names, or not valid now are passed
/// over, and so are records that do not hold a certificate; each gets a
/// note. Of several good certificates the one valid longest is taken.
pub fn find_certificate(records: &[Tlsa], wanted: &Wanted, now: u64) -> Found {
    let mut notes = Vec::new();
    let mut decode = |r: &Tlsa, what: &str| match Certificate::from_der(&r.data) {
        Ok(c) => Some(c),
        Err(e) => {
            notes.push(format!(
                "a malformed {what} record (TLSA {} {} {}, {} octets) is passed over: not a DER certificate ({e})",
                r.usage,
                r.selector,
                r.matching,
                r.data.len()
            ));
            None
        }
    };
    let leaves: Vec<Certificate> = records
        .iter()
        .filter(|r| r.is_certificate())
        .filter_map(|r| decode(r, "certificate"))
        .collect();
    let cas: Vec<Certificate> = records
        .iter()
        .filter(|r| r.is_chain())
        .filter_map(|r| decode(r, "chain certificate"))
        .collect();
    let mut best: Option<Certificate> = None;
    for cert in leaves {
        let tbs = &cert.tbs_certificate;
        if !same_public_key(&tbs.subject_public_key_info, &wanted.public_key) {
            notes.push(format!(
                "the certificate {} is for another key (a stale one?): passed over",
                short(&cert)
            ));
            continue;
        }
        let names = match certificate_names(&cert) {
            Ok(n) => n,
            Err(e) => {
                notes.push(format!(
                    "the certificate {} for this key is passed over: {e}",
                    short(&cert)
                ));
                continue;
            }
        };
        let missing: Vec<&str> = wanted
            .names
            .iter()
            .filter(|n| !names.iter().any(|c| c.eq_ignore_ascii_case(n)))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            notes.push(format!(
                "the certificate {} for this key does not name {}: passed over",
                short(&cert),
                missing.join(", ")
            ));
            continue;
        }
        let not_before = tbs.validity.not_before.to_unix_duration().as_secs();
        let not_after = tbs.validity.not_after.to_unix_duration().as_secs();
        if now < not_before || now > not_after {
            let when = if now < not_before {
                format!("not valid before {}", tbs.validity.not_before)
            } else {
                format!("expired at {}", tbs.validity.not_after)
            };
            notes.push(format!(
                "the certificate {} for this key is {when}: passed over",
                short(&cert)
            ));
            continue;
        }
        let later = |c: &Certificate| c.tbs_certificate.validity.not_after.to_unix_duration();
        if best.as_ref().is_none_or(|b| later(&cert) > later(b)) {
            best = Some(cert);
        }
    }
    let Some(leaf) = best else {
        return Found::NotYet(notes);
    };
    let chain = chain_of(&leaf, &cas);
    let self_issued = leaf.tbs_certificate.issuer == leaf.tbs_certificate.subject;
    if chain.is_empty() && !self_issued {
        notes.push(format!(
            "the certificate {} is there, but not its issuer '{}' among the chain (TLSA 2 0 0) records",
            short(&leaf),
            leaf.tbs_certificate.issuer
        ));
        return Found::NotYet(notes);
    }
    Found::Issued {
        leaf: Box::new(leaf),
        chain,
    }
}

/// The chain of `leaf` among `cas`: its issuer, the issuer's issuer, … up
/// to a self-issued certificate or one whose issuer is not there. Issuers
/// are found by name (the subject of one is the issuer of the next), as
/// ocertify's `build_paths` links them; signatures are the TLS client's
/// to check.
fn chain_of(leaf: &Certificate, cas: &[Certificate]) -> Vec<Certificate> {
    let self_issued = |c: &Certificate| c.tbs_certificate.issuer == c.tbs_certificate.subject;
    let mut chain: Vec<Certificate> = Vec::new();
    let mut current = leaf;
    while chain.len() < MAX_CHAIN && !self_issued(current) {
        let issuer = cas.iter().find(|ca| {
            ca.tbs_certificate.subject == current.tbs_certificate.issuer
                && *ca != leaf
                && !chain.contains(ca)
        });
        let Some(ca) = issuer else { break };
        chain.push(ca.clone());
        current = ca;
    }
    chain
}

/// The UPDATE that puts `csr_der` at `owner` in `zone`: every CSR record
/// there now is deleted (one record at a time, so the certificates of the
/// name stay), then ours is added.
pub fn csr_update(
    zone: Name,
    owner: &Name,
    existing: &[Tlsa],
    csr_der: &[u8],
) -> Result<UpdateBuilder, String> {
    let rdata = |t: &Tlsa| {
        Rdata::from_wire(RecordType::TLSA, &t.to_rdata())
            .map_err(|e| format!("a TLSA record that cannot be written: {e:?}"))
    };
    let mut u = UpdateBuilder::new(zone);
    for old in existing.iter().filter(|t| t.is_csr()) {
        u.update(Update::DeleteRecord(
            owner.clone(),
            RecordType::TLSA,
            rdata(old)?,
        ));
    }
    u.update(Update::Add(
        owner.clone(),
        CSR_TTL,
        RecordType::TLSA,
        rdata(&Tlsa::csr(csr_der.to_vec()))?,
    ));
    Ok(u)
}

/// The TLSA records at `owner` in an answer to our query `id`, and notes
/// on records that are not TLSA RDATA. No records for NXDOMAIN or an
/// empty answer.
pub fn tlsa_from_answer(
    answer: &[u8],
    id: u16,
    owner: &Name,
) -> Result<(Vec<Tlsa>, Vec<String>), String> {
    let m = Message::parse(answer).map_err(|e| format!("an unreadable answer ({e:?})"))?;
    if m.header.id != id || !m.header.is_response() || m.header.opcode() != opcode::QUERY {
        return Err(String::from("the answer is not for our query"));
    }
    match m.header.rcode() {
        rcode::NOERROR => {}
        rcode::NXDOMAIN => return Ok((Vec::new(), Vec::new())),
        rc => return Err(format!("the server answers {}", explain::rcode_name(rc))),
    }
    let mut records = Vec::new();
    let mut notes = Vec::new();
    for r in m
        .answers
        .iter()
        .filter(|r| r.rtype == RecordType::TLSA && r.class == class::IN && r.owner == *owner)
    {
        match Tlsa::from_rdata(&r.rdata) {
            Some(t) => records.push(t),
            None => notes.push(format!(
                "a malformed TLSA record at {} ({} octets of RDATA) is passed over",
                show_name(owner),
                r.rdata.len()
            )),
        }
    }
    Ok((records, notes))
}

/// Asks `server` over TCP for the TLSA records at `owner` (TCP because
/// certificates do not fit in 512 octets).
fn query_tlsa(
    server: SocketAddr,
    owner: &Name,
    wait: Duration,
) -> Result<(Vec<Tlsa>, Vec<String>), String> {
    let id = net::random_id()?;
    let mut b = MessageBuilder::new(id, 0);
    b.question(owner, RecordType::TLSA, class::IN)
        .map_err(|e| format!("{e:?}"))?;
    let query = b.finish();
    let answer = net::tcp_exchange(server, &query, wait, |m| net::answers(m, id, opcode::QUERY))?;
    tlsa_from_answer(&answer, id, owner)
}

/// The zone to update: the one the key names (`NAME._update.ZONE`) when
/// it holds `owner`, else the zone the server has for `owner` (its SOA).
fn zone_for(args: &CertifyArgs, owner: &Name) -> Result<Name, String> {
    if let Some(role) = dns_keys::KeyRole::of(args.key.name()) {
        if !role.zone.is_root() && role.covers(owner) {
            return Ok(role.zone);
        }
        if !role.zone.is_root() {
            eprintln!(
                "note: key {} is for zone {}, which does not hold {}; asking {} for the zone",
                show_name(args.key.name()),
                show_name(&role.zone),
                show_name(owner),
                args.dns_server
            );
        }
    }
    let id = net::random_id()?;
    let mut b = MessageBuilder::new(id, 0);
    b.question(owner, RecordType::SOA, class::IN)
        .map_err(|e| format!("{e:?}"))?;
    let query = b.finish();
    let answer = net::tcp_exchange(args.dns_server, &query, ANSWER_WAIT, |m| {
        net::answers(m, id, opcode::QUERY)
    })
    .map_err(|e| format!("finding the zone of {}: {e}", show_name(owner)))?;
    crate::update::zone_from_soa_answer(&answer, owner).map_err(|why| {
        format!(
            "cannot tell the zone of {} from {}: {why}",
            show_name(owner),
            args.dns_server
        )
    })
}

/// Sends the signed UPDATE over TCP and checks the signed answer.
fn send_update(args: &CertifyArgs, u: &UpdateBuilder) -> Result<(), String> {
    let key = &args.key;
    let id = net::random_id()?;
    let (msg, verifier) = u
        .build_signed(id, key, net::unix_time(0))
        .map_err(|e| format!("the update does not fit in a DNS message: {e:?}"))?;
    let answer = net::tcp_exchange(args.dns_server, &msg, ANSWER_WAIT, |m| {
        net::answers(m, id, opcode::UPDATE)
    })?;
    let now = net::unix_time(0);
    let rc = Header::parse(&answer).map_or(rcode::NOERROR, |h| h.rcode());
    match check_response(&answer, id, Some(&mut verifier.clone()), now) {
        Ok(()) => Ok(()),
        Err(ResponseFailure::Tsig(e)) => Err(explain::tsig(&e, key, now, rc)),
        Err(ResponseFailure::Rcode(rc)) => {
            Err(explain::rcode(Request::Update, rc, &u.zone, key, &|_| {
                Vec::new()
            }))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The key and CSR of this run, and what the certificate must be.
struct Prepared {
    csr: CertReq,
    wanted: Wanted,
    key_path: Option<PathBuf>,
    csr_path: PathBuf,
}

/// Step 1: the key (reused or made and written) and the CSR, or the
/// user's CSR.
fn key_and_csr(args: &CertifyArgs, names: &[String]) -> Result<Prepared, String> {
    let stem = file_stem(&args.host);
    if let Some(path) = &args.csr {
        let shown = path.display();
        let bytes = std::fs::read(path).map_err(|e| format!("--csr {shown}: {e}"))?;
        let csr = read_csr(&bytes).map_err(|e| format!("--csr {shown}: {e}"))?;
        let in_csr = csr_names(&csr).map_err(|e| format!("--csr {shown}: {e}"))?;
        let missing: Vec<&str> = names
            .iter()
            .filter(|n| !in_csr.contains(n))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "--csr {shown} does not ask for {} (it names: {})",
                missing.join(", "),
                if in_csr.is_empty() {
                    String::from("nothing")
                } else {
                    in_csr.join(", ")
                }
            ));
        }
        let mut all: Vec<String> = names.to_vec();
        all.extend(in_csr.into_iter().filter(|n| !names.contains(n)));
        return Ok(Prepared {
            wanted: Wanted {
                public_key: csr.info.public_key.clone(),
                names: all,
            },
            csr,
            key_path: None,
            csr_path: path.clone(),
        });
    }
    let key_path = args.out.join(format!("{stem}.key"));
    let shown = key_path.display();
    let key = if key_path.exists() {
        let text = std::fs::read(&key_path).map_err(|e| format!("{shown}: {e}"))?;
        let key = PrivateKey::from_pem(&text).map_err(|e| format!("{shown}: {e}"))?;
        if let Some(asked) = args.key_type {
            if key.kind() != Some(asked) {
                return Err(format!(
                    "{shown} holds an {} key, and --key-type asks for {}: remove the file for a new key, or drop --key-type",
                    key.describe(),
                    asked.to_possible_value().expect("no skipped variants").get_name()
                ));
            }
        }
        let mode = std::fs::metadata(&key_path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o600);
        eprintln!(
            "reusing the existing private key {shown} ({})",
            key.describe()
        );
        if mode & 0o077 != 0 {
            eprintln!("warning: {shown} is readable by others (mode {mode:o}); chmod 600 it");
        }
        key
    } else {
        let key = PrivateKey::generate(args.key_type.unwrap_or(KeyType::EcdsaP256))?;
        key.write_new(&key_path)?;
        eprintln!("made a new {} private key: {shown}", key.describe());
        key
    };
    let csr = make_csr(&key, names)?;
    let csr_path = args.out.join(format!("{stem}.req"));
    let pem = csr
        .to_pem(LineEnding::LF)
        .map_err(|e| format!("cannot encode the CSR: {e}"))?;
    std::fs::write(&csr_path, pem).map_err(|e| format!("{}: {e}", csr_path.display()))?;
    Ok(Prepared {
        wanted: Wanted {
            public_key: key.public_key_info()?,
            names: names.to_vec(),
        },
        csr,
        key_path: Some(key_path),
        csr_path,
    })
}

/// Writes the certificate and its chain as PEM to `path` (through a
/// temporary file, so a reader never sees half of it).
fn write_certificates(
    path: &Path,
    leaf: &Certificate,
    chain: &[Certificate],
) -> Result<(), String> {
    let mut pem = String::new();
    for cert in std::iter::once(leaf).chain(chain) {
        pem.push_str(
            &cert
                .to_pem(LineEnding::LF)
                .map_err(|e| format!("cannot encode a certificate: {e}"))?,
        );
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, pem)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A time span for people: days, or hours, or minutes when shorter.
fn in_words(seconds: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match seconds {
        s if s >= 2 * 86_400 => plural(s / 86_400, "day"),
        s if s >= 2 * 3600 => plural(s / 3600, "hour"),
        s => plural(s / 60, "minute"),
    }
}

/// Prints each note once.
fn note_once(seen: &mut BTreeSet<String>, notes: &[String]) {
    for n in notes {
        if seen.insert(n.clone()) {
            eprintln!("note: {n}");
        }
    }
}

fn certify(args: &CertifyArgs) -> Result<(), String> {
    let mut names = vec![args.host.clone()];
    for san in &args.sans {
        if !names.contains(san) {
            names.push(san.clone());
        }
    }
    let owner = letsencrypt_name(&args.host)?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("--out {}: {e}", args.out.display()))?;
    let request = key_and_csr(args, &names)?;
    let csr_der = request
        .csr
        .to_der()
        .map_err(|e| format!("cannot encode the CSR: {e}"))?;
    let shown_owner = show_name(&owner);
    let server = args.dns_server;

    let mut seen = BTreeSet::new();
    let (existing, notes) = query_tlsa(server, &owner, ANSWER_WAIT)
        .map_err(|e| format!("cannot query TLSA {shown_owner} at {server}: {e}"))?;
    note_once(&mut seen, &notes);
    let mut found = None;
    if !args.force {
        if let Found::Issued { leaf, chain } =
            find_certificate(&existing, &request.wanted, net::unix_time(0))
        {
            eprintln!(
                "a valid certificate for this key is already at {shown_owner}: taking it without publishing the CSR again (--force publishes it)"
            );
            found = Some((leaf, chain));
        }
    }
    let started = Instant::now();
    if found.is_none() {
        let zone = zone_for(args, &owner)?;
        let update = csr_update(zone.clone(), &owner, &existing, &csr_der)?;
        send_update(args, &update)
            .map_err(|e| format!("the UPDATE of {}: {e}", show_name(&zone)))?;
        let replaced = existing.iter().filter(|t| t.is_csr()).count();
        eprintln!(
            "published the CSR at {shown_owner} (zone {}{})",
            show_name(&zone),
            match replaced {
                0 => String::new(),
                1 => String::from(", replacing the CSR there"),
                n => format!(", replacing the {n} CSRs there"),
            }
        );
    }
    let timeout = Duration::from_secs(args.timeout);
    let (leaf, chain) = loop {
        if let Some(f) = found.take() {
            break f;
        }
        let left = timeout.saturating_sub(started.elapsed());
        let wait = left.clamp(Duration::from_secs(1), ANSWER_WAIT);
        // What this look found instead of the certificate.
        let (error, notes) = match query_tlsa(server, &owner, wait) {
            Ok((records, mut notes)) => {
                match find_certificate(&records, &request.wanted, net::unix_time(0)) {
                    Found::Issued { leaf, chain } => found = Some((leaf, chain)),
                    Found::NotYet(more) => notes.extend(more),
                }
                note_once(&mut seen, &notes);
                (None, notes)
            }
            Err(e) => {
                let e = format!("TLSA {shown_owner} at {server}: {e}");
                note_once(&mut seen, &[format!("{e} (trying again)")]);
                (Some(e), Vec::new())
            }
        };
        if found.is_some() {
            continue;
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            let mut why = format!(
                "no certificate for the key of {} appeared at {shown_owner} within {} s",
                args.host, args.timeout
            );
            if let Some(e) = error {
                why.push_str(&format!("; the last query failed: {e}"));
            }
            for n in &notes {
                why.push_str(&format!("; {n}"));
            }
            why.push_str(
                ". The CSR stays published: run certify again later to fetch the certificate (is the letsencrypt service watching this zone?)",
            );
            return Err(why);
        }
        eprintln!(
            "waiting for the certificate of {} ({} s of {})",
            args.host,
            elapsed.as_secs(),
            args.timeout
        );
        std::thread::sleep(POLL_INTERVAL.min(timeout - elapsed));
    };

    // The certificate was chosen for this public key; say it again where
    // the key itself is at hand (the file could have been changed).
    if let Some(path) = &request.key_path {
        let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let key = PrivateKey::from_pem(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if !same_public_key(
            &key.public_key_info()?,
            &leaf.tbs_certificate.subject_public_key_info,
        ) {
            return Err(format!(
                "the certificate's public key is not the one of {} (was the key file replaced?)",
                path.display()
            ));
        }
    }
    let pem_path = args.out.join(format!("{}.pem", file_stem(&args.host)));
    write_certificates(&pem_path, &leaf, &chain)?;
    let tbs = &leaf.tbs_certificate;
    let names = certificate_names(&leaf)?;
    let not_after = tbs.validity.not_after.to_unix_duration().as_secs();
    let left = in_words(not_after.saturating_sub(net::unix_time(0)));
    println!("certificate of {} ({})", args.host, names.join(", "));
    println!("  subject:     {}", tbs.subject);
    println!("  issuer:      {}", tbs.issuer);
    println!("  serial:      {}", tbs.serial_number);
    println!("  not before:  {}", tbs.validity.not_before);
    println!(
        "  not after:   {} (expires in {left})",
        tbs.validity.not_after
    );
    println!(
        "  certificate: {} (the certificate and {} chain certificate{})",
        pem_path.display(),
        chain.len(),
        if chain.len() == 1 { "" } else { "s" }
    );
    match &request.key_path {
        Some(p) => println!("  private key: {}", p.display()),
        None => println!(
            "  CSR:         {} (its private key is yours)",
            request.csr_path.display()
        ),
    }
    if request.key_path.is_some() {
        println!("  CSR:         {}", request.csr_path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn openssl_missing() -> bool {
        if Command::new("openssl").arg("version").output().is_err() {
            eprintln!("skipped: openssl (Debian package openssl) is not installed");
            return true;
        }
        false
    }

    struct Dir(PathBuf);
    impl Dir {
        fn new(name: &str) -> Dir {
            let d =
                std::env::temp_dir().join(format!("solodns-certify-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(&d).unwrap();
            Dir(d)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn openssl(args: &[&str]) -> String {
        let o = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(
            o.status.success(),
            "openssl {args:?}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn spans_in_words() {
        assert_eq!(in_words(90 * 86_400 + 5), "90 days");
        assert_eq!(in_words(2 * 86_400), "2 days");
        assert_eq!(in_words(86_399), "23 hours");
        assert_eq!(in_words(7199), "119 minutes");
        assert_eq!(in_words(60), "1 minute");
        assert_eq!(in_words(0), "0 minutes");
    }

    #[test]
    fn host_names() {
        assert_eq!(parse_host("WWW.Example.COM.").unwrap(), "www.example.com");
        assert_eq!(parse_host("*.example.com").unwrap(), "*.example.com");
        for bad in [
            "",
            "localhost",
            "www..example.com",
            "www.*.example.com",
            "-www.example.com",
            "www-.example.com",
            "a b.example.com",
            "bücher.example",
            &format!("{}.example.com", "a".repeat(64)),
            &format!("{}com", "a.".repeat(130)),
        ] {
            assert!(parse_host(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(file_stem("*.example.com"), "_wildcard.example.com");
        assert_eq!(
            show_name(&letsencrypt_name("www.example.com").unwrap()),
            "_letsencrypt._tcp.www.example.com"
        );
    }

    /// The CSR we make is one openssl reads and verifies, with the subject
    /// and the names asked for, for both kinds of key.
    #[test]
    fn csrs_openssl_verifies() {
        if openssl_missing() {
            return;
        }
        let dir = Dir::new("csr");
        for kind in [KeyType::EcdsaP256, KeyType::Rsa2048] {
            let key = PrivateKey::generate(kind).unwrap();
            let wanted = names(&["www.example.com", "*.example.com", "example.com"]);
            let csr = make_csr(&key, &wanted).unwrap();
            let file = dir.0.join(format!("{kind:?}.req"));
            std::fs::write(&file, csr.to_pem(LineEnding::LF).unwrap()).unwrap();
            let text = openssl(&[
                "req",
                "-in",
                file.to_str().unwrap(),
                "-verify",
                "-noout",
                "-text",
            ]);
            assert!(
                text.contains("verify OK")
                    || text.contains("Certificate request self-signature verify OK"),
                "{text}"
            );
            assert!(text.contains("Subject: CN = www.example.com"), "{text}");
            assert!(
                text.contains("DNS:www.example.com, DNS:*.example.com, DNS:example.com"),
                "{text}"
            );
            match kind {
                KeyType::EcdsaP256 => {
                    assert!(
                        text.contains("ecdsa-with-SHA256") && text.contains("prime256v1"),
                        "{text}"
                    )
                }
                KeyType::Rsa2048 => assert!(
                    text.contains("sha256WithRSAEncryption") && text.contains("(2048 bit)"),
                    "{text}"
                ),
            }
            // Read back: the same names and public key.
            let back = read_csr(&csr.to_der().unwrap()).unwrap();
            assert_eq!(csr_names(&back).unwrap(), wanted);
            assert!(same_public_key(
                &back.info.public_key,
                &key.public_key_info().unwrap()
            ));
            // The key written as PKCS #8 PEM reads back as the same key,
            // and openssl takes it (and finds the CSR's public key in it).
            let key_file = dir.0.join(format!("{kind:?}.key"));
            key.write_new(&key_file).unwrap();
            let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            assert!(
                key.write_new(&key_file).is_err(),
                "a key file is never overwritten"
            );
            let pem = std::fs::read_to_string(&key_file).unwrap();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
            let again = PrivateKey::from_pem(pem.as_bytes()).unwrap();
            assert!(same_public_key(
                &again.public_key_info().unwrap(),
                &key.public_key_info().unwrap()
            ));
            let from_key = openssl(&["pkey", "-in", key_file.to_str().unwrap(), "-pubout"]);
            let from_csr = openssl(&["req", "-in", file.to_str().unwrap(), "-noout", "-pubkey"]);
            assert_eq!(from_key, from_csr);
        }
    }

    /// A long host name is in the SAN only (a CN has at most 64 characters).
    #[test]
    fn a_long_host_name_has_no_common_name() {
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let long = format!("{}.example.com", "a".repeat(60));
        let csr = make_csr(&key, std::slice::from_ref(&long)).unwrap();
        assert!(csr.info.subject.0.is_empty());
        assert_eq!(csr_names(&csr).unwrap(), vec![long]);
    }

    /// Keys and CSRs openssl made: SEC1 and PKCS #8 keys, PEM and DER CSRs.
    #[test]
    fn openssl_keys_and_csrs_are_read() {
        if openssl_missing() {
            return;
        }
        let dir = Dir::new("openssl-keys");
        let p = |n: &str| dir.0.join(n).to_str().unwrap().to_owned();
        openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-out",
            &p("sec1.key"),
        ]);
        let k = PrivateKey::from_pem(&std::fs::read(p("sec1.key")).unwrap()).unwrap();
        assert_eq!(k.kind(), Some(KeyType::EcdsaP256));
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            &p("rsa.key"),
        ]);
        let k = PrivateKey::from_pem(&std::fs::read(p("rsa.key")).unwrap()).unwrap();
        assert_eq!(k.kind(), Some(KeyType::Rsa2048));
        openssl(&["genpkey", "-algorithm", "ED25519", "-out", &p("ed.key")]);
        let e = PrivateKey::from_pem(&std::fs::read(p("ed.key")).unwrap())
            .err()
            .unwrap();
        assert!(e.contains("only ECDSA P-256 and RSA"), "{e}");
        openssl(&[
            "ecparam",
            "-name",
            "secp384r1",
            "-genkey",
            "-noout",
            "-out",
            &p("p384.key"),
        ]);
        let e = PrivateKey::from_pem(&std::fs::read(p("p384.key")).unwrap())
            .err()
            .unwrap();
        assert!(e.contains("P-256"), "{e}");
        let e = PrivateKey::from_pem(b"hello").err().unwrap();
        assert!(e.contains("no private key"), "{e}");

        openssl(&[
            "req",
            "-new",
            "-key",
            &p("rsa.key"),
            "-subj",
            "/CN=www.example.com",
            "-addext",
            "subjectAltName=DNS:www.example.com,DNS:mail.example.com",
            "-out",
            &p("csr.pem"),
        ]);
        openssl(&[
            "req",
            "-in",
            &p("csr.pem"),
            "-outform",
            "DER",
            "-out",
            &p("csr.der"),
        ]);
        for f in ["csr.pem", "csr.der"] {
            let csr = read_csr(&std::fs::read(p(f)).unwrap()).unwrap();
            assert_eq!(
                csr_names(&csr).unwrap(),
                names(&["www.example.com", "mail.example.com"])
            );
            assert!(same_public_key(
                &csr.info.public_key,
                &k.public_key_info().unwrap()
            ));
        }
        // Without a SAN, the common name.
        openssl(&[
            "req",
            "-new",
            "-key",
            &p("rsa.key"),
            "-subj",
            "/CN=Old.Example.com",
            "-out",
            &p("cn.pem"),
        ]);
        let csr = read_csr(&std::fs::read(p("cn.pem")).unwrap()).unwrap();
        assert_eq!(csr_names(&csr).unwrap(), names(&["old.example.com"]));
        assert!(
            read_csr(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err()
        );
        assert!(read_csr(&[0x30, 0x03, 1, 2, 3]).is_err());
    }

    /// A test CA made by openssl signs CSRs; `find_certificate` is given
    /// the records a letsencrypt service would publish.
    struct Ca {
        dir: Dir,
    }

    impl Ca {
        fn new(name: &str) -> Ca {
            let dir = Dir::new(name);
            let p = |n: &str| dir.0.join(n).to_str().unwrap().to_owned();
            openssl(&[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                &p("root.key"),
                "-out",
                &p("root.pem"),
                "-days",
                "2",
                "-subj",
                "/CN=test root",
            ]);
            std::fs::write(
                p("ca.ext"),
                "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n",
            )
            .unwrap();
            openssl(&[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                &p("int.key"),
                "-out",
                &p("int.req"),
                "-subj",
                "/CN=test intermediate",
            ]);
            openssl(&[
                "x509",
                "-req",
                "-in",
                &p("int.req"),
                "-CA",
                &p("root.pem"),
                "-CAkey",
                &p("root.key"),
                "-days",
                "2",
                "-extfile",
                &p("ca.ext"),
                "-out",
                &p("int.pem"),
            ]);
            Ca { dir }
        }

        fn path(&self, n: &str) -> String {
            self.dir.0.join(n).to_str().unwrap().to_owned()
        }

        /// Signs `csr` with the intermediate, valid for `days` days from
        /// now (-1: expired yesterday); the DER certificate.
        fn sign(&self, csr: &CertReq, name: &str, days: i32) -> Vec<u8> {
            let req = self.path(&format!("{name}.req"));
            let out = self.path(&format!("{name}.der"));
            std::fs::write(&req, csr.to_pem(LineEnding::LF).unwrap()).unwrap();
            openssl(&[
                "x509",
                "-req",
                "-in",
                &req,
                "-CA",
                &self.path("int.pem"),
                "-CAkey",
                &self.path("int.key"),
                "-copy_extensions",
                "copy",
                "-days",
                &days.to_string(),
                "-outform",
                "DER",
                "-out",
                &out,
            ]);
            std::fs::read(out).unwrap()
        }

        fn der(&self, name: &str) -> Vec<u8> {
            openssl(&[
                "x509",
                "-in",
                &self.path(&format!("{name}.pem")),
                "-outform",
                "DER",
                "-out",
                &self.path(&format!("{name}.der")),
            ]);
            std::fs::read(self.path(&format!("{name}.der"))).unwrap()
        }
    }

    fn cert_record(der: Vec<u8>) -> Tlsa {
        Tlsa {
            usage: 3,
            selector: 0,
            matching: 0,
            data: der,
        }
    }

    fn chain_record(der: Vec<u8>) -> Tlsa {
        Tlsa {
            usage: 2,
            selector: 0,
            matching: 0,
            data: der,
        }
    }

    fn subject(c: &Certificate) -> String {
        c.tbs_certificate.subject.to_string()
    }

    /// The key/certificate matching: the certificate for the CSR's key is
    /// found among a stale one (another key), one for too few names, a
    /// malformed record and an expired one; its chain is ordered issuer
    /// first whatever the order of the records.
    #[test]
    fn the_certificate_for_the_key_is_found_and_others_are_passed_over() {
        if openssl_missing() {
            return;
        }
        let ca = Ca::new("match");
        let host = names(&["www.example.com", "example.com"]);
        let key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let csr = make_csr(&key, &host).unwrap();
        let wanted = Wanted {
            public_key: key.public_key_info().unwrap(),
            names: host.clone(),
        };
        let old_key = PrivateKey::generate(KeyType::EcdsaP256).unwrap();
        let stale = ca.sign(&make_csr(&old_key, &host).unwrap(), "stale", 1);
        let narrow = ca.sign(&make_csr(&key, &host[..1]).unwrap(), "narrow", 1);
        let expired = ca.sign(&csr, "expired", -1);
        let good = ca.sign(&csr, "good", 1);
        let (int, root) = (ca.der("int"), ca.der("root"));
        // After the signing: openssl dates a certificate's notBefore at the
        // second it signs, later than a clock read before (seconds under load).
        let now = net::unix_time(0);

        // Nothing but the stale, narrow, expired and malformed ones: not yet.
        let mut records = vec![
            Tlsa::csr(csr.to_der().unwrap()),
            cert_record(stale.clone()),
            cert_record(narrow.clone()),
            cert_record(expired.clone()),
            cert_record(vec![0x30, 0x03, 1, 2, 3]),
            chain_record(root.clone()),
            chain_record(int.clone()),
        ];
        let Found::NotYet(notes) = find_certificate(&records, &wanted, now) else {
            panic!("a certificate was taken")
        };
        let all = notes.join("\n");
        assert_eq!(notes.len(), 4, "{all}");
        assert!(all.contains("is for another key"), "{all}");
        assert!(all.contains("does not name example.com"), "{all}");
        assert!(all.contains(" for this key is expired at "), "{all}");
        assert!(
            all.contains("malformed certificate record (TLSA 3 0 0, 5 octets)"),
            "{all}"
        );

        // The good one, without its chain yet: still not.
        records.retain(|r| !r.is_chain());
        records.push(cert_record(good.clone()));
        let Found::NotYet(notes) = find_certificate(&records, &wanted, now) else {
            panic!("taken without its chain")
        };
        assert!(
            notes
                .iter()
                .any(|n| n.contains("not its issuer 'CN=test intermediate'")),
            "{notes:?}"
        );

        // With the chain (root first, as records come in any order).
        records.push(chain_record(root));
        records.push(chain_record(int));
        let Found::Issued { leaf, chain } = find_certificate(&records, &wanted, now) else {
            panic!("not found")
        };
        assert_eq!(leaf.to_der().unwrap(), good);
        assert_eq!(
            chain.iter().map(subject).collect::<Vec<_>>(),
            ["CN=test intermediate", "CN=test root"]
        );

        // A certificate that is not valid yet is not taken either.
        let Found::NotYet(notes) = find_certificate(&records, &wanted, now - 7 * 86_400) else {
            panic!("taken before its time")
        };
        assert!(
            notes.iter().any(|n| n.contains("not valid before")),
            "{notes:?}"
        );
    }

    #[test]
    fn tlsa_records_and_the_update() {
        let t = Tlsa::from_rdata(&[3, 255, 0, 0x30, 0]).unwrap();
        assert!(t.is_csr() && !t.is_certificate() && !t.is_chain());
        assert_eq!(t.to_rdata(), [3, 255, 0, 0x30, 0]);
        assert!(Tlsa::from_rdata(&[3, 0]).is_none());
        assert!(Tlsa::from_rdata(&[3, 0, 0]).unwrap().is_certificate());
        assert!(Tlsa::from_rdata(&[2, 0, 0]).unwrap().is_chain());
        assert!(
            !Tlsa::from_rdata(&[3, 0, 1]).unwrap().is_certificate(),
            "a hash is not a certificate"
        );

        let zone = crate::parse_name("example.com").unwrap();
        let owner = letsencrypt_name("www.example.com").unwrap();
        let existing = [
            Tlsa::csr(vec![0x30, 1]),
            Tlsa {
                usage: 3,
                selector: 0,
                matching: 0,
                data: vec![0x30, 2],
            },
            Tlsa {
                usage: 2,
                selector: 0,
                matching: 0,
                data: vec![0x30, 3],
            },
            Tlsa::csr(vec![0x30, 4]),
        ];
        let u = csr_update(zone.clone(), &owner, &existing, &[0x30, 9]).unwrap();
        let rd = |b: &[u8]| Rdata::from_wire(RecordType::TLSA, b).unwrap();
        assert_eq!(
            u.updates,
            [
                Update::DeleteRecord(owner.clone(), RecordType::TLSA, rd(&[3, 255, 0, 0x30, 1])),
                Update::DeleteRecord(owner.clone(), RecordType::TLSA, rd(&[3, 255, 0, 0x30, 4])),
                Update::Add(
                    owner.clone(),
                    3600,
                    RecordType::TLSA,
                    rd(&[3, 255, 0, 0x30, 9])
                ),
            ]
        );
        assert_eq!(u.zone, zone);
    }

    #[test]
    fn tlsa_answers() {
        let owner = letsencrypt_name("www.example.com").unwrap();
        let other = letsencrypt_name("mail.example.com").unwrap();
        let answer = |id: u16, rc: u16, records: &[(&Name, &[u8])]| {
            let mut b = MessageBuilder::new(id, dns_wire::flags::QR | rc);
            b.question(&owner, RecordType::TLSA, class::IN).unwrap();
            for (n, rd) in records {
                b.record(
                    dns_wire::Section::Answer,
                    n,
                    RecordType::TLSA,
                    class::IN,
                    3600,
                    rd,
                )
                .unwrap();
            }
            b.finish()
        };
        let (r, notes) = tlsa_from_answer(
            &answer(
                7,
                0,
                &[
                    (&owner, &[3, 255, 0, 1]),
                    (&other, &[3, 0, 0, 2]),
                    (&owner, &[3, 0]),
                ],
            ),
            7,
            &owner,
        )
        .unwrap();
        assert_eq!(r, [Tlsa::csr(vec![1])]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("malformed TLSA record"), "{notes:?}");
        let (r, _) = tlsa_from_answer(&answer(7, rcode::NXDOMAIN, &[]), 7, &owner).unwrap();
        assert!(r.is_empty());
        let e = tlsa_from_answer(&answer(7, rcode::REFUSED, &[]), 7, &owner).unwrap_err();
        assert!(e.contains("REFUSED"), "{e}");
        assert!(tlsa_from_answer(&answer(8, 0, &[]), 7, &owner).is_err());
        assert!(tlsa_from_answer(b"\x00\x07", 7, &owner).is_err());
    }
}
