//! Inside the dialog: BYE, hold/resume re-INVITEs, UPDATE, RFC 4028 refreshes, INFO DTMF,
//! OPTIONS, hang-up, and the 481/501/405/400 answers.

mod common;
use common::*;
use ttecphone_sip::{CallId, Command, EndReason, Event, MediaRequest, MediaResult};

/// An answered, ACKed Wazo call: (call, our tag).
fn connected(p: &mut Phone, call_id: &str) -> (CallId, String) {
    connected_call(p, "wazo_invite.sip", call_id)
}

fn reinvite(call_id: &str, tag: &str, cseq: &str, direction: &str, branch: &str) -> String {
    fixture(
        "reinvite.sip",
        &[
            ("call_id", call_id),
            ("to_tag", tag),
            ("cseq", cseq),
            ("direction", direction),
            ("branch", branch),
            ("from_tag", FROM_TAG),
        ],
    )
}

#[test]
fn remote_bye_is_answered_and_ends_the_call() {
    let mut p = Phone::new(config());
    let (call, tag) = connected(&mut p, "bye-1");
    p.recv(&in_dialog("BYE", "bye-1", &tag, 103, "z9hG4bK-bye", "", ""));
    assert_eq!(status(&p.sent[0]), Some(200));
    assert_eq!(header(&p.sent[0], "CSeq").as_deref(), Some("103 BYE"));
    assert_eq!(
        p.events,
        vec![
            Event::Media(MediaRequest::Release { call: call.clone() }),
            Event::CallEnded {
                call,
                reason: EndReason::RemoteBye
            }
        ]
    );
    assert_eq!(p.ua.active_calls().count(), 0);
}

#[test]
fn hold_then_resume_reinvites_get_new_answers_and_report_hold() {
    let mut p = Phone::new(config());
    let (call, tag) = connected(&mut p, "hold-1");
    p.recv(&reinvite("hold-1", &tag, "103", "sendonly", "z9hG4bK-h1"));
    assert!(
        matches!(&p.media_requests()[..], [MediaRequest::CreateAnswer { offer_sdp, .. }] if offer_sdp.contains("a=sendonly"))
    );
    assert!(
        !p.events.iter().any(|e| matches!(e, Event::CallHeld { .. })),
        "hold reported before it was answered"
    );
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.replace("sendrecv", "recvonly"),
    });
    let ok = p.last_response(200).unwrap();
    assert_eq!(header(&ok, "CSeq").as_deref(), Some("103 INVITE"));
    assert_eq!(to_tag(&ok).as_deref(), Some(tag.as_str()));
    assert!(body(&ok).contains("recvonly"));
    assert!(p.events.contains(&Event::CallHeld {
        call: call.clone(),
        held: true
    }));
    p.recv(&ack("hold-1", &tag, 103));
    p.take_events();
    p.recv(&reinvite("hold-1", &tag, "104", "sendrecv", "z9hG4bK-h2"));
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.into(),
    });
    assert!(p.events.contains(&Event::CallHeld { call, held: false }));
}

#[test]
fn failed_hold_answer_rejects_the_reinvite_and_keeps_the_call_and_hold_state() {
    let mut p = Phone::new(config());
    let (call, tag) = connected(&mut p, "hold-2");
    p.recv(&reinvite("hold-2", &tag, "103", "sendonly", "z9hG4bK-h3"));
    p.media(MediaResult::Failed {
        call: call.clone(),
        reason: ttecphone_sip::MediaFailure::Other("no".into()),
    });
    assert_eq!(status(p.sent.last().unwrap()), Some(488));
    assert!(
        !p.events
            .iter()
            .any(|e| matches!(e, Event::CallHeld { .. } | Event::CallEnded { .. })),
        "{:?}",
        p.events
    );
    assert_eq!(p.ua.active_calls().count(), 1);
}

#[test]
fn reinvite_without_sdp_offers_in_200_and_applies_the_answer_from_ack() {
    let mut p = Phone::new(config());
    let (call, tag) = connected(&mut p, "mtp-1");
    let text = in_dialog(
        "INVITE",
        "mtp-1",
        &tag,
        103,
        "z9hG4bK-m1",
        "Contact: <sip:asterisk@10.0.0.9:5060>\r\n",
        "",
    );
    p.recv(&text);
    assert_eq!(
        p.media_requests(),
        vec![MediaRequest::CreateOffer { call: call.clone() }]
    );
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.into(),
    });
    assert_eq!(body(&p.last_response(200).unwrap()), ANSWER_SDP);
    p.recv(&in_dialog(
        "ACK",
        "mtp-1",
        &tag,
        103,
        "z9hG4bK-m2",
        "Content-Type: application/sdp\r\n",
        "v=0\r\na=sendrecv\r\n",
    ));
    assert!(p
        .media_requests()
        .iter()
        .any(|m| matches!(m, MediaRequest::ApplyAnswer { .. })));
}

