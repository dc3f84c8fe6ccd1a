//! Shared test harness: a seeded PRNG, a test configuration, a driver that steps the
//! core through injected time, and the corpus fixtures with placeholder substitution.
#![allow(dead_code)]

use std::collections::HashMap;

use ttecphone_sip::wire::{self, header::NameAddr};
use ttecphone_sip::{
    AgentState, CallId, Command, Config, Event, Instant, KeepAlive, MediaRequest, MediaResult,
    Random, RegistrationState, UserAgent,
};

pub const PASSWORD: &str = "Pa55-w0rd!not-in-logs";
pub const INSTANCE: &str = "urn:uuid:6f1c3c1e-5b7a-4d2b-9a1e-0c8f2d4b6a10";

/// xorshift64*: deterministic, no dependency.
pub struct SeededRandom(pub u64);

impl SeededRandom {
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0.max(1);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl Random for SeededRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            for (dst, src) in chunk.iter_mut().zip(bytes) {
                *dst = src;
            }
        }
    }
}

pub fn config() -> Config {
    Config {
        aor_user: "3000".into(),
        auth_user: "3000".into(),
        password: PASSWORD.into(),
        domain: "wazo.example.com".into(),
        display_name: Some("Agent 3000".into()),
        instance_id: INSTANCE.into(),
        register_expires: 600,
        keepalive: KeepAlive::Off,
        ..Config::default()
    }
}

/// Loads a corpus file with LF turned into CRLF and `{name}` placeholders replaced;
/// `{len}` becomes the body length.
pub fn fixture(file: &str, vars: &[(&str, &str)]) -> String {
    let path = format!(
        "{}/../../unit_testing/sip/corpus/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let raw = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    fill(&raw, vars)
}

pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut text = template.replace("\r\n", "\n");
    for (k, v) in vars {
        text = text.replace(&format!("{{{k}}}"), v);
    }
    let text = text.replace("\r\n", "\n").replace('\n', "\r\n");
    match text.split_once("\r\n\r\n") {
        Some((head, body)) => format!(
            "{}\r\n\r\n{}",
            head.replace("{len}", &body.len().to_string()),
            body
        ),
        None => text,
    }
}

pub fn status(msg: &str) -> Option<u16> {
    wire::parse(msg).ok()?.status()
}

pub fn method(msg: &str) -> Option<String> {
    match wire::parse(msg).ok()?.start {
        wire::StartLine::Request { method_text, .. } => Some(method_text.to_owned()),
        wire::StartLine::Response { .. } => None,
    }
}

pub fn header(msg: &str, name: &str) -> Option<String> {
    wire::parse(msg).ok()?.get(name).map(str::to_owned)
}

pub fn headers(msg: &str, name: &str) -> Vec<String> {
    wire::parse(msg)
        .map(|m| m.get_all(name).map(str::to_owned).collect())
        .unwrap_or_default()
}

pub fn body(msg: &str) -> String {
    wire::parse(msg)
        .map(|m| m.body.to_owned())
        .unwrap_or_default()
}

pub fn to_tag(msg: &str) -> Option<String> {
    let to = header(msg, "To")?;
    NameAddr::parse(&to).ok()?.tag().map(str::to_owned)
}

