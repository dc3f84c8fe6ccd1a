//! Reliable provisional responses as the answering side (RFC 3262): an INVITE with
//! `Require: 100rel` gets a reliable 180 (Require, RSeq), retransmitted until its PRACK or
//! the final response; PRACK answered 200, 481 or 400; auto-answer not slowed.

mod common;
use common::*;
use ttecphone_sip::{CallId, EndReason, Event, MediaRequest, MediaResult};

/// Asterisk with `100rel=required`.
fn invite_100rel(call_id: &str) -> String {
    invite("wazo_invite.sip", call_id, "z9hG4bK-rel").replace(
        "Supported: 100rel, timer, replaces, norefersub, histinfo\r\n",
        "Supported: 100rel, timer, replaces, norefersub, histinfo\r\nRequire: 100rel\r\n",
    )
}

fn prack(call_id: &str, tag: &str, cseq: u32, rack: Option<&str>) -> String {
    let extra = rack.map(|r| format!("RAck: {r}\r\n")).unwrap_or_default();
    in_dialog(
        "PRACK",
        call_id,
        tag,
        cseq,
        &format!("z9hG4bK-prack-{cseq}"),
        &extra,
        "",
    )
}

fn ringing_count(p: &Phone) -> usize {
    p.sent.iter().filter(|f| status(f) == Some(180)).count()
}

/// Delivers a 100rel INVITE (the media edge not answering yet): (call, our tag, RSeq, 180).
fn reliable_call(p: &mut Phone, call_id: &str) -> (CallId, String, u32, String) {
    p.recv(&invite_100rel(call_id));
    let ringing = p.last_response(180).expect("180");
    let tag = to_tag(&ringing).expect("To tag");
    let rseq = header(&ringing, "RSeq")
        .and_then(|r| r.parse().ok())
        .expect("RSeq");
    p.take_sent();
    (CallId::new(call_id), tag, rseq, ringing)
}

#[test]
fn an_invite_requiring_100rel_gets_a_reliable_180_instead_of_420() {
    let mut p = Phone::new(config());
    p.register();
    p.recv(&invite_100rel("rel-1"));
    let statuses: Vec<_> = p.sent.iter().filter_map(|f| status(f)).collect();
    assert_eq!(statuses, vec![100, 180], "{:?}", p.sent);
    let (trying, ringing) = (&p.sent[0], &p.sent[1]);
    assert!(header(trying, "RSeq").is_none(), "a 100 is never reliable");
    assert_eq!(header(ringing, "Require").as_deref(), Some("100rel"));
    let rseq: u32 = header(ringing, "RSeq").unwrap().parse().unwrap();
    assert!((1..1 << 31).contains(&rseq), "{rseq}");
    assert!(to_tag(ringing).is_some(), "the early dialog's tag");
    assert!(header(ringing, "Contact")
        .unwrap()
        .contains(";transport=ws;ob>"));
    assert_eq!(headers(ringing, "Record-Route").len(), 2);
    assert!(headers(ringing, "Allow").iter().any(|m| m == "PRACK"));
    assert!(matches!(
        &p.media_requests()[..],
        [MediaRequest::CreateAnswer { .. }]
    ));
}

