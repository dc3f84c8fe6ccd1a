//! Any text must parse or fail cleanly, and typed views of whatever parsed must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ttecphone_sip::wire::header::{CSeq, Challenge, NameAddr, SessionExpires, Via};
use ttecphone_sip::wire::parse_lenient;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok((msg, _)) = parse_lenient(&text) {
        for h in &msg.headers {
            let _ = NameAddr::parse(&h.value);
            let _ = Via::parse(&h.value);
            let _ = CSeq::parse(&h.value);
            let _ = Challenge::parse(&h.value);
            let _ = SessionExpires::parse(&h.value);
        }
        let _ = ttecphone_sip::sdp::is_hold(msg.body);
    }
});
