//! The supervisor board's busy lamp in the sans-IO core: SUBSCRIBE/NOTIFY (RFC 6665)
//! for the "dialog" (RFC 4235) and "reg" (RFC 3680) packages, on the NOTIFYs real
//! Kamailio 5.6 presence modules sent in the bed (corpus/kamailio_notify_*.sip, captured
//! by unit_testing/bed/test/presence.test.mjs with BED_CAPTURE_DIR).

use ttecphone_sip::presence::{
    parse_dialog_info, parse_reginfo, DialogEntry, DialogState, PeerKnowledge, PhoneStatus,
    PresenceError, MAX_BODY,
};
use ttecphone_sip::subscription::{
    is_permanent_refusal, EventPackage, ResponseOutcome, SubState, Subscription, Update,
    RETRY_MAX_MS,
};
use ttecphone_sip::wire::parse;
use ttecphone_sip::Instant;

fn corpus(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../unit_testing/sip/corpus/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn body_of(name: &str) -> String {
    let text = corpus(name);
    parse(&text).unwrap().body.to_owned()
}

fn dialogs(name: &str) -> Vec<ttecphone_sip::presence::DialogEntry> {
    parse_dialog_info(&body_of(name)).unwrap().dialogs
}

#[test]
fn kamailio_dialog_info_bodies_give_each_phone_status() {
    // Nothing ever published: empty body, no dialogs.
    assert!(dialogs("kamailio_notify_dialog_initial.sip").is_empty());
    let early = dialogs("kamailio_notify_dialog_early.sip");
    assert_eq!(early.len(), 1);
    // pua_dialoginfo writes "Trying" (capitalised): read without case.
    assert_eq!(early[0].state, DialogState::Trying);
    assert_eq!(early[0].direction.as_deref(), Some("recipient"));
    assert!(early[0]
        .call_id
        .as_deref()
        .unwrap()
        .starts_with("bed-uac_call-"));
    assert_eq!(
        PhoneStatus::derive(Some(true), &early),
        PhoneStatus::Ringing
    );
    let confirmed = dialogs("kamailio_notify_dialog_confirmed.sip");
    assert_eq!(confirmed[0].state, DialogState::Confirmed);
    assert!(!confirmed[0].held);
    assert_eq!(
        PhoneStatus::derive(Some(true), &confirmed),
        PhoneStatus::InCall
    );
    // In call even before the reg NOTIFY arrives.
    assert_eq!(PhoneStatus::derive(None, &confirmed), PhoneStatus::InCall);
    let ended = dialogs("kamailio_notify_dialog_terminated.sip");
    assert_eq!(ended[0].state, DialogState::Terminated);
    assert_eq!(PhoneStatus::derive(Some(true), &ended), PhoneStatus::Idle);
    assert_eq!(
        PhoneStatus::derive(Some(false), &ended),
        PhoneStatus::Offline
    );
    assert_eq!(PhoneStatus::derive(None, &[]), PhoneStatus::Offline);
    let info = parse_dialog_info(&body_of("kamailio_notify_dialog_confirmed.sip")).unwrap();
    assert_eq!(info.entity.as_deref(), Some("sip:3001@127.0.0.1"));
    assert_eq!(info.version, Some(4));
    assert!(info.full);
}

#[test]
fn kamailio_reginfo_bodies_say_registered_or_not() {
    assert_eq!(
        parse_reginfo(&body_of("kamailio_notify_reg_registered.sip")),
        Ok(Some(true))
    );
    assert_eq!(
        parse_reginfo(&body_of("kamailio_notify_reg_unregistered.sip")),
        Ok(Some(false))
    );
    assert_eq!(
        parse_reginfo(
            r#"<?xml version="1.0"?><reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="0" state="full"/>"#
        ),
        Ok(None)
    );
    // An active registration whose only contact is terminated is not registered.
    assert_eq!(
        parse_reginfo(
            r#"<reginfo><registration aor="sip:3000@d" state="active"><contact state="terminated"/></registration></reginfo>"#
        ),
        Ok(Some(false))
    );
    assert_eq!(
        parse_reginfo("<dialog-info/>"),
        Err(PresenceError::NotThisDocument)
    );
}

#[test]
fn asterisk_hold_shape_and_prefixed_namespaces() {
    // Asterisk/Wazo hints mark a held call with +sip.rendering=no on the local target.
    let held = r#"<?xml version="1.0" encoding="UTF-8"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="3" state="full" entity="sip:3000@wazo">
 <dialog id="3000" direction="recipient">
  <state>confirmed</state>
  <local><target uri="sip:3000@wazo"><param pname="+sip.rendering" pvalue="no"/></target></local>
 </dialog>
</dialog-info>"#;
    let d = parse_dialog_info(held).unwrap().dialogs;
    assert!(d[0].held);
    assert_eq!(PhoneStatus::derive(Some(true), &d), PhoneStatus::OnHold);
    let prefixed = r#"<di:dialog-info xmlns:di="urn:ietf:params:xml:ns:dialog-info" state='full'>
<!-- a comment with <dialog> inside -->
<di:dialog id='a'><di:state>early</di:state></di:dialog></di:dialog-info>"#;
    let d = parse_dialog_info(prefixed).unwrap().dialogs;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].state, DialogState::Early);
    assert_eq!(PhoneStatus::derive(Some(true), &d), PhoneStatus::Ringing);
    // A dialog without a readable state is ignored rather than guessed.
    let d = parse_dialog_info(
        "<dialog-info><dialog id='x'><state>dancing</state></dialog></dialog-info>",
    )
    .unwrap();
    assert!(d.dialogs.is_empty());
}

