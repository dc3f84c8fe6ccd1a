//! Deterministic mutation fuzzing of the parser and the whole agent, seeded from the
//! committed corpus (unit_testing/sip/corpus/*.sip). Single messages and whole dialog
//! sequences; asserts no panic and the agent's invariants. The same corpus seeds the
//! cargo-fuzz targets in src/sip/fuzz/.

mod common;
use common::*;
use ttecphone_sip::wire::parse;
use ttecphone_sip::{AgentState, CallId, Command, Event, MediaFailure, MediaRequest, MediaResult};

const SINGLE_INPUTS: usize = 20_000;
const SEQUENCES: usize = 1_000;
const STEPS_PER_SEQUENCE: usize = 25;

struct Rng(SeededRandom);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const TOKENS: &[&str] = &[
    ":",
    ";",
    ",",
    "\r\n",
    "\n",
    " ",
    "\t",
    "\"",
    "<",
    ">",
    "=",
    "@",
    "tag=",
    ";tag=x",
    "z9hG4bK",
    "\r\n\r\n",
    "\r\n ",
    "Content-Length: 99999\r\n",
    "l: 3\r\n",
    "CSeq: 4294967295 INVITE\r\n",
    "é",
    "\u{0}",
    "\u{202e}",
    "%",
    "sip:",
    "SIP/2.0",
    "Via: SIP/2.0/WSS x;branch=z9hG4bKdup\r\n",
    "Session-Expires: 1;refresher=uas\r\n",
    "Require: timer\r\n",
    "Content-Type: application/dtmf-relay\r\n",
    "a=sendonly\r\n",
    "99999999999999999999",
    "-1",
];

