//! Incoming INVITE: policy first, 100/180, media in parallel with the delay, 200 OK with
//! the answer, 2xx retransmission until ACK, CANCEL, rejection paths.

mod common;
use common::*;
use ttecphone_sip::{
    AgentState, AutoAnswerConfig, CallId, Caller, Command, EndReason, Event, Instant, MediaFailure,
    MediaRequest, MediaResult,
};

fn answer_sdp(p: &mut Phone, call: &CallId) {
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.into(),
    });
}

fn ok_count(p: &Phone) -> usize {
    p.log
        .iter()
        .filter(|f| {
            status(f) == Some(200) && header(f, "CSeq").unwrap_or_default().ends_with("INVITE")
        })
        .count()
}

#[test]
fn wazo_invite_is_auto_answered_with_trying_ringing_and_200() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("wazo_invite.sip", "wazo-call-1");
    assert_eq!(status(&p.sent[0]), Some(100));
    assert!(to_tag(&p.sent[0]).is_none(), "100 Trying carries no To tag");
    assert_eq!(status(&p.sent[1]), Some(180));
    let tag = to_tag(&p.sent[1]).expect("180 has our To tag");
    assert!(
        matches!(
            &p.events[0],
            Event::IncomingCall { call: c, caller: Caller { number, display_name }, auto_answer_at: Some(at) }
                if *c == call && number == "+15551234567" && display_name.as_deref() == Some("Customer One") && *at == p.now
        ),
        "{:?}",
        p.events
    );
    assert!(
        matches!(&p.media_requests()[..], [MediaRequest::CreateAnswer { offer_sdp, .. }] if offer_sdp.contains("a=fingerprint"))
    );
    p.take_sent();
    answer_sdp(&mut p, &call);
    let ok = p.last_response(200).expect("200 OK once the SDP is in");
    assert_eq!(
        to_tag(&ok).as_deref(),
        Some(tag.as_str()),
        "same tag as the 180"
    );
    assert_eq!(body(&ok), ANSWER_SDP);
    assert_eq!(
        header(&ok, "Content-Type").as_deref(),
        Some("application/sdp")
    );
    assert!(header(&ok, "Contact")
        .unwrap()
        .contains(";transport=ws;ob>"));
    assert_eq!(headers(&ok, "Via").len(), 2, "every Via echoed");
    assert_eq!(
        headers(&ok, "Record-Route"),
        vec![
            "<sip:10.0.0.5:443;transport=ws;lr;r2=on>",
            "<sip:10.0.0.5;lr;r2=on>"
        ]
    );
    assert_eq!(header(&ok, "CSeq").as_deref(), Some("102 INVITE"));
    assert!(headers(&ok, "Allow").iter().any(|m| m == "UPDATE"));
    // Wazo: Session-Expires 300, UAC supports timer and left the refresher to us.
    assert_eq!(
        header(&ok, "Session-Expires").as_deref(),
        Some("300;refresher=uac")
    );
    assert_eq!(header(&ok, "Require").as_deref(), Some("timer"));
    assert!(p.events.contains(&Event::CallAnswered { call }));
}

#[test]
fn answer_waits_for_both_the_delay_and_the_sdp() {
    let mut cfg = config();
    cfg.auto_answer.delay_ms = 2_000;
    cfg.auto_answer.honour_hints = false;
    let mut p = Phone::new(cfg);
    p.register();
    let call = p.incoming("kamailio_invite.sip", "kam-1");
    // CreateAnswer is asked at once, so the media edge works during the delay.
    assert_eq!(p.media_requests().len(), 1);
    answer_sdp(&mut p, &call);
    assert_eq!(ok_count(&p), 0, "answered before the delay");
    p.advance(1_999);
    assert_eq!(ok_count(&p), 0);
    p.advance(1);
    assert_eq!(ok_count(&p), 1);
    // And the other order: delay over first, SDP later.
    let mut p = Phone::new({
        let mut c = config();
        c.auto_answer.delay_ms = 500;
        c
    });
    p.register();
    let call = p.incoming("kamailio_invite.sip", "kam-2");
    p.advance(5_000);
    assert_eq!(ok_count(&p), 0);
    answer_sdp(&mut p, &call);
    assert_eq!(ok_count(&p), 1);
}

