//! Flow keep-alive (RFC 5626 §4.4.1): CRLF ping/pong or OPTIONS, and FlowDead.

mod common;
use common::*;
use ttecphone_sip::{Event, KeepAlive};

fn pings(p: &mut Phone) -> usize {
    p.take_sent()
        .iter()
        .filter(|f| f.as_str() == "\r\n\r\n")
        .count()
}

#[test]
fn crlf_ping_pong_keeps_the_flow_and_silence_kills_it() {
    let mut cfg = config();
    cfg.keepalive = KeepAlive::Crlf {
        interval_ms: 30_000,
        timeout_ms: 10_000,
    };
    let mut p = Phone::new(cfg);
    p.register();
    p.advance(30_000);
    assert_eq!(pings(&mut p), 1);
    p.recv("\r\n");
    p.advance(10_000);
    assert!(!p.events.contains(&Event::FlowDead));
    p.advance(20_000);
    assert_eq!(pings(&mut p), 1);
    p.advance(9_999);
    assert!(!p.events.contains(&Event::FlowDead));
    p.advance(1);
    assert!(p.events.contains(&Event::FlowDead));
    assert_eq!(p.ua.stats().keepalives_received, 1);
}

#[test]
fn server_ping_gets_a_pong() {
    let mut p = Phone::new(config());
    p.connect();
    p.take_sent();
    p.recv("\r\n\r\n");
    assert_eq!(p.sent, vec!["\r\n".to_owned()]);
}

#[test]
fn options_keepalive_accepts_any_response() {
    let mut cfg = config();
    cfg.keepalive = KeepAlive::Options {
        interval_ms: 15_000,
        timeout_ms: 5_000,
    };
    let mut p = Phone::new(cfg);
    p.register();
    p.advance(15_000);
    let options = p.last_request("OPTIONS").expect("OPTIONS ping");
    assert!(options.starts_with("OPTIONS sip:wazo.example.com SIP/2.0"));
    p.recv(&simple_response(&options, 404, Some("x"), ""));
    p.advance(5_000);
    assert!(!p.events.contains(&Event::FlowDead));
    assert_eq!(p.ua.stats().stray_responses, 0);
}

#[test]
fn no_keepalive_when_off_or_disconnected() {
    let mut p = Phone::new(config());
    p.register();
    p.advance(600_000);
    assert!(p.take_sent().iter().all(|f| f.starts_with("REGISTER")));
    let mut cfg = config();
    cfg.keepalive = KeepAlive::Crlf {
        interval_ms: 1_000,
        timeout_ms: 500,
    };
    let mut p = Phone::new(cfg);
    p.connect();
    p.disconnect();
    p.advance(10_000);
    assert!(p.take_sent().iter().all(|f| f != "\r\n\r\n"));
    assert!(!p.events.contains(&Event::FlowDead));
}

/// The keep-alive the driver builds from `keepaliveS` and `keepaliveMode`.
#[test]
fn driver_settings_map_to_options_or_crlf_with_a_bounded_timeout() {
    assert_eq!(
        KeepAlive::options_every(30),
        KeepAlive::Options {
            interval_ms: 30_000,
            timeout_ms: 10_000
        }
    );
    assert_eq!(
        KeepAlive::options_every(5),
        KeepAlive::Options {
            interval_ms: 5_000,
            timeout_ms: 5_000
        }
    );
    assert_eq!(
        KeepAlive::crlf_every(30),
        KeepAlive::Crlf {
            interval_ms: 30_000,
            timeout_ms: 10_000
        }
    );
    assert_eq!(KeepAlive::options_every(0), KeepAlive::Off);
    assert_eq!(KeepAlive::crlf_every(0), KeepAlive::Off);
    assert!(matches!(KeepAlive::default(), KeepAlive::Options { .. }));
}

fn options_phone() -> Phone {
    let mut cfg = config();
    cfg.keepalive = KeepAlive::options_every(30);
    let mut p = Phone::new(cfg);
    p.register();
    p
}

