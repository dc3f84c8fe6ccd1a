//! The supervisor board in the `UserAgent`: `Command::Watch` → SUBSCRIBE (dialog + reg)
//! per agent, 407 answered with the account's digest, NOTIFYs routed by Call-ID and
//! tags (unknown ones get 481), `Event::PeerState` on each change, refresh and
//! re-subscription with backoff on the one timer table, preview lines reject calls.
//! NOTIFYs are the real Kamailio 5.6 captures in corpus/kamailio_notify_*.sip, re-keyed
//! to the subscription under test. A phone system that refuses a package for good
//! (Asterisk's 489 Bad Event) is reported as such, never as offline.

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
    // It fails for now (480): next retry after 4 s, then 8 s.
    p.recv(&simple_response(&again, 480, Some("x"), ""));
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

/// Asterisk's answers: a 401 challenge (res_pjsip's distributor authenticates every
/// out-of-dialog request), then, authenticated, `status` as res_pjsip_pubsub sends it
/// (pjsip_endpt_respond_stateless: no body, a To tag). Returns the authenticated SUBSCRIBE.
fn asterisk_answers(p: &mut Phone, event: &str, status: u16) -> String {
    let first = last_subscribe(p, event);
    assert!(header(&first, "Authorization").is_none());
    p.recv(&simple_response(
        &first,
        401,
        Some("ast-401"),
        "WWW-Authenticate: Digest realm=\"asterisk\",nonce=\"1796607745/441aec6a\",opaque=\"37c67adc\",algorithm=MD5,qop=\"auth\"\r\n",
    ));
    let second = last_subscribe(p, event);
    assert_ne!(first, second, "401 not answered");
    let auth = header(&second, "Authorization").expect("digest answer");
    assert!(auth.contains("realm=\"asterisk\""), "{auth}");
    let extra = if status == 200 {
        "Expires: 600\r\nContact: <sip:127.0.0.1:5039;transport=ws>\r\n"
    } else {
        ""
    };
    p.recv(&simple_response(&second, status, Some(NOTIFIER_TAG), extra));
    second
}

