//! RFC 8945 (TSIG): signing, verification, error responses and
//! multi-message streams, against known answers derived independently
//! with Python's `hmac` (`tests/kat/derive.py` lays the MAC input out by
//! hand from the RFC; run it to reproduce every constant below).

#![allow(clippy::type_complexity, clippy::result_large_err)]

use tsig::{
    sign_request, sign_request_with, verify_request, verify_request_with, Algorithm, FormatError,
    Key, Policy, RequestError, ResponseError, ResponseVerifier, StreamSigner, Tsig, Verified,
};

const T0: u64 = 1_700_000_000;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn name(s: &str) -> dns_wire::Name {
    dns_wire::Name::from_ascii(s).unwrap()
}

fn key(alg: Algorithm) -> Key {
    Key::new(name("kat.example."), alg, (0u8..32).collect())
}

/// The unsigned NOTIFY of derive.py: ID 0x1234, opcode NOTIFY, AA,
/// question example.com. SOA IN.
fn notify() -> Vec<u8> {
    let mut m = hex("123424000001000000000000");
    m.extend_from_slice(b"\x07example\x03com\x00\x00\x06\x00\x01");
    m
}

const REQUEST_SHA1: &str = "123424000001000000000001076578616d706c6503636f6d0000060001036b6174076578616d706c650000fa00ff00000000002f09686d61632d736861310000006553f100012c0014a4a89806bd8424d15ddab2588f85d316166f8597123400000000";
const REQUEST_SHA256: &str = "123424000001000000000001076578616d706c6503636f6d0000060001036b6174076578616d706c650000fa00ff00000000003d0b686d61632d7368613235360000006553f100012c00206b0f78e49a14c4c87492806641acc919dcc3de9b33845db2db3543994ff4fe5b123400000000";
const REQUEST_SHA512: &str = "123424000001000000000001076578616d706c6503636f6d0000060001036b6174076578616d706c650000fa00ff00000000005d0b686d61632d7368613531320000006553f100012c0040198120a265e748da58107bd7d076ed31e63ce74d073c0e9e0f600843e12f9a61ec3cf386bf18951a4fe91b4409bb283da31a8689789be0cd2c271ee478f56224123400000000";
const RESPONSE_SHA256: &str = "1234a4000001000000000001076578616d706c6503636f6d0000060001036b6174076578616d706c650000fa00ff00000000003d0b686d61632d7368613235360000006553f101012c0020244bec9114073dee224a8ad590c57a0ab002cd1a7551b748df3eeb9b423069fb123400000000";
const STREAM_1: &str = "123484000001000100000001076578616d706c6503636f6d0000060001c00c0001000100000e100004c0000201036b6174076578616d706c650000fa00ff00000000003d0b686d61632d7368613235360000006553f102012c0020fc6431ed10a47fe64670dfd7971b3e6fbeaafbb4506cffd4d74b84b1abc7c022123400000000";
const STREAM_2: &str =
    "123484000000000100000000076578616d706c6503636f6d000001000100000e100004c0000202";
const STREAM_3: &str = "123484000000000100000001076578616d706c6503636f6d000001000100000e100004c0000203036b6174076578616d706c650000fa00ff00000000003d0b686d61632d7368613235360000006553f103012c0020fc450179155dd2ab23f975eb254b5ae03e578a9d638061784d01bae11bda7f83123400000000";
const REQUEST_SHA256_TRUNC16: &str = "123424000001000000000001076578616d706c6503636f6d0000060001036b6174076578616d706c650000fa00ff00000000002d0b686d61632d7368613235360000006553f100012c00106b0f78e49a14c4c87492806641acc919123400000000";

fn mac_of(msg: &[u8]) -> Vec<u8> {
    Tsig::locate(msg).unwrap().unwrap().tsig.mac
}

/// §4.3: the request MAC covers the message, then the key name, class ANY,
/// TTL 0, algorithm name, time signed, fudge, error and other data.
#[test]
fn rfc8945_4_3_request_mac_known_answers() {
    for (alg, want) in [
        (Algorithm::HmacSha1, REQUEST_SHA1),
        (Algorithm::HmacSha256, REQUEST_SHA256),
        (Algorithm::HmacSha512, REQUEST_SHA512),
    ] {
        let mut msg = notify();
        let mac = sign_request(&mut msg, &key(alg), T0);
        assert_eq!(msg, hex(want), "{alg}");
        assert_eq!(mac, mac_of(&msg));
        let signed = verify_request(&msg, &key(alg), T0).unwrap().unwrap();
        assert_eq!(signed.key_name(), &name("kat.example."));
        assert_eq!(signed.stripped(&msg), notify());
    }
}

