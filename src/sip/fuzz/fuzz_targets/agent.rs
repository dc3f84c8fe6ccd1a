//! A whole agent, registered and ready, fed a sequence of frames split from the input
//! (separator: a NUL byte), with time advancing between them. Must never panic, and
//! every deadline it reports after handling a timeout must lie in the future.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ttecphone_sip::{AgentState, Command, Config, Instant, KeepAlive, Random, UserAgent};

struct XorShift(u64);
impl Random for XorShift {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = self.0 as u8;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let config = Config {
        aor_user: "3000".into(),
        auth_user: "3000".into(),
        password: "secret".into(),
        domain: "wazo.example.com".into(),
        instance_id: "urn:uuid:6f1c3c1e-5b7a-4d2b-9a1e-0c8f2d4b6a10".into(),
        keepalive: KeepAlive::Crlf {
            interval_ms: 30_000,
            timeout_ms: 10_000,
        },
        ..Config::default()
    };
    let mut ua = UserAgent::new(config, Box::new(XorShift(0x9e37_79b9_7f4a_7c15)));
    let mut now = Instant(0);
    ua.handle_agent_state(AgentState::Ready, now);
    ua.handle_connected(now);
    ua.handle_command(Command::Register, now);
    for (i, frame) in data.split(|b| *b == 0).enumerate() {
        ua.handle_message(&String::from_utf8_lossy(frame), now);
        now = now.plus((i as u64 % 7) * 5_000);
        ua.handle_timeout(now);
        if let Some(t) = ua.poll_timeout() {
            assert!(t > now);
        }
        while ua.poll_transmit().is_some() {}
        while ua.poll_event().is_some() {}
    }
});
