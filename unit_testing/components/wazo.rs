//! The `wazo` broker kind's pure parts (components/src/wazo.rs): the wazo-auth
//! bodies and the choice of the line to register, on confd answers shaped as
//! wazo-confd gives them (and the Wazo stub serves them).

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use ttecphone_components::json::Json;
use ttecphone_components::wazo::{
    choose_line, is_webrtc, line_candidates, login_body, refresh_body, sip_credentials, ChosenLine,
    SipCredentials,
};

/// Runs a future whose awaits are all ready (the fetcher below answers at once).
fn block_on<T>(future: impl Future<Output = T>) -> T {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    let waker = Waker::from(Arc::new(Noop));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    match future.as_mut().poll(&mut context) {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("the test fetcher never waits"),
    }
}

/// confd's `LineListSchema` line: `kind` is `webrtc`, `desk`, `sccp` or `custom`.
fn line(id: u64, kind: &str, exten: &str, is_webrtc: Option<bool>) -> String {
    let sip = matches!(kind, "webrtc" | "desk");
    let endpoint_sip = if sip {
        format!(
            r#"{{"uuid": "e-{id}", "label": "{kind} {exten}", "name": "u{id}", "auth_section_options": [["username", "u{id}"]], "links": []}}"#
        )
    } else {
        "null".into()
    };
    let sccp = if kind == "sccp" {
        format!(r#"{{"id": {id}, "links": []}}"#)
    } else {
        "null".into()
    };
    let custom = if kind == "custom" {
        format!(r#"{{"id": {id}, "interface": "dahdi/i1/{exten}", "links": []}}"#)
    } else {
        "null".into()
    };
    let protocol = if sip { "sip" } else { kind };
    let hint = is_webrtc.map_or(String::new(), |b| format!(r#", "is_webrtc": {b}"#));
    format!(
        r#"{{"id": {id}, "name": "u{id}", "protocol": "{protocol}", "context": "default", "endpoint_sip": {endpoint_sip}, "endpoint_sccp": {sccp}, "endpoint_custom": {custom}, "extensions": [{{"id": {id}, "exten": "{exten}", "context": "default", "links": []}}]{hint}}}"#
    )
}

fn confd_user(lines: &[String]) -> Json {
    Json::parse(&format!(
        r#"{{"uuid": "5f1a", "firstname": "Test", "lastname": "Agent", "lines": [{}], "groups": []}}"#,
        lines.join(", ")
    ))
    .unwrap()
}

/// The merged endpoint of a line, as `?view=merged` lists it: the templates' options included.
fn merged(id: u64, webrtc: bool) -> Json {
    let template = if webrtc {
        r#"["webrtc", "yes"], ["dtls_auto_generate_cert", "yes"], ["allow", "!all,opus,g722,alaw,ulaw,vp9,vp8,h264"], ["max_audio_streams", "1"], ["timers", "always"], ["timers_sess_expires", "300"]"#
    } else {
        r#"["allow", "!all,ulaw"], ["timers_sess_expires", "600"]"#
    };
    Json::parse(&format!(
        r#"{{"uuid": "e-{id}", "name": "u{id}", "templates": [{{"label": "{}"}}],
        "aor_section_options": [["max_contacts", "{}"]],
        "auth_section_options": [["username", "u{id}"], ["password", "secret-{id}"]],
        "endpoint_section_options": [["rtp_timeout", "7200"], ["use_ptime", "yes"], {template}, ["callerid", "\"Agent\" <3000>"]],
        "identify_section_options": [], "line": {{"id": {id}}}}}"#,
        if webrtc { "webrtc" } else { "global" },
        if webrtc { 10 } else { 1 },
    ))
    .unwrap()
}

/// A fetcher over `endpoints` (line id → merged endpoint, or missing = 404) that
/// records the line ids asked for, in order.
struct Confd {
    endpoints: Vec<(u64, Json)>,
    asked: RefCell<Vec<u64>>,
}

impl Confd {
    fn new(endpoints: Vec<(u64, Json)>) -> Self {
        Self {
            endpoints,
            asked: RefCell::new(Vec::new()),
        }
    }

    fn choose(&self, user: &Json, number: &str) -> Option<ChosenLine> {
        let fetch = |id: u64| {
            self.asked.borrow_mut().push(id);
            let found = self
                .endpoints
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, e)| e.clone());
            async move { Ok::<_, String>(found) }
        };
        block_on(choose_line(user, number, fetch)).unwrap()
    }
}

fn chosen(line_id: u64) -> Option<ChosenLine> {
    Some(ChosenLine {
        line_id,
        credentials: SipCredentials {
            username: format!("u{line_id}"),
            password: format!("secret-{line_id}"),
        },
    })
}

