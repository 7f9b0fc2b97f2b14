//! Bytes the zone store holds per record: `cargo run --release --example
//! store_size -- FILE ORIGIN`. A counting allocator measures the heap the
//! built [`dns_zone::Zone`] keeps (after the file text and the parser's
//! entries are gone), plus the `Zone` value itself; the peak during the
//! load, file text included (read, then freed once parsed as a server
//! does: [`dns_zone::Zone::parse_owned`]), is printed too. Used for the
//! memory bounds in the crate docs.

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};
use std::alloc::System;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(file), Some(origin)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: store_size FILE ORIGIN");
        std::process::exit(2);
    };
    let origin: dns_zone::Name = origin.parse().expect("origin name");
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let text = std::fs::read(file).expect("readable zone file");
    let text_len = text.len();
    let zone = match dns_zone::Zone::parse_owned(text, origin) {
        Ok((zone, _)) => zone,
        Err(e) => {
            eprintln!("{} errors, first: {}", e.errors.len(), e.errors[0]);
            std::process::exit(1);
        }
    };
    let held = LIVE.load(Ordering::Relaxed) - before + core::mem::size_of_val(&zone);
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let records = zone.record_count();
    println!(
        "{records} records, {} names: store {held} bytes ({:.1} per record), load peak {peak} bytes ({:.0} per record) with the {text_len}-byte text",
        zone.node_count(),
        held as f64 / records as f64,
        peak as f64 / records as f64,
    );
}
