//! The key side of `certify`: the private key (made, written mode 0600,
//! read back from PEM), the CSR made and signed with it or read from the
//! user's file, the names a CSR or a certificate is for, and whether two
//! public keys are the same key.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use x509_cert::der::asn1::{
    Any, BitString, Ia5String, Ia5StringRef, OctetString, PrintableStringRef, SetOfVec,
    Utf8StringRef,
};
use x509_cert::der::oid::{AssociatedOid, ObjectIdentifier};
use x509_cert::der::pem::LineEnding;
use x509_cert::der::{Decode, Encode, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::Extension;
use x509_cert::request::{CertReq, CertReqInfo, ExtensionReq};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;

use super::KeyType;
/// The longest common name (X.520 `ub-common-name`); longer host names
/// are in the SAN only, as Let's Encrypt does.
const MAX_COMMON_NAME: usize = 64;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certify::test_support::{names, openssl, openssl_missing, Dir};
    use std::os::unix::fs::PermissionsExt;
    use x509_cert::der::EncodePem;
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
}
