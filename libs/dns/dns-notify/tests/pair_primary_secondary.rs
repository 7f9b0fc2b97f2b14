//! A primary and a secondary on a simulated clock, every message through
//! the wire format (TCP messages through RFC 7766 framing, fed in small
//! pieces): the secondary starts with AXFR; then three signed UPDATEs, each
//! journaled, NOTIFYed (the second NOTIFY is lost and retransmitted), and
//! picked up by IXFR. After every step both copies are equal.

#![allow(clippy::type_complexity, clippy::result_large_err)]

use core::time::Duration;

use dns_keys::KeyStore;
use dns_notify::{notify_targets, Config, Event, Instant, Notifier};
use dns_server::tcp::{frame, TcpFramer};
use dns_update::{check_response, Handled as UpdateHandled, Update, UpdateBuilder};
use dns_wire::RecordType as T;
use dns_xfr::{Handled as XfrHandled, Journal, Outcome, Progress, Transport, XfrClient};
use dns_zone::{Name, Rdata, Zone};
use tsig::{Algorithm, Key};

fn n(s: &str) -> Name {
    let mut w = Vec::new();
    dns_zone::name::parse_name(s.as_bytes(), &Name::root(), &mut w).unwrap()
}

const PRIMARY: &str = "10.53.0.1";
const SECONDARY: &str = "10.53.0.2";

fn update_key() -> Key {
    Key::new(
        n("admin._update.example.com."),
        Algorithm::HmacSha256,
        vec![0x11; 32],
    )
}

fn transfer_key() -> Key {
    Key::new(
        n("10.53.0.1.10.53.0.2._transfer.example.com."),
        Algorithm::HmacSha512,
        vec![0x22; 64],
    )
}

struct Primary {
    zone: Zone,
    journal: Journal,
    keys: KeyStore,
    notifier: Notifier<String>,
}

struct Secondary {
    zone: Zone,
    keys: KeyStore,
}

impl Primary {
    /// Serves one TCP connection: the request arrives framed, the answer
    /// goes back framed; returns the bytes of the stream.
    fn serve_transfer(&self, stream_in: &[u8], unix: u64) -> Vec<u8> {
        let mut framer = TcpFramer::new(65_535);
        framer.push(stream_in);
        let request = framer.next_message().unwrap().unwrap();
        let found =
            |name: &Name| (name == self.zone.origin()).then_some((&self.zone, Some(&self.journal)));
        let XfrHandled::Transfer(mut responder) =
            dns_xfr::handle(&request, unix, Transport::Tcp, &self.keys, found)
        else {
            panic!("transfer refused")
        };
        let mut out = Vec::new();
        while let Some(m) = responder.next_message(unix) {
            out.extend(frame(&m).unwrap());
        }
        out
    }
}

impl Secondary {
    /// Transfers from the primary (AXFR the first time, IXFR later).
    fn refresh(&mut self, primary: &Primary, first: bool, unix: u64) -> Outcome {
        let (mut client, request) = if first {
            XfrClient::axfr(n("example.com."), 77, None, Some(&transfer_key()), unix)
        } else {
            XfrClient::ixfr(&self.zone, 78, Transport::Tcp, Some(&transfer_key()), unix)
        };
        let stream = primary.serve_transfer(&frame(&request).unwrap(), unix);
        // The answer arrives in 1000-octet pieces.
        let mut framer = TcpFramer::new(65_535);
        for piece in stream.chunks(1000) {
            framer.push(piece);
            while let Some(m) = framer.next_message().unwrap() {
                if let Progress::Done(outcome) = client.handle_message(&m, unix).unwrap() {
                    assert_eq!(framer.pending(), 0);
                    if let Some(z) = outcome.clone().into_zone(Some(&self.zone)).unwrap() {
                        self.zone = z;
                    }
                    return outcome;
                }
            }
        }
        panic!("the transfer did not end")
    }
}