#[test]
fn options_ping_is_a_well_formed_request_without_credentials() {
    let mut p = options_phone();
    p.advance(30_000);
    let first = p.last_request("OPTIONS").expect("OPTIONS ping");
    assert!(first.starts_with("OPTIONS sip:wazo.example.com SIP/2.0\r\n"));
    assert_eq!(header(&first, "Max-Forwards").as_deref(), Some("70"));
    let via = header(&first, "Via").unwrap();
    assert!(via.starts_with("SIP/2.0/WSS "), "{via}");
    assert!(via.contains(";branch=z9hG4bK"), "{via}");
    let from = header(&first, "From").unwrap();
    assert!(
        from.starts_with("<sip:3000@wazo.example.com>;tag="),
        "{from}"
    );
    assert_eq!(
        header(&first, "To").as_deref(),
        Some("<sip:wazo.example.com>")
    );
    let call_id = header(&first, "Call-ID").unwrap();
    assert!(!call_id.is_empty());
    assert_eq!(header(&first, "CSeq").as_deref(), Some("1 OPTIONS"));
    assert!(header(&first, "Contact")
        .unwrap()
        .contains(";transport=ws;ob>"));
    // Registered through a 401: the REGISTER carries credentials, the ping never does.
    assert!(header(&first, "Authorization").is_none());
    assert!(header(&first, "Proxy-Authorization").is_none());
    p.recv(&simple_response(&first, 200, Some("as1"), ""));
    p.take_sent();
    p.advance(30_000);
    let second = p.last_request("OPTIONS").expect("next ping");
    assert_eq!(header(&second, "CSeq").as_deref(), Some("2 OPTIONS"));
    assert_eq!(header(&second, "Call-ID"), Some(call_id));
    assert_ne!(header(&second, "Via"), Some(via), "a new transaction");
}

/// Asterisk answers a client's OPTIONS at once, usually with a 401 challenge: whatever
/// the status, the answer proves the flow, and it is never retried with credentials.
#[test]
fn every_options_response_proves_the_flow_without_a_retry_or_a_warning() {
    for (status, extra) in [
        (
            401,
            "WWW-Authenticate: Digest realm=\"asterisk\",nonce=\"1700000000/abc\",opaque=\"x\",algorithm=MD5,qop=\"auth\"\r\n",
        ),
        (
            407,
            "Proxy-Authenticate: Digest realm=\"asterisk\",nonce=\"n\",algorithm=MD5\r\n",
        ),
        (404, ""),
        (405, "Allow: INVITE, ACK\r\n"),
        (200, "Allow: INVITE, ACK, BYE\r\n"),
    ] {
        let mut p = options_phone();
        p.advance(30_000);
        let options = p.last_request("OPTIONS").expect("OPTIONS ping");
        p.take_sent();
        p.take_events();
        p.recv(&simple_response(&options, status, Some("as1"), extra));
        assert!(p.sent.is_empty(), "{status}: answered with {:?}", p.sent);
        p.advance(29_000);
        assert!(
            p.sent.is_empty(),
            "{status}: sent before the next interval: {:?}",
            p.sent
        );
        assert!(
            !p.events
                .iter()
                .any(|e| matches!(e, Event::FlowDead | Event::Warning(_))),
            "{status}: {:?}",
            p.events
        );
        assert_eq!(p.ua.stats().stray_responses, 0, "{status}");
        assert!(p.ua.is_registered(), "{status}");
    }
}

#[test]
fn an_unanswered_options_ping_declares_the_flow_dead_after_the_timeout() {
    let mut p = options_phone();
    p.advance(30_000);
    assert!(p.last_request("OPTIONS").is_some());
    p.advance(9_999);
    assert!(!p.events.contains(&Event::FlowDead));
    p.advance(1);
    assert!(p.events.contains(&Event::FlowDead));
}

/// Asterisk closes a WebSocket that carries no SIP request within 32 s of opening
/// (`pjsip_transport_management.c`): the first frame on every connection is the REGISTER,
/// never a keep-alive.
#[test]
fn the_first_frame_on_every_connection_is_a_request() {
    for keepalive in [KeepAlive::options_every(1), KeepAlive::crlf_every(1)] {
        let mut cfg = config();
        cfg.keepalive = keepalive;
        let mut p = Phone::new(cfg);
        p.cmd(ttecphone_sip::Command::Register);
        assert!(p.sent.is_empty(), "sent while disconnected: {:?}", p.sent);
        for round in 0..2 {
            p.connect();
            let first = p.sent.first().cloned().unwrap_or_default();
            assert_eq!(
                method(&first).as_deref(),
                Some("REGISTER"),
                "{keepalive:?} round {round}: {first:?}"
            );
            p.disconnect();
            p.take_sent();
            p.advance(5_000);
        }
    }
}