#[test]
fn update_with_offer_is_answered_by_the_media_edge() {
    let mut p = Phone::new(config());
    let (call, tag) = connected(&mut p, "upd-1");
    p.recv(&in_dialog(
        "UPDATE",
        "upd-1",
        &tag,
        103,
        "z9hG4bK-u1",
        "Content-Type: application/sdp\r\n",
        "v=0\r\nm=audio 1 RTP/AVP 0\r\na=inactive\r\n",
    ));
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.into(),
    });
    let ok = p.last_response(200).unwrap();
    assert_eq!(header(&ok, "CSeq").as_deref(), Some("103 UPDATE"));
    assert!(p.events.contains(&Event::CallHeld { call, held: true }));
}

#[test]
fn peer_refresher_missing_refresh_ends_call_with_bye_at_expiry() {
    let mut p = Phone::new(config());
    let (call, _tag) = connected(&mut p, "se-1");
    // 300 s interval, peer refreshes: we give up at 300 - min(32, 100) = 268 s after the 200.
    p.advance(266_000);
    assert!(p.last_request("BYE").is_none());
    p.advance(2_000);
    assert!(p.last_request("BYE").is_some(), "BYE at session expiry");
    assert!(p.events.contains(&Event::CallEnded {
        call,
        reason: EndReason::SessionExpired
    }));
}

#[test]
fn peer_refresh_by_update_keeps_the_call_alive() {
    let mut p = Phone::new(config());
    let (_call, tag) = connected(&mut p, "se-2");
    for i in 0..4u32 {
        p.advance(150_000);
        let refresh = in_dialog(
            "UPDATE",
            "se-2",
            &tag,
            103 + i,
            &format!("z9hG4bK-r{i}"),
            "Session-Expires: 300;refresher=uac\r\nSupported: timer\r\n",
            "",
        );
        p.recv(&refresh);
        let ok = p.last_response(200).unwrap();
        assert_eq!(
            header(&ok, "Session-Expires").as_deref(),
            Some("300;refresher=uac")
        );
    }
    assert!(p.last_request("BYE").is_none());
    assert!(!p
        .events
        .iter()
        .any(|e| matches!(e, Event::CallEnded { .. })));
}

#[test]
fn we_refresh_when_the_uac_cannot() {
    let mut p = Phone::new(config());
    p.register();
    // Kamailio-routed INVITE with Session-Expires but no Supported: timer ⇒ refresher=uas (us).
    let text = invite("kamailio_invite.sip", "se-3", "z9hG4bK-k").replace(
        "Subject: Performance Test\r\n",
        "Session-Expires: 120\r\nAllow: INVITE, ACK, BYE, CANCEL, UPDATE\r\n",
    );
    p.recv(&text);
    let call = CallId::new("se-3");
    p.media(MediaResult::LocalSdp {
        call,
        sdp: ANSWER_SDP.into(),
    });
    let ok = p.last_response(200).unwrap();
    assert_eq!(
        header(&ok, "Session-Expires").as_deref(),
        Some("120;refresher=uas")
    );
    assert!(
        header(&ok, "Require").is_none(),
        "cannot Require timer of a UAC that lacks it"
    );
    let tag = to_tag(&ok).unwrap();
    p.recv(&ack("se-3", &tag, 102));
    p.take_sent();
    p.advance(60_000);
    let update = p
        .last_request("UPDATE")
        .expect("refresh at half the interval");
    assert_eq!(
        header(&update, "Session-Expires").as_deref(),
        Some("120;refresher=uac")
    );
    assert!(update.starts_with("UPDATE sip:sipp@127.0.0.1:5070 SIP/2.0"));
    assert_eq!(headers(&update, "Route").len(), 2);
    p.recv(&simple_response(
        &update,
        200,
        None,
        "Session-Expires: 120;refresher=uac\r\n",
    ));
    p.take_sent();
    p.advance(60_000);
    assert!(p.last_request("UPDATE").is_some(), "next refresh");
}

