//! Browser tests (wasm-bindgen-test in headless Chromium): every state of every
//! component renders the DOM the agent should see, and controls send commands.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::future::TimeoutFuture;
use ttecphone_components::call_controls::format_duration;
use ttecphone_components::devices::*;
use ttecphone_components::registration_status::RegistrationStatusProps;
use ttecphone_components::store::*;
use ttecphone_components::{
    AutoAnswerControls, CallControls, ConfigNotice, IncomingCallBanner, PhoneBar,
    RegistrationStatus, StoreContext,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh mount point in the test page.
fn mount() -> Element {
    let document = gloo::utils::document();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    div
}

/// Lets Yew's scheduler render.
async fn settle() {
    TimeoutFuture::new(0).await;
    TimeoutFuture::new(0).await;
}

async fn render<C>(props: C::Properties) -> Element
where
    C: BaseComponent,
{
    let root = mount();
    yew::Renderer::<C>::with_root_and_props(root.clone(), props).render();
    settle().await;
    root
}

fn text(root: &Element, selector: &str) -> Option<String> {
    root.query_selector(selector)
        .unwrap()
        .map(|e| e.text_content().unwrap_or_default())
}

fn attr(root: &Element, selector: &str, name: &str) -> Option<String> {
    root.query_selector(selector)
        .unwrap()
        .and_then(|e| e.get_attribute(name))
}

fn click(root: &Element, selector: &str) {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
}

// ---- RegistrationStatus ----

async fn registration(registration: Registration, now: Millis) -> Element {
    render::<RegistrationStatus>(RegistrationStatusProps {
        registration,
        webrtc_number: Some("3000".into()),
        now,
        show_detail: true,
    })
    .await
}

#[wasm_bindgen_test]
async fn registration_status_shows_word_tone_number_and_detail_for_every_state() {
    let cases = [
        (
            Registration::Starting,
            "Starting",
            "idle",
            "Waiting for Finesse",
        ),
        (
            Registration::Connecting,
            "Connecting",
            "pending",
            "Connecting to the phone system",
        ),
        (
            Registration::Registering,
            "Connecting",
            "pending",
            "Registering the phone",
        ),
        (
            Registration::Registered { expires_s: 600 },
            "Registered",
            "ok",
            "Ready to receive calls.",
        ),
        (
            Registration::Reconnecting {
                retry_at: Some(7_200),
                reason: "WebSocket closed".into(),
            },
            "Reconnecting",
            "warn",
            "Connection lost (WebSocket closed). Retrying in 3 s.",
        ),
        (
            Registration::Unregistered {
                reason: "Logged out of Finesse.".into(),
            },
            "Unregistered",
            "idle",
            "Logged out of Finesse.",
        ),
        (
            Registration::AuthFailed {
                reason: "403 Forbidden".into(),
            },
            "Error",
            "error",
            "The phone system refused the sign-in (403 Forbidden). Ask your supervisor",
        ),
        (
            Registration::Failed {
                reason: "Broker unreachable.".into(),
            },
            "Error",
            "error",
            "Broker unreachable.",
        ),
    ];
    for (state, word, tone, detail) in cases {
        let root = registration(state.clone(), 5_000).await;
        assert_eq!(
            text(&root, ".ttec-registration__word").as_deref(),
            Some(word),
            "{state:?}"
        );
        assert_eq!(
            attr(&root, ".ttec-registration__word", "data-state").as_deref(),
            Some(tone)
        );
        assert!(
            root.query_selector(&format!(".ttec-dot--{tone}"))
                .unwrap()
                .is_some(),
            "dot for {state:?}"
        );
        let shown = text(&root, ".ttec-registration__detail").unwrap();
        assert!(shown.starts_with(detail), "{state:?}: {shown}");
        assert_eq!(
            text(&root, ".ttec-registration__number").as_deref(),
            Some("3000")
        );
        assert_eq!(
            attr(&root, ".ttec-registration", "role").as_deref(),
            Some("status")
        );
    }
}

#[wasm_bindgen_test]
async fn registration_status_without_number_hides_it() {
    let root = render::<RegistrationStatus>(RegistrationStatusProps {
        registration: Registration::Connecting,
        webrtc_number: None,
        now: 0,
        show_detail: true,
    })
    .await;
    assert!(root
        .query_selector(".ttec-registration__number")
        .unwrap()
        .is_none());
}

// ---- IncomingCallBanner ----

fn call(phase: CallPhase) -> Option<Call> {
    Some(Call {
        id: "call-1".into(),
        caller_number: "5551234".into(),
        caller_name: Some("Jane Doe".into()),
        phase,
    })
}

#[derive(Properties, PartialEq)]
struct BannerHarness {
    call: Option<Call>,
    now: Millis,
    manual: bool,
    log: Rc<RefCell<Vec<String>>>,
}

#[function_component(Banner)]
fn banner(props: &BannerHarness) -> Html {
    let log = props.log.clone();
    let on_answer = Callback::from(move |id: String| log.borrow_mut().push(format!("answer {id}")));
    let log = props.log.clone();
    let on_reject = Callback::from(move |id: String| log.borrow_mut().push(format!("reject {id}")));
    html! { <IncomingCallBanner call={props.call.clone()} now={props.now} manual={props.manual} {on_answer} {on_reject} /> }
}

async fn banner_for(call: Option<Call>, manual: bool) -> (Element, Rc<RefCell<Vec<String>>>) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let root = render::<Banner>(BannerHarness {
        call,
        now: 10_000,
        manual,
        log: log.clone(),
    })
    .await;
    (root, log)
}

#[wasm_bindgen_test]
async fn banner_is_absent_without_a_ringing_call() {
    for c in [
        None,
        call(CallPhase::Active {
            since: 1,
            held: false,
            muted: false,
        }),
    ] {
        let (root, _) = banner_for(c, false).await;
        assert!(root.query_selector(".ttec-incoming").unwrap().is_none());
    }
}

#[wasm_bindgen_test]
async fn banner_shows_caller_and_countdown() {
    let (root, _) = banner_for(
        call(CallPhase::Ringing {
            answer_at: Some(12_001),
        }),
        false,
    )
    .await;
    assert_eq!(
        text(&root, ".ttec-incoming__caller").as_deref(),
        Some("Jane Doe (5551234)")
    );
    assert_eq!(
        text(&root, ".ttec-incoming__progress").as_deref(),
        Some("Answering in 3 s")
    );
    assert_eq!(
        attr(&root, ".ttec-incoming", "role").as_deref(),
        Some("alert")
    );
    assert!(
        root.query_selector("button").unwrap().is_none(),
        "no manual buttons in auto mode"
    );
}

#[wasm_bindgen_test]
async fn banner_says_answering_once_the_delay_is_over() {
    for phase in [
        CallPhase::Ringing {
            answer_at: Some(9_000),
        },
        CallPhase::Answering,
    ] {
        let (root, _) = banner_for(call(phase), false).await;
        assert_eq!(
            text(&root, ".ttec-incoming__progress").as_deref(),
            Some("Answering…")
        );
    }
}

#[wasm_bindgen_test]
async fn banner_manual_mode_offers_answer_and_reject() {
    let (root, log) = banner_for(call(CallPhase::Ringing { answer_at: None }), true).await;
    assert_eq!(
        text(&root, ".ttec-incoming__progress").as_deref(),
        Some("Ringing")
    );
    click(&root, ".ttec-btn--answer");
    click(&root, ".ttec-btn--reject");
    assert_eq!(*log.borrow(), vec!["answer call-1", "reject call-1"]);
}

// ---- CallControls ----

#[derive(Properties, PartialEq)]
struct ControlsHarness {
    call: Option<Call>,
    elapsed_s: Option<u64>,
    log: Rc<RefCell<Vec<String>>>,
}