#[test]
fn hostile_bodies_never_panic() {
    let big = "<".repeat(MAX_BODY + 1);
    assert_eq!(parse_dialog_info(&big), Err(PresenceError::TooLarge));
    assert_eq!(parse_reginfo(&big), Err(PresenceError::TooLarge));
    assert_eq!(
        parse_dialog_info("hello"),
        Err(PresenceError::NotThisDocument)
    );
    let mut samples = Vec::new();
    for name in [
        "kamailio_notify_dialog_confirmed.sip",
        "kamailio_notify_reg_registered.sip",
    ] {
        samples.push(body_of(name));
    }
    samples.push("<dialog-info><dialog id=\"é\"><state>confirmed".to_owned());
    samples.push("<dialog-info <dialog a=\"unterminated><state></".to_owned());
    samples.push("<reginfo><registration state='active'><contact state=active>".to_owned());
    let mut checked = 0;
    for s in &samples {
        for cut in (0..=s.len()).filter(|i| s.is_char_boundary(*i)) {
            let part = &s[..cut];
            let _ = parse_dialog_info(part);
            let _ = parse_reginfo(part);
            checked += 1;
        }
    }
    // Many dialogs are capped.
    let many = format!(
        "<dialog-info>{}</dialog-info>",
        "<dialog id='x'><state>confirmed</state></dialog>".repeat(100)
    );
    assert_eq!(parse_dialog_info(&many).unwrap().dialogs.len(), 32);
    assert!(checked > 1000);
}

const SUP: &str = "sip:3900@127.0.0.1";
const CONTACT: &str = "sip:ab12@x.invalid;transport=ws;ob";

fn response(status: u16, call_id: &str, cseq: u32, extra: &str) -> String {
    format!(
        "SIP/2.0 {status} X\r\nVia: SIP/2.0/WSS x.invalid;branch=z9hG4bKa;rport\r\n\
         From: <{SUP}>;tag=ft\r\nTo: <sip:3001@127.0.0.1>;tag=nt1\r\nCall-ID: {call_id}\r\n\
         CSeq: {cseq} SUBSCRIBE\r\n{extra}Content-Length: 0\r\n\r\n"
    )
}

