//! Browser tests (wasm-bindgen-test in headless Chromium): every state of every
//! component renders the DOM the agent should see, and controls send commands.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::future::TimeoutFuture;
use ttecphone_components::call_controls::format_duration;
use ttecphone_components::media_notice::MediaNoticeProps;
use ttecphone_components::registration_status::RegistrationStatusProps;
use ttecphone_components::store::*;
use ttecphone_components::team::{BoardRow, PeerPhone, TeamMember};
use ttecphone_components::team_board::TeamBoardProps;
use ttecphone_components::TeamBoardView;
use ttecphone_components::{
    AutoAnswerControls, CallControls, ConfigNotice, IncomingCallBanner, MediaNotice, PhoneBar,
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
        Some("Waiting for you to answer")
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
    let (root, _) = bar(
        PhoneState::default(),
        vec![
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
            Action::IncomingCall {
                id: "c1".into(),
                caller_number: "5551234".into(),
                caller_name: None,
                answer_at: Some(3_000),
            },
        ],
    )
    .await;
    assert_eq!(
        text(&root, ".ttec-registration__word").as_deref(),
        Some("Registered")
    );
    assert_eq!(
        text(&root, ".ttec-registration__number").as_deref(),
        Some("3000")
    );
    assert_eq!(
        text(&root, ".ttec-incoming__caller").as_deref(),
        Some("5551234")
    );
    assert_eq!(
        text(&root, ".ttec-incoming__progress").as_deref(),
        Some("Answering in 2 s")
    );
    assert_eq!(
        text(&root, ".ttec-autoanswer__status").as_deref(),
        Some("Auto-answer on")
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
    click(&root, ".ttec-autoanswer__toggle");
    assert_eq!(
        *commands.borrow(),
        vec![
            UserCommand::Answer { call: "c9".into() },
            UserCommand::SetAutoAnswer(true)
        ]
    );
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
        text(&root, ".ttec-config-error li").as_deref(),
        Some("brokerKind: is missing")
    );
    assert_eq!(
        text(&root, ".ttec-registration__word").as_deref(),
        Some("Error")
    );
}

// ---- MediaNotice: a blocked or missing microphone ----

#[wasm_bindgen_test]
async fn media_notice_says_what_to_do_for_each_microphone_problem() {
    for (problem, kind, words) in [
        (
            MediaProblem::MicrophoneBlocked,
            "blocked",
            "Microphone blocked: allow the microphone for this site in the browser's address bar.",
        ),
        (
            MediaProblem::NoMicrophone,
            "missing",
            "No microphone found: plug in your headset.",
        ),
    ] {
        let root = render::<MediaNotice>(MediaNoticeProps {
            problem: Some(problem),
        })
        .await;
        assert_eq!(text(&root, ".ttec-media-problem").as_deref(), Some(words));
        assert_eq!(
            attr(&root, ".ttec-media-problem", "data-problem").as_deref(),
            Some(kind)
        );
        assert_eq!(
            attr(&root, ".ttec-media-problem", "role").as_deref(),
            Some("alert")
        );
    }
    let none = render::<MediaNotice>(MediaNoticeProps { problem: None }).await;
    assert!(none
        .query_selector(".ttec-media-problem")
        .unwrap()
        .is_none());
}

#[wasm_bindgen_test]
async fn phone_bar_shows_a_microphone_problem_until_the_microphone_opens() {
    let (root, _) = bar(
        PhoneState::default(),
        vec![
            Action::Registration(Registration::Registered { expires_s: 600 }),
            Action::MediaProblem(Some(MediaProblem::NoMicrophone)),
        ],
    )
    .await;
    assert_eq!(
        text(&root, ".ttec-media-problem").as_deref(),
        Some("No microphone found: plug in your headset.")
    );
    assert_eq!(
        text(&root, ".ttec-registration__word").as_deref(),
        Some("Registered"),
        "the phone stays registered: only the microphone needs the agent"
    );
    let (fixed, _) = bar(
        PhoneState::default(),
        vec![
            Action::MediaProblem(Some(MediaProblem::NoMicrophone)),
            Action::MediaProblem(None),
        ],
    )
    .await;
    assert!(fixed
        .query_selector(".ttec-media-problem")
        .unwrap()
        .is_none());
}

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
    ] {
        let root = render::<TeamBoardView>(TeamBoardProps {
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