#[test]
fn answer_mode_auto_hint_shortens_the_delay_when_allowed() {
    let mut cfg = config();
    cfg.auto_answer.delay_ms = 3_000;
    let mut p = Phone::new(cfg.clone());
    p.register();
    let t0 = p.now;
    p.incoming("wazo_invite.sip", "hint-1");
    assert!(
        matches!(p.events[0], Event::IncomingCall { auto_answer_at: Some(at), .. } if at == t0)
    );
    cfg.auto_answer.honour_hints = false;
    let mut p = Phone::new(cfg);
    p.register();
    p.incoming("wazo_invite.sip", "hint-2");
    assert!(
        matches!(p.events[0], Event::IncomingCall { auto_answer_at: Some(at), .. } if at == t0.plus(3_000))
    );
}

#[test]
fn kamailio_record_routes_and_caller_from_from_header() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("kamailio_invite.sip", "kam-3");
    assert!(
        matches!(&p.events[0], Event::IncomingCall { caller, .. } if caller.number == "sipp" && caller.display_name.as_deref() == Some("sipp"))
    );
    answer_sdp(&mut p, &call);
    let ok = p.last_response(200).unwrap();
    assert_eq!(headers(&ok, "Record-Route").len(), 2);
    assert!(
        header(&ok, "Session-Expires").is_none(),
        "no timer requested, none imposed"
    );
}

#[test]
fn cucm_compact_folded_invite_uses_p_asserted_identity() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("cucm_invite.sip", "cucm-call@192.0.2.20");
    assert!(
        matches!(&p.events[0], Event::IncomingCall { caller, .. }
        if caller.number == "+14155550123" && caller.display_name.as_deref() == Some("Jane Caller")),
        "{:?}",
        p.events[0]
    );
    answer_sdp(&mut p, &call);
    let ok = p.last_response(200).unwrap();
    assert_eq!(headers(&ok, "Via").len(), 3);
    assert_eq!(
        header(&ok, "Call-ID").as_deref(),
        Some("cucm-call@192.0.2.20")
    );
    assert_eq!(
        header(&ok, "Session-Expires").as_deref(),
        Some("1800;refresher=uac")
    );
}

#[test]
fn two_xx_is_retransmitted_doubling_to_t2_until_ack() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("wazo_invite.sip", "rtx-1");
    answer_sdp(&mut p, &call);
    p.take_sent();
    let start = p.now;
    let mut times = Vec::new();
    for _ in 0..14_000 {
        p.advance(1);
        for f in p.take_sent() {
            if status(&f) == Some(200) {
                times.push(p.now.0 - start.0);
            }
        }
    }
    assert_eq!(times, vec![500, 1_500, 3_500, 7_500, 11_500]);
    let tag = to_tag(p.log.iter().rev().find(|f| status(f) == Some(200)).unwrap()).unwrap();
    p.recv(&ack("rtx-1", &tag, 102));
    p.advance(20_000);
    assert!(
        p.take_sent().iter().all(|f| status(f) != Some(200)),
        "retransmitted after ACK"
    );
    assert!(!p
        .events
        .iter()
        .any(|e| matches!(e, Event::CallEnded { .. })));
}

#[test]
fn no_ack_within_64_t1_sends_bye_and_ends() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("wazo_invite.sip", "noack-1");
    answer_sdp(&mut p, &call);
    p.advance(31_999);
    assert!(p.last_request("BYE").is_none());
    p.advance(1);
    let bye = p.last_request("BYE").expect("BYE after 64*T1");
    assert!(bye.starts_with("BYE sip:asterisk@10.0.0.9:5060 SIP/2.0"));
    assert_eq!(
        headers(&bye, "Route"),
        vec![
            "<sip:10.0.0.5:443;transport=ws;lr;r2=on>",
            "<sip:10.0.0.5;lr;r2=on>"
        ]
    );
    assert!(p
        .events
        .contains(&Event::Media(MediaRequest::Release { call: call.clone() })));
    assert!(p.events.contains(&Event::CallEnded {
        call,
        reason: EndReason::NoAck
    }));
}

#[test]
fn cancel_before_answer_gives_200_487_release_and_never_a_200_to_invite() {
    let mut cfg = config();
    cfg.auto_answer.delay_ms = 2_000;
    cfg.auto_answer.honour_hints = false;
    let mut p = Phone::new(cfg);
    p.register();
    let call = p.incoming("wazo_invite.sip", "cancel-1");
    p.take_sent();
    p.recv(&fixture(
        "cancel.sip",
        &[
            ("call_id", "cancel-1"),
            ("branch", "z9hG4bK-inv-1"),
            ("from_tag", FROM_TAG),
            ("cseq", "102"),
        ],
    ));
    assert_eq!(status(&p.sent[0]), Some(200));
    assert_eq!(header(&p.sent[0], "CSeq").as_deref(), Some("102 CANCEL"));
    assert_eq!(status(&p.sent[1]), Some(487));
    assert_eq!(header(&p.sent[1], "CSeq").as_deref(), Some("102 INVITE"));
    assert!(p
        .events
        .contains(&Event::Media(MediaRequest::Release { call: call.clone() })));
    assert!(p.events.contains(&Event::CallEnded {
        call: call.clone(),
        reason: EndReason::Cancelled
    }));
    // The SDP arrives late and the delay passes: still no 200.
    answer_sdp(&mut p, &call);
    p.advance(10_000);
    assert_eq!(ok_count(&p), 0);
    // A retransmitted INVITE gets the 487 again, not a new call.
    p.take_sent();
    p.recv(&invite("wazo_invite.sip", "cancel-1", "z9hG4bK-inv-1"));
    assert_eq!(
        p.sent.iter().map(|f| status(f)).collect::<Vec<_>>(),
        vec![Some(487)]
    );
}