/// §4.3.1: "the digest of a response includes the request MAC" (with its
/// length), then the response, then the variables.
#[test]
fn rfc8945_4_3_1_response_mac_known_answer() {
    let request = hex(REQUEST_SHA256);
    let signed = verify_request(&request, &key(Algorithm::HmacSha256), T0)
        .unwrap()
        .unwrap();
    let mut response = notify();
    response[2] = 0xa4;
    signed.response_signer().sign(&mut response, T0 + 1);
    assert_eq!(response, hex(RESPONSE_SHA256));
    let mut v = ResponseVerifier::new(key(Algorithm::HmacSha256), &mac_of(&request));
    assert_eq!(v.verify(&response, T0 + 1), Ok(Verified::Signed));
    v.finish().unwrap();
    // Chained to another request MAC, it does not verify.
    let mut v = ResponseVerifier::new(key(Algorithm::HmacSha256), &[0; 32]);
    assert_eq!(v.verify(&response, T0 + 1), Err(ResponseError::BadSig));
}

/// §5.3.1: "a TSIG record MUST be included on the first and last DNS
/// envelopes ... and at least every 100"; the MAC of a signed message
/// covers the prior MAC, the unsigned messages since, itself and the
/// timers.
#[test]
fn rfc8945_5_3_1_stream_with_an_unsigned_message() {
    let k = key(Algorithm::HmacSha256);
    let req_mac = mac_of(&hex(REQUEST_SHA256));
    let msgs = [hex(STREAM_1), hex(STREAM_2), hex(STREAM_3)];
    let mut v = ResponseVerifier::new(k.clone(), &req_mac);
    assert_eq!(v.verify(&msgs[0], T0 + 2), Ok(Verified::Signed));
    assert_eq!(v.verify(&msgs[1], T0 + 2), Ok(Verified::Unsigned));
    assert_eq!(v.finish(), Err(ResponseError::UnsignedEnd));
    assert_eq!(v.verify(&msgs[2], T0 + 3), Ok(Verified::Signed));
    v.finish().unwrap();

    // Leaving out the unsigned message breaks the next MAC.
    let mut v = ResponseVerifier::new(k.clone(), &req_mac);
    v.verify(&msgs[0], T0 + 2).unwrap();
    assert_eq!(v.verify(&msgs[2], T0 + 3), Err(ResponseError::BadSig));
    // So does starting with the second signed message.
    let mut v = ResponseVerifier::new(k.clone(), &req_mac);
    assert_eq!(v.verify(&msgs[2], T0 + 3), Err(ResponseError::BadSig));
    // The first message must be signed.
    let mut v = ResponseVerifier::new(k.clone(), &req_mac);
    assert_eq!(v.verify(&msgs[1], T0 + 3), Err(ResponseError::Unsigned));

    // Our own signer signs every message; the verifier accepts the chain.
    let mut signer = StreamSigner::new(k.clone(), req_mac.clone());
    let mut v = ResponseVerifier::new(k, &req_mac);
    for (i, m) in msgs.iter().enumerate() {
        let mut m = match Tsig::locate(m).unwrap() {
            Some(located) => tsig::strip(m, &located),
            None => m.clone(),
        };
        signer.sign(&mut m, T0 + 5);
        assert_eq!(v.verify(&m, T0 + 5), Ok(Verified::Signed), "message {i}");
    }
    v.finish().unwrap();

    // Our signer reproduces the peer's stream when told to skip message 2.
    let mut signer = StreamSigner::new(key(Algorithm::HmacSha256), req_mac.clone());
    let plain: Vec<Vec<u8>> = msgs
        .iter()
        .map(|m| match Tsig::locate(m).unwrap() {
            Some(located) => tsig::strip(m, &located),
            None => m.clone(),
        })
        .collect();
    let mut first = plain[0].clone();
    signer.sign(&mut first, T0 + 2);
    assert_eq!(first, msgs[0]);
    signer.skip(&plain[1]);
    let mut third = plain[2].clone();
    signer.sign(&mut third, T0 + 3);
    assert_eq!(third, msgs[2]);
}

#[test]
fn rfc8945_5_3_1_at_most_99_unsigned_in_a_row() {
    let k = key(Algorithm::HmacSha256);
    let req_mac = mac_of(&hex(REQUEST_SHA256));
    let mut v = ResponseVerifier::new(k, &req_mac);
    v.verify(&hex(STREAM_1), T0 + 2).unwrap();
    for _ in 0..99 {
        assert_eq!(v.verify(&hex(STREAM_2), T0 + 2), Ok(Verified::Unsigned));
    }
    assert_eq!(
        v.verify(&hex(STREAM_2), T0 + 2),
        Err(ResponseError::TooManyUnsigned)
    );
}

