//! One exec channel over one SSH connection, sans-IO.

use crate::keys::{ed25519_blob, fingerprint_of_blob, Authenticator, ClientKey};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use sunset::{ChanData, ChanHandle, CliEvent, CliSessionExit, Client, Event, PubKey, Runner};

/// Most stderr kept for error messages (git prints its complaints there).
const STDERR_KEPT: usize = 4096;

/// Why the connection failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SshError {
    /// The server presented another host key than the pinned one.
    HostKeyMismatch {
        /// Fingerprint of the key the server presented.
        seen: String,
        /// The pinned fingerprint.
        expected: String,
    },
    /// The server refused our public key.
    AuthenticationFailed,
    /// The connection ended before the command exited.
    Closed,
    /// The SSH protocol failed (sunset's description).
    Protocol(String),
}

impl fmt::Display for SshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SshError::HostKeyMismatch { seen, expected } => {
                write!(f, "host key mismatch: the server presented {seen}, expected {expected}; refusing to connect")
            }
            SshError::AuthenticationFailed => {
                f.write_str("the server refused our ed25519 key (authorized_keys?)")
            }
            SshError::Closed => {
                f.write_str("the SSH connection closed before the command finished")
            }
            SshError::Protocol(message) => write!(f, "SSH protocol error: {message}"),
        }
    }
}

fn protocol(error: sunset::Error) -> SshError {
    SshError::Protocol(format!("{error}"))
}

/// Where the command stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Key exchange, authentication, channel opening.
    Connecting,
    /// The command runs: read its stdout, write its stdin.
    Running,
    /// The command exited with this status; its output may still be read.
    Exited(u32),
}

/// An SSH client running one command (see the crate docs for the loop).
pub struct ExecClient {
    runner: Runner<'static, Client>,
    user: String,
    key: ClientKey,
    authenticator: Authenticator,
    command: String,
    key_offered: bool,
    authenticated: bool,
    open_session: bool,
    channel: Option<ChanHandle>,
    status: Status,
    failure: Option<SshError>,
    stderr: Vec<u8>,
}