#[function_component(Controls)]
fn controls(props: &ControlsHarness) -> Html {
    let log = props.log.clone();
    let on_mute = Callback::from(move |(id, muted): (String, bool)| {
        log.borrow_mut().push(format!("mute {id} {muted}"))
    });
    let log = props.log.clone();
    let on_hang_up =
        Callback::from(move |id: String| log.borrow_mut().push(format!("hangup {id}")));
    html! { <CallControls call={props.call.clone()} elapsed_s={props.elapsed_s} {on_mute} {on_hang_up} /> }
}

async fn controls_for(
    phase: CallPhase,
    elapsed_s: Option<u64>,
) -> (Element, Rc<RefCell<Vec<String>>>) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let root = render::<Controls>(ControlsHarness {
        call: call(phase),
        elapsed_s,
        log: log.clone(),
    })
    .await;
    (root, log)
}

#[wasm_bindgen_test]
async fn call_controls_only_for_an_active_call() {
    for phase in [CallPhase::Ringing { answer_at: None }, CallPhase::Answering] {
        let (root, _) = controls_for(phase, None).await;
        assert!(root.query_selector(".ttec-call").unwrap().is_none());
    }
}

#[wasm_bindgen_test]
async fn call_controls_show_caller_timer_and_send_mute_and_hang_up() {
    let (root, log) = controls_for(
        CallPhase::Active {
            since: 0,
            held: false,
            muted: false,
        },
        Some(75),
    )
    .await;
    assert_eq!(
        text(&root, ".ttec-call__caller").as_deref(),
        Some("Jane Doe (5551234)")
    );
    assert_eq!(text(&root, ".ttec-call__timer").as_deref(), Some("1:15"));
    assert!(root.query_selector(".ttec-call__held").unwrap().is_none());
    assert_eq!(
        attr(&root, ".ttec-call__mute", "aria-pressed").as_deref(),
        Some("false")
    );
    click(&root, ".ttec-call__mute");
    click(&root, ".ttec-call__hangup");
    assert_eq!(*log.borrow(), vec!["mute call-1 true", "hangup call-1"]);
}

#[wasm_bindgen_test]
async fn call_controls_show_held_and_muted() {
    let (root, log) = controls_for(
        CallPhase::Active {
            since: 0,
            held: true,
            muted: true,
        },
        Some(3_725),
    )
    .await;
    assert_eq!(text(&root, ".ttec-call__held").as_deref(), Some("On hold"));
    assert_eq!(text(&root, ".ttec-call__timer").as_deref(), Some("1:02:05"));
    assert_eq!(text(&root, ".ttec-call__mute").as_deref(), Some("Unmute"));
    click(&root, ".ttec-call__mute");
    assert_eq!(*log.borrow(), vec!["mute call-1 false"]);
}

#[wasm_bindgen_test]
fn durations_format_like_a_phone() {
    assert_eq!(format_duration(0), "0:00");
    assert_eq!(format_duration(59), "0:59");
    assert_eq!(format_duration(3_600), "1:00:00");
}

// ---- AutoAnswerControls ----

#[derive(Properties, PartialEq)]
struct AutoHarness {
    status: AutoAnswerStatus,
    dev: bool,
    log: Rc<RefCell<Vec<bool>>>,
}

#[function_component(Auto)]
fn auto(props: &AutoHarness) -> Html {
    let log = props.log.clone();
    let on_toggle = Callback::from(move |on: bool| log.borrow_mut().push(on));
    html! { <AutoAnswerControls status={props.status.clone()} tone={true} dev_features={props.dev} {on_toggle} /> }
}

#[wasm_bindgen_test]
async fn auto_answer_controls_describe_each_status() {
    let cases = [
        (AutoAnswerStatus::On { delay_ms: 0 }, "Auto-answer on", "on"),
        (
            AutoAnswerStatus::On { delay_ms: 2_500 },
            "Auto-answer on, after 2.5 s",
            "on",
        ),
        (
            AutoAnswerStatus::Paused {
                state: AgentState::NotReady,
            },
            "Auto-answer paused while Not ready",
            "paused",
        ),
        (
            AutoAnswerStatus::Off,
            "Auto-answer off (QA): answer calls by hand",
            "off",
        ),
    ];
    for (status, sentence, tone) in cases {
        let log = Rc::new(RefCell::new(Vec::new()));
        let root = render::<Auto>(AutoHarness {
            status,
            dev: false,
            log,
        })
        .await;
        assert_eq!(
            text(&root, ".ttec-autoanswer__status").as_deref(),
            Some(sentence)
        );
        assert_eq!(
            attr(&root, ".ttec-autoanswer", "data-state").as_deref(),
            Some(tone)
        );
        assert!(
            root.query_selector("button").unwrap().is_none(),
            "production has no switch"
        );
    }
}

#[wasm_bindgen_test]
async fn auto_answer_switch_exists_only_with_dev_features() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let root = render::<Auto>(AutoHarness {
        status: AutoAnswerStatus::On { delay_ms: 0 },
        dev: true,
        log: log.clone(),
    })
    .await;
    assert_eq!(
        attr(&root, ".ttec-autoanswer__toggle", "aria-checked").as_deref(),
        Some("true")
    );
    click(&root, ".ttec-autoanswer__toggle");
    assert_eq!(*log.borrow(), vec![false]);
}

// ---- ConfigNotice ----

#[wasm_bindgen_test]
async fn config_notice_names_each_key() {
    let problems = vec![
        ConfigProblem {
            key: "wsUrl".into(),
            message: "is missing".into(),
        },
        ConfigProblem {
            key: "autoAnswerDelayMs".into(),
            message: "must be a whole number".into(),
        },
    ];
    let root =
        render::<ConfigNotice>(ttecphone_components::config_notice::ConfigNoticeProps { problems })
            .await;
    let items: Vec<String> = (0..2)
        .map(|i| {
            root.query_selector_all("li")
                .unwrap()
                .item(i)
                .unwrap()
                .text_content()
                .unwrap()
        })
        .collect();
    assert_eq!(
        items,
        vec![
            "wsUrl: is missing",
            "autoAnswerDelayMs: must be a whole number"
        ]
    );
    let empty = render::<ConfigNotice>(ttecphone_components::config_notice::ConfigNoticeProps {
        problems: vec![],
    })
    .await;
    assert!(empty
        .query_selector(".ttec-config-error")
        .unwrap()
        .is_none());
}

// ---- PhoneBar: the store wired to the components ----

#[derive(Properties, PartialEq)]
struct StoreHarness {
    initial: PhoneState,
    actions: Vec<Action>,
    commands: Rc<RefCell<Vec<UserCommand>>>,
}

#[function_component(WithStore)]
fn with_store(props: &StoreHarness) -> Html {
    let initial = props.initial.clone();
    let state = use_reducer(move || initial);
    {
        let (dispatcher, actions) = (state.dispatcher(), props.actions.clone());
        use_effect_with((), move |_| {
            actions.into_iter().for_each(|a| dispatcher.dispatch(a))
        });
    }
    let log = props.commands.clone();
    let commands = Callback::from(move |c: UserCommand| log.borrow_mut().push(c));
    html! {
        <ContextProvider<StoreContext> context={StoreContext { state, commands }}>
            <PhoneBar />
        </ContextProvider<StoreContext>>
    }
}

async fn bar(
    initial: PhoneState,
    actions: Vec<Action>,
) -> (Element, Rc<RefCell<Vec<UserCommand>>>) {
    let commands = Rc::new(RefCell::new(Vec::new()));
    let root = render::<WithStore>(StoreHarness {
        initial,
        actions,
        commands: commands.clone(),
    })
    .await;
    settle().await;
    (root, commands)
}

