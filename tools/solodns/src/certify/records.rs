//! The records side of `certify`: TLSA records of the OCaml-DNS
//! convention (the CSR, the certificate, its chain), the look through
//! them for the certificate of the key ([`find_certificate`]), the UPDATE
//! that publishes a CSR, and the reading of a TLSA answer. Pure
//! functions: no IO.

use dns_update::{Update, UpdateBuilder};
use dns_wire::{class, opcode, rcode, Message, Name, RecordType};
use dns_zone::Rdata;
use x509_cert::der::Decode;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::Certificate;

use super::keys::{certificate_names, same_public_key};
use crate::explain;
use crate::show_name;
/// TTL of the CSR record (the OCaml-DNS convention).
pub const CSR_TTL: u32 = 3600;

/// Chains are short (Let's Encrypt: one or two intermediates); the bound
/// stops a loop of certificates that name each other as issuer.
const MAX_CHAIN: usize = 8;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certify::keys::{make_csr, PrivateKey};
    use crate::certify::test_support::{names, openssl_missing, Ca};
    use crate::certify::{letsencrypt_name, KeyType};
    use crate::net;
    use dns_wire::MessageBuilder;
    use x509_cert::der::Encode;
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