impl fmt::Debug for ExecClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExecClient")
            .field("user", &self.user)
            .field("command", &self.command)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl ExecClient {
    /// A client that logs in as `user` with `key`, accepts only the host key
    /// `authenticator` names, and runs `command`.
    pub fn new(
        user: &str,
        key: ClientKey,
        authenticator: Authenticator,
        command: &str,
    ) -> ExecClient {
        ExecClient {
            runner: Runner::new_client_owned(),
            user: user.to_string(),
            key,
            authenticator,
            command: command.to_string(),
            key_offered: false,
            authenticated: false,
            open_session: false,
            channel: None,
            status: Status::Connecting,
            failure: None,
            stderr: Vec::new(),
        }
    }

    /// Takes bytes received from the server; returns how many were used
    /// (offer the rest again after [`ExecClient::poll`]).
    pub fn input(&mut self, data: &[u8]) -> Result<usize, SshError> {
        self.check()?;
        self.runner.input(data).map_err(protocol)
    }

    /// Bytes to send to the server.
    pub fn output(&mut self) -> &[u8] {
        self.runner.output_buf()
    }

    /// Marks `n` bytes of [`ExecClient::output`] as sent.
    pub fn consume_output(&mut self, n: usize) {
        self.runner.consume_output(n)
    }

    fn check(&self) -> Result<(), SshError> {
        match &self.failure {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    /// Processes what arrived; call after input and until nothing changes.
    pub fn poll(&mut self) -> Result<Status, SshError> {
        self.check()?;
        loop {
            // The event borrows the runner: keep it in this block.
            let progressed = match self.runner.progress().map_err(protocol)? {
                Event::Cli(event) => {
                    let result = handle(
                        event,
                        &self.user,
                        &self.key,
                        &self.authenticator,
                        &self.command,
                        &mut self.key_offered,
                    );
                    match result {
                        Ok(Handled::Nothing) => {}
                        Ok(Handled::Authenticated) => self.authenticated = true,
                        Ok(Handled::Running) => self.status = Status::Running,
                        Ok(Handled::Exited(code)) => self.status = Status::Exited(code),
                        Ok(Handled::Defunct) => {
                            if !matches!(self.status, Status::Exited(_)) {
                                self.failure = Some(if self.authenticated {
                                    SshError::Closed
                                } else {
                                    SshError::AuthenticationFailed
                                });
                            }
                        }
                        Err(error) => self.failure = Some(error),
                    }
                    true
                }
                Event::Progressed => true,
                Event::None => false,
                _ => true,
            };
            if let Some(error) = &self.failure {
                return Err(error.clone());
            }
            if self.authenticated && !self.open_session {
                self.open_session = true;
                self.channel = Some(self.runner.open_client_session().map_err(protocol)?);
            }
            self.drain_stderr();
            if !progressed {
                return Ok(self.status);
            }
        }
    }

    fn drain_stderr(&mut self) {
        let Some(channel) = &self.channel else { return };
        let mut buf = [0u8; 512];
        while let Ok(n) = self
            .runner
            .read_channel(channel, ChanData::Stderr, &mut buf)
        {
            if n == 0 {
                break;
            }
            let room = STDERR_KEPT.saturating_sub(self.stderr.len());
            self.stderr.extend_from_slice(&buf[..n.min(room)]);
        }
    }

    /// Reads the command's stdout; `Ok(0)` when nothing is waiting.
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, SshError> {
        self.check()?;
        let Some(channel) = &self.channel else {
            return Ok(0);
        };
        match self.runner.read_channel(channel, ChanData::Normal, buf) {
            Ok(n) => Ok(n),
            Err(sunset::Error::ChannelEOF) => Ok(0),
            Err(error) => Err(protocol(error)),
        }
    }

    /// Whether the command's stdout has ended.
    pub fn stdout_ended(&self) -> bool {
        self.channel
            .as_ref()
            .is_some_and(|c| self.runner.is_channel_eof(c) || self.runner.is_channel_closed(c))
    }

    /// Writes to the command's stdin; returns how much was taken.
    pub fn write(&mut self, data: &[u8]) -> Result<usize, SshError> {
        self.check()?;
        let Some(channel) = &self.channel else {
            return Ok(0);
        };
        if self.status != Status::Running {
            return Ok(0);
        }
        self.runner
            .write_channel(channel, ChanData::Normal, data)
            .map_err(protocol)
    }

    /// What the command printed on stderr (the first 4 KiB).
    pub fn stderr(&self) -> &[u8] {
        &self.stderr
    }
}

enum Handled {
    Nothing,
    Authenticated,
    Running,
    Exited(u32),
    Defunct,
}

fn handle(
    event: CliEvent<'_, '_>,
    user: &str,
    key: &ClientKey,
    authenticator: &Authenticator,
    command: &str,
    key_offered: &mut bool,
) -> Result<Handled, SshError> {
    match event {
        CliEvent::Hostkey(check) => {
            let blob = match check.hostkey().map_err(protocol)? {
                PubKey::Ed25519(key) => Some(ed25519_blob(&key.key.0)),
                _ => None,
            };
            match blob {
                Some(blob) if authenticator.matches(&blob) => check.accept().map_err(protocol)?,
                other => {
                    let seen = other.map_or_else(
                        || "a key that is not ssh-ed25519".to_string(),
                        |b| fingerprint_of_blob(&b),
                    );
                    let _ = check.reject();
                    return Err(SshError::HostKeyMismatch {
                        seen,
                        expected: authenticator.to_string(),
                    });
                }
            }
        }
        CliEvent::Username(request) => request.username(user).map_err(protocol)?,
        CliEvent::Password(request) => request.skip().map_err(protocol)?,
        CliEvent::Pubkey(request) => {
            if *key_offered {
                request.skip().map_err(protocol)?;
                return Err(SshError::AuthenticationFailed);
            }
            *key_offered = true;
            request.pubkey(key.sign_key()).map_err(protocol)?;
        }
        CliEvent::AgentSign(request) => request.skip().map_err(protocol)?,
        CliEvent::Authenticated => return Ok(Handled::Authenticated),
        CliEvent::SessionOpened(mut opener) => {
            opener.exec(command).map_err(protocol)?;
            return Ok(Handled::Running);
        }
        CliEvent::SessionExit(CliSessionExit::Status(code)) => return Ok(Handled::Exited(code)),
        CliEvent::SessionExit(_) => return Ok(Handled::Exited(255)),
        CliEvent::Defunct => return Ok(Handled::Defunct),
        CliEvent::Banner(_) | CliEvent::PollAgain => {}
    }
    Ok(Handled::Nothing)
}
