//! A call kept across a lost WebSocket, as Asterisk needs it: once registered on the new
//! connection the phone refreshes the dialog's target (UPDATE without SDP, or a re-INVITE
//! repeating our SDP), so the caller's BYE and the session-timer UPDATE reach it again;
//! 481/408/no answer end the call as `DialogLost`; glare is retried; and a call still
//! waiting for its refresh (a "ghost") never makes the next customer get 486.

mod common;
use common::*;
use ttecphone_sip::{CallId, Command, EndReason, Event, MediaRequest, MediaResult};

/// The Allow of an Asterisk 22 INVITE (UPDATE allowed).
const WAZO: &str = "wazo_invite.sip";
/// Kamailio/sipp: no Allow header, so no UPDATE; no session timer.
const NO_UPDATE: &str = "kamailio_invite.sip";

/// Drops the WebSocket, opens a new one and answers its REGISTER with a 200 (the digest
/// session of the first registration is reused, as on a real reconnect). Returns what was
/// sent before the 200, to check nothing went into the dialog before it.
fn reconnect_and_register(p: &mut Phone) -> Vec<String> {
    p.disconnect();
    p.connect();
    let before = p.take_sent();
    let register = before
        .iter()
        .find(|f| method(f).as_deref() == Some("REGISTER"))
        .cloned()
        .expect("REGISTER on the new connection");
    let contact = contact_uri(&register);
    p.recv(&respond(
        &register,
        &raw("wazo_register_200.sip"),
        &[("contact_uri", &contact), ("instance", INSTANCE)],
    ));
    before
}

/// Advances time, answering the registration refreshes on the way as the registrar does.
fn advance_registered(p: &mut Phone, ms: u64) {
    for _ in 0..ms / 1_000 {
        p.advance(1_000);
        let refreshes: Vec<String> = p
            .sent
            .iter()
            .filter(|f| method(f).as_deref() == Some("REGISTER"))
            .cloned()
            .collect();
        p.sent.retain(|f| method(f).as_deref() != Some("REGISTER"));
        for register in refreshes {
            let contact = contact_uri(&register);
            p.recv(&respond(
                &register,
                &raw("wazo_register_200.sip"),
                &[("contact_uri", &contact), ("instance", INSTANCE)],
            ));
        }
    }
}

/// A DTMF INFO and its 200: its CSeq is the last one the dialog used.
fn last_local_cseq(p: &mut Phone, call: &CallId) -> u32 {
    p.cmd(Command::SendDtmf {
        call: call.clone(),
        digits: "1".into(),
    });
    let info = p.last_request("INFO").expect("INFO");
    p.recv(&simple_response(&info, 200, None, ""));
    p.take_sent();
    cseq_num(&info)
}

fn ended(p: &Phone, call: &CallId) -> Option<EndReason> {
    p.events.iter().find_map(|e| match e {
        Event::CallEnded { call: c, reason } if c == call => Some(reason.clone()),
        _ => None,
    })
}

