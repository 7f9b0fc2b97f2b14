//! EDNS(0) (RFC 6891): the OPT pseudo-record of queries and responses.

use crate::wire::Writer;

/// The largest UDP payload we offer and send: 1232 octets, the DNS Flag Day
/// 2020 value that avoids IP fragmentation on common paths.
pub const OUR_UDP_PAYLOAD: u16 = 1232;
/// Responses without EDNS, and requesters announcing less, get 512 octets
/// (RFC 1035 §4.2.1; RFC 6891 §6.2.5).
pub const MIN_UDP_PAYLOAD: u16 = 512;
/// Size of an OPT record without options.
pub const OPT_LEN: usize = 11;
/// Extended RCODE BADVERS (16), upper eight bits in the OPT TTL.
pub const BADVERS_HIGH: u8 = 1;

/// The OPT record of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    /// Requester's UDP payload size (the OPT CLASS), as sent.
    pub payload: u16,
    /// EDNS version (0 is the only one defined).
    pub version: u8,
    /// The DO bit (RFC 3225), echoed in the response.
    pub dnssec_ok: bool,
}

impl Edns {
    /// The UDP response size limit for this requester: its payload, at
    /// least 512, at most ours.
    pub fn udp_limit(&self) -> usize {
        usize::from(self.payload.clamp(MIN_UDP_PAYLOAD, OUR_UDP_PAYLOAD))
    }
}

/// Writes our OPT record: root owner, our payload, extended RCODE high bits,
/// version 0, the DO bit echoed, no options.
pub(crate) fn write_opt(w: &mut Writer, ext_rcode_high: u8, dnssec_ok: bool) {
    w.buf.push(0); // root owner
    w.u16(41); // OPT
    w.u16(OUR_UDP_PAYLOAD);
    w.buf.push(ext_rcode_high);
    w.buf.push(0); // version
    w.u16(if dnssec_ok { 0x8000 } else { 0 });
    w.u16(0); // RDLENGTH
}
