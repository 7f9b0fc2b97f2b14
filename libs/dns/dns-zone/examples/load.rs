//! Loads a zone file and prints the time taken: `cargo run --release
//! --example load -- FILE ORIGIN`. Used by the zone-load benchmark.

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(file), Some(origin)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: load FILE ORIGIN");
        std::process::exit(2);
    };
    let text = std::fs::read(file).expect("readable zone file");
    if std::env::var_os("PHASES").is_some() {
        phases(&text, origin.parse().expect("origin name"));
    }
    let start = Instant::now();
    // As a server loads a file: the text is freed once parsed.
    match dns_zone::Zone::parse_owned(text, origin.parse().expect("origin name")) {
        Ok((zone, warnings)) => {
            let elapsed = start.elapsed();
            println!(
                "{} records, {} warnings, {:?}; store: {} nodes, {} bytes, {:.1} bytes/record",
                zone.record_count(),
                warnings.len(),
                elapsed,
                zone.node_count(),
                zone.store_bytes(),
                zone.store_bytes() as f64 / zone.record_count().max(1) as f64,
            );
        }
        Err(e) => println!("{} errors, first: {}", e.errors.len(), e.errors[0]),
    }
}

#[allow(dead_code)]
fn phases(text: &[u8], origin: dns_zone::Name) {
    let start = Instant::now();
    let entries: Vec<_> = dns_zone::ZoneParser::new(text, origin.clone())
        .map(|e| e.unwrap())
        .collect();
    println!("parse {:?}", start.elapsed());
    let start = Instant::now();
    let _ = dns_zone::Zone::from_entries(origin, entries);
    println!("build {:?}", start.elapsed());
}