#[test]
fn info_dtmf_relay_and_plain_dtmf_are_reported() {
    let mut p = Phone::new(config());
    let (call, tag) = connected(&mut p, "dtmf-1");
    p.recv(&in_dialog(
        "INFO",
        "dtmf-1",
        &tag,
        103,
        "z9hG4bK-d1",
        "Content-Type: application/dtmf-relay\r\n",
        "Signal=5\r\nDuration=160\r\n",
    ));
    p.recv(&in_dialog(
        "INFO",
        "dtmf-1",
        &tag,
        104,
        "z9hG4bK-d2",
        "Content-Type: application/dtmf\r\n",
        "#",
    ));
    assert_eq!(p.sent.iter().filter(|f| status(f) == Some(200)).count(), 2);
    assert_eq!(
        p.events,
        vec![
            Event::Dtmf {
                call: call.clone(),
                digit: '5'
            },
            Event::Dtmf { call, digit: '#' }
        ]
    );
}

#[test]
fn options_in_and_out_of_dialog_get_allow_and_accept() {
    let mut p = Phone::new(config());
    let (_call, tag) = connected(&mut p, "opt-1");
    p.recv(&in_dialog(
        "OPTIONS",
        "opt-1",
        &tag,
        103,
        "z9hG4bK-o1",
        "",
        "",
    ));
    p.recv(&fixture(
        "options_out_of_dialog.sip",
        &[
            ("call_id", "ping-1"),
            ("branch", "z9hG4bK-o2"),
            ("from_tag", "x"),
            ("cseq", "1"),
        ],
    ));
    assert_eq!(p.sent.len(), 2);
    for r in &p.sent {
        assert_eq!(status(r), Some(200));
        assert!(headers(r, "Allow").iter().any(|m| m == "INVITE"));
        assert!(headers(r, "Accept").iter().any(|m| m == "application/sdp"));
    }
}

#[test]
fn requests_for_unknown_dialogs_get_481() {
    let mut p = Phone::new(config());
    p.register();
    p.recv(&in_dialog(
        "BYE",
        "nobody",
        "nosuchtag",
        5,
        "z9hG4bK-x1",
        "",
        "",
    ));
    p.recv(&in_dialog(
        "INFO",
        "nobody",
        "nosuchtag",
        6,
        "z9hG4bK-x2",
        "",
        "",
    ));
    assert_eq!(
        p.sent.iter().filter_map(|f| status(f)).collect::<Vec<_>>(),
        vec![481, 481]
    );
}

#[test]
fn unknown_method_gets_501_and_known_unsupported_gets_405_with_allow() {
    let mut p = Phone::new(config());
    p.register();
    p.recv(&in_dialog("FOOBAR", "x-1", "", 1, "z9hG4bK-f", "", "").replace(";tag=\r\n", "\r\n"));
    p.recv(&in_dialog("MESSAGE", "x-2", "", 1, "z9hG4bK-g", "", "").replace(";tag=\r\n", "\r\n"));
    assert_eq!(status(&p.sent[0]), Some(501));
    assert_eq!(status(&p.sent[1]), Some(405));
    assert!(header(&p.sent[1], "Allow").is_some());
}

#[test]
fn malformed_request_gets_400_and_unparseable_input_is_dropped_and_counted() {
    let mut p = Phone::new(config());
    p.register();
    let bad_cseq = invite("wazo_invite.sip", "bad-1", "z9hG4bK-b")
        .replace("CSeq: 102 INVITE", "CSeq: abc INVITE");
    p.recv(&bad_cseq);
    let r = p.sent.last().unwrap().clone();
    assert_eq!(status(&r), Some(400));
    assert_eq!(headers(&r, "Via").len(), 2);
    assert_eq!(header(&r, "CSeq").as_deref(), Some("abc INVITE"));
    p.take_sent();
    p.recv("INVITE sip:x SIP/2.0\r\nFrom: <sip:a@b>\r\n\r\n");
    p.recv("\u{0}\u{1}binary");
    assert!(p.sent.is_empty());
    let s = p.ua.stats();
    assert_eq!((s.bad_requests_answered, s.dropped_malformed), (1, 2));
    assert!(p.media_requests().is_empty());
}