#[test]
fn subscribe_challenge_active_refresh_and_unsubscribe() {
    let mut sub = Subscription::new(
        EventPackage::Dialog,
        "sip:3001@127.0.0.1",
        SUP,
        "cid-1",
        "ft",
    );
    let req = sub.request("z9hG4bK1", "x.invalid", CONTACT, 600, None);
    let m = parse(&req).unwrap();
    assert!(req.starts_with("SUBSCRIBE sip:3001@127.0.0.1 SIP/2.0\r\n"));
    assert_eq!(m.get("Event"), Some("dialog"));
    assert_eq!(m.get("Accept"), Some("application/dialog-info+xml"));
    assert_eq!(m.get("Expires"), Some("600"));
    assert_eq!(m.get("To"), Some("<sip:3001@127.0.0.1>"));
    assert_eq!(m.get("CSeq"), Some("1 SUBSCRIBE"));
    assert_eq!(sub.state, SubState::Pending);

    let t0 = Instant(1_000);
    let r407 = response(
        407,
        "cid-1",
        1,
        "Proxy-Authenticate: Digest realm=\"r\", nonce=\"n\", qop=\"auth\"\r\n",
    );
    match sub.handle_response(&parse(&r407).unwrap(), t0) {
        ResponseOutcome::Challenge { header, value } => {
            assert_eq!(header, "Proxy-Authenticate");
            assert!(value.contains("nonce=\"n\""));
        }
        other => panic!("{other:?}"),
    }
    let req = sub.request(
        "z9hG4bK2",
        "x.invalid",
        CONTACT,
        600,
        Some(("Proxy-Authorization", "Digest username=\"3900\"")),
    );
    let m = parse(&req).unwrap();
    assert_eq!(m.get("CSeq"), Some("2 SUBSCRIBE"));
    assert!(m.get("Proxy-Authorization").is_some());

    // A response of another subscription or method is not ours.
    assert_eq!(
        sub.handle_response(
            &parse(&response(200, "other", 2, "Expires: 120\r\n")).unwrap(),
            t0
        ),
        ResponseOutcome::Ignored
    );
    let ok = response(200, "cid-1", 2, "Expires: 120\r\nContact: <sip:127.0.0.1:5060;transport=tcp>\r\nRecord-Route: <sip:p1;lr>\r\nRecord-Route: <sip:p2;lr>\r\n");
    assert_eq!(
        sub.handle_response(&parse(&ok).unwrap(), t0),
        ResponseOutcome::Active { expires_s: 120 }
    );
    assert_eq!(
        sub.state,
        SubState::Active {
            expires_at: Instant(121_000)
        }
    );
    // Refreshed at 80 % of the interval (96 s), or 10 s before expiry if that is earlier.
    assert_eq!(sub.refresh_at(), Some(Instant(97_000)));

    let refresh = sub.request("z9hG4bK3", "x.invalid", CONTACT, 120, None);
    let m = parse(&refresh).unwrap();
    assert!(
        refresh.starts_with("SUBSCRIBE sip:127.0.0.1:5060;transport=tcp SIP/2.0"),
        "{refresh}"
    );
    assert_eq!(m.get("To"), Some("<sip:3001@127.0.0.1>;tag=nt1"));
    assert_eq!(
        m.get_all("Route").collect::<Vec<_>>(),
        vec!["<sip:p2;lr>", "<sip:p1;lr>"]
    );
    assert_eq!(m.get("CSeq"), Some("3 SUBSCRIBE"));

    // A short expiry still refreshes before it runs out (10 s before: 50 s + 10 s).
    let short = response(200, "cid-1", 3, "Expires: 20\r\n");
    sub.handle_response(&parse(&short).unwrap(), Instant(50_000));
    assert_eq!(sub.refresh_at(), Some(Instant(60_000)));

    let bye = sub.request("z9hG4bK4", "x.invalid", CONTACT, 0, None);
    assert_eq!(parse(&bye).unwrap().get("Expires"), Some("0"));
    let gone = response(200, "cid-1", 4, "Expires: 0\r\n");
    sub.handle_response(&parse(&gone).unwrap(), Instant(60_000));
    assert_eq!(sub.refresh_at(), None);
}

/// A corpus NOTIFY with the subscription's own Call-ID.
fn notify(name: &str) -> (String, String) {
    let text = corpus(name);
    let call_id = parse(&text).unwrap().get("Call-ID").unwrap().to_owned();
    (text, call_id)
}