/// §5.2.3: "If the server time is outside the time interval specified by
/// the request (which is the Time Signed value plus/minus the Fudge
/// value), the server MUST generate an error response with RCODE 9
/// (NOTAUTH) and TSIG ERROR 18 (BADTIME)."
#[test]
fn rfc8945_5_2_3_time_window() {
    let msg = hex(REQUEST_SHA256);
    let k = key(Algorithm::HmacSha256);
    for (now, ok) in [
        (T0, true),
        (T0 + 300, true),
        (T0 - 300, true),
        (T0 + 301, false),
        (T0 - 301, false),
        (0, false),
    ] {
        match verify_request(&msg, &k, now) {
            Ok(Some(_)) => assert!(ok, "{now}"),
            Err(RequestError::BadTime { .. }) => assert!(!ok, "{now}"),
            other => panic!("{now}: {other:?}"),
        }
    }
    // A caller may narrow the peer's fudge.
    let policy = Policy::default().with_max_fudge(10);
    assert!(verify_request_with(&msg, &k, T0 + 10, &policy).is_ok());
    assert!(matches!(
        verify_request_with(&msg, &k, T0 + 11, &policy),
        Err(RequestError::BadTime { .. })
    ));
}

/// §5.2.3: "A response indicating a BADTIME error MUST be signed by the
/// same key as the request. It MUST include the client's current time in
/// the Time Signed field, the server's current time ... in the Other Data
/// field, and 6 in the Other Len field ... the Fudge field MUST be set to
/// the fudge value received from the client."
#[test]
fn rfc8945_5_2_3_badtime_response_is_signed() {
    let msg = hex(REQUEST_SHA256);
    let k = key(Algorithm::HmacSha256);
    let now = T0 + 1000;
    let err = verify_request(&msg, &k, now).unwrap_err();
    assert_eq!(err.rcode(), 9);
    assert_eq!(err.tsig_error(), Some(18));
    let resp = err.response(&msg, now);
    assert_eq!(
        &resp[..4],
        &[0x12, 0x34, 0xa0, 0x09],
        "ID, QR, opcode NOTIFY, NOTAUTH"
    );
    let t = Tsig::locate(&resp).unwrap().unwrap().tsig;
    assert_eq!(t.error, 18);
    assert_eq!(t.time_signed, T0);
    assert_eq!(t.fudge, 300);
    assert_eq!(t.other_time(), Some(now));
    assert_eq!(t.mac.len(), 32);
    // The client verifies it (at its own, wrong, time) and learns the
    // server's time.
    let mut v = ResponseVerifier::new(k, &mac_of(&msg));
    assert_eq!(
        v.verify(&resp, T0),
        Err(ResponseError::Server {
            error: 18,
            server_time: Some(now)
        })
    );
}

/// §5.2.1: unknown key or algorithm → NOTAUTH/BADKEY, unsigned; §5.3.2:
/// "the server SHOULD send back an unsigned error message (MAC Size == 0
/// and empty MAC). It MUST NOT send back a signed error message."
#[test]
fn rfc8945_5_2_1_badkey_is_unsigned() {
    let msg = hex(REQUEST_SHA256);
    let other_name = Key::new(name("other.example."), Algorithm::HmacSha256, vec![0; 32]);
    let other_alg = Key::new(
        name("kat.example."),
        Algorithm::HmacSha512,
        (0u8..32).collect(),
    );
    for k in [other_name, other_alg] {
        let err = verify_request(&msg, &k, T0).unwrap_err();
        assert!(matches!(err, RequestError::BadKey(_)), "{err:?}");
        let resp = err.response(&msg, T0);
        assert_eq!(resp[3] & 0xf, 9);
        let t = Tsig::locate(&resp).unwrap().unwrap().tsig;
        assert_eq!((t.error, t.mac.len()), (17, 0));
        let mut v = ResponseVerifier::new(key(Algorithm::HmacSha256), &mac_of(&msg));
        assert_eq!(
            v.verify(&resp, T0),
            Err(ResponseError::Server {
                error: 17,
                server_time: None
            })
        );
    }
    // Keys are found case-insensitively.
    let upper = Key::new(
        name("KAT.Example."),
        Algorithm::HmacSha256,
        (0u8..32).collect(),
    );
    assert!(verify_request(&msg, &upper, T0).unwrap().is_some());
}

