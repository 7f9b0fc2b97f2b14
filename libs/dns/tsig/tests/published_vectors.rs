//! Signed messages and MACs published in the test suites of other TSIG
//! implementations, taken as test data (origin named at each). Each
//! signed message verifies at its signing time, fails one second past the
//! fudge window and fails with one octet changed; each published MAC is
//! reproduced by our signer.

#![allow(clippy::type_complexity, clippy::result_large_err)]

use data_encoding::BASE64;
use tsig::{sign_request_with, verify_request, Algorithm, Key, RequestError, StreamSigner, Tsig};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn name(s: &str) -> dns_wire::Name {
    dns_wire::Name::from_ascii(s).unwrap()
}

/// The checks every published signed message gets.
fn verifies_only_in_window(msg: &[u8], key: &Key, signed_at: u64) {
    let fudge = u64::from(Tsig::locate(msg).unwrap().unwrap().tsig.fudge);
    assert!(verify_request(msg, key, signed_at).unwrap().is_some());
    assert!(verify_request(msg, key, signed_at + fudge)
        .unwrap()
        .is_some());
    assert!(matches!(
        verify_request(msg, key, signed_at + fudge + 1),
        Err(RequestError::BadTime { .. })
    ));
    assert!(matches!(
        verify_request(msg, key, signed_at - fudge - 1),
        Err(RequestError::BadTime { .. })
    ));
    // One octet changed in the question's first label.
    let mut changed = msg.to_vec();
    changed[13] ^= 0x20;
    changed[14] ^= 0x01;
    assert!(matches!(
        verify_request(&changed, key, signed_at),
        Err(RequestError::BadSig(_))
    ));
}

// ---------------------------------------------------------------------
// miekg/dns, tsig_test.go (github.com/miekg/dns): `wireMsg` (an UPDATE of
// example.com. adding a.example.com. A 192.0.2.1, signed by "testkey."
// with hmac-sha256), `testSecret` and `timeSigned`.
// ---------------------------------------------------------------------

const MIEKG_SECRET: &str = "NoTCJU+DMqFWywaPyxSijrDEA/eC3nK0xi3AMEZuPVk=";
const MIEKG_TIME_SIGNED: u64 = 1_594_855_491;

fn miekg_wire_msg(time_signed: u64) -> Vec<u8> {
    hex(&format!(
        "c60028000001000000010001076578616d706c6503636f6d00000600010161c00c0001000100000e100004c0000201077465\
         73746b65790000fa00ff00000000003d0b686d61632d73686132353600\
         {time_signed:012x}\
         012c00208cf23e0081d915478a182edcea7ff48ad102948e6c7ef8e887536957d1fa5616c60000000000"
    ))
}

fn miekg_key(alg: Algorithm, secret: &str) -> Key {
    Key::new(
        name("testkey."),
        alg,
        BASE64.decode(secret.as_bytes()).unwrap(),
    )
}

/// miekg/dns `TestTsigErrors`: valid at its time; BADTIME at ±301 s; a
/// message whose time field was changed is BADSIG (the MAC is checked
/// first); an unknown algorithm is BADKEY.
#[test]
fn miekg_tsig_errors() {
    let key = miekg_key(Algorithm::HmacSha256, MIEKG_SECRET);
    let msg = miekg_wire_msg(MIEKG_TIME_SIGNED);
    verifies_only_in_window(&msg, &key, MIEKG_TIME_SIGNED);
    assert!(matches!(
        verify_request(
            &miekg_wire_msg(MIEKG_TIME_SIGNED + 301),
            &key,
            MIEKG_TIME_SIGNED
        ),
        Err(RequestError::BadSig(_))
    ));
    let mut bogus = msg.clone();
    bogus[67..72].copy_from_slice(b"bogus");
    assert!(matches!(
        verify_request(&bogus, &key, MIEKG_TIME_SIGNED),
        Err(RequestError::BadKey(_))
    ));
}

/// miekg/dns `TestTsigGenerate`: MACs of an UPDATE (zone example.com.;
/// the TSIG's original ID 42 is the ID the MAC covers, miekg's
/// `tsigBuffer` puts it into the header) signed by "testkey." at
/// `timeSigned` with error BADTIME,
/// as a response to request MAC 3684c225, with and without other data.
/// (The third case, "no request MAC", signs a request with a non-zero
/// error, which our API does not offer.)
#[test]
fn miekg_tsig_generate() {
    let key = miekg_key(Algorithm::HmacSha256, MIEKG_SECRET);
    let update = hex("002a 2800 0001 0000 0000 0000 076578616d706c6503636f6d00 0006 0001");
    for (other, want) in [
        (
            "",
            "c110e3f62694755c10761dc8717462431ee34340b7c9d1eee09449150757c5b1",
        ),
        (
            "666f6f",
            "15b91571ca80b3b410a77e2b44f8cc4f35ace22b26020138439dd94803e23b5d",
        ),
    ] {
        let mut msg = update.clone();
        let mut signer = StreamSigner::new(key.clone(), hex("3684c225"));
        signer.sign_with_error(&mut msg, MIEKG_TIME_SIGNED, 18, &hex(other));
        let t = Tsig::locate(&msg).unwrap().unwrap().tsig;
        assert_eq!(t.mac, hex(want), "other data {other:?}");
        assert_eq!(
            (t.error, t.fudge, t.time_signed),
            (18, 300, MIEKG_TIME_SIGNED)
        );
    }
}

