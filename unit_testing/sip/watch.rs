//! The supervisor board in the `UserAgent`: `Command::Watch` → SUBSCRIBE (dialog + reg)
//! per agent, 407 answered with the account's digest, NOTIFYs routed by Call-ID and
//! tags (unknown ones get 481), `Event::PeerState` on each change, refresh and
//! re-subscription with backoff on the one timer table, preview lines reject calls.
//! NOTIFYs are the real Kamailio 5.6 captures in corpus/kamailio_notify_*.sip, re-keyed
//! to the subscription under test.

mod common;
use common::*;
use ttecphone_sip::{AutoAnswerConfig, Command, EndReason, Event, PhoneStatus};

const NOTIFIER_TAG: &str = "kam-notifier-1";

fn watch(p: &mut Phone, targets: &[&str]) {
    p.cmd(Command::Watch {
        targets: targets.iter().map(|t| (*t).to_owned()).collect(),
    });
}

/// The last SUBSCRIBE sent for this event package ("dialog" or "reg").
fn last_subscribe(p: &Phone, event: &str) -> String {
    p.log
        .iter()
        .rev()
        .find(|f| {
            method(f).as_deref() == Some("SUBSCRIBE")
                && header(f, "Event").as_deref() == Some(event)
        })
        .cloned()
        .unwrap_or_else(|| panic!("no {event} SUBSCRIBE in {:#?}", p.log))
}

fn subscribes(frames: &[String]) -> Vec<&String> {
    frames
        .iter()
        .filter(|f| method(f).as_deref() == Some("SUBSCRIBE"))
        .collect()
}

fn challenge_407(req: &str, stale: bool) -> String {
    let stale = if stale { ", stale=true" } else { "" };
    simple_response(
        req,
        407,
        Some("407-tag"),
        &format!("Proxy-Authenticate: Digest realm=\"127.0.0.1\", nonce=\"Z2l2ZW4tbm9uY2U{}\", qop=\"auth\"{stale}\r\n", req.len() % 7),
    )
}

fn ok_200(req: &str, expires: u32) -> String {
    simple_response(
        req,
        200,
        Some(NOTIFIER_TAG),
        &format!("Expires: {expires}\r\nContact: <sip:127.0.0.1:5060;transport=tcp>\r\n"),
    )
}

/// Subscribe through Kamailio's 407 and a 200; returns the authenticated SUBSCRIBE.
fn accept(p: &mut Phone, event: &str) -> String {
    let first = last_subscribe(p, event);
    assert!(header(&first, "Proxy-Authorization").is_none());
    p.recv(&challenge_407(&first, false));
    let second = last_subscribe(p, event);
    assert_ne!(first, second, "challenge not answered");
    p.recv(&ok_200(&second, 120));
    second
}

/// A captured Kamailio NOTIFY re-keyed to the subscription `sub` (its Call-ID, our From
/// tag as To tag, the notifier's tag as From tag), body untouched.
fn notify(sub: &str, file: &str, branch: &str) -> String {
    let text = raw(file);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let our_tag = ttecphone_sip::wire::header::NameAddr::parse(&header(sub, "From").unwrap())
        .unwrap()
        .tag()
        .unwrap()
        .to_owned();
    let head: Vec<String> = head
        .split("\r\n")
        .map(|line| {
            let name = line.split(':').next().unwrap_or("");
            match name {
                "Call-ID" => format!("Call-ID: {}", header(sub, "Call-ID").unwrap()),
                "To" => format!("To: <sip:3000@wazo.example.com>;tag={our_tag}"),
                "From" => format!("From: <sip:3001@wazo.example.com>;tag={NOTIFIER_TAG}"),
                "Via" => format!("Via: SIP/2.0/WS 127.0.0.1:8080;branch={branch}"),
                _ => line.to_owned(),
            }
        })
        .collect();
    format!("{}\r\n\r\n{body}", head.join("\r\n"))
}

fn peer_states(p: &Phone) -> Vec<(String, PhoneStatus)> {
    p.events
        .iter()
        .filter_map(|e| match e {
            Event::PeerState { target, status } => Some((target.clone(), *status)),
            _ => None,
        })
        .collect()
}

fn supervisor() -> Phone {
    let mut cfg = config();
    cfg.auto_answer = AutoAnswerConfig {
        never_answer: true,
        ..AutoAnswerConfig::default()
    };
    let mut p = Phone::new(cfg);
    p.register();
    p
}

