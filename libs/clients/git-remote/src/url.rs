//! `ssh://user@host[:port]/path.git[#branch]`.

use alloc::string::{String, ToString};
use core::fmt;
use core::net::{IpAddr, SocketAddr};
use core::str::FromStr;

/// A git remote over SSH.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteUrl {
    /// SSH user (`git`).
    pub user: String,
    /// Server address. Unikernels have no resolver: an IP literal.
    pub host: IpAddr,
    /// SSH port (22 unless given).
    pub port: u16,
    /// Repository path on the server, as `git-upload-pack` takes it.
    pub path: String,
    /// Branch to follow; `None`: the remote's HEAD.
    pub branch: Option<String>,
}

/// Why a remote URL was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlError {
    /// Not starting with `ssh://`.
    NotSsh,
    /// No `user@` before the host.
    MissingUser,
    /// The host is not an IP address (IPv6 in brackets).
    BadHost,
    /// The port is not a number from 1 to 65535.
    BadPort,
    /// No `/path` after the host.
    MissingPath,
    /// A character the remote command line cannot carry safely.
    UnsafePath,
    /// `#` followed by nothing.
    EmptyBranch,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::NotSsh => "expected ssh://user@host[:port]/path.git[#branch]",
            UrlError::MissingUser => "expected user@ before the host (ssh://git@host/path.git)",
            UrlError::BadHost => {
                "the host must be an IP address (IPv6 in brackets): unikernels have no resolver"
            }
            UrlError::BadPort => "the port must be a number from 1 to 65535",
            UrlError::MissingPath => "expected /path after the host",
            UrlError::UnsafePath => "the path may hold only letters, digits and . _ - / ~",
            UrlError::EmptyBranch => "expected a branch name after #",
        })
    }
}

impl FromStr for RemoteUrl {
    type Err = UrlError;

    fn from_str(text: &str) -> Result<RemoteUrl, UrlError> {
        let rest = text.strip_prefix("ssh://").ok_or(UrlError::NotSsh)?;
        let (rest, branch) = match rest.split_once('#') {
            Some((_, "")) => return Err(UrlError::EmptyBranch),
            Some((rest, branch)) => (rest, Some(branch.to_string())),
            None => (rest, None),
        };
        let (user, rest) = rest.split_once('@').ok_or(UrlError::MissingUser)?;
        if user.is_empty() {
            return Err(UrlError::MissingUser);
        }
        let slash = rest.find('/').ok_or(UrlError::MissingPath)?;
        let (authority, path) = rest.split_at(slash);
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) = bracketed.split_once(']').ok_or(UrlError::BadHost)?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        let host: IpAddr = host.parse().map_err(|_| UrlError::BadHost)?;
        let port = match port {
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or(UrlError::BadPort)?,
            None => 22,
        };
        if path.len() < 2 {
            return Err(UrlError::MissingPath);
        }
        // The path goes into a shell-quoted remote command: keep it plain.
        if !path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/~".contains(c))
        {
            return Err(UrlError::UnsafePath);
        }
        Ok(RemoteUrl {
            user: user.to_string(),
            host,
            port,
            path: path.to_string(),
            branch,
        })
    }
}

impl RemoteUrl {
    /// Where to connect.
    pub fn address(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// The remote command for `service` (`git-upload-pack` or
    /// `git-receive-pack`), quoted as git itself does for SSH.
    pub fn command(&self, service: &str) -> String {
        let mut command = String::from(service);
        command.push_str(" '");
        command.push_str(&self.path);
        command.push('\'');
        command
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_and_minimal_urls() {
        let url: RemoteUrl = "ssh://git@10.53.0.1:2222/srv/zones.git#main"
            .parse()
            .expect("valid");
        assert_eq!(url.address(), "10.53.0.1:2222".parse().expect("literal"));
        assert_eq!(
            (url.user.as_str(), url.path.as_str(), url.branch.as_deref()),
            ("git", "/srv/zones.git", Some("main"))
        );
        assert_eq!(
            url.command("git-upload-pack"),
            "git-upload-pack '/srv/zones.git'"
        );
        let url: RemoteUrl = "ssh://git@[fd53::1]/zones.git".parse().expect("valid");
        assert_eq!((url.port, url.branch), (22, None));
        assert_eq!(url.host, "fd53::1".parse::<IpAddr>().expect("literal"));
    }

    #[test]
    fn bad_urls_say_what_was_expected() {
        for (text, error) in [
            ("https://host/x.git", UrlError::NotSsh),
            ("ssh://10.0.0.1/x.git", UrlError::MissingUser),
            ("ssh://git@example.org/x.git", UrlError::BadHost),
            ("ssh://git@10.0.0.1:0/x.git", UrlError::BadPort),
            ("ssh://git@10.0.0.1:99999/x.git", UrlError::BadPort),
            ("ssh://git@10.0.0.1", UrlError::MissingPath),
            ("ssh://git@10.0.0.1/x.git'; rm -rf /'", UrlError::UnsafePath),
            ("ssh://git@10.0.0.1/x.git#", UrlError::EmptyBranch),
        ] {
            assert_eq!(text.parse::<RemoteUrl>(), Err(error), "{text}");
        }
    }
}
