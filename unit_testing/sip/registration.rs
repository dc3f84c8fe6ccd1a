//! REGISTER: RFC 7118/5626 shape, digest (401/407, MD5/SHA-256, stale), expiry and
//! refresh, 423, unregister, and the no-retry-storm rules.

mod common;
use common::*;
use ttecphone_sip::{Command, Event, Instant, RegistrationState};

fn start(phone: &mut Phone) -> String {
    phone.connect();
    phone.cmd(Command::Register);
    phone.last_request("REGISTER").expect("REGISTER sent")
}

fn challenge(phone: &mut Phone, request: &str, file: &str) -> String {
    phone.take_sent();
    phone.recv(&respond(request, &raw(file), &[]));
    phone
        .last_request("REGISTER")
        .expect("answer to the challenge")
}

fn ok(phone: &mut Phone, request: &str) {
    let contact = contact_uri(request);
    phone.recv(&respond(
        request,
        &raw("wazo_register_200.sip"),
        &[("contact_uri", &contact), ("instance", INSTANCE)],
    ));
}

#[test]
fn register_has_rfc7118_via_and_rfc5626_contact() {
    let mut p = Phone::new(config());
    let reg = start(&mut p);
    assert!(reg.starts_with("REGISTER sip:wazo.example.com SIP/2.0\r\n"));
    let via = header(&reg, "Via").unwrap();
    assert!(
        via.starts_with("SIP/2.0/WSS ")
            && via.contains(".invalid;branch=z9hG4bK")
            && via.ends_with(";rport"),
        "{via}"
    );
    let contact = header(&reg, "Contact").unwrap();
    assert!(
        contact.starts_with("<sip:3000@") && contact.contains(".invalid;transport=ws;ob>"),
        "{contact}"
    );
    assert!(
        contact.contains(&format!("+sip.instance=\"<{INSTANCE}>\";reg-id=1")),
        "{contact}"
    );
    assert_eq!(header(&reg, "Expires").as_deref(), Some("600"));
    assert!(headers(&reg, "Supported").iter().any(|s| s == "outbound"));
    assert_eq!(
        header(&reg, "From").unwrap().split(";tag=").next(),
        Some("\"Agent 3000\" <sip:3000@wazo.example.com>")
    );
    assert_eq!(
        p.registration_events(),
        vec![RegistrationState::Registering]
    );
}

#[test]
fn wazo_md5_challenge_then_200_registers_with_contact_expiry() {
    let mut p = Phone::new(config());
    let first = start(&mut p);
    assert!(header(&first, "Authorization").is_none());
    let second = challenge(&mut p, &first, "wazo_register_401.sip");
    let auth = header(&second, "Authorization").unwrap();
    assert!(
        auth.starts_with("Digest username=\"3000\", realm=\"wazo\""),
        "{auth}"
    );
    assert!(
        auth.contains("uri=\"sip:wazo.example.com\"")
            && auth.contains("algorithm=md5")
            && auth.contains("nc=00000001")
    );
    assert!(auth.contains("opaque=\"5ccc069c403ebaf9\""));
    assert_eq!(cseq_num(&second), cseq_num(&first) + 1);
    assert_eq!(header(&second, "Call-ID"), header(&first, "Call-ID"));
    ok(&mut p, &second);
    // Our own Contact says expires=120 (the other tab's says 300, the header 600).
    assert_eq!(
        p.registration_events().last(),
        Some(&RegistrationState::Registered { expires_s: 120 })
    );
}

#[test]
fn kamailio_challenge_is_answered() {
    let mut p = Phone::new(config());
    let first = start(&mut p);
    let second = challenge(&mut p, &first, "kamailio_register_401.sip");
    let auth = header(&second, "Authorization").unwrap();
    assert!(
        auth.contains("realm=\"127.0.0.1\"")
            && auth.contains("nonce=\"ZXhhbXBsZW5vbmNlMTIzNDU2Nzg5MA==\"")
    );
    assert!(
        auth.contains("qop=auth") && !auth.contains("algorithm"),
        "{auth}"
    );
}

