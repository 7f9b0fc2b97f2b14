//! Zone files written in the background: printing and syncing a large zone
//! takes time in proportion to the zone, which neither queries nor the
//! next UPDATE should wait for. A version is cheap to hand over (zones
//! share their unchanged parts), so the writer takes its own copy.

use std::io;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use dns_service::FileDigest;
use dns_zone::{print_zone, Name, Serial, Zone};

use crate::journal::replace_file;

/// A zone file written, or not.
#[derive(Debug)]
pub struct Written {
    /// The zone's apex.
    pub apex: Name,
    /// The serial the file holds if `result` is `Ok`.
    pub serial: Serial,
    /// Whether the file was written and synced, and the digest of what it
    /// holds then.
    pub result: io::Result<FileDigest>,
}

/// Writes zone files on threads of their own, one per file being written.
#[derive(Debug)]
pub struct Flusher {
    sender: Sender<Written>,
    receiver: Receiver<Written>,
    in_flight: usize,
}

impl Default for Flusher {
    fn default() -> Self {
        let (sender, receiver) = channel();
        Self {
            sender,
            receiver,
            in_flight: 0,
        }
    }
}

/// Writes `zone` as `path` (atomically: temporary file, sync, rename);
/// returns the digest of the text written.
pub fn write_zone_file(path: &std::path::Path, zone: &Zone) -> io::Result<FileDigest> {
    let text = print_zone(zone);
    replace_file(path, text.as_bytes())?;
    Ok(FileDigest::of(text.as_bytes()))
}

impl Flusher {
    /// Starts writing `zone` to `path`; [`Flusher::finished`] reports it.
    /// Fails only when no thread can be started (the caller tries later).
    pub fn start(&mut self, zone: Zone, path: PathBuf) -> io::Result<()> {
        let sender = self.sender.clone();
        let job = move || {
            let result = write_zone_file(&path, &zone);
            let _ = sender.send(Written {
                apex: zone.origin().clone(),
                serial: zone.serial(),
                result,
            });
        };
        std::thread::Builder::new()
            .name("zone writer".into())
            .spawn(job)?;
        self.in_flight += 1;
        Ok(())
    }

    /// Files written since the last call.
    pub fn finished(&mut self) -> Vec<Written> {
        let done: Vec<Written> = self.receiver.try_iter().collect();
        self.in_flight -= done.len();
        done
    }

    /// Waits, at most `bound`, until every file being written is written.
    pub fn wait_all(&mut self, bound: Duration) -> Vec<Written> {
        let until = Instant::now() + bound;
        let mut done = Vec::new();
        while self.in_flight > 0 {
            let left = until.saturating_duration_since(Instant::now());
            match self.receiver.recv_timeout(left) {
                Ok(written) => {
                    self.in_flight -= 1;
                    done.push(written);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        done
    }

    /// Whether files are being written.
    pub fn busy(&self) -> bool {
        self.in_flight > 0
    }
}
