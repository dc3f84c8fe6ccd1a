//! The parser on real-shaped messages, including every case rsip 0.4 gets wrong
//! (REFERENCE.md), and the builder's guarantees.

mod common;
use common::*;
use ttecphone_sip::wire::header::{Challenge, NameAddr, SessionExpires, Uri, Via};
use ttecphone_sip::wire::{parse, parse_lenient, Defect, MessageBuilder, Method};
use ttecphone_sip::ParseError;

#[test]
fn rsip_gap_compact_header_names_are_expanded() {
    let msg = invite("cucm_invite.sip", "cucm-1@192.0.2.20", "z9hG4bK-c1");
    let m = parse(&msg).unwrap();
    assert_eq!(m.get("Call-ID"), Some("cucm-1@192.0.2.20"));
    assert!(m.get("From").unwrap().contains("7001@192.0.2.20"));
    assert!(m.get("To").unwrap().contains("3000@192.0.2.10"));
    assert!(m.get("Contact").is_some());
    assert!(m.content_type_is("application/sdp"));
    assert!(m.has_token("Supported", "timer"));
    assert!(m.body.starts_with("v=0"));
}

#[test]
fn rsip_gap_folded_lines_are_joined() {
    let msg = invite("cucm_invite.sip", "cucm-2", "z9hG4bK-c2");
    let m = parse(&msg).unwrap();
    assert_eq!(
        m.get("P-Asserted-Identity"),
        Some("\"Jane Caller\" <sip:+14155550123@198.51.100.7;user=phone>")
    );
}

#[test]
fn rsip_gap_contact_with_sip_instance_parses() {
    let c = "<sip:3000@abc.invalid;transport=ws;ob>;expires=120;+sip.instance=\"<urn:uuid:00000000-0000-4000-8000-000000000000>\";reg-id=1";
    let a = NameAddr::parse(c).unwrap();
    assert_eq!(a.uri, "sip:3000@abc.invalid;transport=ws;ob");
    assert_eq!(a.param("expires"), Some("120"));
    assert_eq!(
        a.param("+sip.instance"),
        Some("<urn:uuid:00000000-0000-4000-8000-000000000000>")
    );
    assert_eq!(a.param("reg-id"), Some("1"));
}

#[test]
fn rsip_gap_comma_joined_via_and_contact_are_split() {
    let msg = invite("cucm_invite.sip", "cucm-3", "z9hG4bK-c3");
    let m = parse(&msg).unwrap();
    let vias: Vec<_> = m.get_all("Via").collect();
    assert_eq!(vias.len(), 3, "{vias:?}");
    assert_eq!(
        Via::parse(vias[2]).unwrap().branch(),
        Some("z9hG4bK1a0e77cf2")
    );
    let two = "SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS a.invalid;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: x\r\nCSeq: 1 REGISTER\r\nContact: <sip:a@x;transport=ws>;expires=60, \"Desk, Phone\" <sip:a@y>;expires=30\r\n\r\n";
    let m = parse(two).unwrap();
    let contacts: Vec<_> = m.get_all("Contact").collect();
    assert_eq!(contacts.len(), 2);
    assert_eq!(
        NameAddr::parse(contacts[1]).unwrap().display.as_deref(),
        Some("Desk, Phone")
    );
}

#[test]
fn rsip_gap_display_names_lose_their_quotes() {
    let a = NameAddr::parse("\"Alice \\\"Al\\\" Smith\" <sip:alice@example.com>;tag=9").unwrap();
    assert_eq!(a.display.as_deref(), Some("Alice \"Al\" Smith"));
    assert_eq!(a.tag(), Some("9"));
    let b = NameAddr::parse("Bob <sip:bob@example.com>").unwrap();
    assert_eq!(b.display.as_deref(), Some("Bob"));
}