#[test]
fn sha256_offered_first_is_used() {
    let mut p = Phone::new(config());
    let first = start(&mut p);
    let second = challenge(&mut p, &first, "sha256_register_401.sip");
    let auth = header(&second, "Authorization").unwrap();
    assert!(auth.contains("algorithm=SHA-256"), "{auth}");
    let response = auth
        .split("response=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(response.len(), 64);
}

#[test]
fn proxy_407_is_answered_with_proxy_authorization() {
    let mut p = Phone::new(config());
    let first = start(&mut p);
    p.take_sent();
    p.recv(&simple_response(
        &first,
        407,
        Some("t"),
        "Proxy-Authenticate: Digest realm=\"proxy\", nonce=\"abc\", qop=\"auth\"\r\n",
    ));
    let second = p.last_request("REGISTER").unwrap();
    assert!(header(&second, "Proxy-Authorization")
        .unwrap()
        .contains("realm=\"proxy\""));
    assert!(header(&second, "Authorization").is_none());
}

#[test]
fn refresh_at_half_the_granted_lifetime_reuses_the_nonce() {
    let mut p = Phone::new(config());
    p.register();
    p.advance(59_000);
    assert!(p.last_request("REGISTER").is_none(), "refreshed too early");
    p.advance(1_000);
    let refresh = p
        .last_request("REGISTER")
        .expect("refresh at 60 s of 120 s");
    let auth = header(&refresh, "Authorization").expect("cached nonce reused");
    assert!(auth.contains("nc=00000002"), "{auth}");
    ok(&mut p, &refresh);
    assert_eq!(
        p.registration_events().last(),
        Some(&RegistrationState::Registered { expires_s: 120 })
    );
    // No Registering event for a refresh: the UI stays "Registered".
    assert!(!p
        .registration_events()
        .contains(&RegistrationState::Registering));
}

#[test]
fn expired_nonce_on_refresh_is_answered_not_reported() {
    let mut p = Phone::new(config());
    p.register();
    p.advance(60_000);
    let refresh = p.last_request("REGISTER").unwrap();
    // The registrar forgot the nonce and challenges without stale=true.
    let again = challenge(&mut p, &refresh, "kamailio_register_401.sip");
    ok(&mut p, &again);
    assert!(!p
        .registration_events()
        .iter()
        .any(|s| matches!(s, RegistrationState::AuthFailed { .. })));
}

#[test]
fn wrong_password_ends_in_auth_failed_without_retry_storm() {
    let mut p = Phone::new(config());
    let first = start(&mut p);
    let second = challenge(&mut p, &first, "wazo_register_401.sip");
    p.take_sent();
    p.recv(&respond(&second, &raw("wazo_register_401.sip"), &[]));
    assert!(
        p.sent.is_empty(),
        "answered a refused challenge again: {:?}",
        p.sent
    );
    assert_eq!(
        p.registration_events().last(),
        Some(&RegistrationState::AuthFailed { status: 401 })
    );
    // Keep refusing for ten minutes: count fresh attempts per minute.
    let mut attempts: Vec<Instant> = Vec::new();
    for _ in 0..600 {
        p.advance(1_000);
        for frame in p.take_sent() {
            if method(&frame).as_deref() == Some("REGISTER") {
                attempts.push(p.now);
                p.recv(&respond(&frame, &raw("wazo_register_401.sip"), &[]));
            }
        }
    }
    let fresh: Vec<_> = attempts.chunks(2).map(|c| c[0]).collect();
    assert!(!fresh.is_empty(), "never retried");
    assert!(
        fresh[0].0 - 1_000 >= 20_000,
        "first retry after {} ms",
        fresh[0].0
    );
    for w in fresh.windows(2) {
        assert!(
            w[1].0 - w[0].0 >= 20_000,
            "retries {} ms apart",
            w[1].0 - w[0].0
        );
    }
    for (i, t) in fresh.iter().enumerate() {
        let in_minute = fresh[i..].iter().filter(|u| u.0 < t.0 + 60_000).count();
        assert!(in_minute <= 3, "{in_minute} attempts within a minute");
    }
}

#[test]
fn forbidden_is_auth_failed() {
    let mut p = Phone::new(config());
    let first = start(&mut p);
    p.recv(&simple_response(&first, 403, Some("x"), ""));
    assert_eq!(
        p.registration_events().last(),
        Some(&RegistrationState::AuthFailed { status: 403 })
    );
}

#[test]
fn stale_nonce_is_answered_again() {
    let mut p = Phone::new(config());
    let first = start(&mut p);
    let second = challenge(&mut p, &first, "wazo_register_401.sip");
    let stale = respond(&second, &raw("wazo_register_401.sip"), &[])
        .replace("qop=\"auth\"", "qop=\"auth\",stale=true");
    p.take_sent();
    p.recv(&stale);
    assert!(p.last_request("REGISTER").is_some());
    assert!(!p
        .registration_events()
        .iter()
        .any(|s| matches!(s, RegistrationState::AuthFailed { .. })));
}

#[test]
fn interval_too_brief_is_retried_with_min_expires() {
    let mut p = Phone::new(config());
    let first = start(&mut p);
    p.take_sent();
    p.recv(&simple_response(
        &first,
        423,
        Some("x"),
        "Min-Expires: 900\r\n",
    ));
    let second = p.last_request("REGISTER").unwrap();
    assert_eq!(header(&second, "Expires").as_deref(), Some("900"));
}

#[test]
fn expires_header_is_used_when_no_contact_matches() {
    let mut p = Phone::new(config());
    let first = start(&mut p);
    p.recv(&simple_response(
        &first,
        200,
        Some("x"),
        "Contact: <sip:3000@elsewhere>;expires=30\r\nExpires: 240\r\n",
    ));
    assert_eq!(
        p.registration_events().last(),
        Some(&RegistrationState::Registered { expires_s: 240 })
    );
}

#[test]
fn unregister_sends_expires_zero_for_our_contact() {
    let mut p = Phone::new(config());
    p.register();
    p.cmd(Command::Unregister);
    let unreg = p.last_request("REGISTER").unwrap();
    assert_eq!(header(&unreg, "Expires").as_deref(), Some("0"));
    assert!(header(&unreg, "Contact").unwrap().contains(INSTANCE));
    assert!(header(&unreg, "Authorization").is_some());
    p.recv(&simple_response(&unreg, 200, Some("x"), ""));
    assert!(matches!(
        p.registration_events().last(),
        Some(RegistrationState::Unregistered { .. })
    ));
    p.take_sent();
    p.advance(3_600_000);
    assert!(
        p.take_sent()
            .iter()
            .all(|f| method(f).as_deref() != Some("REGISTER")),
        "refreshed after unregister"
    );
}

#[test]
fn timeout_fails_with_a_jittered_retry() {
    let mut p = Phone::new(config());
    start(&mut p);
    p.take_sent();
    p.advance(32_000);
    let Some(RegistrationState::Failed {
        retry_at: Some(at), ..
    }) = p.registration_events().last().cloned()
    else {
        panic!("{:?}", p.registration_events());
    };
    assert!(at > p.now);
    p.advance(at.0 - p.now.0);
    assert!(p.last_request("REGISTER").is_some(), "retried at retry_at");
}

#[test]
fn transport_loss_reports_and_reconnect_reregisters_same_instance() {
    let mut p = Phone::new(config());
    p.register();
    let before = contact_uri(
        &p.log
            .iter()
            .rev()
            .find(|f| method(f).as_deref() == Some("REGISTER"))
            .unwrap()
            .clone(),
    );
    p.disconnect();
    assert_eq!(
        p.registration_events().last(),
        Some(&RegistrationState::Failed {
            reason: "connection lost".into(),
            retry_at: None
        })
    );
    p.advance(5_000);
    assert!(p.take_sent().is_empty(), "sent while disconnected");
    p.connect();
    let again = p
        .last_request("REGISTER")
        .expect("re-REGISTER on reconnect");
    assert_eq!(contact_uri(&again), before);
    assert!(header(&again, "Contact").unwrap().contains(INSTANCE));
}

#[test]
fn secrets_never_leave_the_core() {
    let mut p = Phone::new(config());
    p.register();
    p.recv("garbage that is not SIP");
    let dbg = format!("{:?} {:?}", p.ua, config());
    assert!(!dbg.contains(PASSWORD), "{dbg}");
    assert!(p.log.iter().all(|f| !f.contains(PASSWORD)));
    assert!(p
        .events
        .iter()
        .all(|e| !format!("{e:?}").contains(PASSWORD)));
    assert!(matches!(p.events.last(), Some(Event::Warning(_))));
}

/// A broker restarted many times in a minute: every reconnect re-registers at
/// once. The rate limit is for failing attempts (wrong credentials), not for
/// recoveries that succeed.
#[test]
fn successful_reconnects_are_never_rate_limited() {
    let mut p = Phone::new(config());
    p.register();
    for round in 0..10 {
        p.advance(1_000);
        p.disconnect();
        p.advance(1_000);
        p.take_sent();
        p.connect();
        let first = p
            .last_request("REGISTER")
            .unwrap_or_else(|| panic!("round {round}: no REGISTER on reconnect"));
        p.recv(&respond(&first, &raw("wazo_register_401.sip"), &[]));
        let second = p.last_request("REGISTER").expect("authenticated REGISTER");
        ok(&mut p, &second);
        assert!(p.ua.is_registered(), "round {round}: not registered");
    }
}