fn mutate(rng: &mut Rng, seed: &str, other: &str) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        let len = bytes.len().max(1);
        match rng.below(8) {
            0 => {
                let i = rng.below(len);
                if let Some(b) = bytes.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 => {
                let i = rng.below(len);
                let n = rng.below(40);
                bytes.drain(i.min(bytes.len())..(i + n).min(bytes.len()));
            }
            2 => {
                let i = rng.below(len).min(bytes.len());
                let token = TOKENS[rng.below(TOKENS.len())];
                bytes.splice(i..i, token.bytes());
            }
            3 => {
                let i = rng.below(len).min(bytes.len());
                let n = rng.below(60);
                let piece: Vec<u8> = bytes[i..(i + n).min(bytes.len())].to_vec();
                bytes.splice(i..i, piece);
            }
            4 => bytes.truncate(rng.below(len)),
            5 => {
                // Swap two lines.
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let mut lines: Vec<&str> = text.split("\r\n").collect();
                if lines.len() > 2 {
                    let a = rng.below(lines.len());
                    let b = rng.below(lines.len());
                    lines.swap(a, b);
                }
                bytes = lines.join("\r\n").into_bytes();
            }
            6 => {
                // Splice the tail of another corpus message.
                let cut = rng.below(len).min(bytes.len());
                let from = rng.below(other.len().max(1)).min(other.len());
                bytes.truncate(cut);
                bytes.extend_from_slice(&other.as_bytes()[from..]);
            }
            _ => {
                // Uppercase/lowercase a span (header names are case-insensitive, methods not).
                let i = rng.below(len).min(bytes.len());
                for b in bytes.iter_mut().skip(i).take(rng.below(20)) {
                    *b = if b.is_ascii_lowercase() {
                        b.to_ascii_uppercase()
                    } else {
                        b.to_ascii_lowercase()
                    };
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn corpus() -> Vec<String> {
    let dir = format!(
        "{}/../../unit_testing/sip/corpus",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            fill(
                &std::fs::read_to_string(p).unwrap(),
                &[
                    ("via", "SIP/2.0/WSS a.invalid;branch=z9hG4bKx;rport"),
                    ("from", "<sip:3000@wazo.example.com>;tag=f"),
                    ("to", "<sip:3000@wazo.example.com>"),
                    ("call_id", "fuzz-call"),
                    ("branch", "z9hG4bK-fuzz"),
                    ("from_tag", FROM_TAG),
                    ("to_tag", "t"),
                    ("cseq", "102"),
                    ("method", "INFO"),
                    ("extra", ""),
                    ("body", ""),
                    ("direction", "sendonly"),
                    ("contact_uri", "sip:3000@x.invalid;transport=ws;ob"),
                    ("instance", INSTANCE),
                ],
            )
        })
        .collect()
}

/// Invariants checked after every input of a sequence.
fn check(p: &Phone, checked_frames: &mut usize) {
    for frame in p.log.iter().skip(*checked_frames) {
        assert!(!frame.contains(PASSWORD), "password on the wire");
        if frame.trim_matches(['\r', '\n']).is_empty() {
            continue;
        }
        assert!(
            parse(frame).is_ok(),
            "we sent an unparseable frame:\n{frame}"
        );
    }
    *checked_frames = p.log.len();
    for e in &p.events {
        if let Event::Warning(w) = e {
            assert!(!w.contains(PASSWORD));
        }
    }
}

/// RFC 3261 + the issue: once an INVITE got a 487 (CANCEL) or another final non-2xx,
/// no 200 OK to that INVITE may ever follow.
fn assert_no_200_after_final_error(log: &[String]) {
    let mut closed: Vec<(String, String)> = Vec::new();
    for frame in log {
        let (Some(code), Some(cseq), Some(call_id)) = (
            status(frame),
            header(frame, "CSeq"),
            header(frame, "Call-ID"),
        ) else {
            continue;
        };
        if !cseq.ends_with("INVITE") {
            continue;
        }
        let key = (call_id, cseq);
        if (300..700).contains(&code) {
            closed.push(key);
        } else if (200..300).contains(&code) {
            assert!(
                !closed.contains(&key),
                "200 OK after a final error for {key:?}"
            );
        }
    }
}

#[test]
fn fuzz_parser_and_agent_with_single_messages() {
    let seeds = corpus();
    let mut rng = Rng(SeededRandom(0x5eed_1234));
    let mut p = Phone::new(config());
    p.register();
    // Also a supervisor board: subscriptions in flight, so mutated NOTIFYs and
    // responses reach the watch layer too.
    p.cmd(Command::Watch {
        targets: vec!["3001".into(), "3002".into()],
    });
    let mut checked = 0;
    for i in 0..SINGLE_INPUTS {
        let seed = &seeds[rng.below(seeds.len())];
        let other = &seeds[rng.below(seeds.len())];
        let mut input = mutate(&mut rng, seed, other);
        if i % 2 == 0 {
            // A fresh branch, so the request is new rather than a garbled retransmission.
            input = input.replace("z9hG4bK-fuzz", &format!("z9hG4bK-fuzz{i}"));
        }
        let _ = parse(&input);
        p.recv(&input);
        if i % 64 == 0 {
            p.advance(rng.below(40_000) as u64);
            check(&p, &mut checked);
            p.sent.clear();
            p.events.clear();
        }
    }
    check(&p, &mut checked);
    assert_no_200_after_final_error(&p.log);
    let s = p.ua.stats();
    println!("fuzz single: {SINGLE_INPUTS} inputs, no panic; stats {s:?}");
    assert_eq!(s.messages_received as usize, SINGLE_INPUTS + 2);
}

#[test]
fn fuzz_whole_dialog_sequences() {
    let seeds = corpus();
    let inviting: Vec<&str> =
        ["wazo_invite.sip", "kamailio_invite.sip", "cucm_invite.sip"].to_vec();
    let mut rng = Rng(SeededRandom(0x00d1_a106));
    let mut inputs = 0usize;
    for seq in 0..SEQUENCES {
        let mut p = Phone::with_seed(config(), seq as u64 + 1);
        p.register();
        let not_ready = rng.chance(15);
        if not_ready {
            p.agent_state(AgentState::NotReady);
        }
        let call_id = format!("seq-{seq}");
        let branch = "z9hG4bK-seq";
        let mut invite_text = invite(inviting[rng.below(inviting.len())], &call_id, branch);
        if rng.chance(30) {
            let other = rng.below(seeds.len());
            invite_text = mutate(&mut rng, &invite_text, &seeds[other]);
        }
        p.recv(&invite_text);
        inputs += 1;
        let call = CallId::new(&call_id);
        let mut checked = 0;
        for _ in 0..STEPS_PER_SEQUENCE {
            let tag = p
                .log
                .iter()
                .rev()
                .find_map(|f| {
                    (header(f, "Call-ID").as_deref() == Some(call_id.as_str()))
                        .then(|| to_tag(f))
                        .flatten()
                })
                .unwrap_or_default();
            let cseq = 103 + rng.below(5) as u32;
            let mut msg = match rng.below(12) {
                0 => ack(&call_id, &tag, 102),
                1 => fixture(
                    "cancel.sip",
                    &[
                        ("call_id", &call_id),
                        ("branch", branch),
                        ("from_tag", FROM_TAG),
                        ("cseq", "102"),
                    ],
                ),
                2 => in_dialog("BYE", &call_id, &tag, cseq, "z9hG4bK-b", "", ""),
                3 => fixture(
                    "reinvite.sip",
                    &[
                        ("call_id", &call_id),
                        ("to_tag", &tag),
                        ("cseq", &cseq.to_string()),
                        (
                            "direction",
                            if rng.chance(50) {
                                "sendonly"
                            } else {
                                "sendrecv"
                            },
                        ),
                        ("branch", &format!("z9hG4bK-r{}", rng.below(1000))),
                        ("from_tag", FROM_TAG),
                    ],
                ),
                4 => in_dialog(
                    "UPDATE",
                    &call_id,
                    &tag,
                    cseq,
                    &format!("z9hG4bK-u{}", rng.below(1000)),
                    "Session-Expires: 300;refresher=uac\r\nSupported: timer\r\n",
                    "",
                ),
                5 => in_dialog(
                    "INFO",
                    &call_id,
                    &tag,
                    cseq,
                    &format!("z9hG4bK-i{}", rng.below(1000)),
                    "Content-Type: application/dtmf-relay\r\n",
                    "Signal=7\r\n",
                ),
                6 => invite_text.clone(),
                7 => {
                    let last = p.log.last().cloned().unwrap_or_default();
                    simple_response(
                        &last,
                        [100, 180, 200, 401, 407, 408, 481, 487, 500][rng.below(9)],
                        Some("r"),
                        "",
                    )
                }
                _ => String::new(),
            };
            if !msg.is_empty() && rng.chance(25) {
                let other = rng.below(seeds.len());
                msg = mutate(&mut rng, &msg, &seeds[other]);
            }
            if !msg.is_empty() {
                p.recv(&msg);
                inputs += 1;
            }
            match rng.below(14) {
                0 => p.media(MediaResult::LocalSdp {
                    call: call.clone(),
                    sdp: ANSWER_SDP.into(),
                }),
                1 => p.media(MediaResult::Failed {
                    call: call.clone(),
                    reason: MediaFailure::MicrophoneDenied,
                }),
                2 => p.cmd(Command::HangUp { call: call.clone() }),
                3 => p.cmd(Command::Answer { call: call.clone() }),
                4 => p.cmd(Command::Reject {
                    call: call.clone(),
                    status: 486,
                }),
                5 => p.cmd(Command::SendDtmf {
                    call: call.clone(),
                    digits: "1#".into(),
                }),
                6 => p.disconnect(),
                7 => p.connect(),
                8 => p.cmd(Command::Call {
                    target: "3001".into(),
                }),
                _ => p.advance(rng.below(70_000) as u64),
            }
            inputs += 1;
            p.ua.handle_timeout(p.now);
            if let Some(t) = p.ua.poll_timeout() {
                assert!(t > p.now, "deadline {t:?} not moved past now {:?}", p.now);
            }
            check(&p, &mut checked);
        }
        assert_no_200_after_final_error(&p.log);
        if not_ready {
            // A stray call must never open the microphone.
            let opened = p
                .events
                .iter()
                .any(|e| matches!(e, Event::Media(MediaRequest::CreateAnswer { call: c, .. }) if *c == call));
            assert!(!opened, "media requested while NotReady");
        }
    }
    println!("fuzz sequences: {SEQUENCES} dialogs, {inputs} inputs, no panic, invariants held");
    assert!(inputs > SEQUENCES * STEPS_PER_SEQUENCE);
}