#[test]
fn update_notify_ixfr_round_trips() {
    let text = "$TTL 300\n@ SOA ns1 hostmaster 2026010100 7200 3600 1209600 300\n@ NS ns1\n@ NS ns2\nns1 A 10.53.0.1\nns2 A 10.53.0.2\nwww A 192.0.2.80\n";
    let zone = Zone::parse(text.as_bytes(), n("example.com.")).unwrap().0;
    let mut keys = KeyStore::new();
    keys.insert(update_key());
    keys.insert(transfer_key());
    let mut primary = Primary {
        zone,
        journal: Journal::default(),
        keys: keys.clone(),
        notifier: Notifier::new(Config::default(), 0x5eed),
    };
    let mut secondary_keys = KeyStore::new();
    secondary_keys.insert(transfer_key());
    let placeholder = Zone::parse(
        b"$TTL 1\n@ SOA a b 1 1 1 1 1\n@ NS a\na A 192.0.2.1\n",
        n("example.com."),
    )
    .unwrap()
    .0;
    let mut secondary = Secondary {
        zone: placeholder,
        keys: secondary_keys,
    };

    let mut clock = Instant::from_millis(0);
    let unix0 = 1_700_000_000u64;
    let unix = |c: Instant| unix0 + c.millis() / 1000;

    // The secondary starts with a full transfer.
    assert!(matches!(
        secondary.refresh(&primary, true, unix(clock)),
        Outcome::Full(_)
    ));
    assert_eq!(secondary.zone, primary.zone);

    for step in 1..=3u8 {
        // A signed UPDATE from an operator.
        let mut b = UpdateBuilder::new(n("example.com."));
        b.update(Update::Add(
            n(&format!("host{step}.example.com.")),
            60,
            T::A,
            Rdata::from_wire(T::A, &[192, 0, 2, step]).unwrap(),
        ));
        if step == 3 {
            b.update(Update::DeleteName(n("www.example.com.")));
        }
        let (msg, mut verifier) = b
            .build_signed(u16::from(step), &update_key(), unix(clock))
            .unwrap();
        let UpdateHandled::Changed(change) =
            dns_update::handle(&msg, unix(clock), &primary.keys, |z| {
                (z == primary.zone.origin()).then_some(&primary.zone)
            })
        else {
            panic!("update refused")
        };
        // Durable (here: kept), then answered.
        primary.journal.push(change.diff.clone());
        primary.zone = change.new.clone();
        check_response(
            &change.response(unix(clock)),
            u16::from(step),
            Some(&mut verifier),
            unix(clock),
        )
        .unwrap();

        // NOTIFY the secondaries of the transfer keys and the NS (minus us).
        let ours = [PRIMARY.parse().unwrap()];
        let targets: Vec<(String, Option<Key>)> =
            notify_targets(&primary.zone, &primary.keys, &ours)
                .into_iter()
                .map(|(ip, k)| (ip.to_string(), k))
                .collect();
        assert_eq!(targets.len(), 1, "ns2 is the secondary of the transfer key");
        primary.notifier.notify(&primary.zone, targets, clock);
        let mut delivered = false;
        let mut lost = step == 2;
        while !delivered {
            while let Some(tx) = primary.notifier.poll_transmit(clock, unix(clock)) {
                assert_eq!(tx.destination, SECONDARY);
                if lost {
                    lost = false;
                    continue;
                }
                let dns_notify::Handled::Notified {
                    notify, response, ..
                } = dns_notify::handle(&tx.payload, unix(clock), &secondary.keys, false, |z| {
                    z == secondary.zone.origin()
                })
                else {
                    panic!("NOTIFY refused")
                };
                assert_eq!(notify.serial, Some(primary.zone.serial()));
                assert!(primary
                    .notifier
                    .handle_response(&tx.destination, &response, unix(clock)));
                delivered = true;
            }
            if !delivered {
                let next = primary.notifier.next_deadline().unwrap();
                assert_eq!(
                    next,
                    clock + Duration::from_secs(2),
                    "retransmission after 2 s"
                );
                clock = next;
            }
        }
        assert!(matches!(
            primary.notifier.poll_event(),
            Some(Event::Acknowledged { .. })
        ));

        // The secondary picks the change up by IXFR.
        let outcome = secondary.refresh(&primary, false, unix(clock));
        let Outcome::Incremental(diffs) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(diffs.len(), 1);
        assert_eq!(secondary.zone, primary.zone, "after update {step}");
        clock = clock + Duration::from_secs(10);
    }
    assert_eq!(primary.zone.serial().0, 2026010103);
    assert!(primary.zone.node(&n("www.example.com.")).is_none());
    // Up to date now.
    assert!(matches!(
        secondary.refresh(&primary, false, unix(clock)),
        Outcome::UpToDate { .. }
    ));
    // A secondary three versions behind gets all three diffs at once.
    let text = "$TTL 300\n@ SOA ns1 hostmaster 2026010100 7200 3600 1209600 300\n@ NS ns1\n@ NS ns2\nns1 A 10.53.0.1\nns2 A 10.53.0.2\nwww A 192.0.2.80\n";
    secondary.zone = Zone::parse(text.as_bytes(), n("example.com.")).unwrap().0;
    let Outcome::Incremental(diffs) = secondary.refresh(&primary, false, unix(clock)) else {
        panic!()
    };
    assert_eq!(diffs.len(), 3);
    assert_eq!(secondary.zone, primary.zone);
}