#[test]
fn not_ready_agent_gets_480_and_the_microphone_is_never_asked() {
    let mut p = Phone::new(config());
    p.register();
    p.agent_state(AgentState::NotReady);
    let call = p.incoming("wazo_invite.sip", "nr-1");
    assert_eq!(
        p.sent.iter().filter_map(|f| status(f)).collect::<Vec<_>>(),
        vec![480]
    );
    assert!(p.media_requests().is_empty());
    assert!(p.events.contains(&Event::CallEnded {
        call,
        reason: EndReason::Rejected { status: 480 }
    }));
}

#[test]
fn reserved_agent_is_answered() {
    let mut p = Phone::new(config());
    p.register();
    p.agent_state(AgentState::from_finesse("RESERVED"));
    p.incoming("wazo_invite.sip", "res-1");
    assert_eq!(p.media_requests().len(), 1);
}

#[test]
fn second_call_while_one_is_up_gets_486() {
    let mut p = Phone::new(config());
    p.register();
    let first = p.incoming("wazo_invite.sip", "busy-1");
    answer_sdp(&mut p, &first);
    p.take_sent();
    p.take_events();
    p.recv(&invite("kamailio_invite.sip", "busy-2", "z9hG4bK-other"));
    assert_eq!(
        p.sent.iter().filter_map(|f| status(f)).collect::<Vec<_>>(),
        vec![486]
    );
    assert!(p.media_requests().is_empty());
}

#[test]
fn retransmitted_invite_gets_the_last_response_and_no_second_call() {
    let mut p = Phone::new(config());
    p.register();
    p.incoming("wazo_invite.sip", "dup-1");
    p.take_sent();
    p.take_events();
    p.recv(&invite("wazo_invite.sip", "dup-1", "z9hG4bK-inv-1"));
    assert_eq!(
        p.sent.iter().filter_map(|f| status(f)).collect::<Vec<_>>(),
        vec![180]
    );
    assert!(p.events.is_empty(), "{:?}", p.events);
    assert_eq!(p.ua.stats().retransmissions_absorbed, 1);
}

#[test]
fn manual_mode_rings_until_answer_command() {
    let mut cfg = config();
    cfg.auto_answer = AutoAnswerConfig {
        enabled: false,
        ..AutoAnswerConfig::default()
    };
    let mut p = Phone::new(cfg);
    p.register();
    let call = p.incoming("wazo_invite.sip", "qa-1");
    assert!(matches!(
        p.events[0],
        Event::IncomingCall {
            auto_answer_at: None,
            ..
        }
    ));
    assert!(
        p.media_requests().is_empty(),
        "no microphone before the agent answers"
    );
    p.advance(60_000);
    assert_eq!(ok_count(&p), 0);
    p.cmd(Command::Answer { call: call.clone() });
    assert_eq!(p.media_requests().len(), 1);
    answer_sdp(&mut p, &call);
    assert_eq!(ok_count(&p), 1);
}

#[test]
fn set_auto_answer_switches_the_next_invite_between_ring_and_auto_answer() {
    let mut p = Phone::new(config());
    p.register();
    p.cmd(Command::SetAutoAnswer(false));
    let call = p.incoming("wazo_invite.sip", "qa-switch-1");
    assert!(
        matches!(
            p.events[0],
            Event::IncomingCall {
                auto_answer_at: None,
                ..
            }
        ),
        "{:?}",
        p.events
    );
    assert!(
        p.media_requests().is_empty(),
        "rings without opening the microphone"
    );
    // Switching back on does not answer the call already ringing by hand.
    p.cmd(Command::SetAutoAnswer(true));
    p.advance(10_000);
    assert_eq!(ok_count(&p), 0);
    p.cmd(Command::Reject { call, status: 486 });
    p.take_sent();
    p.take_events();
    p.recv(&invite("wazo_invite.sip", "qa-switch-2", "z9hG4bK-inv-2"));
    let call = CallId::new("qa-switch-2");
    assert!(
        matches!(
            &p.events[0],
            Event::IncomingCall {
                auto_answer_at: Some(_),
                ..
            }
        ),
        "{:?}",
        p.events
    );
    answer_sdp(&mut p, &call);
    assert_eq!(ok_count(&p), 1, "auto-answered again");
}