#[wasm_bindgen_test]
async fn phone_bar_follows_store_actions() {
    let loaded = vec![
        Action::AgentLoaded(AgentInfo {
            id: "agent3000".into(),
            extension: "1000".into(),
            mobile_agent: true,
            supervisor: false,
            webrtc_number: Some("3000".into()),
            state: AgentState::Reserved,
        }),
        Action::Registration(Registration::Registered { expires_s: 600 }),
        Action::Tick(1_000),
    ];
    let (root, _) = bar(PhoneState::default(), loaded.clone()).await;
    assert_eq!(
        text(&root, ".ttec-registration__word").as_deref(),
        Some("Registered")
    );
    assert_eq!(
        text(&root, ".ttec-registration__number").as_deref(),
        Some("3000")
    );
    assert_eq!(
        text(&root, ".ttec-autoanswer__status").as_deref(),
        Some("Auto-answer on")
    );
    assert!(
        root.query_selector(".ttec-registration__detail")
            .unwrap()
            .is_none(),
        "Registered needs no detail"
    );
    assert!(root
        .query_selector(".ttec-tool--settings")
        .unwrap()
        .is_some());

    let mut ringing = loaded;
    ringing.push(Action::IncomingCall {
        id: "c1".into(),
        caller_number: "5551234".into(),
        caller_name: None,
        answer_at: Some(3_000),
    });
    let (root, _) = bar(PhoneState::default(), ringing).await;
    assert_eq!(
        text(&root, ".ttec-incoming__caller").as_deref(),
        Some("5551234")
    );
    assert_eq!(
        text(&root, ".ttec-incoming__progress").as_deref(),
        Some("Answering in 2 s")
    );
    // While it rings, the banner has the row to itself.
    assert!(root.query_selector(".ttec-registration").unwrap().is_none());
    assert!(root.query_selector(".ttec-bar__tools").unwrap().is_none());
    assert_eq!(
        text(&root, ".ttec-live").as_deref(),
        Some("Incoming call from 5551234.")
    );
}

#[wasm_bindgen_test]
async fn phone_bar_announces_the_end_of_a_call() {
    let (root, _) = bar(
        PhoneState::default(),
        vec![
            Action::IncomingCall {
                id: "c1".into(),
                caller_number: "1".into(),
                caller_name: None,
                answer_at: None,
            },
            Action::Ended {
                id: "c1".into(),
                reason: "Call ended: the caller hung up.".into(),
            },
        ],
    )
    .await;
    assert!(root.query_selector(".ttec-incoming").unwrap().is_none());
    assert_eq!(
        text(&root, "[aria-live=polite]").as_deref(),
        Some("Call ended: the caller hung up.")
    );
}

#[wasm_bindgen_test]
async fn phone_bar_sends_manual_answer_through_the_store_channel() {
    let initial = PhoneState {
        dev_features: true,
        auto_answer: AutoAnswer {
            enabled: false,
            ..AutoAnswer::default()
        },
        ..PhoneState::default()
    };
    let (root, commands) = bar(
        initial,
        vec![Action::IncomingCall {
            id: "c9".into(),
            caller_number: "1".into(),
            caller_name: None,
            answer_at: None,
        }],
    )
    .await;
    click(&root, ".ttec-btn--answer");
    click(&root, ".ttec-btn--reject");
    assert_eq!(
        *commands.borrow(),
        vec![
            UserCommand::Answer { call: "c9".into() },
            UserCommand::Reject { call: "c9".into() }
        ]
    );
    // Idle and registered, the QA switch turns auto-answer back on.
    let idle = PhoneState {
        dev_features: true,
        registration: Registration::Registered { expires_s: 600 },
        auto_answer: AutoAnswer {
            enabled: false,
            ..AutoAnswer::default()
        },
        ..PhoneState::default()
    };
    let (root, commands) = bar(idle, vec![]).await;
    assert_eq!(
        text(&root, ".ttec-autoanswer__toggle").as_deref(),
        Some("Turn on")
    );
    click(&root, ".ttec-autoanswer__toggle");
    assert_eq!(*commands.borrow(), vec![UserCommand::SetAutoAnswer(true)]);
}

#[wasm_bindgen_test]
async fn phone_bar_shows_config_problems() {
    let (root, _) = bar(
        PhoneState::default(),
        vec![Action::ConfigInvalid(vec![ConfigProblem {
            key: "brokerKind".into(),
            message: "is missing".into(),
        }])],
    )
    .await;
    assert_eq!(
        text(&root, "[data-problem=config-invalid] .ttec-problem__title").as_deref(),
        Some("The phone is not set up correctly: brokerKind is missing")
    );
    assert_eq!(
        text(&root, "[data-problem=config-invalid] .ttec-problem__next").as_deref(),
        Some("Ask your administrator to fix \u{201c}brokerKind\u{201d} in the gadget's config.json or URL.")
    );
    assert_eq!(
        text(&root, ".ttec-registration__word").as_deref(),
        Some("Error")
    );
}

// ---- issue 5: problems, settings, audio test, diagnostics, dialpad, gallery ----

use ttecphone_components::diagnostics_panel::DiagnosticsPanelProps;
use ttecphone_components::dialpad::DialpadProps;
use ttecphone_components::gallery::{samples, GalleryProps};
use ttecphone_components::problems::{problems, Problem, ProblemNoticeProps};
use ttecphone_components::routing::{Cause, Notice};
use ttecphone_components::settings::SettingsPanelProps;
use ttecphone_components::{DiagnosticsPanel, Dialpad, Gallery, ProblemNotice, SettingsPanel};

fn recorder() -> (Rc<RefCell<Vec<UserCommand>>>, Callback<UserCommand>) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink = log.clone();
    (log, Callback::from(move |c| sink.borrow_mut().push(c)))
}

fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