#[test]
fn hang_up_sends_bye_along_the_record_route() {
    let mut p = Phone::new(config());
    let (call, tag) = connected(&mut p, "hup-1");
    p.cmd(Command::HangUp { call: call.clone() });
    let bye = p.last_request("BYE").unwrap();
    assert!(bye.starts_with("BYE sip:asterisk@10.0.0.9:5060 SIP/2.0"));
    assert_eq!(
        headers(&bye, "Route"),
        vec![
            "<sip:10.0.0.5:443;transport=ws;lr;r2=on>",
            "<sip:10.0.0.5;lr;r2=on>"
        ]
    );
    assert!(header(&bye, "From")
        .unwrap()
        .ends_with(&format!(";tag={tag}")));
    assert!(header(&bye, "To")
        .unwrap()
        .ends_with(&format!(";tag={FROM_TAG}")));
    assert_eq!(
        p.events,
        vec![
            Event::Media(MediaRequest::Release { call: call.clone() }),
            Event::CallEnded {
                call,
                reason: EndReason::LocalHangUp
            }
        ]
    );
    p.recv(&simple_response(&bye, 200, None, ""));
    p.take_sent();
    p.advance(40_000);
    assert!(
        p.sent
            .iter()
            .all(|f| method(f).as_deref() == Some("REGISTER")),
        "{:?}",
        p.sent
    );
    assert_eq!(p.ua.stats().stray_responses, 0);
}

#[test]
fn hang_up_before_ack_waits_for_the_ack_then_byes() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("wazo_invite.sip", "hup-2");
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.into(),
    });
    let tag = to_tag(&p.last_response(200).unwrap()).unwrap();
    p.cmd(Command::HangUp { call });
    assert!(p.last_request("BYE").is_none(), "no BYE before the ACK");
    p.recv(&ack("hup-2", &tag, 102));
    assert!(p.last_request("BYE").is_some());
}

#[test]
fn send_dtmf_sends_one_info_per_digit() {
    let mut p = Phone::new(config());
    let (call, _) = connected(&mut p, "sd-1");
    p.cmd(Command::SendDtmf {
        call,
        digits: "12#".into(),
    });
    let infos: Vec<_> = p
        .sent
        .iter()
        .filter(|f| method(f).as_deref() == Some("INFO"))
        .collect();
    assert_eq!(infos.len(), 3);
    assert!(body(infos[2]).starts_with("Signal=#"));
    let seqs: Vec<u32> = infos.iter().map(|f| cseq_num(f)).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
}

#[test]
fn out_of_order_cseq_gets_500() {
    let mut p = Phone::new(config());
    let (_call, tag) = connected(&mut p, "cs-1");
    p.recv(&in_dialog("INFO", "cs-1", &tag, 101, "z9hG4bK-old", "", ""));
    assert_eq!(status(p.sent.last().unwrap()), Some(500));
}

#[test]
fn confirmed_call_survives_a_flow_loss() {
    let mut p = Phone::new(config());
    let (call, tag) = connected(&mut p, "flow-1");
    p.disconnect();
    assert!(!p
        .events
        .iter()
        .any(|e| matches!(e, Event::CallEnded { .. })));
    p.connect();
    p.recv(&in_dialog("BYE", "flow-1", &tag, 103, "z9hG4bK-b2", "", ""));
    assert!(p.events.contains(&Event::CallEnded {
        call,
        reason: EndReason::RemoteBye
    }));
}

#[test]
fn microphone_failing_after_an_early_answer_ends_the_call_with_bye_and_reason() {
    // The media edge answers before the microphone is open when the permission is known
    // to be granted; if getUserMedia then fails, the call ends at once, with a reason.
    for (failure, cause, words) in [
        (
            ttecphone_sip::MediaFailure::MicrophoneBusy,
            "480",
            "microphone unavailable",
        ),
        (
            ttecphone_sip::MediaFailure::MicrophoneDenied,
            "480",
            "microphone permission denied",
        ),
        (
            ttecphone_sip::MediaFailure::Other("ICE \"failed\"\r\nX: y".into()),
            "488",
            "ICE failedX: y",
        ),
    ] {
        let mut p = Phone::new(config());
        let (call, _) = connected(&mut p, "early-mic");
        p.media(MediaResult::Failed {
            call: call.clone(),
            reason: failure,
        });
        let bye = p.last_request("BYE").expect("a BYE");
        assert_eq!(
            header(&bye, "Reason").as_deref(),
            Some(format!("SIP;cause={cause};text=\"{words}\"").as_str()),
            "{bye}"
        );
        assert!(p.events.contains(&Event::CallEnded {
            call,
            reason: EndReason::MediaFailed
        }));
    }
}
