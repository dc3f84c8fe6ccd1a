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
