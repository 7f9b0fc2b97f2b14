//! Shovelling bytes between an SSH exec channel and one of the sans-IO git
//! state machines ([`git::Fetch`], [`git::Push`]), which share a calling
//! pattern but no trait.

use crate::session::SshSession;
use crate::sync::{GitError, SyncError};
use alloc::string::String;
use netstack::Sockets;
use ssh::Status;

/// A git exchange over one channel: feed input, send output, step.
pub(crate) trait Exchange {
    /// What a finished exchange yields.
    type Done;
    /// Why it failed.
    type Error: Into<GitError>;
    fn input(&mut self, bytes: &[u8]);
    fn input_eof(&mut self);
    fn output(&self) -> &[u8];
    fn consume_output(&mut self, n: usize);
    /// `Ok(None)`: more input needed.
    fn step(&mut self) -> Result<Option<Self::Done>, Self::Error>;
}

impl Exchange for git::Fetch {
    type Done = git::protocol::fetch::Event;
    type Error = git::protocol::Error;
    fn input(&mut self, bytes: &[u8]) {
        git::Fetch::input(self, bytes)
    }
    fn input_eof(&mut self) {
        git::Fetch::input_eof(self)
    }
    fn output(&self) -> &[u8] {
        git::Fetch::output(self)
    }
    fn consume_output(&mut self, n: usize) {
        git::Fetch::consume_output(self, n)
    }
    fn step(&mut self) -> Result<Option<Self::Done>, Self::Error> {
        Ok(match self.progress()? {
            git::protocol::fetch::Event::NeedInput => None,
            done => Some(done),
        })
    }
}

impl Exchange for git::Push {
    type Done = git::PushResult;
    type Error = git::protocol::Error;
    fn input(&mut self, bytes: &[u8]) {
        git::Push::input(self, bytes)
    }
    fn input_eof(&mut self) {
        git::Push::input_eof(self)
    }
    fn output(&self) -> &[u8] {
        git::Push::output(self)
    }
    fn consume_output(&mut self, n: usize) {
        git::Push::consume_output(self, n)
    }
    fn step(&mut self) -> Result<Option<Self::Done>, Self::Error> {
        Ok(match self.progress()? {
            git::protocol::push::Event::NeedInput => None,
            git::protocol::push::Event::Done(result) => Some(result),
        })
    }
}

/// Moves what is ready between `session` and `exchange`; `Ok(Some(done))`
/// once the exchange has finished (its last output sent).
pub(crate) fn drive<E: Exchange>(
    net: &mut dyn Sockets,
    session: &mut SshSession,
    exchange: &mut E,
    buf: &mut [u8],
) -> Result<Option<E::Done>, SyncError> {
    let status = session.pump(net).map_err(SyncError::Session)?;
    if status == Status::Connecting {
        return Ok(None);
    }
    loop {
        let n = session.read(buf).map_err(SyncError::Session)?;
        if n > 0 {
            exchange.input(&buf[..n]);
        } else if session.finished() {
            exchange.input_eof();
        }
        let step = exchange.step().map_err(|e| git_error(e.into(), session))?;
        while !exchange.output().is_empty() {
            let written = session
                .write(net, exchange.output())
                .map_err(SyncError::Session)?;
            if written == 0 {
                break;
            }
            exchange.consume_output(written);
        }
        match step {
            None if n > 0 => continue,
            None => {
                if session.finished() {
                    return Err(git_error(GitError::EndedEarly, session));
                }
                return Ok(None);
            }
            Some(done) => {
                session.pump(net).map_err(SyncError::Session)?;
                return Ok(Some(done));
            }
        }
    }
}

/// A protocol error, with what the remote printed on stderr.
fn git_error(error: GitError, session: &SshSession) -> SyncError {
    SyncError::Git {
        error,
        stderr: String::from(String::from_utf8_lossy(session.stderr()).trim()),
    }
}
