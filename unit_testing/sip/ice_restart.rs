//! Audio path lost mid-call: ICE restart by re-INVITE inside the dialog (Kamailio +
//! rtpengine shapes), glare (491) retry with injected randomness, refusal and the
//! overall bound ending the call with BYE + Reason, and the peer's own ICE restart.

mod common;
use common::*;
use ttecphone_sip::{CallId, EndReason, Event, MediaRequest, MediaResult};

/// A call from CUCM through Kamailio (Record-Route, Session-Expires), answered and ACKed.
fn connected(p: &mut Phone, call_id: &str) -> (CallId, String) {
    connected_call(p, "kamailio_invite.sip", call_id)
}

/// The browser's `createOffer({iceRestart: true})`: new ufrag/pwd, same DTLS fingerprint.
const RESTART_OFFER: &str = "v=0\r\no=- 4611731400430051336 3 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:Rst2\r\na=ice-pwd:restartedpasswordrestarted\r\na=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host\r\n";

/// rtpengine's answer toward the browser (ICE=force): its own new credentials.
const RTPENGINE_ANSWER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30010 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\na=rtcp-mux\r\na=setup:passive\r\na=fingerprint:sha-256 8B:3F:44:0A:19:22:7C:66:51:4D:AF:10:9E:33:C8:27:EF:9B:2A:6C:01:D4:77:E3:88:5F:C2:96:3A:1B:0C:DD\r\na=ice-ufrag:Kq7Zp2Lm\r\na=ice-pwd:Xw3Cv8Bn5Mq1Rt6Yu9Io2Pa\r\na=candidate:wV8ZTxVcR4jYp6bN 1 UDP 2130706431 127.0.0.1 30010 typ host\r\n";

fn response_with_sdp(request: &str, status: u16, extra: &str, sdp: &str) -> String {
    let head = simple_response(request, status, None, extra);
    let head = head.replace("Content-Length: 0\r\n\r\n", "");
    format!(
        "{head}Contact: <sip:sipp@127.0.0.1:5070>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

/// Path lost → "reconnecting" and a restart offer asked of the edge; returns the re-INVITE.
fn lose_path(p: &mut Phone, call: &CallId) -> String {
    p.media(MediaResult::PathLost { call: call.clone() });
    assert!(p.events.contains(&Event::MediaPath {
        call: call.clone(),
        reconnecting: true
    }));
    assert_eq!(
        p.media_requests(),
        vec![MediaRequest::RestartIce { call: call.clone() }]
    );
    p.take_events();
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: RESTART_OFFER.into(),
    });
    let invite = p.last_request("INVITE").expect("a re-INVITE");
    p.take_sent();
    invite
}

#[test]
fn path_lost_sends_a_reinvite_with_the_restart_offer_in_the_dialog_and_applies_the_answer() {
    let mut p = Phone::new(config());
    let (call, tag) = connected(&mut p, "ice-1");
    let invite = lose_path(&mut p, &call);
    // In the dialog: Route from Record-Route, same Call-ID and tags, our first CSeq.
    assert!(
        invite.starts_with("INVITE sip:sipp@127.0.0.1:5070 SIP/2.0\r\n"),
        "{invite}"
    );
    assert_eq!(header(&invite, "Call-ID").as_deref(), Some("ice-1"));
    assert!(header(&invite, "From")
        .unwrap()
        .ends_with(&format!(";tag={tag}")));
    assert!(header(&invite, "To")
        .unwrap()
        .ends_with(&format!(";tag={FROM_TAG}")));
    let n = cseq_num(&invite);
    assert_eq!(header(&invite, "CSeq"), Some(format!("{n} INVITE")));
    assert_eq!(headers(&invite, "Route").len(), 2, "{invite}");
    assert!(header(&invite, "Contact").is_some());
    assert_eq!(
        header(&invite, "Content-Type").as_deref(),
        Some("application/sdp")
    );
    assert!(body(&invite).contains("a=ice-ufrag:Rst2"));
    // This INVITE negotiated no session timer: none is started by the restart.
    assert!(header(&invite, "Session-Expires").is_none());

    p.recv(&response_with_sdp(&invite, 200, "", RTPENGINE_ANSWER));
    let ack = p.last_request("ACK").expect("ACK for the 200");
    assert_eq!(header(&ack, "CSeq"), Some(format!("{n} ACK")));
    assert_ne!(
        header(&ack, "Via"),
        header(&invite, "Via"),
        "a 2xx ACK is its own transaction"
    );
    assert_eq!(
        p.media_requests(),
        vec![MediaRequest::ApplyAnswer {
            call: call.clone(),
            sdp: RTPENGINE_ANSWER.into()
        }]
    );
    p.take_events();
    p.media(MediaResult::RemoteAnswerApplied { call: call.clone() });
    p.media(MediaResult::PathRestored { call: call.clone() });
    assert_eq!(
        p.events,
        vec![Event::MediaPath {
            call: call.clone(),
            reconnecting: false
        }]
    );
    // Well past the bound: the call stays.
    p.advance(60_000);
    assert!(p.last_request("BYE").is_none());
    assert_eq!(p.ua.active_calls().count(), 1);
}