#[test]
fn reject_command_sends_the_status() {
    let mut cfg = config();
    cfg.auto_answer.enabled = false;
    let mut p = Phone::new(cfg);
    p.register();
    let call = p.incoming("wazo_invite.sip", "rej-1");
    p.cmd(Command::Reject {
        call: call.clone(),
        status: 603,
    });
    assert_eq!(status(p.sent.last().unwrap()), Some(603));
    assert!(p.events.contains(&Event::CallEnded {
        call,
        reason: EndReason::Rejected { status: 603 }
    }));
}

#[test]
fn microphone_denied_before_answer_rejects_with_480() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("wazo_invite.sip", "mic-1");
    p.media(MediaResult::Failed {
        call: call.clone(),
        reason: MediaFailure::MicrophoneDenied,
    });
    assert_eq!(status(p.sent.last().unwrap()), Some(480));
    assert!(p.events.contains(&Event::CallEnded {
        call: call.clone(),
        reason: EndReason::MediaFailed
    }));
    assert_eq!(ok_count(&p), 0);
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("wazo_invite.sip", "busy-1");
    p.media(MediaResult::Failed {
        call,
        reason: MediaFailure::MicrophoneBusy,
    });
    assert_eq!(status(p.sent.last().unwrap()), Some(480));
    assert_eq!(ok_count(&p), 0);
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("wazo_invite.sip", "sdp-1");
    p.media(MediaResult::Failed {
        call,
        reason: MediaFailure::Other("setRemoteDescription failed".into()),
    });
    assert_eq!(status(p.sent.last().unwrap()), Some(488));
}

#[test]
fn media_edge_silence_fails_the_call_instead_of_ringing_forever() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("wazo_invite.sip", "slow-1");
    p.advance(30_000);
    assert_eq!(status(p.sent.last().unwrap()), Some(480));
    assert!(p.events.contains(&Event::CallEnded {
        call,
        reason: EndReason::MediaFailed
    }));
}

#[test]
fn session_interval_below_min_se_gets_422() {
    let mut p = Phone::new(config());
    p.register();
    let msg = invite("wazo_invite.sip", "se-1", "z9hG4bK-se")
        .replace("Session-Expires: 300", "Session-Expires: 60");
    p.recv(&msg);
    let r = p.sent.last().unwrap();
    assert_eq!(status(r), Some(422));
    assert_eq!(header(r, "Min-SE").as_deref(), Some("90"));
}

#[test]
fn unsupported_require_gets_420() {
    // 100rel is supported now (unit_testing/sip/prack.rs); preconditions (RFC 3312) are not.
    let mut p = Phone::new(config());
    p.register();
    let msg = invite("wazo_invite.sip", "req-1", "z9hG4bK-r").replace(
        "Min-SE: 90\r\n",
        "Min-SE: 90\r\nRequire: 100rel, precondition\r\n",
    );
    p.recv(&msg);
    let r = p.sent.last().unwrap();
    assert_eq!(status(r), Some(420));
    assert_eq!(header(r, "Unsupported").as_deref(), Some("precondition"));
}

#[test]
fn offerless_invite_gets_our_offer_and_the_ack_carries_the_answer() {
    let mut p = Phone::new(config());
    p.register();
    let text = invite("kamailio_invite.sip", "late-1", "z9hG4bK-l");
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .replace("Content-Type: application/sdp\r\n", "");
    let head = head
        .lines()
        .filter(|l| !l.starts_with("Content-Length"))
        .collect::<Vec<_>>()
        .join("\r\n");
    p.recv(&format!("{head}\r\nContent-Length: 0\r\n\r\n"));
    let call = CallId::new("late-1");
    assert_eq!(
        p.media_requests(),
        vec![MediaRequest::CreateOffer { call: call.clone() }]
    );
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.into(),
    });
    let tag = to_tag(&p.last_response(200).unwrap()).unwrap();
    let ack = in_dialog(
        "ACK",
        "late-1",
        &tag,
        102,
        "z9hG4bK-a",
        "Content-Type: application/sdp\r\n",
        "v=0\r\na=sendrecv\r\n",
    );
    p.recv(&ack);
    assert!(
        p.media_requests().iter().any(|m| matches!(m, MediaRequest::ApplyAnswer { call: c, sdp } if *c == call && sdp.starts_with("v=0\r\na=sendrecv"))),
        "{:?}",
        p.media_requests()
    );
}