#[test]
fn the_reliable_180_is_retransmitted_t1_doubling_to_t2_until_its_prack() {
    let mut p = Phone::new(config());
    p.register();
    let (call, tag, rseq, ringing) = reliable_call(&mut p, "rel-2");
    let mut expected = 0;
    for wait in [500, 1_000, 2_000, 4_000, 4_000] {
        p.advance(wait - 1);
        assert_eq!(ringing_count(&p), expected, "early, after {wait}");
        p.advance(1);
        expected += 1;
        assert_eq!(ringing_count(&p), expected, "after {wait}");
        assert_eq!(p.sent.last(), Some(&ringing), "the same response");
    }
    p.take_sent();
    p.recv(&prack(
        "rel-2",
        &tag,
        103,
        Some(&format!("{rseq} 102 INVITE")),
    ));
    let ok = p.sent.last().unwrap().clone();
    assert_eq!(status(&ok), Some(200));
    assert_eq!(header(&ok, "CSeq").as_deref(), Some("103 PRACK"));
    p.advance(10_000); // (the media edge has 30 s from the INVITE)
    assert_eq!(ringing_count(&p), 0, "acknowledged: no more 180");
    p.media(MediaResult::LocalSdp {
        call,
        sdp: ANSWER_SDP.into(),
    });
    let answer = p.last_response(200).unwrap();
    assert_eq!(header(&answer, "CSeq").as_deref(), Some("102 INVITE"));
    assert!(header(&answer, "Supported").unwrap().contains("100rel"));
}

/// RFC 3262 §3: a 2xx may precede the PRACK of a provisional without SDP, so auto-answer
/// at delay 0 answers as soon as the media edge does, and the 180 stops there.
#[test]
fn with_100rel_the_200_goes_at_once_and_the_180_is_not_repeated_after_it() {
    let mut p = Phone::new(config());
    p.register();
    p.recv(&invite_100rel("rel-3"));
    let ringing = p.last_response(180).unwrap();
    let (tag, rseq) = (to_tag(&ringing).unwrap(), header(&ringing, "RSeq").unwrap());
    let call = CallId::new("rel-3");
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.into(),
    });
    let ok = p
        .last_response(200)
        .expect("200 without waiting for the PRACK");
    assert_eq!(header(&ok, "CSeq").as_deref(), Some("102 INVITE"));
    assert!(p
        .events
        .contains(&Event::CallAnswered { call: call.clone() }));
    p.take_sent();
    p.advance(10_000);
    assert_eq!(ringing_count(&p), 0, "{:?}", p.sent);
    assert!(
        p.sent.iter().all(|f| status(f) == Some(200)),
        "{:?}",
        p.sent
    );
    // The PRACK crossing the 200 is still answered; then the ACK confirms the call.
    p.take_sent();
    p.recv(&prack(
        "rel-3",
        &tag,
        103,
        Some(&format!("{rseq} 102 INVITE")),
    ));
    assert_eq!(status(p.sent.last().unwrap()), Some(200));
    p.recv(&ack("rel-3", &tag, 102));
    p.advance(30_000);
    assert!(p.last_request("BYE").is_none());
    assert_eq!(p.ua.active_calls().collect::<Vec<_>>(), vec![&call]);
}

#[test]
fn a_prack_matching_no_unacknowledged_180_gets_481() {
    let mut p = Phone::new(config());
    p.register();
    let (_call, tag, rseq, _) = reliable_call(&mut p, "rel-4");
    for (cseq, rack) in [
        (103, format!("{} 102 INVITE", rseq % ((1 << 31) - 1) + 1)),
        (104, format!("{rseq} 101 INVITE")),
        (105, format!("{rseq} 102 UPDATE")),
    ] {
        p.recv(&prack("rel-4", &tag, cseq, Some(&rack)));
        assert_eq!(status(p.sent.last().unwrap()), Some(481), "{rack}");
    }
    p.recv(&prack(
        "rel-4",
        &tag,
        106,
        Some(&format!("{rseq} 102 INVITE")),
    ));
    assert_eq!(status(p.sent.last().unwrap()), Some(200));
    // Acknowledged already: a new PRACK for it matches nothing.
    p.recv(&prack(
        "rel-4",
        &tag,
        107,
        Some(&format!("{rseq} 102 INVITE")),
    ));
    assert_eq!(status(p.sent.last().unwrap()), Some(481));
    // A PRACK where no 180 was reliable.
    let mut p = Phone::new(config());
    p.register();
    p.recv(&invite("wazo_invite.sip", "rel-5", "z9hG4bK-u"));
    let tag = to_tag(&p.last_response(180).unwrap()).unwrap();
    p.recv(&prack("rel-5", &tag, 103, Some("1 102 INVITE")));
    assert_eq!(status(p.sent.last().unwrap()), Some(481));
}