#[test]
fn watch_subscribes_dialog_and_reg_with_digest_and_reports_each_change() {
    let mut p = supervisor();
    watch(&mut p, &["3001"]);
    let subs = subscribes(&p.sent);
    assert_eq!(subs.len(), 2, "{:#?}", p.sent);
    for (sub, (event, accept_type)) in subs.iter().zip([
        ("dialog", "application/dialog-info+xml"),
        ("reg", "application/reginfo+xml"),
    ]) {
        assert!(sub.starts_with("SUBSCRIBE sip:3001@wazo.example.com SIP/2.0\r\n"));
        assert_eq!(header(sub, "Event").as_deref(), Some(event));
        assert_eq!(header(sub, "Accept").as_deref(), Some(accept_type));
        assert!(header(sub, "From")
            .unwrap()
            .starts_with("<sip:3000@wazo.example.com>;tag="));
        assert!(header(sub, "Contact")
            .unwrap()
            .contains(";transport=ws;ob>"));
    }
    assert_ne!(header(subs[0], "Call-ID"), header(subs[1], "Call-ID"));
    let dialog = accept(&mut p, "dialog");
    let reg = accept(&mut p, "reg");
    for sub in [&dialog, &reg] {
        let auth = header(sub, "Proxy-Authorization").expect("digest answer");
        assert!(auth.starts_with("Digest username=\"3000\""), "{auth}");
        assert!(auth.contains("uri=\"sip:3001@wazo.example.com\""), "{auth}");
        assert!(!sub.contains(PASSWORD));
    }
    assert!(peer_states(&p).is_empty(), "nothing known before a NOTIFY");

    let steps = [
        (
            &dialog,
            "kamailio_notify_dialog_initial.sip",
            PhoneStatus::Offline,
        ),
        (
            &reg,
            "kamailio_notify_reg_registered.sip",
            PhoneStatus::Idle,
        ),
        (
            &dialog,
            "kamailio_notify_dialog_early.sip",
            PhoneStatus::Ringing,
        ),
        (
            &dialog,
            "kamailio_notify_dialog_confirmed.sip",
            PhoneStatus::InCall,
        ),
        (
            &dialog,
            "kamailio_notify_dialog_terminated.sip",
            PhoneStatus::Idle,
        ),
        (
            &reg,
            "kamailio_notify_reg_unregistered.sip",
            PhoneStatus::Offline,
        ),
    ];
    for (i, (sub, file, want)) in steps.into_iter().enumerate() {
        p.take_events();
        p.take_sent();
        p.recv(&notify(sub, file, &format!("z9hG4bK-n{i}")));
        let resp = p.sent.last().unwrap();
        assert_eq!(status(resp), Some(200), "{file}");
        assert_eq!(
            header(resp, "CSeq").unwrap().split(' ').nth(1),
            Some("NOTIFY")
        );
        assert_eq!(peer_states(&p), vec![("3001".to_owned(), want)], "{file}");
    }
    // The same state again reports nothing.
    p.take_events();
    p.recv(&notify(
        &reg,
        "kamailio_notify_reg_unregistered.sip",
        "z9hG4bK-n9",
    ));
    assert!(peer_states(&p).is_empty());
}

#[test]
fn notify_for_an_unknown_subscription_gets_481() {
    let mut p = supervisor();
    watch(&mut p, &["3001"]);
    let dialog = accept(&mut p, "dialog");
    p.take_sent();
    // A Call-ID we never used.
    let stray = notify(&dialog, "kamailio_notify_dialog_early.sip", "z9hG4bK-s1")
        .replace(&header(&dialog, "Call-ID").unwrap(), "no-such-subscription");
    p.recv(&stray);
    assert_eq!(status(p.sent.last().unwrap()), Some(481));
    // Our Call-ID but another To tag (not our dialog).
    let our_tag = ttecphone_sip::wire::header::NameAddr::parse(&header(&dialog, "From").unwrap())
        .unwrap()
        .tag()
        .unwrap()
        .to_owned();
    let wrong_to = notify(&dialog, "kamailio_notify_dialog_early.sip", "z9hG4bK-s2")
        .replace(&format!("tag={our_tag}"), "tag=someone-else");
    p.recv(&wrong_to);
    assert_eq!(status(p.sent.last().unwrap()), Some(481));
    // Our dialog but another notifier tag than the 2xx fixed.
    let wrong_from = notify(&dialog, "kamailio_notify_dialog_early.sip", "z9hG4bK-s3")
        .replace(&format!("tag={NOTIFIER_TAG}"), "tag=other-notifier");
    p.recv(&wrong_from);
    assert_eq!(status(p.sent.last().unwrap()), Some(481));
    // An agent phone (nothing watched) answers every NOTIFY 481 too.
    let mut agent = Phone::new(config());
    agent.register();
    agent.recv(&notify(
        &dialog,
        "kamailio_notify_dialog_early.sip",
        "z9hG4bK-s4",
    ));
    assert_eq!(status(agent.sent.last().unwrap()), Some(481));
    assert!(peer_states(&p).is_empty() && peer_states(&agent).is_empty());
}