#[wasm_bindgen_test]
async fn every_error_renders_its_words_and_one_next_step() {
    let cases: Vec<(Problem, &str, &str)> = vec![
        (
            Problem::BrowserUnsupported { missing: vec![BrowserGap::Microphone] },
            "This browser is too old for the phone: it lacks microphone access.",
            "Use Chrome, Edge or Firefox ESR 115 or newer.",
        ),
        (
            Problem::SpeakerChoiceUnavailable,
            "Speaker choice unavailable in this browser: sound plays on the system's default device.",
            "To choose the speaker, use Chrome, Edge or Firefox 116 or newer.",
        ),
        (
            Problem::BrokerCredentials { detail: "SIP 403: wrong SIP user or password".into() },
            "The phone system refused your sign-in (SIP 403: wrong SIP user or password).",
            "Ask your supervisor to check the user and password of your WebRTC line.",
        ),
        (
            Problem::BrokerUnreachable { detail: "code 1006".into(), retry_in_s: Some(4) },
            "Cannot reach the phone system.",
            "Retrying in 4 s. If this lasts, check your network or VPN, then tell your supervisor.",
        ),
        (
            Problem::ConnectionLost { detail: "code 1006".into(), retry_in_s: Some(9) },
            "Connection to the phone system lost. Reconnecting in 9 s.",
            "No action needed; if this lasts, check your network, then tell your supervisor.",
        ),
        (
            Problem::MicrophoneDenied,
            "The browser blocks the microphone, so calls cannot be answered.",
            "Click the microphone icon in the address bar, choose Allow, then reload Finesse.",
        ),
        (
            Problem::NoMicrophone,
            "No microphone found, so calls cannot be answered.",
            "Plug in your headset; the phone uses it from the next call.",
        ),
        (
            Problem::NotWebrtcAgent,
            "You are not signed in as a WebRTC agent, so the phone is off.",
            "Sign out of Finesse and sign in as a mobile agent with your WebRTC number as the dial number.",
        ),
        (
            Problem::ConfigInvalid { key: "wsUrl".into(), message: "must start with wss://".into() },
            "The phone is not set up correctly: wsUrl must start with wss://",
            "Ask your administrator to fix \u{201c}wsUrl\u{201d} in the gadget's config.json or URL.",
        ),
        (
            Problem::PlaybackBlocked,
            "The browser has not allowed sound yet: you would not hear callers.",
            "Click \u{201c}Enable sound\u{201d} once, before your first call.",
        ),
        (
            Problem::Routing(Notice::ReadyWhileDown(Cause::SignInRefused)),
            "You are Ready, but the phone cannot answer calls (the phone system refused its sign-in): your calls will ring out.",
            "Go Not Ready in Finesse until the phone works again.",
        ),
        (
            Problem::Routing(Notice::BackUp),
            "The phone works again. You are still Not Ready.",
            "Go Ready when you want calls.",
        ),
    ];
    for (problem, title, next) in cases {
        let code = problem.code();
        let root = render::<ProblemNotice>(ProblemNoticeProps {
            problems: vec![problem],
            on_command: Callback::noop(),
        })
        .await;
        let item = format!("[data-problem={code}]");
        assert_eq!(
            text(&root, &format!("{item} .ttec-problem__title")).as_deref(),
            Some(title),
            "{code}"
        );
        assert_eq!(
            text(&root, &format!("{item} .ttec-problem__next")).as_deref(),
            Some(next),
            "{code}"
        );
        let role = attr(&root, &item, "role").unwrap();
        assert!(role == "alert" || role == "status", "{code}: announced");
        // Never colour alone: every problem has its icon and its words.
        assert_eq!(count(&root, &format!("{item} .ttec-problem__icon")), 1);
    }
}

/// Sound blocked: one click enables it. Routing, the phone back: one click goes Ready.
#[wasm_bindgen_test]
async fn sound_blocked_and_go_ready_offer_one_click() {
    let cases = [
        (
            Problem::PlaybackBlocked,
            "Enable sound",
            UserCommand::EnableAudio,
        ),
        (
            Problem::Routing(Notice::BackUp),
            "Go Ready",
            UserCommand::GoReady,
        ),
    ];
    for (problem, label, command) in cases {
        let (log, on_command) = recorder();
        let root = render::<ProblemNotice>(ProblemNoticeProps {
            problems: vec![problem],
            on_command,
        })
        .await;
        assert_eq!(text(&root, ".ttec-problem__action").as_deref(), Some(label));
        click(&root, ".ttec-problem__action");
        assert_eq!(*log.borrow(), vec![command]);
    }
    let empty = render::<ProblemNotice>(ProblemNoticeProps {
        problems: vec![],
        on_command: Callback::noop(),
    })
    .await;
    assert_eq!(count(&empty, "li"), 0);
}

fn devices() -> Devices {
    let d = |id: &str, label: &str| AudioDevice {
        id: id.into(),
        label: label.into(),
        group_id: String::new(),
    };
    Devices {
        listed: true,
        microphones: vec![
            d("default", "Default - Headset"),
            d("m1", "Headset mic"),
            d("m2", ""),
        ],
        speakers: vec![d("default", "Default - Headset"), d("s1", "Headset")],
        microphone: "m1".into(),
        speaker: String::new(),
        speaker_selectable: true,
        notice: None,
        ..Devices::default()
    }
}

async fn settings(
    devices: Devices,
    audio_test: AudioTest,
    in_call: bool,
) -> (Element, Rc<RefCell<Vec<UserCommand>>>) {
    let (log, on_command) = recorder();
    let root = render::<SettingsPanel>(SettingsPanelProps {
        devices,
        audio_test,
        auto_answer: AutoAnswerStatus::On { delay_ms: 2000 },
        tone: true,
        in_call,
        on_command,
    })
    .await;
    (root, log)
}

fn options(root: &Element, select: &str) -> Vec<(String, String, bool)> {
    let list = root
        .query_selector_all(&format!("{select} option"))
        .unwrap();
    (0..list.length())
        .map(|i| {
            let o: web_sys::HtmlOptionElement = list.get(i).unwrap().dyn_into().unwrap();
            (o.value(), o.text(), o.selected())
        })
        .collect()
}

#[wasm_bindgen_test]
async fn settings_list_devices_with_labels_and_the_choice_selected() {
    let (root, log) = settings(devices(), AudioTest::Idle, false).await;
    assert_eq!(
        options(&root, ".ttec-select--microphone"),
        vec![
            ("".into(), "Default microphone".into(), false),
            ("m1".into(), "Headset mic".into(), true),
            ("m2".into(), "Microphone m2".into(), false),
        ]
    );
    assert_eq!(
        options(&root, ".ttec-select--speaker")[0],
        ("".into(), "Default speaker".into(), true)
    );
    assert_eq!(
        attr(&root, ".ttec-select--microphone", "id"),
        attr(&root, "label[for=ttec-select-microphone]", "for"),
        "labelled"
    );
    // Choosing a device sends its id.
    let select: web_sys::HtmlSelectElement = root
        .query_selector(".ttec-select--speaker")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    select.set_value("s1");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    assert_eq!(
        *log.borrow(),
        vec![UserCommand::ChooseDevice {
            kind: DeviceKind::Speaker,
            id: "s1".into()
        }]
    );
    assert_eq!(
        text(&root, ".ttec-settings__autoanswer").as_deref(),
        Some("Auto-answer on, after 2 s. Answer tone on. Set by your administrator.")
    );
}

#[wasm_bindgen_test]
async fn settings_explain_hidden_labels_and_a_fixed_speaker() {
    let mut hidden = devices();
    hidden.speaker_selectable = false;
    for d in hidden
        .microphones
        .iter_mut()
        .chain(hidden.speakers.iter_mut())
    {
        d.label.clear();
    }
    let (root, _) = settings(hidden, AudioTest::Idle, false).await;
    let hints: Vec<String> = {
        let list = root.query_selector_all(".ttec-hint").unwrap();
        (0..list.length())
            .map(|i| list.get(i).unwrap().text_content().unwrap())
            .collect()
    };
    assert_eq!(
        hints,
        vec![
            "This browser cannot choose the speaker: sound plays on the system's default device."
                .to_string(),
            "Device names appear once you allow the microphone: run the audio test.".to_string(),
        ]
    );
    let speaker: web_sys::HtmlSelectElement = root
        .query_selector(".ttec-select--speaker")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert!(speaker.disabled());
}

#[wasm_bindgen_test]
async fn settings_say_which_chosen_device_is_missing_and_what_plays_instead() {
    let mut missing = devices();
    missing.chosen_speaker = Some(AudioDevice {
        id: "gone".into(),
        group_id: "g".into(),
        label: "Jabra Out".into(),
    });
    let (root, _) = settings(missing, AudioTest::Idle, false).await;
    assert_eq!(
        text(&root, ".ttec-hint").as_deref(),
        Some("Jabra Out is not connected: Default - Headset plays instead until it is back.")
    );
    assert_eq!(count(&root, ".ttec-hint"), 1);
    assert_eq!(count(&root, ".ttec-settings__pick-speaker"), 0);
}