/// §5.2.2: a MAC that does not match → NOTAUTH/BADSIG, unsigned. The MAC
/// is checked before the time (a forged time is BADSIG, not BADTIME).
#[test]
fn rfc8945_5_2_2_badsig() {
    let k = key(Algorithm::HmacSha256);
    let good = hex(REQUEST_SHA256);
    let tsig_at = Tsig::locate(&good).unwrap().unwrap().start;
    // Every label octet, type and class of the question (not the label
    // lengths, which would make the message unreadable), and every octet
    // of the time, fudge, MAC size and MAC fields.
    let mut positions: Vec<usize> = (13..20).chain(21..24).chain(25..tsig_at).collect();
    let rdata = tsig_at + 13 + 10;
    positions.extend(rdata + 13..rdata + 13 + 6 + 2 + 2 + 32);
    for i in positions {
        let mut msg = good.clone();
        msg[i] ^= 0x01;
        match verify_request(&msg, &k, T0) {
            Err(RequestError::BadSig(_)) => {}
            // Changing the MAC length field makes the record unparsable.
            Err(RequestError::FormErr(_)) if (rdata + 13 + 8..rdata + 13 + 10).contains(&i) => {}
            other => panic!("octet {i}: {other:?}"),
        }
    }
    // A BADSIG response is unsigned.
    let mut msg = good.clone();
    msg[15] ^= 1;
    let err = verify_request(&msg, &k, T0 + 10_000).unwrap_err();
    assert!(matches!(err, RequestError::BadSig(_)));
    let t = Tsig::locate(&err.response(&msg, T0)).unwrap().unwrap().tsig;
    assert_eq!((t.error, t.mac.len()), (16, 0));
    // The ID is not covered as sent: the original ID is (§4.3.1), so a
    // forwarder may change it.
    let mut msg = good;
    msg[0] = 0x99;
    assert!(verify_request(&msg, &k, T0).unwrap().is_some());
}

/// §5.2.2.1: truncation rules. MAC size above the output length, or
/// below max(10, output/2) → FORMERR; otherwise the truncated MAC is
/// compared with the leftmost octets. §5.2.4: below local policy → BADTRUNC.
#[test]
fn rfc8945_5_2_2_1_truncated_macs() {
    let k = key(Algorithm::HmacSha256);
    let msg = hex(REQUEST_SHA256_TRUNC16);
    let signed = verify_request(&msg, &k, T0).unwrap().unwrap();
    assert_eq!(signed.tsig().mac.len(), 16);
    // The response is chained to the truncated request MAC.
    let mut resp = notify();
    resp[2] = 0xa4;
    signed.response_signer().sign(&mut resp, T0);
    let mut v = ResponseVerifier::new(k.clone(), &mac_of(&msg));
    v.verify(&resp, T0).unwrap();

    let err = verify_request_with(&msg, &k, T0, &Policy::full_mac_only()).unwrap_err();
    assert!(matches!(err, RequestError::BadTrunc { .. }));
    let resp = err.response(&msg, T0);
    let t = Tsig::locate(&resp).unwrap().unwrap().tsig;
    assert_eq!((t.error, t.mac.len()), (22, 32), "BADTRUNC is signed");
    let mut v = ResponseVerifier::new(k.clone(), &mac_of(&msg));
    assert_eq!(
        v.verify(&resp, T0),
        Err(ResponseError::Server {
            error: 22,
            server_time: None
        })
    );

    // 15 octets: below the minimum for SHA-256.
    let short = with_mac(&msg, &mac_of(&msg)[..15]);
    assert_eq!(
        verify_request(&short, &k, T0).unwrap_err(),
        RequestError::FormErr(FormatError::BadRecord)
    );
    // 33 octets: above the output length.
    let mut long_mac = mac_of(&hex(REQUEST_SHA256));
    long_mac.push(0);
    let long = with_mac(&msg, &long_mac);
    assert_eq!(
        verify_request(&long, &k, T0).unwrap_err(),
        RequestError::FormErr(FormatError::BadRecord)
    );
    // A truncated MAC must match the leftmost octets.
    let mut wrong = mac_of(&msg);
    wrong[15] ^= 1;
    assert!(matches!(
        verify_request(&with_mac(&msg, &wrong), &k, T0),
        Err(RequestError::BadSig(_))
    ));
}

/// Rebuilds `msg`'s TSIG with another MAC.
fn with_mac(msg: &[u8], mac: &[u8]) -> Vec<u8> {
    let loc = Tsig::locate(msg).unwrap().unwrap();
    let mut t = loc.tsig.clone();
    t.mac = mac.to_vec();
    let mut out = tsig::strip(msg, &loc);
    t.append_to(&mut out);
    out
}

