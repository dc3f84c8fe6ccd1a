//! Throughput and allocation benchmark (a bench binary, not a timed test):
//! `cargo bench -p ttecphone-sip --bench throughput`.
//! Prints parse rate, messages handled per second over full auto-answered calls
//! (INVITE, LocalSdp, ACK, BYE), and heap allocations per INVITE..BYE call inside the core.

#[path = "../common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant as WallClock;

use common::*;
use ttecphone_sip::{CallId, MediaResult};

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.load(Ordering::Relaxed)
}

fn main() {
    const CALLS: usize = 20_000;
    const PARSES: usize = 200_000;

    let invite_text = invite("wazo_invite.sip", "bench-parse", "z9hG4bK-b");
    let start = WallClock::now();
    let mut headers = 0usize;
    for _ in 0..PARSES {
        headers += ttecphone_sip::wire::parse(std::hint::black_box(&invite_text))
            .map(|m| m.headers.len())
            .unwrap_or(0);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "parse: {:.0} INVITEs/s ({} bytes each, {} headers)",
        PARSES as f64 / secs,
        invite_text.len(),
        headers / PARSES
    );

    let mut p = Phone::new(config());
    p.register();
    let invites: Vec<String> = (0..CALLS)
        .map(|i| {
            invite(
                "wazo_invite.sip",
                &format!("bench-{i}"),
                &format!("z9hG4bK-{i}"),
            )
        })
        .collect();
    let mut inside_core_allocs = 0u64;
    let mut messages = 0u64;
    let mut busy = std::time::Duration::ZERO;
    let mut measure = |f: &mut dyn FnMut()| {
        let a = allocs();
        let t = WallClock::now();
        f();
        busy += t.elapsed();
        inside_core_allocs += allocs() - a;
    };
    for (i, text) in invites.iter().enumerate() {
        let call = CallId::new(&format!("bench-{i}"));
        let now = p.now;
        let ua = &mut p.ua;
        let drain = |ua: &mut ttecphone_sip::UserAgent| {
            let mut last = None;
            while let Some(f) = ua.poll_transmit() {
                last = Some(f);
            }
            while ua.poll_event().is_some() {}
            last
        };
        measure(&mut || {
            ua.handle_message(text, now);
            drain(ua);
        });
        let mut ok = None;
        let result = MediaResult::LocalSdp {
            call: call.clone(),
            sdp: ANSWER_SDP.to_owned(),
        };
        let mut result = Some(result);
        measure(&mut || {
            ua.handle_media(result.take().unwrap(), now);
            ok = drain(ua);
        });
        let tag = to_tag(ok.as_deref().unwrap_or("")).expect("200 OK");
        let ack_text = ack(&format!("bench-{i}"), &tag, 102);
        let bye_text = in_dialog(
            "BYE",
            &format!("bench-{i}"),
            &tag,
            103,
            &format!("z9hG4bK-bye{i}"),
            "",
            "",
        );
        measure(&mut || {
            ua.handle_message(&ack_text, now);
            drain(ua);
        });
        measure(&mut || {
            ua.handle_message(&bye_text, now);
            drain(ua);
            ua.handle_timeout(now.plus(40_000));
            drain(ua);
        });
        messages += 4;
        p.now = p.now.plus(40_001);
    }
    let secs = busy.as_secs_f64();
    println!(
        "agent: {} calls (INVITE, LocalSdp, ACK, BYE, timeout) in {:.3} s = {:.0} inputs/s, {:.0} calls/s",
        CALLS,
        secs,
        messages as f64 / secs,
        CALLS as f64 / secs
    );
    println!(
        "allocations inside the core per INVITE..BYE call: {:.1}",
        inside_core_allocs as f64 / CALLS as f64
    );
    assert!(p.ua.active_calls().count() == 0);
}