#[test]
fn the_restart_reinvite_keeps_the_session_timer_refresher() {
    // Wazo's INVITE: Session-Expires: 300;refresher=uac (Asterisk refreshes).
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("wazo_invite.sip", "ice-se");
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.into(),
    });
    let tag = to_tag(&p.last_response(200).unwrap()).unwrap();
    p.recv(&ack("ice-se", &tag, 102));
    p.take_events();
    let invite = lose_path(&mut p, &call);
    let se = header(&invite, "Session-Expires").expect("Session-Expires");
    assert!(
        se.ends_with(";refresher=uas"),
        "the peer stays the refresher: {se}"
    );
    assert!(header(&invite, "Supported").unwrap().contains("timer"));
}

#[test]
fn only_one_restart_at_a_time() {
    let mut p = Phone::new(config());
    let (call, _) = connected(&mut p, "ice-2");
    p.media(MediaResult::PathLost { call: call.clone() });
    p.media(MediaResult::PathLost { call: call.clone() });
    assert_eq!(p.media_requests().len(), 1, "{:?}", p.events);
}

#[test]
fn glare_491_is_acked_and_retried_after_0_to_2_s_then_gives_up_after_three_offers() {
    let mut p = Phone::with_seed(config(), 7);
    let (call, _) = connected(&mut p, "ice-3");
    let invite = lose_path(&mut p, &call);
    p.recv(&simple_response(&invite, 491, Some("sipp-tag"), ""));
    let ack = p.last_request("ACK").expect("ACK for the 491");
    // The non-2xx ACK belongs to the INVITE transaction: same branch, same CSeq number.
    assert_eq!(header(&ack, "Via"), header(&invite, "Via"));
    let n = cseq_num(&invite);
    assert_eq!(header(&ack, "CSeq"), Some(format!("{n} ACK")));
    assert_eq!(headers(&ack, "Route").len(), 2);
    p.take_events();
    // We did not generate the Call-ID (the call came in): the retry is within 0–2 s.
    p.advance(2_000);
    assert_eq!(
        p.media_requests(),
        vec![MediaRequest::RestartIce { call: call.clone() }]
    );
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: RESTART_OFFER.into(),
    });
    let second = p.last_request("INVITE").unwrap();
    assert_eq!(header(&second, "CSeq"), Some(format!("{} INVITE", n + 1)));
    p.recv(&simple_response(&second, 491, Some("sipp-tag"), ""));
    p.advance(2_000);
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: RESTART_OFFER.into(),
    });
    let third = p.last_request("INVITE").unwrap();
    assert_eq!(header(&third, "CSeq"), Some(format!("{} INVITE", n + 2)));
    p.take_events();
    p.recv(&simple_response(&third, 491, Some("sipp-tag"), ""));
    p.advance(2_000);
    let bye = p
        .last_request("BYE")
        .expect("BYE after three refused offers");
    assert!(header(&bye, "Reason")
        .unwrap()
        .starts_with("Q.850;cause=41"));
    assert!(p.events.contains(&Event::CallEnded {
        call,
        reason: EndReason::MediaLost
    }));
}