fn response_with_sdp(request: &str, status: u16, sdp: &str) -> String {
    let head = simple_response(request, status, None, "");
    let head = head.replace("Content-Length: 0\r\n\r\n", "");
    format!(
        "{head}Contact: <sip:sipp@127.0.0.1:5070>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

fn new_invite(p: &mut Phone, call_id: &str) -> CallId {
    p.recv(&invite(NO_UPDATE, call_id, "z9hG4bK-new-call"));
    CallId::new(call_id)
}

#[test]
fn after_the_register_200_an_update_without_sdp_refreshes_the_target() {
    let mut p = Phone::new(config());
    let (call, tag) = connected_call(&mut p, WAZO, "tr-1");
    let n = last_local_cseq(&mut p, &call);
    let before = reconnect_and_register(&mut p);
    assert!(
        before
            .iter()
            .all(|f| method(f).as_deref() == Some("REGISTER")),
        "nothing into the dialog before the REGISTER's 200: {before:?}"
    );
    let update = p.last_request("UPDATE").expect("target refresh");
    assert_eq!(
        p.sent.iter().filter(|f| method(f).is_some()).count(),
        1,
        "{:?}",
        p.sent
    );
    // The dialog's Request-URI, Route set, next CSeq, tags and our (new) Contact.
    assert!(
        update.starts_with("UPDATE sip:asterisk@10.0.0.9:5060 SIP/2.0\r\n"),
        "{update}"
    );
    assert_eq!(
        headers(&update, "Route"),
        vec![
            "<sip:10.0.0.5:443;transport=ws;lr;r2=on>",
            "<sip:10.0.0.5;lr;r2=on>"
        ]
    );
    assert_eq!(header(&update, "CSeq"), Some(format!("{} UPDATE", n + 1)));
    assert_eq!(header(&update, "Call-ID").as_deref(), Some("tr-1"));
    assert!(header(&update, "From")
        .unwrap()
        .ends_with(&format!(";tag={tag}")));
    assert!(header(&update, "To")
        .unwrap()
        .ends_with(&format!(";tag={FROM_TAG}")));
    assert!(header(&update, "Contact")
        .unwrap()
        .contains(";transport=ws;ob>"));
    // No offer: no SDP, no media round trip.
    assert!(header(&update, "Content-Type").is_none());
    assert!(body(&update).is_empty());
    assert!(p.media_requests().is_empty());
    // Asterisk refreshes this session (refresher=uac in its INVITE): it stays so.
    assert_eq!(
        header(&update, "Session-Expires").as_deref(),
        Some("300;refresher=uas")
    );
    assert_eq!(header(&update, "Min-SE").as_deref(), Some("90"));
    assert!(header(&update, "Supported").unwrap().contains("timer"));
    assert!(ended(&p, &call).is_none());
}

#[test]
fn the_caller_bye_after_the_refresh_ends_the_call_as_remote_bye() {
    let mut p = Phone::new(config());
    let (call, tag) = connected_call(&mut p, WAZO, "tr-2");
    reconnect_and_register(&mut p);
    let update = p.last_request("UPDATE").expect("target refresh");
    p.recv(&simple_response(
        &update,
        200,
        None,
        "Session-Expires: 300;refresher=uas\r\n",
    ));
    p.take_sent();
    p.recv(&in_dialog(
        "BYE",
        "tr-2",
        &tag,
        103,
        "z9hG4bK-bye-new",
        "",
        "",
    ));
    assert_eq!(status(&p.sent[0]), Some(200));
    assert_eq!(ended(&p, &call), Some(EndReason::RemoteBye));
}

/// Asterisk (`timers=always`, 300 s, refresher=uac: itself) sends its UPDATE at 150 s; the
/// target refresh restarted our expiry as any refresh does, so the call outlives the
/// expiry counted from the answer.
#[test]
fn the_session_timer_update_after_the_reconnect_is_answered_and_the_expiry_restarted() {
    let mut p = Phone::new(config());
    let (call, tag) = connected_call(&mut p, WAZO, "tr-3");
    advance_registered(&mut p, 200_000);
    reconnect_and_register(&mut p);
    let update = p.last_request("UPDATE").expect("target refresh");
    p.recv(&simple_response(
        &update,
        200,
        None,
        "Session-Expires: 300;refresher=uas\r\n",
    ));
    p.take_sent();
    // 268 s after the answer the old expiry would have ended the call.
    advance_registered(&mut p, 100_000);
    assert!(p.last_request("BYE").is_none(), "{:?}", p.sent);
    assert!(ended(&p, &call).is_none());
    p.recv(&in_dialog(
        "UPDATE",
        "tr-3",
        &tag,
        103,
        "z9hG4bK-se-update",
        "Session-Expires: 300;refresher=uac\r\nSupported: timer\r\n",
        "",
    ));
    let ok = p
        .last_response(200)
        .expect("200 to the session-timer UPDATE");
    assert_eq!(header(&ok, "CSeq").as_deref(), Some("103 UPDATE"));
    assert_eq!(
        header(&ok, "Session-Expires").as_deref(),
        Some("300;refresher=uac")
    );
    assert!(ended(&p, &call).is_none());
}

#[test]
fn a_peer_without_update_gets_a_reinvite_repeating_our_sdp_then_an_ack() {
    let mut p = Phone::new(config());
    let (call, tag) = connected_call(&mut p, NO_UPDATE, "tr-4");
    reconnect_and_register(&mut p);
    assert!(p.last_request("UPDATE").is_none());
    let reinvite = p.last_request("INVITE").expect("re-INVITE");
    assert!(reinvite.starts_with("INVITE sip:sipp@127.0.0.1:5070 SIP/2.0\r\n"));
    assert_eq!(headers(&reinvite, "Route").len(), 2);
    assert!(header(&reinvite, "To")
        .unwrap()
        .ends_with(&format!(";tag={FROM_TAG}")));
    assert!(header(&reinvite, "From")
        .unwrap()
        .ends_with(&format!(";tag={tag}")));
    // The same SDP, o= version included: an unchanged offer.
    assert_eq!(body(&reinvite), ANSWER_SDP);
    assert!(header(&reinvite, "Session-Expires").is_none(), "no timer");
    assert!(p.media_requests().is_empty(), "the media edge is not asked");
    let n = cseq_num(&reinvite);
    p.recv(&response_with_sdp(&reinvite, 200, "v=0\r\na=sendrecv\r\n"));
    let ack = p.last_request("ACK").expect("ACK for the 200");
    assert_eq!(header(&ack, "CSeq"), Some(format!("{n} ACK")));
    assert_ne!(header(&ack, "Via"), header(&reinvite, "Via"));
    assert!(p.media_requests().is_empty(), "answer not re-applied");
    // Reachable again: a second call is refused as busy.
    p.take_sent();
    new_invite(&mut p, "tr-4b");
    assert_eq!(status(p.sent.last().unwrap()), Some(486));
    assert!(ended(&p, &call).is_none());
}

#[test]
fn glare_on_the_refresh_reinvite_is_acked_and_retried_after_the_random_wait() {
    let mut p = Phone::new(config());
    let (_call, _) = connected_call(&mut p, NO_UPDATE, "tr-5");
    reconnect_and_register(&mut p);
    let first = p.last_request("INVITE").expect("re-INVITE");
    p.take_sent();
    p.recv(&simple_response(&first, 491, Some("sipp-tag"), ""));
    let ack = p.last_request("ACK").expect("ACK for the 491");
    assert_eq!(
        header(&ack, "Via"),
        header(&first, "Via"),
        "same transaction"
    );
    assert_eq!(
        header(&ack, "CSeq"),
        Some(format!("{} ACK", cseq_num(&first)))
    );
    assert!(p.last_request("INVITE").is_none(), "not at once");
    // We did not generate the Call-ID: 0-2 s (RFC 3261 §14.1).
    p.advance(2_000);
    let second = p.last_request("INVITE").expect("retried");
    assert_eq!(cseq_num(&second), cseq_num(&first) + 1);
    assert_eq!(body(&second), body(&first));
}

#[test]
fn a_481_to_the_target_refresh_ends_the_call_as_dialog_lost_without_bye() {
    let mut p = Phone::new(config());
    let (call, _) = connected_call(&mut p, WAZO, "tr-6");
    reconnect_and_register(&mut p);
    let update = p.last_request("UPDATE").expect("target refresh");
    p.take_sent();
    p.recv(&simple_response(&update, 481, Some("as-x"), ""));
    assert_eq!(ended(&p, &call), Some(EndReason::DialogLost));
    assert!(p.last_request("BYE").is_none(), "no dialog to BYE");
    assert!(p
        .media_requests()
        .contains(&MediaRequest::Release { call: call.clone() }));
    assert_eq!(p.ua.active_calls().count(), 0);
}

#[test]
fn a_408_or_no_answer_ends_the_call_with_bye_and_reason() {
    for answer in [Some(408), None] {
        let mut p = Phone::new(config());
        let (call, _) = connected_call(&mut p, WAZO, "tr-7");
        reconnect_and_register(&mut p);
        let update = p.last_request("UPDATE").expect("target refresh");
        p.take_sent();
        match answer {
            Some(status) => p.recv(&simple_response(&update, status, None, "")),
            None => {
                p.advance(31_999);
                assert!(ended(&p, &call).is_none());
                p.advance(1);
            }
        }
        let bye = p.last_request("BYE").expect("BYE");
        assert_eq!(cseq_num(&bye), cseq_num(&update) + 1);
        let reason = header(&bye, "Reason").expect("Reason");
        assert!(reason.starts_with("SIP;cause=408;text=\""), "{reason}");
        assert_eq!(ended(&p, &call), Some(EndReason::DialogLost), "{answer:?}");
    }
}

#[test]
fn an_answered_call_sends_its_target_refresh_after_the_ack() {
    let mut p = Phone::new(config());
    p.register();
    let call = p.incoming(WAZO, "tr-8");
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.into(),
    });
    let tag = to_tag(&p.last_response(200).unwrap()).unwrap();
    reconnect_and_register(&mut p);
    assert!(p.last_request("UPDATE").is_none(), "not before the ACK");
    p.advance(1_000);
    assert!(p.last_request("UPDATE").is_none(), "not before the ACK");
    p.recv(&ack("tr-8", &tag, 102));
    assert!(p.last_request("UPDATE").is_some(), "{:?}", p.sent);
    assert!(ended(&p, &call).is_none());
}

