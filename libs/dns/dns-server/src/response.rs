//! Encoding responses: header, the question as received, the sections with
//! name compression, the OPT record, and truncation.
//!
//! Truncation (RFC 2181 §9, RFC 1035 §4.2.1), as NSD and Knot do it: the
//! answer and authority sections go in whole or not at all; if they do not
//! fit, the response is the header and question (and OPT) with TC=1. The
//! additional section is filled RRset by RRset while there is room, and
//! what does not fit is left out without setting TC, except in-domain glue
//! of a referral: if some of it does not fit, TC=1 (RFC 9471 §3.1, as Knot
//! does).

use alloc::vec::Vec;

use dns_zone::name::wire_name_len;
use dns_zone::RecordType;

use crate::edns::{write_opt, OPT_LEN};
use crate::lookup::{Answer, Rr};
use crate::query::{Query, HEADER_LEN};
use crate::wire::{name_wire, Writer};

const QR: u16 = 0x8000;
const AA: u16 = 0x0400;
const TC: u16 = 0x0200;
/// Flags of the query copied into the response: opcode and RD. CD is not
/// copied: an authoritative server "SHOULD clear the CD bit when composing
/// an authoritative response" (RFC 4035 §3.1.6), as NSD and Knot do.
const COPIED: u16 = 0x7800 | 0x0100;

fn write_header(w: &mut Writer, id: u16, flags: u16, counts: [u16; 4]) {
    w.u16(id);
    w.u16(flags);
    for c in counts {
        w.u16(c);
    }
}

fn set_counts(w: &mut Writer, counts: [u16; 4]) {
    for (i, c) in counts.iter().enumerate() {
        w.buf[4 + 2 * i..6 + 2 * i].copy_from_slice(&c.to_be_bytes());
    }
}

fn write_question(w: &mut Writer, q: &Query) {
    w.name_uncompressed(&q.qname_wire);
    w.u16(u16::from(q.qtype));
    w.u16(q.qclass);
}

/// Writes one record; names in the RDATA of RFC 1035 types are compressed
/// (RFC 3597 §4), all others are copied.
fn write_rr(w: &mut Writer, rr: &Rr<'_>) {
    w.name_compressed(&name_wire(&rr.owner));
    w.u16(u16::from(rr.rtype));
    w.u16(1); // IN
    w.u32(rr.ttl);
    let len_at = w.len();
    w.u16(0);
    let rd = &rr.rdata[..];
    match rr.rtype {
        RecordType::NS | RecordType::CNAME | RecordType::PTR => w.name_compressed(rd),
        RecordType::MX => {
            w.buf.extend_from_slice(&rd[..2]);
            w.name_compressed(&rd[2..]);
        }
        RecordType::SOA => {
            let m = wire_name_len(rd, 0).unwrap_or(0);
            let r = wire_name_len(rd, m).unwrap_or(0);
            w.name_compressed(&rd[..m]);
            w.name_compressed(&rd[m..m + r]);
            w.buf.extend_from_slice(&rd[m + r..]);
        }
        _ => w.buf.extend_from_slice(rd),
    }
    let rdlen = (w.len() - len_at - 2) as u16;
    w.buf[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
}

/// Encodes an answer to `q` within `limit` octets.
pub(crate) fn encode(q: &Query, ans: &Answer<'_>, limit: usize) -> Vec<u8> {
    let mut w = Writer::new(limit.min(1232));
    let mut flags = QR | (q.flags & COPIED) | u16::from(ans.rcode & 0xf);
    if ans.aa {
        flags |= AA;
    }
    write_header(&mut w, q.id, flags, [1, 0, 0, 0]);
    write_question(&mut w, q);
    let after_question = w.len();
    let room = limit.saturating_sub(if q.edns.is_some() { OPT_LEN } else { 0 });

    for rr in ans.answer.iter().chain(&ans.authority) {
        write_rr(&mut w, rr);
    }
    let mut counts = [1, ans.answer.len() as u16, ans.authority.len() as u16, 0];
    if w.len() > room {
        w.truncate(after_question);
        w.buf[2..4].copy_from_slice(&(flags | TC).to_be_bytes());
        counts = [1, 0, 0, 0];
    } else {
        // Additional records, one RRset at a time.
        let mut i = 0;
        while i < ans.additional.len() {
            let first = &ans.additional[i];
            let mut j = i + 1;
            while j < ans.additional.len()
                && ans.additional[j].rtype == first.rtype
                && ans.additional[j].owner == first.owner
            {
                j += 1;
            }
            let mark = w.len();
            for rr in &ans.additional[i..j] {
                write_rr(&mut w, rr);
            }
            if w.len() > room {
                w.truncate(mark);
                let in_domain_glue =
                    |rr: &Rr<'_>| ans.cut.as_ref().is_some_and(|cut| cut.zone_of(&rr.owner));
                if ans.additional[i..].iter().any(in_domain_glue) {
                    flags |= TC;
                    w.buf[2..4].copy_from_slice(&flags.to_be_bytes());
                }
                break;
            }
            counts[3] += (j - i) as u16;
            i = j;
        }
    }
    if let Some(edns) = q.edns {
        write_opt(&mut w, 0, edns.dnssec_ok);
        counts[3] += 1;
    }
    set_counts(&mut w, counts);
    w.buf
}

/// A response of the header only (FORMERR, NOTIMP): the ID, the flags of
/// `keep`, QR and the RCODE; no question (as NSD does).
pub(crate) fn header_only(id: u16, query_flags: u16, keep: u16, rcode: u8) -> Vec<u8> {
    let mut w = Writer::new(HEADER_LEN);
    write_header(
        &mut w,
        id,
        QR | (query_flags & keep) | u16::from(rcode & 0xf),
        [0; 4],
    );
    w.buf
}

/// A response with the question and an RCODE, no records (REFUSED), or
/// with the extended RCODE BADVERS in the OPT.
pub(crate) fn question_only(q: &Query, rcode: u8, ext_rcode_high: u8) -> Vec<u8> {
    let mut w = Writer::new(HEADER_LEN + q.qname_wire.len() + 4 + OPT_LEN);
    let flags = QR | (q.flags & COPIED) | u16::from(rcode & 0xf);
    write_header(&mut w, q.id, flags, [1, 0, 0, u16::from(q.edns.is_some())]);
    write_question(&mut w, q);
    if let Some(edns) = q.edns {
        write_opt(&mut w, ext_rcode_high, edns.dnssec_ok);
    }
    w.buf
}
