//! An SSH exec channel over a netstack TCP connection.

use crate::url::RemoteUrl;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;
use netstack::{Instant, NetError, Sockets, TcpHandle, TcpStatus};
use ssh::{Authenticator, ClientKey, ExecClient, SshError, Status};

/// How long the TCP connection may take to be established.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes read from TCP per call.
const READ_CHUNK: usize = 16 * 1024;

/// Why a session failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// The TCP connection could not be started.
    Connect(NetError),
    /// No TCP connection within the connect timeout: no answer at all
    /// (host down, no route, or packets dropped).
    ConnectTimeout,
    /// The connection was refused (reset before it was established):
    /// nothing listens on the port, e.g. sshd is down.
    Refused,
    /// The TCP connection ended before the remote command did.
    ConnectionLost,
    /// SSH failed (host key, authentication, protocol).
    Ssh(SshError),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Connect(error) => write!(f, "cannot connect: {error}"),
            SessionError::ConnectTimeout => write!(
                f,
                "timed out: no answer within {} s (host down or unreachable)",
                CONNECT_TIMEOUT.as_secs()
            ),
            SessionError::Refused => f.write_str("connection refused (is sshd running?)"),
            SessionError::ConnectionLost => {
                f.write_str("the connection closed before the remote command finished")
            }
            SessionError::Ssh(error) => error.fmt(f),
        }
    }
}

impl From<SshError> for SessionError {
    fn from(error: SshError) -> Self {
        SessionError::Ssh(error)
    }
}

/// One remote command over SSH over TCP. Call [`SshSession::pump`] on every
/// poll of the event loop; read and write the command's stdout and stdin in
/// between.
pub struct SshSession {
    tcp: TcpHandle,
    ssh: ExecClient,
    /// Received from TCP, not yet taken by SSH.
    inbox: Vec<u8>,
    buf: Vec<u8>,
    opened: Instant,
    status: Status,
    /// Whether TCP was ever established: a close before that is a refusal.
    established: bool,
    released: bool,
}

impl SshSession {
    /// Connects to `url` and runs `service` (`git-upload-pack` or
    /// `git-receive-pack`) on its repository path.
    pub fn open(
        net: &mut dyn Sockets,
        url: &RemoteUrl,
        key: ClientKey,
        authenticator: Authenticator,
        service: &str,
        idle_timeout: Duration,
    ) -> Result<SshSession, SessionError> {
        let tcp = net
            .tcp_connect(url.address(), idle_timeout)
            .map_err(SessionError::Connect)?;
        Ok(SshSession {
            tcp,
            ssh: ExecClient::new(&url.user, key, authenticator, &url.command(service)),
            inbox: Vec::new(),
            buf: vec![0; READ_CHUNK],
            opened: net.now(),
            status: Status::Connecting,
            established: false,
            released: false,
        })
    }

    /// Moves bytes between TCP and SSH both ways; returns where the command
    /// stands. The deadline to poll again at the latest is
    /// [`SshSession::deadline`].
    pub fn pump(&mut self, net: &mut dyn Sockets) -> Result<Status, SessionError> {
        match net.tcp_status(self.tcp) {
            TcpStatus::Connecting => {
                if net.now().since(self.opened) >= CONNECT_TIMEOUT {
                    return Err(SessionError::ConnectTimeout);
                }
                return Ok(Status::Connecting);
            }
            TcpStatus::Closed if !self.established => return Err(SessionError::Refused),
            TcpStatus::Closed
                if self.inbox.is_empty() && !matches!(self.status, Status::Exited(_)) =>
            {
                return Err(SessionError::ConnectionLost)
            }
            TcpStatus::Open | TcpStatus::PeerClosed => self.established = true,
            TcpStatus::Closed => {}
        }
        loop {
            match net.tcp_read(self.tcp, &mut self.buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => self.inbox.extend_from_slice(&self.buf[..n]),
            }
        }
        loop {
            self.status = self.ssh.poll()?;
            if self.inbox.is_empty() {
                break;
            }
            let used = self.ssh.input(&self.inbox)?;
            if used == 0 {
                // SSH waits for the application to read channel data first.
                break;
            }
            self.inbox.drain(..used);
        }
        self.flush(net);
        Ok(self.status)
    }

    fn flush(&mut self, net: &mut dyn Sockets) {
        loop {
            let out = self.ssh.output();
            if out.is_empty() {
                break;
            }
            match net.tcp_write(self.tcp, out) {
                Ok(0) | Err(_) => break,
                Ok(n) => self.ssh.consume_output(n),
            }
        }
    }

    /// When to poll again without network activity (the connect timeout).
    pub fn deadline(&self) -> Option<Instant> {
        (self.status == Status::Connecting).then(|| self.opened.after(CONNECT_TIMEOUT))
    }

    /// Reads the command's stdout; `Ok(0)` when nothing is waiting.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, SessionError> {
        Ok(self.ssh.read(buf)?)
    }

    /// Whether the command's stdout has ended (and the exit status is in).
    pub fn finished(&self) -> bool {
        matches!(self.status, Status::Exited(_)) && self.ssh.stdout_ended()
    }

    /// Writes to the command's stdin (then [`SshSession::pump`] sends it).
    pub fn write(&mut self, net: &mut dyn Sockets, data: &[u8]) -> Result<usize, SessionError> {
        let written = self.ssh.write(data)?;
        self.flush(net);
        Ok(written)
    }

    /// What the remote command printed on stderr (its first 4 KiB).
    pub fn stderr(&self) -> &[u8] {
        self.ssh.stderr()
    }

    /// Closes the TCP connection and frees it.
    pub fn close(&mut self, net: &mut dyn Sockets) {
        if !self.released {
            self.released = true;
            net.tcp_release(self.tcp);
        }
    }
}
