//! DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): every message is
//! preceded by its length as two octets; a connection carries any number of
//! queries, possibly arriving in pieces or several in one segment.
//!
//! [`TcpFramer`] is sans-IO: feed it the bytes read from the connection with
//! [`TcpFramer::push`], take complete messages with
//! [`TcpFramer::next_message`], and frame responses with [`frame`]. Idle
//! timeouts (RFC 7766 §6.2.3) belong to the caller, which owns the clock.

use alloc::vec::Vec;
use core::fmt;

/// The largest message a length prefix can announce.
pub const MAX_TCP_MESSAGE: usize = 65_535;

/// A framing error; the caller closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The announced length is above the framer's limit.
    TooLarge {
        /// The announced length.
        announced: usize,
        /// The framer's limit.
        limit: usize,
    },
    /// A zero length prefix: no DNS message is empty.
    Empty,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { announced, limit } => write!(
                f,
                "TCP message of {announced} octets exceeds the limit of {limit}"
            ),
            Self::Empty => f.write_str("TCP message of length 0"),
        }
    }
}

/// Reassembles length-prefixed messages from a TCP byte stream.
#[derive(Debug, Clone)]
pub struct TcpFramer {
    buf: Vec<u8>,
    start: usize,
    max_message: usize,
}

impl TcpFramer {
    /// A framer accepting messages of at most `max_message` octets.
    pub fn new(max_message: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max_message: max_message.min(MAX_TCP_MESSAGE),
        }
    }

    /// Appends bytes read from the connection.
    pub fn push(&mut self, data: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Octets buffered but not yet returned as messages.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete message, `Ok(None)` if more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let rest = &self.buf[self.start..];
        if rest.len() < 2 {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        if len == 0 {
            return Err(FrameError::Empty);
        }
        if len > self.max_message {
            return Err(FrameError::TooLarge {
                announced: len,
                limit: self.max_message,
            });
        }
        if rest.len() < 2 + len {
            return Ok(None);
        }
        let msg = rest[2..2 + len].to_vec();
        self.start += 2 + len;
        if self.start > 4096 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        Ok(Some(msg))
    }
}

/// A message with its two-octet length prefix; `None` if it is longer than
/// 65535 octets.
pub fn frame(msg: &[u8]) -> Option<Vec<u8>> {
    let len = u16::try_from(msg.len()).ok()?;
    let mut out = Vec::with_capacity(msg.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(msg);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7766_split_and_pipelined_messages() {
        let mut f = TcpFramer::new(512);
        let mut stream = frame(b"first").unwrap();
        stream.extend(frame(b"second").unwrap());
        // One byte at a time.
        let mut got = Vec::new();
        for b in &stream {
            f.push(core::slice::from_ref(b));
            while let Some(m) = f.next_message().unwrap() {
                got.push(m);
            }
        }
        assert_eq!(got, [b"first".to_vec(), b"second".to_vec()]);
        assert_eq!(f.pending(), 0);
        // Both in one segment.
        f.push(&stream);
        assert_eq!(f.next_message().unwrap().unwrap(), b"first");
        assert_eq!(f.next_message().unwrap().unwrap(), b"second");
        assert_eq!(f.next_message().unwrap(), None);
    }

    #[test]
    fn limits() {
        let mut f = TcpFramer::new(100);
        f.push(&[0, 101]);
        assert_eq!(
            f.next_message(),
            Err(FrameError::TooLarge {
                announced: 101,
                limit: 100
            })
        );
        let mut f = TcpFramer::new(100);
        f.push(&[0, 0]);
        assert_eq!(f.next_message(), Err(FrameError::Empty));
    }
}