#[test]
fn the_login_asks_for_an_offline_session_and_sends_domain_name_only_when_configured() {
    assert_eq!(
        login_body(None).to_string(),
        r#"{"backend":"wazo_user","expiration":3600,"access_type":"offline","client_id":"ttecphone"}"#
    );
    assert_eq!(
        login_body(Some("ttec.example")).to_string(),
        r#"{"backend":"wazo_user","expiration":3600,"access_type":"offline","client_id":"ttecphone","domain_name":"ttec.example"}"#
    );
    // wazo-auth answers 400 to `access_type: offline` with a refresh token.
    assert_eq!(
        refresh_body("r-1").to_string(),
        r#"{"backend":"wazo_user","expiration":3600,"refresh_token":"r-1","client_id":"ttecphone"}"#
    );
}

#[test]
fn a_desk_phone_listed_first_is_never_chosen_and_costs_no_request_when_confd_says_is_webrtc() {
    // agent3004 of the Wazo stub: SCCP, desk phone, WebRTC; the last two on 3004.
    let user = confd_user(&[
        line(6, "sccp", "2004", Some(false)),
        line(7, "desk", "3004", Some(false)),
        line(8, "webrtc", "3004", Some(true)),
    ]);
    assert_eq!(
        line_candidates(&user, "3004"),
        [8, 7],
        "no request for the SCCP line"
    );
    let confd = Confd::new(vec![(7, merged(7, false)), (8, merged(8, true))]);
    assert_eq!(confd.choose(&user, "3004"), chosen(8));
    assert_eq!(*confd.asked.borrow(), [8], "one merged-endpoint request");
}

#[test]
fn without_is_webrtc_the_merged_options_decide_and_the_webrtc_number_goes_first() {
    // An older confd (no is_webrtc): the desk phone on the number is asked, then passed over.
    let user_on_number = confd_user(&[
        line(6, "sccp", "2004", None),
        line(7, "desk", "3004", None),
        line(8, "webrtc", "3004", None),
    ]);
    let confd = Confd::new(vec![(7, merged(7, false)), (8, merged(8, true))]);
    assert_eq!(confd.choose(&user_on_number, "3004"), chosen(8));
    assert_eq!(*confd.asked.borrow(), [7, 8]);

    // Two WebRTC lines: the one on the WebRTC number, although listed second.
    let two = confd_user(&[
        line(3, "webrtc", "3999", None),
        line(4, "webrtc", "3000", None),
    ]);
    let confd = Confd::new(vec![(3, merged(3, true)), (4, merged(4, true))]);
    assert_eq!(line_candidates(&two, "3000"), [4, 3]);
    assert_eq!(confd.choose(&two, "3000"), chosen(4));
    assert_eq!(*confd.asked.borrow(), [4]);

    // No WebRTC line on the number: another WebRTC line rather than the desk phone on it.
    let elsewhere = confd_user(&[
        line(1, "desk", "3000", None),
        line(2, "webrtc", "3999", None),
    ]);
    let confd = Confd::new(vec![(1, merged(1, false)), (2, merged(2, true))]);
    assert_eq!(confd.choose(&elsewhere, "3000"), chosen(2));
    assert_eq!(*confd.asked.borrow(), [1, 2]);
}