#[test]
fn kamailio_notifies_drive_the_lamp_and_the_subscription_state() {
    let (early, cid) = notify("kamailio_notify_dialog_early.sip");
    let mut sub = Subscription::new(EventPackage::Dialog, "sip:3001@127.0.0.1", SUP, &cid, "ft");
    let _ = sub.request("z9hG4bK1", "x.invalid", CONTACT, 120, None);
    let now = Instant(5_000);
    let out = sub.handle_notify(&parse(&early).unwrap(), now);
    assert_eq!(out.status, 200);
    let Some(Update::Dialogs(d)) = out.update else {
        panic!("{out:?}")
    };
    assert_eq!(PhoneStatus::derive(Some(true), &d), PhoneStatus::Ringing);
    // Subscription-State: active;expires=120 keeps it alive even before the 2xx.
    assert!(matches!(sub.state, SubState::Active { .. }));

    let (confirmed, _) = notify("kamailio_notify_dialog_confirmed.sip");
    let out = sub.handle_notify(&parse(&confirmed).unwrap(), now);
    let Some(Update::Dialogs(d)) = out.update else {
        panic!()
    };
    assert_eq!(PhoneStatus::derive(Some(true), &d), PhoneStatus::InCall);
    // An older version (early was version 2 < confirmed 4) is acknowledged, not applied.
    let out = sub.handle_notify(&parse(&early).unwrap(), now);
    assert_eq!((out.status, out.update), (200, None));

    let (ended, _) = notify("kamailio_notify_dialog_terminated.sip");
    let Some(Update::Dialogs(d)) = sub.handle_notify(&parse(&ended).unwrap(), now).update else {
        panic!()
    };
    assert_eq!(PhoneStatus::derive(Some(true), &d), PhoneStatus::Idle);

    // The notifier ends it (timeout): re-subscribe at once, with a fresh dialog.
    let (last, _) = notify("kamailio_notify_dialog_unsubscribed.sip");
    let out = sub.handle_notify(&parse(&last).unwrap(), Instant(9_000));
    assert_eq!(out.terminated.as_deref(), Some("timeout"));
    assert_eq!(sub.retry_at(), Some(Instant(9_000)));
    assert_eq!(sub.refresh_at(), None);
    let again = sub.request("z9hG4bK9", "x.invalid", CONTACT, 120, None);
    assert_eq!(
        parse(&again).unwrap().get("To"),
        Some("<sip:3001@127.0.0.1>")
    );
}

#[test]
fn reg_notifies_and_wrong_notifies() {
    let (reg, cid) = notify("kamailio_notify_reg_registered.sip");
    let mut sub = Subscription::new(EventPackage::Reg, "sip:3001@127.0.0.1", SUP, &cid, "ft");
    let out = sub.handle_notify(&parse(&reg).unwrap(), Instant(0));
    assert_eq!(out.update, Some(Update::Registered(Some(true))));
    let (unreg, _) = notify("kamailio_notify_reg_unregistered.sip");
    assert_eq!(
        sub.handle_notify(&parse(&unreg).unwrap(), Instant(0))
            .update,
        Some(Update::Registered(Some(false)))
    );

    // A dialog NOTIFY on the reg subscription: 489 Bad Event, nothing applied.
    let (dialog, _) = notify("kamailio_notify_dialog_confirmed.sip");
    let swapped = dialog.replace(
        &parse(&dialog).unwrap().get("Call-ID").unwrap().to_owned(),
        &cid,
    );
    let out = sub.handle_notify(&parse(&swapped).unwrap(), Instant(0));
    assert_eq!((out.status, out.update), (489, None));
    // Another Call-ID: 481.
    let mut other = Subscription::new(EventPackage::Reg, "sip:3001@127.0.0.1", SUP, "nope", "ft");
    assert_eq!(
        other
            .handle_notify(&parse(&reg).unwrap(), Instant(0))
            .status,
        481
    );
    // An unreadable body: 400, nothing applied.
    let garbage = reg.replace("<reginfo", "<nonsense");
    let garbage = garbage.replace(
        "Content-Length: 505",
        &format!("Content-Length: {}", 505 + 1),
    );
    let out = sub.handle_notify(&parse(&garbage).unwrap(), Instant(0));
    assert_eq!((out.status, out.update), (400, None));
}