#[wasm_bindgen_test]
async fn settings_offer_the_browsers_speaker_chooser_when_no_speaker_is_listed() {
    let mut firefox = devices();
    firefox.speakers.clear();
    firefox.speaker_picker = true;
    firefox.chosen_speaker = Some(AudioDevice {
        id: "old".into(),
        group_id: String::new(),
        label: "Jabra Out".into(),
    });
    let (root, log) = settings(firefox, AudioTest::Idle, false).await;
    assert_eq!(
        text(&root, ".ttec-settings__pick-speaker").as_deref(),
        Some("Choose speaker\u{2026}")
    );
    click(&root, ".ttec-settings__pick-speaker");
    assert_eq!(*log.borrow(), vec![UserCommand::PickSpeaker]);
}

#[wasm_bindgen_test]
async fn audio_test_states_idle_running_failed_and_in_call() {
    let (root, log) = settings(devices(), AudioTest::Idle, false).await;
    assert_eq!(
        text(&root, ".ttec-audiotest__button").as_deref(),
        Some("Test audio")
    );
    assert_eq!(
        text(&root, ".ttec-audiotest__status").as_deref(),
        Some(
            "Plays a short sound on the speaker and shows your microphone level. Nobody is called."
        )
    );
    click(&root, ".ttec-audiotest__button");
    assert_eq!(*log.borrow(), vec![UserCommand::StartAudioTest]);

    let (root, log) = settings(
        devices(),
        AudioTest::Running {
            level: 42,
            playing: true,
        },
        false,
    )
    .await;
    assert_eq!(
        text(&root, ".ttec-audiotest__button").as_deref(),
        Some("Stop test")
    );
    // A native <meter>: no inline `style` attribute, which gadget.html's CSP blocks.
    assert_eq!(
        attr(&root, "meter.ttec-meter", "value").as_deref(),
        Some("42")
    );
    assert_eq!(
        attr(&root, "meter.ttec-meter", "aria-label").as_deref(),
        Some("Microphone level")
    );
    assert!(root.query_selector("[style]").unwrap().is_none());
    assert_eq!(
        text(&root, ".ttec-audiotest__status").as_deref(),
        Some("Playing the test sound\u{2026} speak: the bar should move.")
    );
    click(&root, ".ttec-audiotest__button");
    assert_eq!(*log.borrow(), vec![UserCommand::StopAudioTest]);

    let (root, _) = settings(
        devices(),
        AudioTest::Failed("No microphone found: plug in your headset, then try again.".into()),
        false,
    )
    .await;
    assert_eq!(
        text(&root, ".ttec-audiotest__status").as_deref(),
        Some("No microphone found: plug in your headset, then try again.")
    );

    let (root, log) = settings(devices(), AudioTest::Idle, true).await;
    assert_eq!(
        text(&root, ".ttec-audiotest__status").as_deref(),
        Some("Not available during a call.")
    );
    click(&root, ".ttec-audiotest__button");
    assert!(log.borrow().is_empty(), "disabled during a call");
}

#[wasm_bindgen_test]
async fn diagnostics_show_redacted_timestamped_entries_and_send_copy_and_download() {
    let mut state = PhoneState::default();
    for (i, text) in [
        "REGISTER sip:x SIP/2.0\r\nAuthorization: Digest username=\"3000\", response=\"c0ffee\", cnonce=\"beef\"\r\n",
        "{\"token\":\"tok-123\",\"password\":\"hunter2\"}",
    ]
    .into_iter()
    .enumerate()
    {
        state = reduce(
            &state,
            Action::Trace(TraceEntry { at: 1_000 * i as u64, kind: TraceKind::SipOut, text: text.into() }),
        );
    }
    let (log, on_command) = recorder();
    let root = render::<DiagnosticsPanel>(DiagnosticsPanelProps {
        trace: state.trace.clone(),
        on_command,
    })
    .await;
    let html = root.inner_html();
    for secret in ["c0ffee", "beef", "tok-123", "hunter2"] {
        assert!(!html.contains(secret), "{secret} leaked into the DOM");
    }
    assert_eq!(count(&root, ".ttec-trace__entry"), 2);
    assert_eq!(
        text(&root, ".ttec-trace__entry .ttec-trace__meta").as_deref(),
        Some("1970-01-01T00:00:00.000Z SIP out")
    );
    assert!(html.contains("Authorization: Digest [redacted]"));
    click(&root, ".ttec-diagnostics__copy");
    click(&root, ".ttec-diagnostics__download");
    click(&root, ".ttec-panel__close");
    assert_eq!(
        *log.borrow(),
        vec![
            UserCommand::CopyTrace,
            UserCommand::DownloadTrace,
            UserCommand::OpenPanel(None)
        ]
    );
}

#[wasm_bindgen_test]
async fn dialpad_dials_through_the_command_channel_and_not_while_busy() {
    let (log, on_command) = recorder();
    let root = render::<Dialpad>(DialpadProps {
        busy: false,
        on_command,
    })
    .await;
    for key in ["3", "0", "0", "1"] {
        click(
            &root,
            &format!(".ttec-dialpad__key[aria-label='Digit {key}']"),
        );
    }
    settle().await;
    let input: web_sys::HtmlInputElement = root
        .query_selector(".ttec-dialpad__number")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(input.value(), "3001");
    click(&root, ".ttec-dialpad__call");
    assert_eq!(
        *log.borrow(),
        vec![UserCommand::Call {
            target: "3001".into()
        }]
    );
    assert_eq!(
        ttecphone_components::dialpad::clean_number(" +1 (555) 12-34;x"),
        "+15551234"
    );

    let (log, on_command) = recorder();
    let root = render::<Dialpad>(DialpadProps {
        busy: true,
        on_command,
    })
    .await;
    click(&root, ".ttec-dialpad__key[aria-label='Digit 5']");
    settle().await;
    click(&root, ".ttec-dialpad__call");
    assert!(log.borrow().is_empty());
}

#[wasm_bindgen_test]
async fn dialpad_and_its_button_exist_only_with_dev_features() {
    let registered = PhoneState {
        registration: Registration::Registered { expires_s: 600 },
        ..PhoneState::default()
    };
    let (root, _) = bar(
        registered.clone(),
        vec![Action::OpenPanel(Some(Panel::Dialpad))],
    )
    .await;
    assert_eq!(count(&root, ".ttec-tool--dialpad"), 0);
    assert_eq!(count(&root, ".ttec-dialpad"), 0);
    let dev = PhoneState {
        dev_features: true,
        ..registered
    };
    let (root, _) = bar(dev, vec![Action::OpenPanel(Some(Panel::Dialpad))]).await;
    assert_eq!(count(&root, ".ttec-dialpad"), 1);
    assert_eq!(
        attr(&root, ".ttec-tool--dialpad", "aria-expanded").as_deref(),
        Some("true")
    );
}

#[wasm_bindgen_test]
async fn tools_open_and_close_popovers_through_commands() {
    let registered = PhoneState {
        registration: Registration::Registered { expires_s: 600 },
        ..PhoneState::default()
    };
    let (root, log) = bar(registered.clone(), vec![]).await;
    assert_eq!(
        attr(&root, ".ttec-tool--settings", "aria-expanded").as_deref(),
        Some("false")
    );
    click(&root, ".ttec-tool--settings");
    click(&root, ".ttec-tool--diagnostics");
    assert_eq!(
        *log.borrow(),
        vec![
            UserCommand::OpenPanel(Some(Panel::Settings)),
            UserCommand::OpenPanel(Some(Panel::Diagnostics))
        ]
    );
    assert_eq!(count(&root, ".ttec-panel"), 0, "hidden by default");
    let (root, log) = bar(
        registered,
        vec![Action::OpenPanel(Some(Panel::Diagnostics))],
    )
    .await;
    assert_eq!(count(&root, ".ttec-diagnostics"), 1);
    click(&root, ".ttec-tool--diagnostics");
    assert_eq!(*log.borrow(), vec![UserCommand::OpenPanel(None)]);
}

