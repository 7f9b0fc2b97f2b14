//! The HMAC algorithms of TSIG (RFC 8945 §6) and their names and numbers.

use alloc::vec::Vec;
use core::fmt;

use dns_wire::Name;
use hmac::{Hmac, KeyInit, Mac};

/// A TSIG algorithm (RFC 8945 §6, Table 3). HMAC-MD5 and GSS-TSIG are not
/// implemented: a request using them gets BADKEY, as for an unknown key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// `hmac-sha1` (RFC 4635), for old clients.
    HmacSha1,
    /// `hmac-sha224`.
    HmacSha224,
    /// `hmac-sha256`, the one to use.
    HmacSha256,
    /// `hmac-sha384`.
    HmacSha384,
    /// `hmac-sha512`.
    HmacSha512,
}

impl Algorithm {
    /// Every implemented algorithm.
    pub const ALL: [Algorithm; 5] = [
        Self::HmacSha1,
        Self::HmacSha224,
        Self::HmacSha256,
        Self::HmacSha384,
        Self::HmacSha512,
    ];

    /// The algorithm name as in a TSIG record, without the final dot
    /// (`hmac-sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha1 => "hmac-sha1",
            Self::HmacSha224 => "hmac-sha224",
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha384 => "hmac-sha384",
            Self::HmacSha512 => "hmac-sha512",
        }
    }

    /// The algorithm name in (canonical, uncompressed) wire format.
    pub fn wire_name(self) -> &'static [u8] {
        match self {
            Self::HmacSha1 => b"\x09hmac-sha1\x00",
            Self::HmacSha224 => b"\x0bhmac-sha224\x00",
            Self::HmacSha256 => b"\x0bhmac-sha256\x00",
            Self::HmacSha384 => b"\x0bhmac-sha384\x00",
            Self::HmacSha512 => b"\x0bhmac-sha512\x00",
        }
    }

    /// The algorithm of a name in wire format (any case).
    pub fn from_wire_name(wire: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.wire_name().eq_ignore_ascii_case(wire))
    }

    /// The algorithm of a name.
    pub fn from_name(name: &Name) -> Option<Self> {
        let mut wire = Vec::with_capacity(16);
        dns_wire::name::name_to_wire(name, &mut wire);
        Self::from_wire_name(&wire)
    }

    /// Parses an algorithm as users write it: the TSIG name
    /// (`hmac-sha256`, with or without final dot) or the OCaml-DNS / CLI
    /// short form (`SHA256`), in any case.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.strip_suffix('.').unwrap_or(s);
        let short = strip_prefix_ignore_case(s, "hmac-").unwrap_or(s);
        Self::ALL.into_iter().find(|a| {
            let n = &a.name()["hmac-".len()..];
            n.eq_ignore_ascii_case(short)
        })
    }

    /// The short upper-case name of the CLI key syntax (`SHA256`).
    pub fn short_name(self) -> &'static str {
        match self {
            Self::HmacSha1 => "SHA1",
            Self::HmacSha224 => "SHA224",
            Self::HmacSha256 => "SHA256",
            Self::HmacSha384 => "SHA384",
            Self::HmacSha512 => "SHA512",
        }
    }

    /// The DNSKEY algorithm number OCaml-DNS uses for this HMAC in `_keys`
    /// files (its `Dnskey.algorithm`: 161 SHA1, 162 SHA224, 163 SHA256,
    /// 164 SHA384, 165 SHA512; 157 is MD5, not implemented here).
    pub fn dnskey_number(self) -> u8 {
        match self {
            Self::HmacSha1 => 161,
            Self::HmacSha224 => 162,
            Self::HmacSha256 => 163,
            Self::HmacSha384 => 164,
            Self::HmacSha512 => 165,
        }
    }

    /// The algorithm of an OCaml-DNS DNSKEY algorithm number.
    pub fn from_dnskey_number(n: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.dnskey_number() == n)
    }

    /// Length of the full MAC in octets.
    pub fn output_len(self) -> usize {
        match self {
            Self::HmacSha1 => 20,
            Self::HmacSha224 => 28,
            Self::HmacSha256 => 32,
            Self::HmacSha384 => 48,
            Self::HmacSha512 => 64,
        }
    }

    /// The shortest truncated MAC RFC 8945 §5.2.2.1 allows: the larger of
    /// 10 octets and half the output.
    pub fn min_mac_len(self) -> usize {
        (self.output_len() / 2).max(10)
    }

    /// A MAC computation with `secret`.
    pub(crate) fn mac(self, secret: &[u8]) -> MacContext {
        // HMAC accepts keys of any length (longer ones are hashed first,
        // RFC 2104 §2), so `new_from_slice` cannot fail.
        const ANY_LENGTH: &str = "HMAC accepts keys of any length";
        match self {
            Self::HmacSha1 => MacContext::Sha1(Hmac::new_from_slice(secret).expect(ANY_LENGTH)),
            Self::HmacSha224 => MacContext::Sha224(Hmac::new_from_slice(secret).expect(ANY_LENGTH)),
            Self::HmacSha256 => MacContext::Sha256(Hmac::new_from_slice(secret).expect(ANY_LENGTH)),
            Self::HmacSha384 => MacContext::Sha384(Hmac::new_from_slice(secret).expect(ANY_LENGTH)),
            Self::HmacSha512 => MacContext::Sha512(Hmac::new_from_slice(secret).expect(ANY_LENGTH)),
        }
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A running HMAC of one of the algorithms.
#[derive(Clone)]
pub(crate) enum MacContext {
    Sha1(Hmac<sha1::Sha1>),
    Sha224(Hmac<sha2::Sha224>),
    Sha256(Hmac<sha2::Sha256>),
    Sha384(Hmac<sha2::Sha384>),
    Sha512(Hmac<sha2::Sha512>),
}

impl MacContext {
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Self::Sha1(m) => m.update(data),
            Self::Sha224(m) => m.update(data),
            Self::Sha256(m) => m.update(data),
            Self::Sha384(m) => m.update(data),
            Self::Sha512(m) => m.update(data),
        }
    }

    /// The full MAC.
    pub(crate) fn finalize(self) -> Vec<u8> {
        match self {
            Self::Sha1(m) => m.finalize().into_bytes().to_vec(),
            Self::Sha224(m) => m.finalize().into_bytes().to_vec(),
            Self::Sha256(m) => m.finalize().into_bytes().to_vec(),
            Self::Sha384(m) => m.finalize().into_bytes().to_vec(),
            Self::Sha512(m) => m.finalize().into_bytes().to_vec(),
        }
    }

    /// Constant-time comparison of `tag` with the leftmost octets of the
    /// MAC (RFC 8945 §5.2.2.1: a truncated MAC keeps the initial octets).
    /// The caller has checked the length rules; an empty or over-long tag
    /// fails.
    pub(crate) fn verify(self, tag: &[u8]) -> bool {
        match self {
            Self::Sha1(m) => m.verify_truncated_left(tag).is_ok(),
            Self::Sha224(m) => m.verify_truncated_left(tag).is_ok(),
            Self::Sha256(m) => m.verify_truncated_left(tag).is_ok(),
            Self::Sha384(m) => m.verify_truncated_left(tag).is_ok(),
            Self::Sha512(m) => m.verify_truncated_left(tag).is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::parse(a.name()), Some(a));
            assert_eq!(Algorithm::parse(a.short_name()), Some(a));
            assert_eq!(Algorithm::from_dnskey_number(a.dnskey_number()), Some(a));
            assert_eq!(Algorithm::from_wire_name(a.wire_name()), Some(a));
            let name: Name = Name::from_ascii(a.name()).unwrap();
            assert_eq!(Algorithm::from_name(&name), Some(a));
            assert_eq!(a.wire_name().len(), a.name().len() + 2);
        }
        assert_eq!(
            Algorithm::parse("HMAC-SHA256."),
            Some(Algorithm::HmacSha256)
        );
        assert_eq!(Algorithm::parse("sha384"), Some(Algorithm::HmacSha384));
        assert_eq!(Algorithm::parse("hmac-md5"), None);
        assert_eq!(Algorithm::parse("hmac-"), None);
        assert_eq!(Algorithm::from_dnskey_number(157), None);
        assert_eq!(Algorithm::HmacSha256.min_mac_len(), 16);
        assert_eq!(Algorithm::HmacSha1.min_mac_len(), 10);
    }

    /// RFC 4231 test case 2 (key "Jefe"), and RFC 2202 test case 2 for SHA-1.
    #[test]
    fn hmac_known_answers() {
        let data = b"what do ya want for nothing?";
        let mut m = Algorithm::HmacSha256.mac(b"Jefe");
        m.update(data);
        assert_eq!(
            m.finalize(),
            [
                0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
                0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9,
                0x64, 0xec, 0x38, 0x43
            ]
        );
        let mut m = Algorithm::HmacSha1.mac(b"Jefe");
        m.update(data);
        assert_eq!(
            m.finalize(),
            [
                0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74, 0x16, 0xd5, 0xf1, 0x84,
                0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79
            ]
        );
        let mut m = Algorithm::HmacSha256.mac(b"Jefe");
        m.update(data);
        assert!(m
            .clone()
            .verify(&[0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04]));
        assert!(!m
            .clone()
            .verify(&[0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x05]));
        assert!(!m.verify(&[]));
    }
}