#[test]
fn transient_failures_back_off_growing_to_the_maximum() {
    let mut sub = Subscription::new(EventPackage::Dialog, "sip:3001@d", SUP, "cid-9", "ft");
    let mut last = 0;
    // 408, 480, 481 (the notifier forgot us), 5xx, 486, 600: not now, maybe later.
    let statuses = [503, 408, 480, 481, 500, 504, 486, 600];
    for (i, status) in statuses.into_iter().enumerate() {
        assert!(!is_permanent_refusal(status), "{status}");
        let _ = sub.request("z9hG4bKr", "x.invalid", CONTACT, 120, None);
        let now = Instant(i as u64 * 100_000);
        assert_eq!(
            sub.handle_response(
                &parse(&response(
                    status,
                    "cid-9",
                    u32::try_from(i).unwrap() + 1,
                    ""
                ))
                .unwrap(),
                now
            ),
            ResponseOutcome::Failed { status }
        );
        let wait = sub.retry_at().unwrap().saturating_since(now);
        if i == 0 {
            assert_eq!(wait, 2_000, "the first retry is quick");
        }
        assert!(wait >= last && wait <= RETRY_MAX_MS, "{wait}");
        last = wait;
    }
    assert_eq!(last, RETRY_MAX_MS);
    assert!(matches!(sub.state, SubState::Terminated { ref reason } if reason == "600"));
    // 423 asks for a longer interval.
    let r = response(423, "cid-9", 9, "Min-Expires: 300\r\n");
    let _ = sub.request("z9hG4bKr", "x.invalid", CONTACT, 60, None);
    assert_eq!(
        sub.handle_response(&parse(&r).unwrap(), Instant(0)),
        ResponseOutcome::IntervalTooBrief { min_expires_s: 300 }
    );
}

#[test]
fn permanent_refusals_retry_only_at_the_maximum_and_a_2xx_resets() {
    // RFC 6665 §4.1.2.1 / §4.2.1.1 (489: package not understood; 406: body type not
    // producible), §4.2.1.3 (403 / 603: refused by policy), RFC 3261 §21 (405 / 501:
    // no SUBSCRIBE here; 404 / 410 / 604: no such resource).
    for status in [489, 403, 404, 405, 406, 410, 501, 603, 604] {
        assert!(is_permanent_refusal(status), "{status}");
        let mut sub = Subscription::new(EventPackage::Reg, "sip:3001@d", SUP, "cid-p", "ft");
        let now = Instant(5_000);
        let _ = sub.request("z9hG4bKp", "x.invalid", CONTACT, 600, None);
        assert_eq!(
            sub.handle_response(&parse(&response(status, "cid-p", 1, "")).unwrap(), now),
            ResponseOutcome::Refused { status }
        );
        // Not hammered: the first retry already waits the maximum.
        assert_eq!(sub.retry_at(), Some(now.plus(RETRY_MAX_MS)), "{status}");
        assert_eq!(sub.refresh_at(), None);
        assert!(
            matches!(sub.state, SubState::Terminated { ref reason } if *reason == status.to_string())
        );
        // Retried (a new subscription) and refused again: still the maximum.
        sub.restart("cid-q", "ft2");
        let _ = sub.request("z9hG4bKq", "x.invalid", CONTACT, 600, None);
        let later = now.plus(RETRY_MAX_MS);
        let again = response(status, "cid-q", 1, "");
        assert_eq!(
            sub.handle_response(&parse(&again).unwrap(), later),
            ResponseOutcome::Refused { status }
        );
        assert_eq!(sub.retry_at(), Some(later.plus(RETRY_MAX_MS)));
        // A transient failure after a refusal does not start the backoff over at 2 s.
        sub.restart("cid-r", "ft3");
        let _ = sub.request("z9hG4bKs", "x.invalid", CONTACT, 600, None);
        let t = later.plus(RETRY_MAX_MS);
        assert_eq!(
            sub.handle_response(&parse(&response(503, "cid-r", 1, "")).unwrap(), t),
            ResponseOutcome::Failed { status: 503 }
        );
        assert_eq!(sub.retry_at(), Some(t.plus(RETRY_MAX_MS)));
        // The phone system serves it after all: a 2xx resets the backoff.
        sub.restart("cid-s", "ft4");
        let _ = sub.request("z9hG4bKt", "x.invalid", CONTACT, 600, None);
        let ok = response(200, "cid-s", 1, "Expires: 600\r\n");
        assert!(matches!(
            sub.handle_response(&parse(&ok).unwrap(), t),
            ResponseOutcome::Active { .. }
        ));
        let _ = sub.request("z9hG4bKu", "x.invalid", CONTACT, 600, None);
        assert_eq!(
            sub.handle_response(&parse(&response(503, "cid-s", 2, "")).unwrap(), t),
            ResponseOutcome::Failed { status: 503 }
        );
        assert_eq!(sub.retry_at(), Some(t.plus(2_000)));
    }
}