/// §5.1 / §4.2: "If multiple TSIG records are detected or a TSIG record is
/// present in any other position, the DNS message is dropped and a
/// response with RCODE 1 (FORMERR) MUST be returned."
#[test]
fn rfc8945_4_2_tsig_last_and_only_once() {
    let k = key(Algorithm::HmacSha256);
    let good = hex(REQUEST_SHA256);
    let loc = Tsig::locate(&good).unwrap().unwrap();
    let tsig_rr = good[loc.start..].to_vec();
    let a_rr = b"\x07example\x03com\x00\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01";

    // TSIG followed by another additional record.
    let mut not_last = good.clone();
    not_last.extend_from_slice(a_rr);
    not_last[11] += 1;
    // Two TSIG records.
    let mut twice = good.clone();
    twice.extend_from_slice(&tsig_rr);
    twice[11] += 1;
    // TSIG in the answer section.
    let mut in_answer = good[..loc.start].to_vec();
    in_answer[7] = 1;
    in_answer[11] = 0;
    in_answer.extend_from_slice(&tsig_rr);
    for (msg, want) in [
        (not_last, FormatError::NotLast),
        (twice, FormatError::Multiple),
        (in_answer, FormatError::NotLast),
    ] {
        let err = verify_request(&msg, &k, T0).unwrap_err();
        assert_eq!(err, RequestError::FormErr(want));
        let resp = err.response(&msg, T0);
        assert_eq!(&resp[2..4], &[0xa0, 0x01], "QR, opcode, FORMERR");
        assert_eq!(Tsig::locate(&resp), Ok(None), "FORMERR carries no TSIG");
        assert_eq!(&resp[4..6], &[0, 1], "question copied");
    }
    // Garbage TSIG RDATA.
    let mut bad = good.clone();
    bad.truncate(bad.len() - 2);
    let rdlen_at = loc.start + 13 + 8;
    bad[rdlen_at + 1] -= 2;
    assert_eq!(
        verify_request(&bad, &k, T0).unwrap_err(),
        RequestError::FormErr(FormatError::BadRecord)
    );
    // Truncated messages never panic and are FORMERR.
    for cut in 0..good.len() {
        match verify_request(&good[..cut], &k, T0) {
            Ok(None) | Err(RequestError::FormErr(_)) => {}
            other => panic!("cut {cut}: {other:?}"),
        }
    }
}

/// §5.4: "If the TSIG RR is not present in the response, the response is
/// treated as having a format error and is discarded."
#[test]
fn rfc8945_5_4_client_checks() {
    let k = key(Algorithm::HmacSha256);
    let req = hex(REQUEST_SHA256);
    let mut v = ResponseVerifier::new(k.clone(), &mac_of(&req));
    let mut unsigned = notify();
    unsigned[2] = 0xa4;
    assert_eq!(v.verify(&unsigned, T0), Err(ResponseError::Unsigned));
    // Signed by another key.
    let other = Key::new(name("other.example."), Algorithm::HmacSha256, vec![1; 32]);
    let mut resp = unsigned.clone();
    StreamSigner::new(other, mac_of(&req)).sign(&mut resp, T0);
    assert_eq!(v.verify(&resp, T0), Err(ResponseError::WrongKey));
    // A response signed long ago.
    let mut resp = unsigned;
    StreamSigner::new(k, mac_of(&req)).sign(&mut resp, T0);
    assert_eq!(
        v.verify(&resp, T0 + 301),
        Err(ResponseError::BadTime { time_signed: T0 })
    );
}

/// Every algorithm signs and verifies its own messages; sha224 and sha384
/// included, and a long secret (hashed first, RFC 2104 §2).
#[test]
fn round_trip_every_algorithm() {
    for alg in Algorithm::ALL {
        for secret in [vec![7u8; 16], vec![9u8; 200]] {
            let k = Key::new(name("rt.example."), alg, secret);
            let mut msg = notify();
            let mac = sign_request_with(&mut msg, &k, T0, 60);
            assert_eq!(mac.len(), alg.output_len());
            assert_eq!(msg.len(), notify().len() + k.tsig_len(0));
            let signed = verify_request(&msg, &k, T0 + 60).unwrap().unwrap();
            assert!(matches!(
                verify_request(&msg, &k, T0 + 61),
                Err(RequestError::BadTime { .. })
            ));
            let mut signer = signed.response_signer();
            let mut v = ResponseVerifier::new(k.clone(), &mac);
            for i in 0..5u64 {
                let mut m = notify();
                m[2] = 0x84;
                signer.sign(&mut m, T0 + i);
                assert_eq!(v.verify(&m, T0 + i), Ok(Verified::Signed), "{alg} #{i}");
            }
            v.finish().unwrap();
        }
    }
}