#[test]
fn transport_loss_while_ringing_ends_the_call() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("wazo_invite.sip", "lost-1");
    p.disconnect();
    assert!(p.events.contains(&Event::CallEnded {
        call: call.clone(),
        reason: EndReason::TransportLost
    }));
    p.connect();
    answer_sdp(&mut p, &call);
    assert_eq!(ok_count(&p), 0);
}

#[test]
fn poll_timeout_is_never_in_the_past_after_handling() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("wazo_invite.sip", "timer-1");
    p.ua.handle_timeout(p.now);
    if let Some(t) = p.ua.poll_timeout() {
        assert!(t > p.now, "deadline {t:?} not after now {:?}", p.now);
    }
    answer_sdp(&mut p, &call);
    assert!(p.ua.poll_timeout().unwrap() > Instant(p.now.0));
}

/// Regression (found by fuzz_smoke once the presence captures joined its seeds): a
/// garbled copy of the ringing INVITE, whose top Via had a second address spliced into
/// its sent-by and which carried a second Call-ID and CSeq, was taken for a well-formed
/// merged request and answered 482 with the call's own Call-ID and CSeq, before the
/// call's 200 OK. A request with an unreadable top Via cannot be answered at all (no
/// route back, RFC 3261 §18.2.2): it is dropped and counted, and the call goes on.
#[test]
fn garbled_copy_of_a_ringing_invite_gets_no_final_answer_before_the_calls_200() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("kamailio_invite.sip", "garbled-1");
    let original = invite("kamailio_invite.sip", "garbled-1", "z9hG4bK-seq");
    let top_via = original
        .lines()
        .find(|l| l.starts_with("Via:"))
        .unwrap()
        .to_owned();
    let garbled = original
        .replacen(&format!("{top_via}\r\n"), "", 1)
        .replacen(
            "Via: SIP/2.0/UDP 127.0.0.1:5070",
            "Via: SIP/2.0/WSS 127.0.0.1:800/UDP 127.0.0.1:5070",
            1,
        )
        .replacen(
            "Contact: <sip:sipp@127.0.0.1:5070>",
            "Contact: <sip:sipp@1To: <sip:3000@wazo.example.com>;tag=t\r\nCall-ID: fuzz-call\r\nCSeq: 102 INFO",
            1,
        );
    assert!(garbled.contains("127.0.0.1:800/UDP"), "{garbled}");
    p.take_sent();
    let before = p.ua.stats();
    p.recv(&garbled);
    assert!(p.sent.is_empty(), "answered a garbled copy: {:?}", p.sent);
    let after = p.ua.stats();
    assert_eq!(after.dropped_malformed, before.dropped_malformed + 1);
    assert_eq!(after.bad_requests_answered, before.bad_requests_answered);
    answer_sdp(&mut p, &call);
    assert_eq!(ok_count(&p), 1);
    assert!(p.events.contains(&Event::CallAnswered { call }));
    assert!(
        !p.log.iter().any(|f| status(f).is_some_and(|s| s >= 300)
            && header(f, "Call-ID").as_deref() == Some("garbled-1")),
        "no final error on the call's Call-ID"
    );
}

/// Two Call-IDs (or CSeqs, Froms, Tos) make a request ambiguous: 400, never a call.
#[test]
fn request_with_a_duplicated_call_id_or_cseq_gets_400() {
    let mut p = Phone::new(config());
    p.register();
    let doubled = invite("wazo_invite.sip", "dup-1", "z9hG4bK-dup").replacen(
        "Call-ID: dup-1\r\n",
        "Call-ID: dup-1\r\nCall-ID: dup-2\r\n",
        1,
    );
    p.recv(&doubled);
    assert_eq!(status(p.sent.last().unwrap()), Some(400));
    let doubled = invite("wazo_invite.sip", "dup-3", "z9hG4bK-dup3").replacen(
        "CSeq: 102 INVITE\r\n",
        "CSeq: 102 INVITE\r\nCSeq: 103 INVITE\r\n",
        1,
    );
    p.recv(&doubled);
    assert_eq!(status(p.sent.last().unwrap()), Some(400));
    assert!(p.media_requests().is_empty());
    assert!(!p
        .events
        .iter()
        .any(|e| matches!(e, Event::IncomingCall { .. })));
}