#[test]
fn a_user_without_a_webrtc_line_gets_none_after_one_request_per_sip_line() {
    // agent3005 of the Wazo stub: a desk phone and a custom line.
    let user = confd_user(&[
        line(9, "desk", "3005", Some(false)),
        line(10, "custom", "3005", Some(false)),
    ]);
    let confd = Confd::new(vec![(9, merged(9, false))]);
    assert_eq!(confd.choose(&user, "3005"), None);
    assert_eq!(
        *confd.asked.borrow(),
        [9],
        "the custom line is never asked for"
    );

    // Lines whose endpoint confd does not have (404) are skipped too.
    let gone = confd_user(&[line(9, "desk", "3005", None)]);
    let confd = Confd::new(vec![]);
    assert_eq!(confd.choose(&gone, "3005"), None);
    assert_eq!(*confd.asked.borrow(), [9]);

    assert_eq!(
        Confd::new(vec![]).choose(&Json::parse(r#"{"lines": []}"#).unwrap(), "3000"),
        None
    );
    assert!(line_candidates(&Json::parse(r#"{"uuid": "x"}"#).unwrap(), "3000").is_empty());
}

#[test]
fn lines_without_a_sip_endpoint_are_skipped_but_a_line_from_a_confd_that_does_not_list_it_is_asked()
{
    let lines = Json::parse(
        r#"{"lines": [
            {"id": 1, "endpoint_sip": null, "endpoint_sccp": null, "endpoint_custom": null, "extensions": []},
            {"id": 2, "protocol": "sccp", "extensions": []},
            {"id": "3", "endpoint_sip": {"name": "x"}},
            {"endpoint_sip": {"name": "no id"}},
            {"id": 5, "extensions": [{"exten": "3000"}]},
            {"id": 6, "protocol": "SIP", "endpoint_sip": {"name": "y"}, "extensions": []}
        ]}"#,
    )
    .unwrap();
    assert_eq!(line_candidates(&lines, "3000"), [5, 6]);
}

#[test]
fn a_line_is_webrtc_when_its_options_say_webrtc_yes_exactly_as_the_wazo_sdk_checks() {
    assert!(is_webrtc(&merged(1, true)));
    assert!(!is_webrtc(&merged(1, false)));
    let endpoint = |text: &str| Json::parse(text).unwrap();
    // Before engine 20.13: one `options` list.
    assert!(is_webrtc(&endpoint(
        r#"{"username": "u", "secret": "s", "options": [["webrtc", "yes"]]}"#
    )));
    assert!(!is_webrtc(&endpoint(r#"{"options": []}"#)));
    for not_yes in [
        r#"[["webrtc", "no"]]"#,
        r#"[["webrtc", "true"]]"#,
        r#"[["WEBRTC", "yes"]]"#,
        r#"[["webrtc"]]"#,
        r#"[]"#,
    ] {
        assert!(
            !is_webrtc(&endpoint(&format!(
                r#"{{"endpoint_section_options": {not_yes}}}"#
            ))),
            "{not_yes}"
        );
    }
    // As the SDK: endpoint_section_options, when present, is the list read.
    assert!(!is_webrtc(&endpoint(
        r#"{"endpoint_section_options": [], "options": [["webrtc", "yes"]]}"#
    )));
    assert!(!is_webrtc(&endpoint(r#"{}"#)));
}

#[test]
fn the_sip_identity_is_the_lines_username_not_the_extension() {
    let current = Json::parse(
        r#"{"name": "t05179qh", "auth_section_options": [["username", "t05179qh"], ["password", "p4ss"]],
            "endpoint_section_options": [["webrtc", "yes"], ["callerid", "\"Agent\" <3000>"]]}"#,
    )
    .unwrap();
    let credentials = sip_credentials(&current).unwrap();
    assert_eq!(credentials.username, "t05179qh");
    assert_eq!(credentials.password, "p4ss");
    assert!(
        !format!("{credentials:?}").contains("p4ss"),
        "the password is never printed"
    );

    let legacy = Json::parse(
        r#"{"username": "ab12cd34", "secret": "s3cret", "options": [["webrtc", "yes"]]}"#,
    )
    .unwrap();
    assert_eq!(
        sip_credentials(&legacy),
        Some(SipCredentials {
            username: "ab12cd34".into(),
            password: "s3cret".into()
        })
    );
    for incomplete in [
        r#"{"auth_section_options": [["username", "u"]]}"#,
        r#"{"auth_section_options": [["username", ""], ["password", "p"]]}"#,
        r#"{"username": "u"}"#,
    ] {
        assert_eq!(
            sip_credentials(&Json::parse(incomplete).unwrap()),
            None,
            "{incomplete}"
        );
    }

    // A WebRTC line without credentials is passed over like a desk phone.
    let user = confd_user(&[
        line(1, "webrtc", "3000", None),
        line(2, "webrtc", "3000", None),
    ]);
    let no_password = Json::parse(
        r#"{"auth_section_options": [["username", "u1"]], "endpoint_section_options": [["webrtc", "yes"]]}"#,
    )
    .unwrap();
    let confd = Confd::new(vec![(1, no_password), (2, merged(2, true))]);
    assert_eq!(confd.choose(&user, "3000"), chosen(2));
}

#[test]
fn a_confd_failure_stops_the_choice_and_is_returned() {
    let user = confd_user(&[
        line(1, "desk", "3000", None),
        line(2, "webrtc", "3000", None),
    ]);
    let asked = RefCell::new(Vec::new());
    let fetch = |id: u64| {
        asked.borrow_mut().push(id);
        async move { Err::<Option<Json>, _>(format!("HTTP 503 for line {id}")) }
    };
    assert_eq!(
        block_on(choose_line(&user, "3000", fetch)),
        Err("HTTP 503 for line 1".to_string())
    );
    assert_eq!(*asked.borrow(), [1]);
}