pub fn cseq_num(msg: &str) -> u32 {
    header(msg, "CSeq")
        .and_then(|c| c.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Builds a response to one of our requests, echoing Via/From/To/Call-ID/CSeq.
pub fn respond(request: &str, template: &str, extra: &[(&str, &str)]) -> String {
    let mut vars: Vec<(&str, String)> = vec![
        ("via", header(request, "Via").unwrap_or_default()),
        ("from", header(request, "From").unwrap_or_default()),
        ("to", header(request, "To").unwrap_or_default()),
        ("call_id", header(request, "Call-ID").unwrap_or_default()),
        ("cseq", cseq_num(request).to_string()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fill(template, &refs)
}

/// A simple response to our request (`SIP/2.0 <status> <reason>`), optionally with a To tag
/// and extra header lines.
pub fn simple_response(request: &str, status: u16, to_tag: Option<&str>, extra: &str) -> String {
    let to = header(request, "To").unwrap_or_default();
    let to = match to_tag {
        Some(t) if !to.contains("tag=") => format!("{to};tag={t}"),
        _ => to,
    };
    format!(
        "SIP/2.0 {status} Whatever\r\nVia: {}\r\nFrom: {}\r\nTo: {to}\r\nCall-ID: {}\r\nCSeq: {}\r\n{extra}Content-Length: 0\r\n\r\n",
        header(request, "Via").unwrap_or_default(),
        header(request, "From").unwrap_or_default(),
        header(request, "Call-ID").unwrap_or_default(),
        header(request, "CSeq").unwrap_or_default(),
    )
}

/// Drives a `UserAgent` the way the browser driver does: input, then drain everything.
pub struct Phone {
    pub ua: UserAgent,
    pub now: Instant,
    pub sent: Vec<String>,
    pub events: Vec<Event>,
    /// Every frame ever sent, for whole-run assertions.
    pub log: Vec<String>,
}

impl Phone {
    pub fn new(config: Config) -> Phone {
        Phone::with_seed(config, 7)
    }

    pub fn with_seed(config: Config, seed: u64) -> Phone {
        let mut p = Phone {
            ua: UserAgent::new(config, Box::new(SeededRandom(seed))),
            now: Instant(1_000),
            sent: Vec::new(),
            events: Vec::new(),
            log: Vec::new(),
        };
        p.ua.handle_agent_state(AgentState::Ready, p.now);
        p
    }

    fn pump(&mut self) {
        while let Some(frame) = self.ua.poll_transmit() {
            self.log.push(frame.clone());
            self.sent.push(frame);
        }
        while let Some(event) = self.ua.poll_event() {
            self.events.push(event);
        }
    }

    pub fn connect(&mut self) {
        self.ua.handle_connected(self.now);
        self.pump();
    }

    pub fn disconnect(&mut self) {
        self.ua.handle_disconnected(self.now);
        self.pump();
    }

    pub fn recv(&mut self, text: &str) {
        self.ua.handle_message(text, self.now);
        self.pump();
    }

    pub fn cmd(&mut self, cmd: Command) {
        self.ua.handle_command(cmd, self.now);
        self.pump();
    }

    pub fn media(&mut self, result: MediaResult) {
        self.ua.handle_media(result, self.now);
        self.pump();
    }

    pub fn agent_state(&mut self, state: AgentState) {
        self.ua.handle_agent_state(state, self.now);
    }

    /// Moves time forward by `ms`, firing every deadline on the way, in order.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now.plus(ms);
        let mut guard = 0;
        while let Some(deadline) = self.ua.poll_timeout() {
            if deadline > end {
                break;
            }
            self.now = deadline.max(self.now);
            self.ua.handle_timeout(self.now);
            self.pump();
            guard += 1;
            assert!(
                guard < 10_000,
                "timer loop: deadline {deadline:?} never advances"
            );
        }
        self.now = end;
    }

    pub fn take_sent(&mut self) -> Vec<String> {
        std::mem::take(&mut self.sent)
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The last frame sent that is a request of `method`.
    pub fn last_request(&self, m: &str) -> Option<String> {
        self.sent
            .iter()
            .rev()
            .find(|f| method(f).as_deref() == Some(m))
            .cloned()
    }

    pub fn last_response(&self, code: u16) -> Option<String> {
        self.sent
            .iter()
            .rev()
            .find(|f| status(f) == Some(code))
            .cloned()
    }

    pub fn registration_events(&self) -> Vec<RegistrationState> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Registration(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    /// Connect and register through a Wazo-style 401 and 200.
    pub fn register(&mut self) {
        self.connect();
        self.cmd(Command::Register);
        let first = self.last_request("REGISTER").expect("REGISTER sent");
        self.recv(&respond(&first, &raw("wazo_register_401.sip"), &[]));
        let second = self
            .last_request("REGISTER")
            .expect("authenticated REGISTER");
        let contact = contact_uri(&second);
        self.recv(&respond(
            &second,
            &raw("wazo_register_200.sip"),
            &[("contact_uri", &contact), ("instance", INSTANCE)],
        ));
        assert!(self.ua.is_registered(), "not registered: {:?}", self.events);
        self.take_sent();
        self.take_events();
    }

    /// Delivers an INVITE fixture; returns the Call-ID.
    pub fn incoming(&mut self, file: &str, call_id: &str) -> CallId {
        let invite = invite(file, call_id, "z9hG4bK-inv-1");
        self.recv(&invite);
        CallId::new(call_id)
    }

    pub fn media_requests(&self) -> Vec<MediaRequest> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Media(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }
}

pub fn raw(file: &str) -> String {
    let path = format!(
        "{}/../../unit_testing/sip/corpus/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn contact_uri(register: &str) -> String {
    let contact = header(register, "Contact").unwrap_or_default();
    NameAddr::parse(&contact)
        .map(|a| a.uri.to_owned())
        .unwrap_or_default()
}

pub const FROM_TAG: &str = "as5f2c3a1b";

pub fn invite(file: &str, call_id: &str, branch: &str) -> String {
    fixture(
        file,
        &[
            ("call_id", call_id),
            ("branch", branch),
            ("from_tag", FROM_TAG),
            ("cseq", "102"),
        ],
    )
}

/// An in-dialog request from the peer (BYE, INFO, OPTIONS, UPDATE …).
pub fn in_dialog(
    method: &str,
    call_id: &str,
    to_tag: &str,
    cseq: u32,
    branch: &str,
    extra: &str,
    body: &str,
) -> String {
    let cseq = cseq.to_string();
    fixture(
        "in_dialog.sip",
        &[
            ("method", method),
            ("call_id", call_id),
            ("to_tag", to_tag),
            ("cseq", &cseq),
            ("branch", branch),
            ("from_tag", FROM_TAG),
            ("extra", extra),
            ("body", body),
        ],
    )
}

pub fn ack(call_id: &str, to_tag: &str, cseq: u32) -> String {
    in_dialog("ACK", call_id, to_tag, cseq, "z9hG4bK-ack-1", "", "")
}

pub const ANSWER_SDP: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=setup:active\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n";

/// Counts of every event kind, for order-insensitive checks.
pub fn event_names(events: &[Event]) -> HashMap<&'static str, usize> {
    let mut m = HashMap::new();
    for e in events {
        let name = match e {
            Event::Registration(_) => "Registration",
            Event::FlowDead => "FlowDead",
            Event::IncomingCall { .. } => "IncomingCall",
            Event::Media(_) => "Media",
            Event::CallAnswered { .. } => "CallAnswered",
            Event::CallHeld { .. } => "CallHeld",
            Event::CallEnded { .. } => "CallEnded",
            Event::Dtmf { .. } => "Dtmf",
            Event::MediaPath { .. } => "MediaPath",
            Event::PeerState { .. } => "PeerState",
            Event::Warning(_) => "Warning",
        };
        *m.entry(name).or_insert(0) += 1;
    }
    m
}

/// A call from `invite_file` (e.g. `wazo_invite.sip`), answered with [`ANSWER_SDP`]
/// and ACKed, outputs drained: (call, our To tag).
#[allow(dead_code)] // not every test file uses it
pub fn connected_call(p: &mut Phone, invite_file: &str, call_id: &str) -> (CallId, String) {
    p.register();
    let call = p.incoming(invite_file, call_id);
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.into(),
    });
    let tag = to_tag(&p.last_response(200).unwrap()).unwrap();
    p.recv(&ack(call_id, &tag, 102));
    p.take_sent();
    p.take_events();
    (call, tag)
}