#[test]
fn rsip_gap_sha256_challenge_parses() {
    let ch = Challenge::parse(
        "Digest realm=\"wazo\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth\", stale=TRUE",
    )
    .unwrap();
    assert_eq!(ch.algorithm.as_deref(), Some("SHA-256"));
    assert_eq!(ch.qop, vec!["auth".to_owned()]);
    assert!(ch.stale);
    // Kamailio's spacing and Asterisk's unquoted algorithm.
    let k = Challenge::parse("Digest realm=\"127.0.0.1\", nonce=\"ZXhh==\", qop=\"auth\"").unwrap();
    assert_eq!(k.nonce, "ZXhh==");
    let a = Challenge::parse(
        "Digest realm=\"wazo\",nonce=\"1/4f\",opaque=\"5c\",algorithm=md5,qop=\"auth\"",
    )
    .unwrap();
    assert_eq!(
        (a.opaque.as_deref(), a.algorithm.as_deref()),
        (Some("5c"), Some("md5"))
    );
}

#[test]
fn rsip_gap_content_length_beyond_body_is_an_error() {
    let text = "INVITE sip:3000@x SIP/2.0\r\nVia: SIP/2.0/WSS a;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:3000@x>\r\nCall-ID: abc\r\nCSeq: 1 INVITE\r\nContent-Length: 500\r\n\r\nv=0\r\n";
    assert_eq!(
        parse(text),
        Err(ParseError::ContentLengthExceedsBody {
            declared: 500,
            actual: 5
        })
    );
    let (_, defect) = parse_lenient(text).unwrap();
    assert_eq!(
        defect,
        Some(Defect::ContentLengthExceedsBody {
            declared: 500,
            actual: 5
        })
    );
}

#[test]
fn content_length_shorter_than_body_bounds_it_and_missing_is_fine_over_websocket() {
    let text = "OPTIONS sip:3000@x SIP/2.0\r\nVia: SIP/2.0/WSS a;branch=z9hG4bK1\r\nContent-Length: 3\r\n\r\nabcdef";
    assert_eq!(parse(text).unwrap().body, "abc");
    let text = "OPTIONS sip:3000@x SIP/2.0\r\nVia: SIP/2.0/WSS a;branch=z9hG4bK1\r\n\r\nabcdef";
    assert_eq!(parse(text).unwrap().body, "abcdef");
}

#[test]
fn bare_lf_line_ends_and_leading_crlf_are_accepted() {
    let text =
        "\r\n\r\nSIP/2.0 180 Ringing\nVia: SIP/2.0/WSS a;branch=z9hG4bK1\nCSeq: 1 INVITE\n\n";
    let m = parse(text).unwrap();
    assert_eq!(m.status(), Some(180));
    assert_eq!(m.get("cseq"), Some("1 INVITE"));
}

#[test]
fn malformed_start_lines_and_headers_are_errors() {
    for bad in [
        "",
        "\r\n",
        "HELLO\r\n\r\n",
        "SIP/2.0 99 Low\r\n\r\n",
        "SIP/2.0 7000 High\r\n\r\n",
        "INVITE sip:x SIP/3.0\r\n\r\n",
        "INVITE nouri SIP/2.0\r\n\r\n",
        "INVITE sip:x SIP/2.0\r\nNoColonHere\r\n\r\n",
        "INVITE sip:x SIP/2.0\r\n continuation-first\r\n\r\n",
        "INV@TE sip:x SIP/2.0\r\n\r\n",
    ] {
        assert!(parse(bad).is_err(), "accepted {bad:?}");
    }
}

#[test]
fn unknown_method_is_kept_as_text() {
    let m =
        parse("FOOBAR sip:3000@x SIP/2.0\r\nVia: SIP/2.0/WSS a;branch=z9hG4bK1\r\n\r\n").unwrap();
    assert_eq!(m.method(), Some(Method::Unknown));
}