/// An RFC 4235 body as Asterisk's res_pjsip_dialog_info_body_generator.c writes it
/// (dialog_info_generate_body_content, Asterisk 22.10.1) for an exten_state hint:
/// always one `<dialog id="<exten>">`, its `<state>` from
/// `ast_sip_presence_exten_state_to_str` (res/res_pjsip/presence_xml.c), the hold
/// marker for AST_EXTENSION_ONHOLD. Built from that source (the bed's Asterisk has no
/// exten_state to capture it from); `direction="recipient"` only when ringing.
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

fn knowledge(
    registered: Option<bool>,
    reg_refused: bool,
    dialogs: Option<&[DialogEntry]>,
    dialog_refused: bool,
) -> Option<PhoneStatus> {
    PhoneStatus::from_knowledge(&PeerKnowledge {
        registered,
        reg_refused,
        dialogs,
        dialog_refused,
    })
}

#[test]
fn status_from_what_each_package_told_including_refusals() {
    let none: &[DialogEntry] = &[];
    let parse_asterisk = |state, ringing, held| {
        parse_dialog_info(&asterisk_dialog_info(1, state, ringing, held))
            .unwrap()
            .dialogs
    };
    // AST_EXTENSION_NOT_INUSE (idle) and AST_EXTENSION_UNAVAILABLE (unregistered) give the
    // same document: a terminated dialog, no live call either way.
    let no_call = parse_asterisk("terminated", false, false);
    assert_eq!(no_call.len(), 1);
    let ringing = parse_asterisk("early", true, false);
    let in_call = parse_asterisk("confirmed", false, false);
    let on_hold = parse_asterisk("confirmed", false, true);

    // Both refused (the bed's Asterisk: 489 to both): not reported, never offline.
    assert_eq!(
        knowledge(None, true, None, true),
        Some(PhoneStatus::NotReported)
    );
    // reg refused, dialog served (Wazo with exten_state): calls from dialog-info; no live
    // call is "no call", not idle (it may be unregistered) and not offline (it may be up).
    assert_eq!(
        knowledge(None, true, Some(&no_call), false),
        Some(PhoneStatus::NoCall)
    );
    assert_eq!(
        knowledge(None, true, Some(none), false),
        Some(PhoneStatus::NoCall)
    );
    assert_eq!(
        knowledge(None, true, Some(&ringing), false),
        Some(PhoneStatus::Ringing)
    );
    assert_eq!(
        knowledge(None, true, Some(&in_call), false),
        Some(PhoneStatus::InCall)
    );
    assert_eq!(
        knowledge(None, true, Some(&on_hold), false),
        Some(PhoneStatus::OnHold)
    );
    // reg refused, dialog not answered yet: nothing honest to say.
    assert_eq!(knowledge(None, true, None, false), None);
    // dialog refused, reg served: registered (calls not reported) or offline.
    assert_eq!(
        knowledge(Some(true), false, None, true),
        Some(PhoneStatus::Registered)
    );
    assert_eq!(
        knowledge(Some(false), false, None, true),
        Some(PhoneStatus::Offline)
    );
    assert_eq!(knowledge(None, false, None, true), None);
    // Both served (Kamailio): exactly derive(), as before.
    assert_eq!(knowledge(None, false, None, false), None);
    assert_eq!(
        knowledge(None, false, Some(none), false),
        Some(PhoneStatus::Offline)
    );
    assert_eq!(
        knowledge(Some(true), false, None, false),
        Some(PhoneStatus::Idle)
    );
    assert_eq!(
        knowledge(Some(true), false, Some(&no_call), false),
        Some(PhoneStatus::Idle)
    );
    assert_eq!(
        knowledge(Some(false), false, Some(&no_call), false),
        Some(PhoneStatus::Offline)
    );
    assert_eq!(
        knowledge(None, false, Some(&in_call), false),
        Some(PhoneStatus::InCall)
    );
    for (registered, dialogs) in [
        (None, none),
        (Some(true), none),
        (Some(false), none),
        (Some(true), &in_call[..]),
        (None, &ringing[..]),
    ] {
        assert_eq!(
            knowledge(registered, false, Some(dialogs), false),
            Some(PhoneStatus::derive(registered, dialogs))
        );
    }
    // The words the driver hands to the board.
    assert_eq!(PhoneStatus::NotReported.as_str(), "not reported");
    assert_eq!(PhoneStatus::NoCall.as_str(), "no call");
    assert_eq!(PhoneStatus::Registered.as_str(), "registered");
}