#[wasm_bindgen_test]
async fn device_fallback_notice_is_shown_and_dismissed() {
    let (root, log) = bar(
        PhoneState::default(),
        vec![
            Action::DevicesListed {
                microphones: vec![AudioDevice {
                    id: "h1".into(),
                    label: "USB headset".into(),
                    group_id: String::new(),
                }],
                speakers: vec![],
                speaker_selectable: true,
                speaker_picker: false,
            },
            Action::DeviceChosen {
                kind: DeviceKind::Microphone,
                id: "h1".into(),
            },
            Action::DevicesListed {
                microphones: vec![],
                speakers: vec![],
                speaker_selectable: true,
                speaker_picker: false,
            },
        ],
    )
    .await;
    assert_eq!(
        text(&root, ".ttec-notice__text").as_deref(),
        Some("USB headset was disconnected: using the default microphone now.")
    );
    assert_eq!(
        attr(&root, ".ttec-notice", "role").as_deref(),
        Some("status")
    );
    click(&root, ".ttec-notice__dismiss");
    assert_eq!(*log.borrow(), vec![UserCommand::DismissDeviceNotice]);
}

#[wasm_bindgen_test]
async fn live_region_announces_answered_calls_and_dialing_shows_hang_up() {
    let (root, _) = bar(
        PhoneState::default(),
        vec![
            Action::IncomingCall {
                id: "c1".into(),
                caller_number: "5551234".into(),
                caller_name: Some("Ann".into()),
                answer_at: Some(0),
            },
            Action::Connected {
                id: "c1".into(),
                at: 0,
            },
        ],
    )
    .await;
    assert_eq!(
        text(&root, ".ttec-live").as_deref(),
        Some("Call answered: Ann (5551234).")
    );
    assert_eq!(
        attr(&root, ".ttec-live", "aria-live").as_deref(),
        Some("polite")
    );

    let dev = PhoneState {
        dev_features: true,
        ..PhoneState::default()
    };
    let (root, log) = bar(
        dev,
        vec![Action::Dialing {
            id: "o1".into(),
            number: "3001".into(),
        }],
    )
    .await;
    assert_eq!(text(&root, ".ttec-call__caller").as_deref(), Some("3001"));
    assert_eq!(
        text(&root, ".ttec-call__timer").as_deref(),
        Some("Calling\u{2026}")
    );
    assert_eq!(text(&root, ".ttec-live").as_deref(), Some("Calling 3001."));
    click(&root, ".ttec-call__hangup");
    assert_eq!(
        *log.borrow(),
        vec![UserCommand::HangUp { call: "o1".into() }]
    );
}

#[wasm_bindgen_test]
async fn gallery_renders_every_sample_state_read_only() {
    let items = samples();
    let n = items.len() as u32;
    // Every problem kind the bar can show appears in some sample.
    let codes: std::collections::HashSet<&str> = items
        .iter()
        .flat_map(|(_, s)| problems(s))
        .map(|p| p.code())
        .collect();
    for code in [
        "config-invalid",
        "not-webrtc-agent",
        "broker-credentials",
        "broker-unreachable",
        "connection-lost",
        "microphone-denied",
        "no-microphone",
        "playback-blocked",
        "network-loss",
    ] {
        assert!(codes.contains(code), "no sample shows {code}");
    }
    let root = render::<Gallery>(GalleryProps {
        items,
        commands: Callback::noop(),
    })
    .await;
    assert_eq!(count(&root, ".ttec-gallery__item"), n);
    assert_eq!(count(&root, ".ttec-gallery__item .ttec-bar"), n);
    assert_eq!(
        text(&root, ".ttec-gallery__title").as_deref(),
        Some("Connecting")
    );
    assert_eq!(
        attr(&root, ".ttec-gallery__item", "id").as_deref(),
        Some("connecting")
    );
    assert_eq!(count(&root, ".ttec-settings"), 1);
    assert_eq!(count(&root, ".ttec-diagnostics"), 1);
    assert!(
        !root.inner_html().contains("0badc0de"),
        "the sample trace is redacted too"
    );
}

#[wasm_bindgen_test]
async fn status_detail_stays_when_only_an_audio_problem_is_listed() {
    let (root, _) = bar(
        PhoneState::default(),
        vec![
            Action::Registration(Registration::Unregistered {
                reason: "Logged out of Finesse.".into(),
            }),
            Action::Playback(Playback::Blocked),
        ],
    )
    .await;
    assert_eq!(
        text(&root, ".ttec-registration__detail").as_deref(),
        Some("Logged out of Finesse.")
    );
    assert_eq!(count(&root, "[data-problem=playback-blocked]"), 1);
    let (root, _) = bar(
        PhoneState::default(),
        vec![Action::Registration(Registration::AuthFailed {
            reason: "SIP 403".into(),
        })],
    )
    .await;
    assert!(
        root.query_selector(".ttec-registration__detail")
            .unwrap()
            .is_none(),
        "the problem says it already"
    );
}

#[wasm_bindgen_test]
async fn escape_closes_the_open_popover() {
    let (root, log) = bar(
        PhoneState::default(),
        vec![Action::OpenPanel(Some(Panel::Settings))],
    )
    .await;
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Escape");
    init.set_bubbles(true);
    let event =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    root.query_selector(".ttec-select--microphone")
        .unwrap()
        .unwrap()
        .dispatch_event(&event)
        .unwrap();
    assert_eq!(*log.borrow(), vec![UserCommand::OpenPanel(None)]);
}

use ttecphone_components::TeamBoardView;

use ttecphone_components::team_board::TeamBoardProps;

use ttecphone_components::team::{BoardRow, PeerPhone, TeamMember};

fn board_row(id: &str, name: &str, phone: PeerPhone) -> BoardRow {
    BoardRow {
        member: TeamMember {
            id: id.into(),
            name: name.into(),
            number: Some(format!("30{}", &id[id.len() - 2..])),
            state: AgentState::Ready,
        },
        phone,
    }
}

#[wasm_bindgen_test]
async fn team_board_shows_each_phone_state_as_a_word_and_a_dot() {
    for (phone, word, css) in [
        (PeerPhone::Unknown, "unknown", "unknown"),
        (PeerPhone::Offline, "offline", "offline"),
        (PeerPhone::Idle, "idle", "idle"),
        (PeerPhone::Ringing, "ringing", "ringing"),
        (PeerPhone::InCall, "in call", "in-call"),
        (PeerPhone::OnHold, "on hold", "on-hold"),
        (PeerPhone::NotReported, "state unavailable", "not-reported"),
        (PeerPhone::NoCall, "no call", "no-call"),
        (PeerPhone::Registered, "registered", "registered"),
    ] {
        let root = render::<TeamBoardView>(TeamBoardProps {
            quality: Default::default(),
            rows: vec![
                board_row("agent01", "Alice", phone),
                board_row("agent02", "Bob", PeerPhone::Offline),
            ],
            children: Html::default(),
        })
        .await;
        let first = "tr[data-agent='agent01']";
        assert_eq!(
            text(&root, &format!("{first} .ttec-board__word")).as_deref(),
            Some(word)
        );
        assert_eq!(attr(&root, first, "data-phone").as_deref(), Some(css));
        let dot = attr(&root, &format!("{first} .ttec-dot"), "class").unwrap();
        assert!(dot.contains(&format!("ttec-dot--peer-{css}")), "{dot}");
        assert_eq!(
            attr(&root, &format!("{first} .ttec-dot"), "aria-hidden").as_deref(),
            Some("true")
        );
        assert!(text(&root, &format!("{first} .ttec-board__name"))
            .unwrap()
            .contains("Alice"));
        assert!(text(&root, &format!("{first} .ttec-board__name"))
            .unwrap()
            .contains("3001"));
        assert_eq!(
            text(&root, &format!("{first} .ttec-board__finesse")).as_deref(),
            Some("Ready")
        );
        assert_eq!(
            text(&root, "tr[data-agent='agent02'] .ttec-board__word").as_deref(),
            Some("offline")
        );
        assert!(
            root.query_selector(".ttec-board__toggle")
                .unwrap()
                .is_none(),
            "no gallery, no toggle"
        );
    }
    let empty = render::<TeamBoardView>(TeamBoardProps {
        quality: Default::default(),
        rows: vec![],
        children: Html::default(),
    })
    .await;
    assert!(text(&empty, ".ttec-board__empty")
        .unwrap()
        .contains("No agents"));
}

