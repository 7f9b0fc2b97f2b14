//! The HTTP exchanges the client asks the caller to make, and what it reads
//! from their responses.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

/// An HTTP method ACME uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Only for the directory.
    Get,
    /// Only for newNonce.
    Head,
    /// Everything else: JWS bodies.
    Post,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request for the caller to make over HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The absolute `https://` URL.
    pub url: String,
    /// Header fields to send (`Content-Type`, `Accept`); the caller adds
    /// `Host`, `Content-Length` and its `User-Agent` (RFC 8555 §6.1).
    pub headers: Vec<(&'static str, String)>,
    /// The body (empty for GET and HEAD).
    pub body: Vec<u8>,
}

/// The response the caller got for a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Header fields, in the order received (names in any case).
    pub headers: Vec<(String, String)>,
    /// The body, without transfer coding.
    pub body: Vec<u8>,
}

impl Response {
    /// The value of the first header field called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    /// The targets of `Link` header fields with relation `rel` (RFC 8288),
    /// e.g. `up` or `alternate` (RFC 8555 §7.4.2).
    pub fn links(&self, rel: &str) -> Vec<String> {
        let mut targets = Vec::new();
        for (_, value) in self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("link"))
        {
            // One field may hold several links separated by commas; a URL
            // in <> holds no unescaped comma that matters here.
            for link in value.split(',') {
                let link = link.trim();
                let Some(rest) = link.strip_prefix('<') else {
                    continue;
                };
                let Some((target, params)) = rest.split_once('>') else {
                    continue;
                };
                let has_rel = params.split(';').any(|param| {
                    param.trim().split_once('=').is_some_and(|(name, value)| {
                        name.trim().eq_ignore_ascii_case("rel")
                            && value.trim().trim_matches('"').eq_ignore_ascii_case(rel)
                    })
                });
                if has_rel {
                    targets.push(String::from(target));
                }
            }
        }
        targets
    }

    /// How long `Retry-After` asks to wait (RFC 9110 §10.2.3): delay
    /// seconds, or an HTTP date, taken relative to the response's `Date`
    /// (we have no wall clock; without `Date` an HTTP date is ignored).
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.header("retry-after")?;
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        let until = parse_http_date(value)?;
        let date = parse_http_date(self.header("date")?)?;
        Some(Duration::from_secs(until.saturating_sub(date)))
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Seconds since 1970 of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`,
/// RFC 9110 §5.6.7), the only date format servers may send.
fn parse_http_date(text: &str) -> Option<u64> {
    let mut parts = text.split_ascii_whitespace();
    let _weekday = parts.next()?;
    let day: u64 = parts.next()?.parse().ok()?;
    let month = parts.next()?;
    let year: u64 = parts.next()?.parse().ok()?;
    let time = parts.next()?;
    if parts.next()? != "GMT" || parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let mut hms = time.split(':').map(|p| p.parse::<u64>().ok());
    let (hour, minute, second) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day) || year < 1970 || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), years from March.
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn response(headers: &[(&str, &str)]) -> Response {
        Response {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).into(), (*v).into()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn retry_after_seconds_and_date() {
        assert_eq!(
            response(&[("Retry-After", "120")]).retry_after(),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            response(&[
                ("retry-after", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ("Date", "Sun, 06 Nov 1994 08:48:30 GMT")
            ])
            .retry_after(),
            Some(Duration::from_secs(67))
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 12:00:00 GMT"),
            Some(951_825_600)
        );
        assert_eq!(response(&[("Retry-After", "soon")]).retry_after(), None);
        assert_eq!(
            response(&[("Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT")]).retry_after(),
            None
        );
        assert_eq!(response(&[]).retry_after(), None);
    }

    #[test]
    fn links_by_relation() {
        let r = response(&[
            (
                "Link",
                r#"<https://example.com/acme/directory>;rel="index""#,
            ),
            (
                "link",
                r#"<https://example.com/cert/alt/1>; rel="alternate", <https://example.com/cert/alt/2>;rel=alternate"#,
            ),
        ]);
        assert_eq!(
            r.links("alternate"),
            vec![
                String::from("https://example.com/cert/alt/1"),
                String::from("https://example.com/cert/alt/2")
            ]
        );
        assert_eq!(
            r.links("index"),
            vec![String::from("https://example.com/acme/directory")]
        );
        assert!(r.links("up").is_empty());
    }
}