#[test]
fn a_refused_restart_ends_the_call_with_bye_and_a_sip_reason() {
    let mut p = Phone::new(config());
    let (call, _) = connected(&mut p, "ice-4");
    let invite = lose_path(&mut p, &call);
    p.recv(&simple_response(&invite, 488, Some("sipp-tag"), ""));
    let bye = p.last_request("BYE").expect("BYE");
    assert_eq!(
        header(&bye, "Reason").as_deref(),
        Some("SIP;cause=488;text=\"ICE restart refused\"")
    );
    assert_eq!(
        header(&bye, "CSeq"),
        Some(format!("{} BYE", cseq_num(&invite) + 1))
    );
    assert!(p.events.contains(&Event::CallEnded {
        call,
        reason: EndReason::MediaLost
    }));
}

#[test]
fn path_not_back_within_the_bound_ends_the_call_even_after_a_200() {
    let mut p = Phone::new(config());
    let (call, _) = connected(&mut p, "ice-5");
    let invite = lose_path(&mut p, &call);
    p.recv(&response_with_sdp(&invite, 200, "", RTPENGINE_ANSWER));
    p.media(MediaResult::RemoteAnswerApplied { call: call.clone() });
    p.take_events();
    p.advance(11_000);
    assert!(p.last_request("BYE").is_none(), "ended before the bound");
    p.advance(2_000);
    let bye = p.last_request("BYE").expect("BYE at the bound");
    assert!(header(&bye, "Reason")
        .unwrap()
        .contains("ICE restart failed"));
    assert_eq!(
        p.events.last(),
        Some(&Event::CallEnded {
            call,
            reason: EndReason::MediaLost
        })
    );
}

#[test]
fn ice_back_by_itself_before_the_offer_is_answered_keeps_the_call() {
    let mut p = Phone::new(config());
    let (call, _) = connected(&mut p, "ice-6");
    let invite = lose_path(&mut p, &call);
    p.media(MediaResult::PathRestored { call: call.clone() });
    assert!(p.events.contains(&Event::MediaPath {
        call: call.clone(),
        reconnecting: false
    }));
    // The offer's exchange still completes (the connection waits for its answer).
    p.recv(&response_with_sdp(&invite, 200, "", RTPENGINE_ANSWER));
    assert!(p.last_request("ACK").is_some());
    p.advance(30_000);
    assert!(p.last_request("BYE").is_none());
    // A later loss starts a new restart.
    p.take_events();
    p.media(MediaResult::PathLost { call: call.clone() });
    assert!(p
        .media_requests()
        .contains(&MediaRequest::RestartIce { call }));
}

#[test]
fn path_lost_before_the_ack_ends_the_call_as_before() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming("kamailio_invite.sip", "ice-7");
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.into(),
    });
    p.take_events();
    p.media(MediaResult::PathLost { call: call.clone() });
    assert!(!p
        .media_requests()
        .contains(&MediaRequest::RestartIce { call: call.clone() }));
    assert!(p.events.contains(&Event::CallEnded {
        call,
        reason: EndReason::MediaFailed
    }));
}

#[test]
fn the_peers_ice_restart_reinvite_is_answered_on_the_same_connection() {
    let mut p = Phone::new(config());
    let (call, tag) = connected(&mut p, "ice-8");
    let offer = RTPENGINE_ANSWER.replace("a=setup:passive", "a=setup:actpass");
    let text = in_dialog(
        "INVITE",
        "ice-8",
        &tag,
        103,
        "z9hG4bK-peer-restart",
        "Content-Type: application/sdp\r\n",
        &offer,
    );
    p.recv(&text);
    assert!(
        matches!(&p.media_requests()[..], [MediaRequest::CreateAnswer { call: c, offer_sdp }]
            if *c == call && offer_sdp.contains("a=ice-ufrag:Kq7Zp2Lm")),
        "{:?}",
        p.events
    );
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: RESTART_OFFER.replace("actpass", "active"),
    });
    let ok = p.last_response(200).expect("200 with our answer");
    assert!(body(&ok).contains("a=ice-ufrag:Rst2"));
    assert_eq!(p.ua.active_calls().count(), 1);
}
