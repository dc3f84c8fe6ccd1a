//! The development-only UAC: offer, INVITE, 407 digest retry, ringing, 2xx ⇒ ACK, CANCEL.

mod common;
use common::*;
use ttecphone_sip::{Command, EndReason, Event, MediaRequest, MediaResult};

fn dial(p: &mut Phone) -> (ttecphone_sip::CallId, String) {
    p.register();
    p.cmd(Command::Call {
        target: "3001".into(),
    });
    let Some(Event::Media(MediaRequest::CreateOffer { call })) = p.events.first().cloned() else {
        panic!("{:?}", p.events)
    };
    p.media(MediaResult::LocalSdp {
        call: call.clone(),
        sdp: ANSWER_SDP.replace("active", "actpass"),
    });
    let inv = p.last_request("INVITE").expect("INVITE after the offer");
    (call, inv)
}

#[test]
fn outgoing_call_authenticates_rings_and_acks_the_answer() {
    let mut p = Phone::new(config());
    let (call, inv) = dial(&mut p);
    assert!(inv.starts_with("INVITE sip:3001@wazo.example.com SIP/2.0"));
    assert!(body(&inv).contains("actpass"));
    p.take_sent();
    p.recv(&simple_response(
        &inv,
        407,
        Some("px"),
        "Proxy-Authenticate: Digest realm=\"wazo\", nonce=\"n407\", qop=\"auth\"\r\n",
    ));
    let ack = p.last_request("ACK").expect("ACK for the 407");
    assert_eq!(
        header(&ack, "Via"),
        header(&inv, "Via"),
        "non-2xx ACK reuses the INVITE branch"
    );
    let inv2 = p.last_request("INVITE").expect("INVITE with credentials");
    assert!(header(&inv2, "Proxy-Authorization")
        .unwrap()
        .contains("uri=\"sip:3001@wazo.example.com\""));
    assert_eq!(cseq_num(&inv2), cseq_num(&inv) + 1);
    p.recv(&simple_response(&inv2, 180, Some("peer"), ""));
    p.take_sent();
    let ok = simple_response(
        &inv2,
        200,
        Some("peer"),
        "Contact: <sip:3001@10.0.0.9:5060>\r\nRecord-Route: <sip:p1;lr>, <sip:p2;lr>\r\n",
    );
    let ok = ok.replace(
        "Content-Length: 0\r\n\r\n",
        "Content-Type: application/sdp\r\nContent-Length: 10\r\n\r\nv=0\r\na=x\r\n",
    );
    p.recv(&ok);
    let ack = p.last_request("ACK").expect("ACK for the 2xx");
    assert!(ack.starts_with("ACK sip:3001@10.0.0.9:5060 SIP/2.0"));
    assert_eq!(headers(&ack, "Route"), vec!["<sip:p2;lr>", "<sip:p1;lr>"]);
    assert!(p.media_requests().contains(&MediaRequest::ApplyAnswer {
        call: call.clone(),
        sdp: "v=0\r\na=x\r\n".into()
    }));
    assert!(p
        .events
        .contains(&Event::CallAnswered { call: call.clone() }));
    // A retransmitted 2xx is ACKed again.
    p.take_sent();
    p.recv(&ok);
    assert!(p.last_request("ACK").is_some());
    p.cmd(Command::HangUp { call });
    assert!(p.last_request("BYE").is_some());
}

#[test]
fn wrong_credentials_on_invite_end_the_call() {
    let mut p = Phone::new(config());
    let (call, inv) = dial(&mut p);
    let challenge = "WWW-Authenticate: Digest realm=\"wazo\", nonce=\"n1\", qop=\"auth\"\r\n";
    p.recv(&simple_response(&inv, 401, Some("a"), challenge));
    let inv2 = p.last_request("INVITE").unwrap();
    p.take_sent();
    p.recv(&simple_response(&inv2, 401, Some("b"), challenge));
    assert!(p.last_request("INVITE").is_none());
    assert!(p.events.contains(&Event::CallEnded {
        call,
        reason: EndReason::Rejected { status: 401 }
    }));
}

#[test]
fn hang_up_while_ringing_cancels() {
    let mut p = Phone::new(config());
    let (call, inv) = dial(&mut p);
    p.recv(&simple_response(&inv, 180, Some("peer"), ""));
    p.cmd(Command::HangUp { call: call.clone() });
    let cancel = p.last_request("CANCEL").expect("CANCEL");
    assert_eq!(header(&cancel, "Via"), header(&inv, "Via"));
    assert_eq!(
        header(&cancel, "CSeq").unwrap(),
        format!("{} CANCEL", cseq_num(&inv))
    );
    assert!(p.events.contains(&Event::CallEnded {
        call,
        reason: EndReason::LocalHangUp
    }));
    p.recv(&simple_response(&cancel, 200, Some("peer"), ""));
    p.take_sent();
    p.recv(&simple_response(&inv, 487, Some("peer"), ""));
    assert!(p.last_request("ACK").is_some(), "487 is ACKed");
}

#[test]
fn hang_up_before_any_provisional_cancels_once_one_arrives() {
    let mut p = Phone::new(config());
    let (call, inv) = dial(&mut p);
    p.cmd(Command::HangUp { call });
    assert!(
        p.last_request("CANCEL").is_none(),
        "no CANCEL before a provisional (RFC 3261 §9.1)"
    );
    p.recv(&simple_response(&inv, 100, None, ""));
    assert!(p.last_request("CANCEL").is_some());
}