/// Our session refresh falls due while the WebSocket is down: nothing is sent into the
/// dead socket and left to time out; the target refresh carries the Session-Expires.
#[test]
fn a_session_refresh_due_while_disconnected_goes_with_the_target_refresh() {
    let mut p = Phone::new(config());
    p.register();
    // No Supported: timer: we refresh (as in in_dialog.rs's we_refresh_when_the_uac_cannot).
    let text = invite(NO_UPDATE, "tr-9", "z9hG4bK-k").replace(
        "Subject: Performance Test\r\n",
        "Session-Expires: 120\r\nAllow: INVITE, ACK, BYE, CANCEL, UPDATE\r\n",
    );
    p.recv(&text);
    let call = CallId::new("tr-9");
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.into(),
    });
    let tag = to_tag(&p.last_response(200).unwrap()).unwrap();
    p.recv(&ack("tr-9", &tag, 102));
    p.advance(50_000);
    p.disconnect();
    p.advance(20_000); // the refresh was due at 60 s
    p.take_sent();
    reconnect_and_register(&mut p);
    let update = p.last_request("UPDATE").expect("target refresh");
    assert_eq!(
        header(&update, "Session-Expires").as_deref(),
        Some("120;refresher=uac")
    );
    p.recv(&simple_response(
        &update,
        200,
        None,
        "Session-Expires: 120;refresher=uac\r\n",
    ));
    p.take_sent();
    p.advance(59_000);
    assert!(ended(&p, &call).is_none(), "{:?}", p.events);
    assert!(p.last_request("UPDATE").is_none());
    p.advance(1_000);
    assert!(
        p.last_request("UPDATE").is_some(),
        "the next refresh at half the interval"
    );
}