#[test]
fn a_malformed_or_missing_rack_gets_400_and_the_180_keeps_going() {
    let mut p = Phone::new(config());
    p.register();
    let (_call, tag, rseq, _) = reliable_call(&mut p, "rel-6");
    let bad = [
        Some("abc 102 INVITE".to_owned()),
        Some(format!("{rseq} 102")),
        Some(format!("{rseq} 102 INVITE extra")),
        Some("0 102 INVITE".to_owned()),
        Some(format!("{rseq} 2147483648 INVITE")),
        None,
    ];
    for (i, rack) in bad.iter().enumerate() {
        let cseq = 103 + u32::try_from(i).unwrap();
        p.recv(&prack("rel-6", &tag, cseq, rack.as_deref()));
        let r = p.sent.last().unwrap();
        assert_eq!(status(r), Some(400), "{rack:?}");
        assert_eq!(header(r, "CSeq"), Some(format!("{cseq} PRACK")));
    }
    p.take_sent();
    p.advance(4_000);
    assert!(ringing_count(&p) > 0, "still unacknowledged");
}

#[test]
fn supported_100rel_alone_keeps_the_180_unreliable() {
    let mut p = Phone::new(config());
    p.register();
    // Wazo's own INVITE: `Supported: 100rel` (Asterisk's default 100rel=yes).
    p.incoming("wazo_invite.sip", "rel-7");
    let ringing = p.last_response(180).unwrap();
    assert!(header(&ringing, "Require").is_none());
    assert!(header(&ringing, "RSeq").is_none());
    p.take_sent();
    p.advance(5_000);
    assert_eq!(ringing_count(&p), 0);
}

#[test]
fn no_prack_within_64_t1_rejects_the_ringing_invite_with_500() {
    let mut cfg = config();
    cfg.auto_answer.enabled = false; // rings until answered (QA builds)
    let mut p = Phone::new(cfg);
    p.register();
    let (call, _, _, _) = reliable_call(&mut p, "rel-8");
    p.advance(31_999);
    assert!(p.last_response(500).is_none());
    p.advance(1);
    let r = p.last_response(500).expect("500 to the INVITE");
    assert_eq!(header(&r, "CSeq").as_deref(), Some("102 INVITE"));
    assert!(p.events.contains(&Event::CallEnded {
        call,
        reason: EndReason::Timeout
    }));
    p.take_sent();
    p.advance(10_000);
    assert_eq!(ringing_count(&p), 0);
}

#[test]
fn cancel_stops_the_reliable_180() {
    let mut cfg = config();
    cfg.auto_answer.enabled = false;
    let mut p = Phone::new(cfg);
    p.register();
    reliable_call(&mut p, "rel-9");
    p.recv(&fixture(
        "cancel.sip",
        &[
            ("call_id", "rel-9"),
            ("branch", "z9hG4bK-rel"),
            ("from_tag", FROM_TAG),
            ("cseq", "102"),
        ],
    ));
    assert!(p.last_response(487).is_some(), "{:?}", p.sent);
    p.take_sent();
    p.advance(10_000);
    assert_eq!(ringing_count(&p), 0);
}

#[test]
fn options_answers_advertise_100rel_and_allow_prack() {
    let mut p = Phone::new(config());
    p.register();
    p.recv(&fixture(
        "options_out_of_dialog.sip",
        &[
            ("call_id", "ping-rel"),
            ("branch", "z9hG4bK-o-rel"),
            ("from_tag", "x"),
            ("cseq", "1"),
        ],
    ));
    let ok = p.last_response(200).unwrap();
    assert!(headers(&ok, "Supported").iter().any(|t| t == "100rel"));
    assert!(headers(&ok, "Allow").iter().any(|m| m == "PRACK"));
}