#[wasm_bindgen_test]
async fn team_board_toggle_opens_the_child_view() {
    let root = render::<TeamBoardView>(TeamBoardProps {
        quality: Default::default(),
        rows: vec![board_row("agent01", "Alice", PeerPhone::Idle)],
        children: html! { <p class="gallery-stub">{ "bars" }</p> },
    })
    .await;
    assert_eq!(
        attr(&root, ".ttec-board__toggle", "aria-expanded").as_deref(),
        Some("false")
    );
    assert!(root.query_selector(".gallery-stub").unwrap().is_none());
    click(&root, ".ttec-board__toggle");
    settle().await;
    assert_eq!(
        attr(&root, ".ttec-board__toggle", "aria-expanded").as_deref(),
        Some("true")
    );
    assert_eq!(text(&root, ".gallery-stub").as_deref(), Some("bars"));
}

#[wasm_bindgen_test]
async fn team_board_says_state_unavailable_with_an_icon_and_one_notice_never_offline() {
    // The bed's Asterisk refused both packages (489) for every agent.
    let root = render::<TeamBoardView>(TeamBoardProps {
        quality: Default::default(),
        rows: vec![
            board_row("agent01", "Alice", PeerPhone::NotReported),
            board_row("agent02", "Bob", PeerPhone::NotReported),
            board_row("agent03", "Carol", PeerPhone::NotReported),
        ],
        children: Html::default(),
    })
    .await;
    for id in ["agent01", "agent02", "agent03"] {
        let row = format!("tr[data-agent='{id}']");
        assert_eq!(
            text(&root, &format!("{row} .ttec-board__word")).as_deref(),
            Some("state unavailable"),
            "the state in words"
        );
        assert_eq!(
            attr(&root, &row, "data-phone").as_deref(),
            Some("not-reported")
        );
        // An icon (a "?" in the dot: shape, not colour only), hidden from screen readers,
        // which read the words.
        let dot = format!("{row} .ttec-dot");
        assert_eq!(text(&root, &dot).as_deref(), Some("?"));
        assert_eq!(attr(&root, &dot, "aria-hidden").as_deref(), Some("true"));
        assert!(attr(&root, &dot, "class")
            .unwrap()
            .contains("ttec-dot--peer-not-reported"));
    }
    let board = text(&root, ".ttec-board").unwrap();
    assert!(!board.contains("offline"), "{board}");
    // The notice once for the board, not per row.
    let notices = root.query_selector_all(".ttec-board__notice").unwrap();
    assert_eq!(notices.length(), 1);
    assert_eq!(
        text(&root, ".ttec-board__notice .ttec-notice__text").as_deref(),
        Some(
            "This phone system does not report agents' phone states (presence); \
             ask your administrator to enable it."
        )
    );
    assert_eq!(
        attr(&root, ".ttec-board__notice", "role").as_deref(),
        Some("status")
    );
    assert_eq!(
        attr(&root, ".ttec-board__notice-icon", "aria-hidden").as_deref(),
        Some("true")
    );
    // The notice comes before the table (read first).
    let html = root.inner_html();
    assert!(html.find("ttec-board__notice").unwrap() < html.find("ttec-board__table").unwrap());
}

#[wasm_bindgen_test]
async fn team_board_notices_only_what_is_missing() {
    // Both packages served (Kamailio): no notice at all, whatever the states.
    let full = render::<TeamBoardView>(TeamBoardProps {
        quality: Default::default(),
        rows: vec![
            board_row("agent01", "Alice", PeerPhone::Offline),
            board_row("agent02", "Bob", PeerPhone::InCall),
            board_row("agent03", "Carol", PeerPhone::Unknown),
        ],
        children: Html::default(),
    })
    .await;
    assert!(full
        .query_selector(".ttec-board__notice")
        .unwrap()
        .is_none());
    assert_eq!(
        text(&full, "tr[data-agent='agent01'] .ttec-dot").as_deref(),
        Some("")
    );
    // Wazo with exten_state (dialog served, reg refused): calls shown, one notice that
    // "no call" may be offline; the in-call agent reads "in call".
    let wazo = render::<TeamBoardView>(TeamBoardProps {
        quality: Default::default(),
        rows: vec![
            board_row("agent01", "Alice", PeerPhone::NoCall),
            board_row("agent02", "Bob", PeerPhone::InCall),
            board_row("agent03", "Carol", PeerPhone::NoCall),
        ],
        children: Html::default(),
    })
    .await;
    assert_eq!(
        wazo.query_selector_all(".ttec-board__notice")
            .unwrap()
            .length(),
        1
    );
    let notice = text(&wazo, ".ttec-board__notice").unwrap();
    assert!(
        notice.contains("not whether their phones are registered"),
        "{notice}"
    );
    assert!(
        notice.contains("\"no call\" can also mean the phone is offline"),
        "{notice}"
    );
    assert_eq!(
        text(&wazo, "tr[data-agent='agent01'] .ttec-board__word").as_deref(),
        Some("no call")
    );
    assert_eq!(
        text(&wazo, "tr[data-agent='agent02'] .ttec-board__word").as_deref(),
        Some("in call")
    );
    // A mixed board (one agent's number refused, another's partly): each notice once.
    let mixed = render::<TeamBoardView>(TeamBoardProps {
        quality: Default::default(),
        rows: vec![
            board_row("agent01", "Alice", PeerPhone::NotReported),
            board_row("agent02", "Bob", PeerPhone::Registered),
            board_row("agent03", "Carol", PeerPhone::NotReported),
        ],
        children: Html::default(),
    })
    .await;
    let notices = mixed.query_selector_all(".ttec-board__notice").unwrap();
    assert_eq!(notices.length(), 2);
    let all = text(&mixed, ".ttec-board").unwrap();
    assert!(all.contains("does not report agents' phone states"));
    assert!(all.contains("registered but not their calls"));
}