#[test]
fn a_new_invite_while_the_refresh_is_pending_is_taken_and_the_ghost_gets_a_bye() {
    let mut p = Phone::new(config());
    let (ghost, tag) = connected_call(&mut p, WAZO, "tr-10");
    reconnect_and_register(&mut p);
    let update = p.last_request("UPDATE").expect("target refresh");
    p.take_sent();
    p.take_events();
    let next = new_invite(&mut p, "tr-10b");
    assert_eq!(
        p.sent.iter().filter_map(|f| status(f)).collect::<Vec<_>>(),
        vec![100, 180],
        "{:?}",
        p.sent
    );
    let bye = p.last_request("BYE").expect("BYE to the ghost");
    assert_eq!(header(&bye, "Call-ID").as_deref(), Some("tr-10"));
    assert!(header(&bye, "From")
        .unwrap()
        .ends_with(&format!(";tag={tag}")));
    assert!(header(&bye, "Reason")
        .unwrap()
        .starts_with("SIP;cause=408;text=\""));
    assert_eq!(ended(&p, &ghost), Some(EndReason::DialogLost));
    // Ended before the new call is announced, which is answered as usual.
    let order: Vec<_> = p
        .events
        .iter()
        .filter_map(|e| match e {
            Event::CallEnded { call, .. } => Some(format!("ended {call}")),
            Event::IncomingCall { call, .. } => Some(format!("incoming {call}")),
            _ => None,
        })
        .collect();
    assert_eq!(order, vec!["ended tr-10", "incoming tr-10b"]);
    assert!(p
        .media_requests()
        .iter()
        .any(|m| matches!(m, MediaRequest::CreateAnswer { call, .. } if *call == next)));
    // The late answer to the ghost's refresh changes nothing.
    p.recv(&simple_response(&update, 200, None, ""));
    assert_eq!(p.ua.active_calls().collect::<Vec<_>>(), vec![&next]);
}