fn warnings(p: &Phone) -> Vec<String> {
    p.events
        .iter()
        .filter_map(|e| match e {
            Event::Warning(w) => Some(w.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn refused_event_packages_are_not_reported_never_offline_and_retried_every_60_s() {
    // 489: the bed's Asterisk 22.10.1 (no exten_state, no reg package at all); the others
    // are permanent refusals too (subscription::is_permanent_refusal).
    for status in [489, 403, 404, 405, 501, 603] {
        let mut p = supervisor();
        watch(&mut p, &["3001"]);
        // reg refused first: nothing said yet (dialog may still be served).
        let reg = asterisk_answers(&mut p, "reg", status);
        assert!(peer_states(&p).is_empty(), "{status}: {:?}", p.events);
        let dialog = asterisk_answers(&mut p, "dialog", status);
        assert_eq!(
            peer_states(&p),
            vec![("3001".to_owned(), PhoneStatus::NotReported)],
            "{status}"
        );
        let w = warnings(&p);
        assert_eq!(w.len(), 2, "one warning per package: {w:?}");
        assert!(
            w.iter().all(|w| w.contains(&format!("({status})"))),
            "{w:?}"
        );
        assert!(w
            .iter()
            .any(|w| w.contains("the reg subscription for 3001")));

        // Not hammered: nothing for 60 s, then one new SUBSCRIBE per package.
        p.take_sent();
        p.take_events();
        p.advance(59_999);
        assert!(subscribes(&p.sent).is_empty(), "{status}: {:#?}", p.sent);
        p.advance(1);
        let retries: Vec<String> = subscribes(&p.sent).into_iter().cloned().collect();
        assert_eq!(retries.len(), 2, "{status}");
        for r in &retries {
            assert!(to_tag(r).is_none(), "a new subscription");
            assert!(
                header(r, "Call-ID") != header(&reg, "Call-ID")
                    && header(r, "Call-ID") != header(&dialog, "Call-ID")
            );
        }
        // Refused again: the same state (no new event, no new warning), 60 s again.
        asterisk_answers(&mut p, "reg", status);
        asterisk_answers(&mut p, "dialog", status);
        assert!(
            peer_states(&p).is_empty() && warnings(&p).is_empty(),
            "{:?}",
            p.events
        );
        p.take_sent();
        p.advance(59_999);
        assert!(subscribes(&p.sent).is_empty());
        p.advance(1);
        assert_eq!(subscribes(&p.sent).len(), 2);
        // A transient failure now (the phone system restarting) changes nothing shown.
        let r = last_subscribe(&p, "reg");
        p.recv(&simple_response(&r, 503, Some("x"), ""));
        let d = last_subscribe(&p, "dialog");
        p.recv(&simple_response(&d, 503, Some("x"), ""));
        assert!(peer_states(&p).is_empty(), "{:?}", p.events);
        assert!(!p.events.iter().any(|e| matches!(
            e,
            Event::PeerState {
                status: PhoneStatus::Offline,
                ..
            }
        )));
    }
}

#[test]
fn transient_failures_keep_the_quick_backoff_and_report_nothing() {
    let mut p = supervisor();
    watch(&mut p, &["3001"]);
    for event in ["reg", "dialog"] {
        let s = last_subscribe(&p, event);
        p.recv(&simple_response(&s, 503, Some("x"), ""));
    }
    assert!(peer_states(&p).is_empty());
    assert!(warnings(&p).is_empty());
    p.take_sent();
    p.advance(1_999);
    assert!(subscribes(&p.sent).is_empty());
    p.advance(1);
    assert_eq!(subscribes(&p.sent).len(), 2, "retried after 2 s as before");
    // 408 (and Timer F) the same: 4 s next.
    for event in ["reg", "dialog"] {
        let s = last_subscribe(&p, event);
        p.recv(&simple_response(&s, 408, Some("x"), ""));
    }
    p.take_sent();
    p.advance(3_999);
    assert!(subscribes(&p.sent).is_empty());
    p.advance(1);
    assert_eq!(subscribes(&p.sent).len(), 2);
    assert!(peer_states(&p).is_empty());
}

/// A NOTIFY from Asterisk on the subscription `sub` (accepted with the notifier tag
/// NOTIFIER_TAG) carrying `body`.
fn asterisk_notify(sub: &str, body: &str, cseq: u32, branch: &str) -> String {
    let our_tag = ttecphone_sip::wire::header::NameAddr::parse(&header(sub, "From").unwrap())
        .unwrap()
        .tag()
        .unwrap()
        .to_owned();
    format!(
        "NOTIFY sip:3000@127.0.0.1:40000;transport=ws SIP/2.0\r\n\
         Via: SIP/2.0/WS 127.0.0.1:5039;rport;branch={branch}\r\n\
         From: <sip:3001@wazo.example.com>;tag={NOTIFIER_TAG}\r\n\
         To: <sip:3000@wazo.example.com>;tag={our_tag}\r\n\
         Call-ID: {}\r\nCSeq: {cseq} NOTIFY\r\n\
         Contact: <sip:127.0.0.1:5039;transport=ws>\r\n\
         Event: dialog\r\nSubscription-State: active;expires=600\r\n\
         Content-Type: application/dialog-info+xml\r\nContent-Length: {}\r\n\r\n{body}",
        header(sub, "Call-ID").unwrap(),
        body.len()
    )
}

/// As res_pjsip_dialog_info_body_generator.c writes it (see unit_testing/sip/subscription.rs).
fn asterisk_dialog_info(version: u32, state: &str, ringing: bool, held: bool) -> String {
    let direction = if ringing {
        r#" direction="recipient""#
    } else {
        ""
    };
    let hold = if held {
        r#"<local><target uri="sip:3001@wazo.example.com"><param pname="+sip.rendering" pvalue="no"/></target></local>"#
    } else {
        ""
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"{version}\" state=\"full\" entity=\"sip:3001@wazo.example.com\">\n <dialog id=\"3001\"{direction}>\n  <state>{state}</state>{hold}\n </dialog>\n</dialog-info>\n"
    )
}

#[test]
fn wazo_serves_dialog_but_refuses_reg_calls_shown_registration_unknown() {
    let mut p = supervisor();
    watch(&mut p, &["3001"]);
    // Wazo (Asterisk with res_pjsip_exten_state): reg 489, dialog 200.
    asterisk_answers(&mut p, "reg", 489);
    let dialog = asterisk_answers(&mut p, "dialog", 200);
    assert!(
        peer_states(&p).is_empty(),
        "nothing known before the first NOTIFY"
    );
    let steps = [
        // Idle or unregistered: Asterisk writes the same terminated dialog for both.
        (
            asterisk_dialog_info(0, "terminated", false, false),
            PhoneStatus::NoCall,
        ),
        (
            asterisk_dialog_info(1, "early", true, false),
            PhoneStatus::Ringing,
        ),
        (
            asterisk_dialog_info(2, "confirmed", false, false),
            PhoneStatus::InCall,
        ),
        (
            asterisk_dialog_info(3, "confirmed", false, true),
            PhoneStatus::OnHold,
        ),
        (
            asterisk_dialog_info(4, "confirmed", false, false),
            PhoneStatus::InCall,
        ),
        (
            asterisk_dialog_info(5, "terminated", false, false),
            PhoneStatus::NoCall,
        ),
    ];
    for (i, (body, want)) in steps.iter().enumerate() {
        p.take_events();
        p.take_sent();
        let cseq = u32::try_from(i).unwrap() + 1;
        p.recv(&asterisk_notify(
            &dialog,
            body,
            cseq,
            &format!("z9hG4bK-w{i}"),
        ));
        assert_eq!(status(p.sent.last().unwrap()), Some(200), "{body}");
        assert_eq!(peer_states(&p), vec![("3001".to_owned(), *want)], "{body}");
    }
    // reg is retried every 60 s, dialog refreshed normally.
    p.take_sent();
    p.advance(60_000);
    let regs: Vec<&String> = subscribes(&p.sent)
        .into_iter()
        .filter(|s| header(s, "Event").as_deref() == Some("reg"))
        .collect();
    assert_eq!(regs.len(), 1);
}

#[test]
fn dialog_refused_reg_served_shows_registered_or_offline() {
    let mut p = supervisor();
    watch(&mut p, &["3001"]);
    asterisk_answers(&mut p, "dialog", 489);
    assert!(peer_states(&p).is_empty());
    let reg = accept(&mut p, "reg");
    p.recv(&notify(
        &reg,
        "kamailio_notify_reg_registered.sip",
        "z9hG4bK-r1",
    ));
    assert_eq!(
        peer_states(&p),
        vec![("3001".to_owned(), PhoneStatus::Registered)]
    );
    p.take_events();
    p.recv(&notify(
        &reg,
        "kamailio_notify_reg_unregistered.sip",
        "z9hG4bK-r2",
    ));
    assert_eq!(
        peer_states(&p),
        vec![("3001".to_owned(), PhoneStatus::Offline)]
    );
}

#[test]
fn a_package_enabled_later_is_picked_up_on_the_60_s_retry() {
    let mut p = supervisor();
    watch(&mut p, &["3001"]);
    asterisk_answers(&mut p, "reg", 489);
    asterisk_answers(&mut p, "dialog", 489);
    assert_eq!(
        peer_states(&p),
        vec![("3001".to_owned(), PhoneStatus::NotReported)]
    );
    // The administrator enables presence: the retries are accepted (Kamailio-like here).
    p.take_events();
    p.advance(60_000);
    let dialog = accept(&mut p, "dialog");
    let reg = accept(&mut p, "reg");
    assert!(
        peer_states(&p).is_empty(),
        "still not reported until a NOTIFY says more"
    );
    p.recv(&notify(
        &dialog,
        "kamailio_notify_dialog_initial.sip",
        "z9hG4bK-e1",
    ));
    p.recv(&notify(
        &reg,
        "kamailio_notify_reg_registered.sip",
        "z9hG4bK-e2",
    ));
    assert_eq!(
        peer_states(&p),
        vec![
            ("3001".to_owned(), PhoneStatus::Offline),
            ("3001".to_owned(), PhoneStatus::Idle)
        ]
    );
    // The 2xx reset the backoff: a later termination is retried after 2 s, not 60 s.
    p.take_sent();
    let ended = notify(
        &dialog,
        "kamailio_notify_dialog_unsubscribed.sip",
        "z9hG4bK-e3",
    )
    .replace("terminated;reason=timeout", "terminated;reason=noresource");
    p.recv(&ended);
    p.advance(1_999);
    assert!(subscribes(&p.sent).is_empty());
    p.advance(1);
    assert_eq!(subscribes(&p.sent).len(), 1);
}