/// miekg/dns `TestTSIGHMAC224And384`: the same UPDATE (original ID 42)
/// signed with hmac-sha224 and hmac-sha384 (no request MAC, no error).
#[test]
fn miekg_hmac224_and_384() {
    let update = hex("002a 2800 0001 0000 0000 0000 076578616d706c6503636f6d00 0006 0001");
    for (alg, secret, want) in [
        (
            Algorithm::HmacSha224,
            "hVEkQuAqnTmBuRrT9KF1Udr91gOMGWPw9LaTtw==",
            "d6daf9ea189e48bc38f9aed63d6cc4140cdfa38a7a333ee2eefdbd31",
        ),
        (
            Algorithm::HmacSha384,
            "Qjer2TL2lAdpq9w6Gjs98/ClCQx/L3vtgVHCmrZ8l/oKEPjqUUMFO18gMCRwd5H4",
            "89a48936d29187870c325cbdba5ad71609bd038d0459d6010c844d659c570e881d3650e4fe7310be53ebe5178d0d1001",
        ),
    ] {
        let key = miekg_key(alg, secret);
        let mut msg = update.clone();
        let mac = sign_request_with(&mut msg, &key, MIEKG_TIME_SIGNED, 300);
        assert_eq!(mac, hex(want), "{alg}");
        verifies_only_in_window(&msg, &key, MIEKG_TIME_SIGNED);
    }
}

// ---------------------------------------------------------------------
// mirage/ocaml-dns, test/tsig.ml: three UPDATE messages (as sent, before
// the TSIG was added) and the hmac-sha256 MACs OCaml-DNS computed for them
// with key "mykey.bla.example", fudge 300, at the given times.
// ---------------------------------------------------------------------

const OCAML_SECRET: &str = "GSnQJ+fHuzwj5yKzCOkXdISyGQXBUxMrjEjL4Kr1WIs=";

/// (message, time signed, MAC) of `example0`, `example1`, `example2`.
const OCAML_EXAMPLES: [(&str, u64, &str); 3] = [
    (
        "62 d7 28 00 00 01 00 00  00 02 00 00 07 65 78 61
         6d 70 6c 65 03 63 6f 6d  00 00 06 00 01 03 66 6f
         6f c0 0c 00 ff 00 ff 00  00 00 00 00 00 03 62 61
         72 c0 0c 00 01 00 01 00  00 01 2c 00 04 01 02 03
         04",
        1_506_887_417,
        "bf 5d 77 ba 97 ba 7b 95  9e 1b 0d 95 64 a7 5b a6
         95 bf 24 15 3b 9d a2 1b  bf 6f ae 61 9d 0f 28 a1",
    ),
    (
        "4c 56 28 00 00 01 00 00  00 01 00 00 07 45 78 41
         6d 50 6c 45 03 63 6f 6d  00 00 06 00 01 03 66 6f
         6f 07 65 78 61 6d 70 6c  65 c0 14 00 ff 00 ff 00
         00 00 00 00 00",
        1_506_887_742,
        "70 67 ae 70 9e fd 22 9e  ce d9 65 25 8a db 8c 96
         10 95 80 89 a7 ee 4f bb  13 81 e7 38 e3 a0 78 80",
    ),
    (
        "76 8a 28 00 00 01 00 00  00 01 00 00 07 65 78 61
         6d 70 6c 65 00 00 06 00  01 03 66 6f 6f c0 0c 00
         ff 00 ff 00 00 00 00 00  00",
        1_506_888_104,
        "e7 76 e6 df 4e 73 14 c8  eb ba 4c c7 a5 39 b3 93
         a7 df 6d de 47 b6 fa cc  81 c8 47 29 20 77 40 44",
    ),
];

#[test]
fn ocaml_dns_examples() {
    let key = Key::new(
        name("mykey.bla.example."),
        Algorithm::HmacSha256,
        BASE64.decode(OCAML_SECRET.as_bytes()).unwrap(),
    );
    for (i, (msg, time, mac)) in OCAML_EXAMPLES.iter().enumerate() {
        let mut msg = hex(msg);
        let ours = sign_request_with(&mut msg, &key, *time, 300);
        assert_eq!(ours, hex(mac), "example{i}");
        verifies_only_in_window(&msg, &key, *time);
    }
}