#[test]
fn typed_views_cover_real_values() {
    let v =
        Via::parse("SIP/2.0/UDP 10.0.0.9:5060;received=10.0.0.9;rport=5060;branch=z9hG4bKPj0b1c")
            .unwrap();
    assert_eq!(
        (v.transport, v.sent_by, v.branch()),
        ("UDP", "10.0.0.9:5060", Some("z9hG4bKPj0b1c"))
    );
    assert!(Via::parse("SIP/2.0 host").is_err());
    // sent-by is host[:port]: a spliced-in second address or a slash is no Via.
    for bad in [
        "SIP/2.0/WSS 127.0.0.1:800/UDP 127.0.0.1:5070;branch=z9hG4bK1",
        "SIP/2.0/WSS a b;branch=z9hG4bK1",
        "SIP/2.0/WSS host:port;branch=z9hG4bK1",
        "SIP/2.0/WSS host:123456",
        "SIP/2.0/WSS [::1;branch=z9hG4bK1",
        "SIP/2.0/WSS [::1]x",
    ] {
        assert!(Via::parse(bad).is_err(), "{bad}");
    }
    for good in [
        "SIP/2.0/WSS f595p86oamtm.invalid;branch=z9hG4bK1;rport",
        "SIP/2.0/UDP 10.0.0.9:5060",
        "SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bK1",
        "SIP/2.0/WS [::1]",
        "SIP/2.0/TCP sip_proxy-1.example.com:5060",
    ] {
        assert!(Via::parse(good).is_ok(), "{good}");
    }
    let u = Uri::parse("sip:+14155550123@198.51.100.7;user=phone").unwrap();
    assert_eq!(u.user, Some("+14155550123"));
    assert_eq!(
        Uri::parse("tel:+15551234567;phone-context=x").unwrap().user,
        Some("+15551234567")
    );
    let se = SessionExpires::parse("1800;refresher=uac").unwrap();
    assert_eq!(se.delta_s, 1800);
    assert!(NameAddr::parse("\"unterminated <sip:a@b>").is_err());
    assert!(NameAddr::parse("<sip:a@b").is_err());
}

#[test]
fn builder_strips_line_breaks_so_values_cannot_inject_headers() {
    let mut b = MessageBuilder::request("OPTIONS", "sip:x@y");
    b.header("Subject", "hi\r\nX-Injected: 1");
    b.header_fmt("X-Fmt", format_args!("a{}b", "\r\nX-Injected: 2"));
    let text = b.finish(Some(("text/plain", "body")));
    assert!(!text.contains("\r\nX-Injected"), "{text}");
    let m = parse(&text).unwrap();
    assert_eq!(m.body, "body");
    assert_eq!(m.get("Content-Length"), Some("4"));
}

#[test]
fn every_corpus_file_parses_once_filled() {
    let dir = format!(
        "{}/../../unit_testing/sip/corpus",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = fill(
            &std::fs::read_to_string(&path).unwrap(),
            &[
                ("via", "SIP/2.0/WSS a.invalid;branch=z9hG4bKx"),
                ("from", "<sip:3000@d>;tag=f"),
                ("to", "<sip:3000@d>"),
                ("method", "INFO"),
                ("extra", ""),
                ("body", ""),
                ("direction", "sendonly"),
            ],
        );
        assert!(
            parse(&text).is_ok(),
            "{}: {:?}",
            path.display(),
            parse(&text)
        );
        n += 1;
    }
    assert!(n >= 10);
}

/// Hostile sizes are refused before any work is spent on them.
#[test]
fn oversized_messages_and_header_floods_are_refused() {
    use ttecphone_sip::wire::{parse, MAX_HEADER_LINES, MAX_MESSAGE_BYTES};
    use ttecphone_sip::ParseError;
    let head = "OPTIONS sip:3000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WSS x.invalid;branch=z9hG4bK1\r\n\
                From: <sip:a@b>;tag=1\r\nTo: <sip:3000@127.0.0.1>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\n";
    let huge = format!("{head}X-Pad: {}\r\n\r\n", "a".repeat(MAX_MESSAGE_BYTES));
    assert!(matches!(parse(&huge), Err(ParseError::TooLarge(n)) if n == huge.len()));
    let flood = format!("{head}{}\r\n", "X-F: 1\r\n".repeat(MAX_HEADER_LINES));
    assert_eq!(parse(&flood).err(), Some(ParseError::TooManyHeaders));
    // Just under both limits still parses.
    let many = format!("{head}{}\r\n", "X-F: 1\r\n".repeat(MAX_HEADER_LINES - 10));
    assert!(parse(&many).is_ok());
}