#[test]
fn subscriptions_refresh_in_dialog_before_expiry_on_the_timer_table() {
    let mut p = supervisor();
    watch(&mut p, &["3001"]);
    let dialog = accept(&mut p, "dialog");
    accept(&mut p, "reg");
    p.take_sent();
    // 120 s granted: refresh at 80 % of it (96 s), not before.
    p.advance(95_000);
    assert!(subscribes(&p.sent).is_empty());
    p.advance(1_000);
    let refreshes: Vec<String> = subscribes(&p.sent).into_iter().cloned().collect();
    assert_eq!(refreshes.len(), 2);
    let refresh = refreshes
        .iter()
        .find(|f| header(f, "Event").as_deref() == Some("dialog"))
        .unwrap();
    // In the dialog: the notifier's Contact as request URI, its tag, same Call-ID, next CSeq.
    assert!(refresh.starts_with("SUBSCRIBE sip:127.0.0.1:5060;transport=tcp SIP/2.0"));
    assert_eq!(to_tag(refresh).as_deref(), Some(NOTIFIER_TAG));
    assert_eq!(header(refresh, "Call-ID"), header(&dialog, "Call-ID"));
    assert_eq!(cseq_num(refresh), cseq_num(&dialog) + 1);
    // Credentials reused from the cached challenge (no extra 407 round trip).
    assert!(header(refresh, "Proxy-Authorization")
        .unwrap()
        .contains("nc=00000002"));
}

#[test]
fn terminated_subscription_is_re_established_with_growing_backoff() {
    let mut p = supervisor();
    watch(&mut p, &["3001"]);
    let dialog = accept(&mut p, "dialog");
    accept(&mut p, "reg");
    p.take_sent();
    // The notifier ends it for good (noresource): retry after 2 s, not at once.
    let ended = notify(
        &dialog,
        "kamailio_notify_dialog_unsubscribed.sip",
        "z9hG4bK-t1",
    )
    .replace("terminated;reason=timeout", "terminated;reason=noresource");
    p.recv(&ended);
    assert_eq!(status(p.sent.last().unwrap()), Some(200));
    p.take_sent();
    p.advance(1_999);
    assert!(subscribes(&p.sent).is_empty());
    p.advance(1);
    let again = last_subscribe(&p, "dialog");
    assert_ne!(
        header(&again, "Call-ID"),
        header(&dialog, "Call-ID"),
        "a new subscription"
    );
    assert!(to_tag(&again).is_none());
    assert!(again.starts_with("SUBSCRIBE sip:3001@wazo.example.com SIP/2.0"));
    // It fails (403): next retry after 4 s, then 8 s.
    p.recv(&simple_response(&again, 403, Some("x"), ""));
    p.take_sent();
    p.advance(3_999);
    assert!(subscribes(&p.sent).is_empty());
    p.advance(1);
    let third = last_subscribe(&p, "dialog");
    p.recv(&simple_response(&third, 503, Some("x"), ""));
    p.take_sent();
    p.advance(7_999);
    assert!(subscribes(&p.sent).is_empty());
    p.advance(1);
    assert_eq!(subscribes(&p.sent).len(), 1);
    // A timeout termination (the notifier's own expiry) re-subscribes at once.
    let fourth = last_subscribe(&p, "dialog");
    p.recv(&ok_200(&fourth, 120));
    p.take_sent();
    p.recv(&notify(
        &fourth,
        "kamailio_notify_dialog_unsubscribed.sip",
        "z9hG4bK-t2",
    ));
    p.advance(0);
    assert_eq!(subscribes(&p.sent).len(), 1);
}

