//! Digest hashes proven against the RFCs' own worked examples.

use ttecphone_sip::digest::{respond, Algorithm, DigestSession};
use ttecphone_sip::wire::header::Challenge;

fn rfc7616_challenge(algorithm: &str) -> Challenge {
    Challenge::parse(&format!(
        "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm={algorithm}, \
         nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
    ))
    .expect("RFC 7616 challenge parses")
}

const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

#[test]
fn rfc7616_md5_example() {
    let c = respond(
        &rfc7616_challenge("MD5"),
        "Mufasa",
        "Circle of Life",
        "GET",
        "/dir/index.html",
        CNONCE,
        1,
    )
    .unwrap();
    assert_eq!(c.response, "8ca523f5e9506fed4657c9700eebdbec");
}

#[test]
fn rfc7616_sha256_example() {
    let c = respond(
        &rfc7616_challenge("SHA-256"),
        "Mufasa",
        "Circle of Life",
        "GET",
        "/dir/index.html",
        CNONCE,
        1,
    )
    .unwrap();
    assert_eq!(
        c.response,
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
}

#[test]
fn rfc2617_example_without_algorithm_defaults_to_md5() {
    let ch = Challenge::parse(
        "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", \
         opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
    )
    .unwrap();
    let c = respond(
        &ch,
        "Mufasa",
        "Circle Of Life",
        "GET",
        "/dir/index.html",
        "0a4f113b",
        1,
    )
    .unwrap();
    assert_eq!(c.response, "6629fae49393a05397450978507c4ef1");
    let v = c.header_value();
    assert!(
        v.contains("qop=auth, cnonce=\"0a4f113b\", nc=00000001"),
        "{v}"
    );
    assert!(
        v.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""),
        "{v}"
    );
}

#[test]
fn rfc2069_style_without_qop() {
    let ch = Challenge::parse("Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"").unwrap();
    let c = respond(
        &ch,
        "Mufasa",
        "CircleOfLife",
        "GET",
        "/dir/index.html",
        "unused",
        1,
    )
    .unwrap();
    assert_eq!(c.response, "1949323746fe6a43ef61f9606e7febea");
    assert!(!c.header_value().contains("qop"));
}

#[test]
fn unknown_algorithm_and_auth_int_only_are_refused() {
    assert!(Algorithm::from_challenge(Some("SHA-512-256")).is_err());
    let ch = Challenge::parse("Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"").unwrap();
    assert!(respond(&ch, "u", "p", "REGISTER", "sip:r", "c", 1).is_err());
}

#[test]
fn session_counts_nonces_up() {
    let ch = Challenge::parse("Digest realm=\"r\", nonce=\"n\", qop=\"auth\"").unwrap();
    let mut s = DigestSession::new(ch, false);
    let (h1, c1) = s.authorize("u", "p", "REGISTER", "sip:r", "c1").unwrap();
    let (_, c2) = s.authorize("u", "p", "REGISTER", "sip:r", "c2").unwrap();
    assert_eq!(h1, "Authorization");
    assert!(c1.header_value().contains("nc=00000001"));
    assert!(c2.header_value().contains("nc=00000002"));
    assert_ne!(c1.response, c2.response);
}

#[test]
fn credentials_debug_hides_the_response_and_nonce() {
    let ch = rfc7616_challenge("MD5");
    let c = respond(
        &ch,
        "Mufasa",
        "Circle of Life",
        "GET",
        "/dir/index.html",
        CNONCE,
        1,
    )
    .unwrap();
    let dbg = format!("{c:?} {ch:?}");
    assert!(!dbg.contains(&c.response) && !dbg.contains("7ypf"), "{dbg}");
}
