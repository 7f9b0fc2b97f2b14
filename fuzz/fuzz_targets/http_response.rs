//! The HTTPS client's HTTP/1.1 response parser (libs/clients/https), chunked
//! bodies and trailers included: any bytes as what a server sends, fed in
//! pieces whose sizes the input chooses. Never a panic; the limits hold;
//! the same bytes give the same result however they are split; a parsed
//! response, written again with a Content-Length, parses to itself.
#![no_main]

use https::{HttpError, Method, Parsed, ResponseParser, MAX_BODY_BYTES, MAX_HEADER_FIELDS};
use libfuzzer_sys::fuzz_target;

/// Feeds `pieces` and ends the input: the response or the first error.
fn parse<'a>(method: Method, pieces: impl Iterator<Item = &'a [u8]>) -> Result<Parsed, HttpError> {
    let mut parser = ResponseParser::new(method);
    for piece in pieces {
        parser.push(piece)?;
    }
    if !parser.is_complete() {
        parser.end_of_input()?;
    }
    Ok(parser.take().expect("complete after end_of_input"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, input)) = data.split_first() else {
        return;
    };
    let method = if control & 1 == 1 {
        Method::Head
    } else {
        Method::Get
    };
    let whole = parse(method, std::iter::once(input));
    // Pieces of 1 to 16 bytes, sizes from the control byte's other bits.
    let step = usize::from(control >> 4) + 1;
    let split = parse(method, input.chunks(step));
    assert_eq!(whole, split, "splitting changed the result");
    let Ok(parsed) = whole else { return };
    let response = &parsed.response;
    assert!(response.body.len() <= MAX_BODY_BYTES);
    assert!(response.headers.len() <= MAX_HEADER_FIELDS);
    assert!(response.trailers.len() <= MAX_HEADER_FIELDS);
    assert!((100..1000).contains(&response.status));

    // Written again with a Content-Length (and no framing fields of its
    // own), it parses to the same status, fields and body.
    let mut again = format!("HTTP/1.1 {} {}\r\n", response.status, response.reason).into_bytes();
    let framing = ["content-length", "transfer-encoding"];
    let kept: Vec<&(String, String)> = response
        .headers
        .iter()
        .filter(|(n, _)| !framing.iter().any(|f| n.eq_ignore_ascii_case(f)))
        .collect();
    for (name, value) in &kept {
        again.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    again.extend_from_slice(format!("Content-Length: {}\r\n\r\n", response.body.len()).as_bytes());
    again.extend_from_slice(&response.body);
    // Lossy UTF-8 may have replaced bytes: compare only clean fields.
    if kept
        .iter()
        .any(|(n, v)| n.contains('\u{fffd}') || v.contains('\u{fffd}'))
        || response.reason.contains('\u{fffd}')
        || [204, 304].contains(&response.status)
        || method == Method::Head
    {
        return;
    }
    let reparsed = parse(Method::Get, std::iter::once(&again[..])).expect("our own bytes parse");
    assert_eq!(reparsed.response.status, response.status);
    assert_eq!(reparsed.response.body, response.body);
    let names = |h: &[(String, String)]| -> Vec<(String, String)> {
        h.iter()
            .filter(|(n, _)| !framing.iter().any(|f| n.eq_ignore_ascii_case(f)))
            .cloned()
            .collect()
    };
    assert_eq!(names(&reparsed.response.headers), names(&response.headers));
});