#[test]
fn a_new_invite_before_the_reregistration_also_ends_the_ghost() {
    let mut p = Phone::new(config());
    let (ghost, _) = connected_call(&mut p, NO_UPDATE, "tr-11");
    p.disconnect();
    p.connect();
    p.take_sent();
    new_invite(&mut p, "tr-11b");
    assert!(
        !p.sent.iter().any(|f| status(f) == Some(486)),
        "{:?}",
        p.sent
    );
    assert!(p.last_request("BYE").is_some());
    assert_eq!(ended(&p, &ghost), Some(EndReason::DialogLost));
}

#[test]
fn a_new_invite_while_a_healthy_call_is_up_still_gets_486() {
    let mut p = Phone::new(config());
    let (call, _) = connected_call(&mut p, WAZO, "tr-12");
    reconnect_and_register(&mut p);
    let update = p.last_request("UPDATE").expect("target refresh");
    p.recv(&simple_response(&update, 200, None, ""));
    p.take_sent();
    new_invite(&mut p, "tr-12b");
    assert_eq!(status(p.sent.last().unwrap()), Some(486));
    assert!(p.last_request("BYE").is_none());
    assert!(ended(&p, &call).is_none());
    // And with no reconnect at all.
    let mut p = Phone::new(config());
    connected_call(&mut p, WAZO, "tr-13");
    new_invite(&mut p, "tr-13b");
    assert_eq!(status(p.sent.last().unwrap()), Some(486));
}

/// The audio path and the WebSocket were lost together (a network change): the ICE
/// restart's re-INVITE, sent from the new connection once registered, is the target
/// refresh; no UPDATE is added beside it (glare).
#[test]
fn an_ice_restart_under_way_is_the_target_refresh() {
    let mut p = Phone::new(config());
    let (call, _) = connected_call(&mut p, WAZO, "tr-14");
    p.media(MediaResult::PathLost { call: call.clone() });
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.replace("a=mid:0", "a=ice-ufrag:Rst2\r\na=mid:0"),
    });
    assert!(p.last_request("INVITE").is_some(), "restart offer sent");
    p.disconnect();
    p.take_events();
    p.advance(1_000);
    assert!(
        p.media_requests().is_empty(),
        "no new offer while the WebSocket is down"
    );
    reconnect_and_register(&mut p);
    assert_eq!(
        p.media_requests(),
        vec![MediaRequest::RestartIce { call: call.clone() }]
    );
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.replace("a=mid:0", "a=ice-ufrag:Rst3\r\na=mid:0"),
    });
    let reinvite = p.last_request("INVITE").expect("restart re-INVITE");
    assert!(body(&reinvite).contains("Rst3"));
    p.advance(1_000);
    assert!(p.last_request("UPDATE").is_none(), "{:?}", p.sent);
    p.recv(&response_with_sdp(&reinvite, 200, "v=0\r\na=sendrecv\r\n"));
    assert!(p.last_request("ACK").is_some());
    p.media(MediaResult::PathRestored { call: call.clone() });
    p.take_sent();
    p.advance(5_000);
    assert!(p.last_request("UPDATE").is_none(), "{:?}", p.sent);
    new_invite(&mut p, "tr-14b");
    assert_eq!(status(p.sent.last().unwrap()), Some(486), "healthy again");
}