#[wasm_bindgen_test]
async fn team_board_shows_a_quality_badge_for_agents_in_a_call_and_says_when_the_collector_fails() {
    use ttecphone_components::team_quality::{FeedError, LineQuality, TeamQuality};
    let rows = || {
        vec![
            board_row("agent01", "Alice", PeerPhone::InCall),
            board_row("agent02", "Bob", PeerPhone::Idle),
        ]
    };
    let live = TeamQuality::default().answered(Ok(vec![LineQuality {
        number: "3001".into(),
        mos: Some(31),
        warning: Some("network-loss"),
        age_s: 4,
    }]));
    let root = render::<TeamBoardView>(TeamBoardProps {
        rows: rows(),
        quality: live.clone(),
        children: Html::default(),
    })
    .await;
    let badge = "tr[data-agent='agent01'] .ttec-board__quality";
    assert_eq!(text(&root, badge).as_deref(), Some("3.1 poor !"));
    assert_eq!(attr(&root, badge, "role").as_deref(), Some("img"));
    assert_eq!(
        attr(&root, badge, "aria-label").as_deref(),
        Some("Call quality poor, MOS 3.1: the agent's network is losing audio; measured 4 s ago")
    );
    assert_eq!(attr(&root, badge, "data-level").as_deref(), Some("2"));
    assert!(attr(&root, badge, "class")
        .unwrap()
        .contains("ttec-board__quality--2"));
    // The badge sits in the phone cell, after the state's word; Bob has no call: nothing.
    assert!(text(&root, "tr[data-agent='agent01'] .ttec-board__phone")
        .unwrap()
        .starts_with("in call"));
    assert!(root
        .query_selector("tr[data-agent='agent02'] .ttec-board__quality")
        .unwrap()
        .is_none());
    assert!(root
        .query_selector(".ttec-board__quality-notice")
        .unwrap()
        .is_none());

    // The collector cannot be read: no badge (an old reading would pass for a live one),
    // and the board says so once, in words.
    let down = live.answered(Err(FeedError::Unreachable(None)));
    let root = render::<TeamBoardView>(TeamBoardProps {
        rows: rows(),
        quality: down,
        children: Html::default(),
    })
    .await;
    assert!(root
        .query_selector(".ttec-board__quality")
        .unwrap()
        .is_none());
    assert_eq!(
        text(&root, ".ttec-board__quality-notice .ttec-notice__text").as_deref(),
        Some("Agents' call quality is not shown: the call quality collector cannot be reached. Trying again in 10 s; if it lasts, tell your administrator.")
    );
    assert_eq!(
        attr(&root, ".ttec-board__quality-notice", "role").as_deref(),
        Some("status")
    );
}

#[wasm_bindgen_test]
fn the_core_status_words_map_to_board_states() {
    use ttecphone_components::team::{reduce_board, TeamAction, TeamBoard};
    for (word, phone) in [
        ("offline", PeerPhone::Offline),
        ("idle", PeerPhone::Idle),
        ("ringing", PeerPhone::Ringing),
        ("in call", PeerPhone::InCall),
        ("on hold", PeerPhone::OnHold),
        ("not reported", PeerPhone::NotReported),
        ("no call", PeerPhone::NoCall),
        ("registered", PeerPhone::Registered),
        ("something new", PeerPhone::Unknown),
    ] {
        assert_eq!(PeerPhone::from_word(word), phone, "{word}");
    }
    // The reducer keeps a not-reported state like any other (a roster reload keeps it).
    let board = TeamBoard {
        active: true,
        rows: vec![board_row("agent01", "Alice", PeerPhone::Unknown)],
        quality: Default::default(),
    };
    let board = reduce_board(
        &board,
        TeamAction::Phone {
            number: "3001".into(),
            phone: PeerPhone::from_word("not reported"),
        },
    );
    assert_eq!(board.rows[0].phone, PeerPhone::NotReported);
    let member = board.rows[0].member.clone();
    let board = reduce_board(&board, TeamAction::Roster(vec![member]));
    assert_eq!(board.rows[0].phone, PeerPhone::NotReported);
}

// ---- Call quality: the indicator and its warning ----

use ttecphone_components::quality::{LiveQuality, QualityWarning};
use ttecphone_components::quality_indicator::QualityIndicatorProps;
use ttecphone_components::QualityIndicator;

fn quality(mos: Option<u8>, warning: Option<QualityWarning>) -> LiveQuality {
    LiveQuality { mos, warning }
}

#[wasm_bindgen_test]
async fn quality_indicator_shows_bars_and_the_mos_in_words_and_text() {
    let cases = [
        (Some(43), "4", "Call quality good, MOS 4.3", "4.3"),
        (Some(37), "3", "Call quality fair, MOS 3.7", "3.7"),
        (Some(32), "2", "Call quality poor, MOS 3.2", "3.2"),
        (Some(25), "1", "Call quality bad, MOS 2.5", "2.5"),
        (
            None,
            "0",
            "Call quality unknown: no audio to measure",
            "\u{2013}",
        ),
    ];
    for (mos, bars, label, shown) in cases {
        let root = render::<QualityIndicator>(QualityIndicatorProps {
            quality: Some(quality(mos, None)),
        })
        .await;
        assert_eq!(attr(&root, ".ttec-quality", "role").as_deref(), Some("img"));
        assert_eq!(
            attr(&root, ".ttec-quality", "aria-label").as_deref(),
            Some(label)
        );
        assert_eq!(
            attr(&root, ".ttec-quality", "data-bars").as_deref(),
            Some(bars)
        );
        // The bars are drawn filled or empty, and the MOS is there as text: not colour alone.
        assert_eq!(count(&root, ".ttec-quality__bar"), 4);
        assert_eq!(
            count(&root, ".ttec-quality__bar--on").to_string(),
            bars,
            "{label}"
        );
        assert_eq!(text(&root, ".ttec-quality__mos").as_deref(), Some(shown));
    }
    let root = render::<QualityIndicator>(QualityIndicatorProps { quality: None }).await;
    assert!(root.query_selector(".ttec-quality").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn the_bar_shows_the_calls_quality_and_its_warning_as_a_status() {
    let call = vec![
        Action::IncomingCall {
            id: "c1".into(),
            caller_number: "5551234".into(),
            caller_name: None,
            answer_at: Some(0),
        },
        Action::Connected {
            id: "c1".into(),
            at: 0,
        },
    ];
    let (root, _) = bar(PhoneState::default(), call.clone()).await;
    assert!(
        root.query_selector(".ttec-quality").unwrap().is_none(),
        "nothing measured yet"
    );

    let mut actions = call.clone();
    actions.push(Action::Quality {
        id: "c1".into(),
        live: Some(quality(
            Some(36),
            Some(QualityWarning::NetworkLoss { loss: 8 }),
        )),
    });
    let (root, _) = bar(PhoneState::default(), actions).await;
    assert_eq!(
        attr(&root, ".ttec-quality", "aria-label").as_deref(),
        Some("Call quality fair, MOS 3.6")
    );
    let item = "[data-problem=network-loss]";
    assert_eq!(attr(&root, item, "role").as_deref(), Some("status"));
    assert_eq!(
        text(&root, &format!("{item} .ttec-problem__title")).as_deref(),
        Some("Your network is losing audio (8 % lost).")
    );
    assert_eq!(
        text(&root, &format!("{item} .ttec-problem__next")).as_deref(),
        Some("Move closer to Wi-Fi or use a cable.")
    );
    assert_eq!(
        text(&root, &format!("{item} .ttec-problem__icon")).as_deref(),
        Some("!")
    );

    // The cause went away: the warning clears, the indicator stays.
    let mut actions = call.clone();
    actions.push(Action::Quality {
        id: "c1".into(),
        live: Some(quality(Some(36), Some(QualityWarning::SilentMicrophone))),
    });
    actions.push(Action::Quality {
        id: "c1".into(),
        live: Some(quality(Some(44), None)),
    });
    let (root, _) = bar(PhoneState::default(), actions).await;
    assert!(root.query_selector("[data-problem]").unwrap().is_none());
    assert_eq!(
        attr(&root, ".ttec-quality", "data-bars").as_deref(),
        Some("4")
    );

    // The call ends: no indicator, no warning.
    let mut actions = call;
    actions.push(Action::Quality {
        id: "c1".into(),
        live: Some(quality(Some(30), Some(QualityWarning::SilentMicrophone))),
    });
    actions.push(Action::Ended {
        id: "c1".into(),
        reason: "Call ended.".into(),
    });
    let (root, _) = bar(PhoneState::default(), actions).await;
    assert!(root.query_selector(".ttec-quality").unwrap().is_none());
    assert!(root
        .query_selector("[data-problem=silent-microphone]")
        .unwrap()
        .is_none());
}