#[test]
fn unanswered_subscribe_times_out_and_is_retried() {
    let mut p = supervisor();
    watch(&mut p, &["3001"]);
    p.take_sent();
    p.advance(32_000 - 1);
    assert!(subscribes(&p.sent).is_empty());
    // Timer F (64*T1) then the 2 s backoff.
    p.advance(1 + 2_000);
    assert_eq!(subscribes(&p.sent).len(), 2);
}

#[test]
fn refused_credentials_are_not_retried_in_a_loop() {
    let mut p = supervisor();
    watch(&mut p, &["3001"]);
    let first = last_subscribe(&p, "dialog");
    p.recv(&challenge_407(&first, false));
    let second = last_subscribe(&p, "dialog");
    p.take_sent();
    p.take_events();
    p.recv(&challenge_407(&second, false));
    assert!(subscribes(&p.sent).is_empty(), "answered a refusal");
    assert!(p.events.iter().any(
        |e| matches!(e, Event::Warning(w) if w.contains("refused (407)") && !w.contains(PASSWORD))
    ));
    // A stale nonce is no refusal: answered again at once.
    let mut q = supervisor();
    watch(&mut q, &["3001"]);
    let first = last_subscribe(&q, "dialog");
    q.recv(&challenge_407(&first, false));
    let second = last_subscribe(&q, "dialog");
    q.take_sent();
    q.recv(&challenge_407(&second, true));
    assert_eq!(subscribes(&q.sent).len(), 1);
}

#[test]
fn reconnect_starts_every_subscription_over_and_unwatch_unsubscribes() {
    let mut p = supervisor();
    watch(&mut p, &["3001", "3002", "3001", "bad target"]);
    assert!(p.events.iter().any(|e| matches!(e, Event::Warning(_))));
    assert_eq!(
        subscribes(&p.sent).len(),
        4,
        "two agents, two packages each"
    );
    let dialog = accept(&mut p, "dialog");
    p.disconnect();
    p.take_sent();
    p.connect();
    let subs: Vec<String> = subscribes(&p.sent).into_iter().cloned().collect();
    assert_eq!(subs.len(), 4);
    assert!(subs.iter().all(|s| to_tag(s).is_none()));
    assert!(!subs
        .iter()
        .any(|s| header(s, "Call-ID") == header(&dialog, "Call-ID")));
    // Watch a smaller set: the dropped agent is unsubscribed (Expires: 0) once active.
    let d = subs
        .iter()
        .find(|s| header(s, "Event").as_deref() == Some("dialog") && s.contains("sip:3002@"))
        .unwrap();
    p.recv(&ok_200(d, 120));
    p.take_sent();
    watch(&mut p, &["3001"]);
    let bye = subscribes(&p.sent);
    assert_eq!(bye.len(), 1, "{:#?}", p.sent);
    assert_eq!(header(bye[0], "Expires").as_deref(), Some("0"));
    assert_eq!(to_tag(bye[0]).as_deref(), Some(NOTIFIER_TAG));
    // A NOTIFY for the forgotten subscription now gets 481.
    p.recv(&notify(
        d,
        "kamailio_notify_dialog_initial.sip",
        "z9hG4bK-u1",
    ));
    assert_eq!(status(p.sent.last().unwrap()), Some(481));
    p.take_sent();
    p.cmd(Command::Unwatch);
    p.advance(600_000);
    assert!(subscribes(&p.sent)
        .iter()
        .all(|s| header(s, "Expires").as_deref() == Some("0")));
}

#[test]
fn preview_line_rejects_every_call_with_480_and_never_asks_for_media() {
    let mut p = supervisor();
    p.agent_state(ttecphone_sip::AgentState::Ready);
    for (i, file) in ["wazo_invite.sip", "kamailio_invite.sip", "cucm_invite.sip"]
        .into_iter()
        .enumerate()
    {
        let id = format!("pv-{i}");
        p.recv(&invite(file, &id, &format!("z9hG4bK-pv{i}")));
        let call = ttecphone_sip::CallId::new(&id);
        assert_eq!(status(p.sent.last().unwrap()), Some(480), "{file}");
        assert!(p.events.contains(&Event::CallEnded {
            call,
            reason: EndReason::Rejected { status: 480 }
        }));
    }
    assert!(
        p.media_requests().is_empty(),
        "media asked for on a preview line"
    );
    assert!(!p
        .sent
        .iter()
        .any(|f| status(f) == Some(200) || status(f) == Some(180)));
}
