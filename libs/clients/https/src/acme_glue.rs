//! Conversions between libs/clients/acme's HTTP exchanges and ours (feature
//! `acme`): `Request::from(acme_request)`, `acme::Response::from(response)`.

use alloc::string::String;

use crate::http1::{Method, Request, Response};

impl From<acme::Method> for Method {
    fn from(method: acme::Method) -> Self {
        match method {
            acme::Method::Get => Method::Get,
            acme::Method::Head => Method::Head,
            acme::Method::Post => Method::Post,
        }
    }
}

impl From<acme::Request> for Request {
    /// The same request; acme's `Content-Type: application/jose+json` and
    /// `Accept` fields are kept, the client adds `Host`, `User-Agent`,
    /// `Connection` and `Content-Length`.
    fn from(request: acme::Request) -> Self {
        Request {
            method: request.method.into(),
            url: request.url,
            headers: request
                .headers
                .into_iter()
                .map(|(name, value)| (String::from(name), value))
                .collect(),
            body: request.body,
        }
    }
}

impl From<Response> for acme::Response {
    /// Status, header fields and body (trailer fields have no place in
    /// ACME and are dropped).
    fn from(response: Response) -> Self {
        acme::Response {
            status: response.status,
            headers: response.headers,
            body: response.body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn round_trip_of_an_acme_exchange() {
        let request = Request::from(acme::Request {
            method: acme::Method::Post,
            url: "https://127.0.0.1:14000/nonce-plz".into(),
            headers: vec![("Content-Type", "application/jose+json".into())],
            body: b"{}".to_vec(),
        });
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.headers,
            vec![("Content-Type".into(), "application/jose+json".into())]
        );
        let response = acme::Response::from(Response {
            status: 200,
            reason: "OK".into(),
            headers: vec![("Replay-Nonce".into(), "abc".into())],
            trailers: vec![("X".into(), "y".into())],
            body: b"{}".to_vec(),
        });
        assert_eq!(response.header("replay-nonce"), Some("abc"));
        assert_eq!(
            (response.status, response.body.as_slice()),
            (200, &b"{}"[..])
        );
    }
}
