//! Native tests of routing follows the phone (`components/src/routing.rs`), through the
//! store's reducer as the page drives it: the phone's condition, the agent's Finesse
//! state, calls, the clock, Finesse's answers and the agent's Go Ready.
#![cfg(not(target_arch = "wasm32"))]

use ttecphone_components::config::ConfigBuilder;
use ttecphone_components::problems::{problems, Problem};
use ttecphone_components::routing::{step, Cause, Notice, Phone, Request, RoutingConfig, View};
use ttecphone_components::store::*;

const ON: RoutingConfig = RoutingConfig {
    enabled: true,
    reason_code_id: Some(42),
    grace_ms: 20_000,
    auto_ready: false,
};

fn run(state: &PhoneState, actions: impl IntoIterator<Item = Action>) -> PhoneState {
    actions
        .into_iter()
        .fold(state.clone(), |s, a| reduce(&s, a))
}

fn agent(state: AgentState) -> AgentInfo {
    AgentInfo {
        id: "agent3000".into(),
        extension: "2000".into(),
        mobile_agent: true,
        supervisor: false,
        webrtc_number: Some("3000".into()),
        state,
    }
}

/// A Ready agent, registered, routing configured with `config`, at t = 1 s.
fn ready_with(config: RoutingConfig) -> PhoneState {
    run(
        &PhoneState::default(),
        [
            Action::Tick(1_000),
            Action::Configured {
                auto_answer: AutoAnswer::default(),
                dev_features: false,
                routing: config,
            },
            Action::AgentLoaded(agent(AgentState::Ready)),
            Action::Registration(Registration::Registered { expires_s: 600 }),
        ],
    )
}

fn lost() -> Action {
    Action::Registration(Registration::Reconnecting {
        retry_at: None,
        reason: "socket closed".into(),
    })
}

/// The connection lost at t = 1 s (the next tick dates the outage), then the clock at `until`.
fn down_until(state: &PhoneState, until: Millis) -> PhoneState {
    run(state, [lost(), Action::Tick(1_000), Action::Tick(until)])
}

/// Finesse accepts the first request (202), then its change event: NOT_READY.
fn accepted(state: &PhoneState) -> PhoneState {
    run(
        state,
        [
            Action::RoutingAnswer { id: 1, status: 202 },
            state_is(AgentState::NotReady),
        ],
    )
}

fn registered() -> Action {
    Action::Registration(Registration::Registered { expires_s: 600 })
}

fn state_is(s: AgentState) -> Action {
    Action::AgentStateChanged(s)
}

fn not_ready(id: u32) -> Option<Request> {
    Some(Request {
        id,
        ready: false,
        reason_code_id: Some(42),
    })
}

/// The bar's notice is `notice`, and the latest trace line has `note`.
fn says(state: &PhoneState, notice: Notice, note: &str) {
    assert_eq!(state.routing.notice, Some(notice));
    let last = state.routing.last_note();
    assert!(last.contains(note), "{last}");
}

/// The second request: READY, without a reason code.
const READY_2: Option<Request> = Some(Request {
    id: 2,
    ready: true,
    reason_code_id: None,
});

fn codes(state: &PhoneState) -> Vec<&'static str> {
    problems(state).iter().map(Problem::code).collect()
}

#[test]
fn off_by_default_nothing_happens() {
    let s = ready_with(RoutingConfig::default());
    let s = down_until(&s, 600_000);
    assert_eq!(s.routing.request, None);
    assert_eq!(s.routing.notice, None);
    assert_eq!(s.routing.down, None);
}

#[test]
fn unregistered_past_the_grace_period_makes_a_ready_agent_not_ready_once() {
    let s = run(&ready_with(ON), [lost()]);
    assert_eq!(s.routing.down, Some((1_000, Cause::NotRegistered)));
    assert!(
        s.routing.waiting(s.now),
        "the clock ticks to date the outage"
    );
    assert!(
        !s.routing.dated,
        "the store's time may be stale: the next tick dates it"
    );
    let s = run(&s, [Action::Tick(60_000)]);
    assert_eq!(s.routing.down, Some((60_000, Cause::NotRegistered)));
    assert_eq!(
        s.routing.request, None,
        "a stale clock never skips the grace period"
    );
    assert!(s.routing.waiting(79_999), "and through the grace period");
    let s = run(&s, [Action::Tick(79_999)]);
    assert_eq!(s.routing.request, None, "within the grace period");
    let s = run(&s, [Action::Tick(80_000)]);
    assert_eq!(s.routing.request, not_ready(1));
    assert!(s.routing.pending && s.routing.forced && !s.routing.waiting(s.now));
    let made = Notice::MadeNotReady(Cause::NotRegistered);
    says(&s, made, "setState NOT_READY, reason code 42");
    // Finesse's 202 comes before the change event: no "Ready while down" in between.
    let accepted = run(&s, [Action::RoutingAnswer { id: 1, status: 202 }]);
    assert!(accepted.routing.pending && accepted.routing.accepted);
    says(&accepted, made, "Finesse accepted NOT_READY (HTTP 202)");
    // Finesse: 202, then the change event.
    let s = run(
        &s,
        [
            Action::RoutingAnswer { id: 1, status: 202 },
            state_is(AgentState::NotReady),
            Action::Tick(140_000),
        ],
    );
    assert!(!s.routing.pending, "the change event ended the request");
    assert_eq!(s.routing.request, not_ready(1), "no second request");
    assert!(codes(&s).contains(&"routing-not-ready"));
}

#[test]
fn a_quick_reconnect_inside_the_grace_period_changes_nothing() {
    let s = run(&down_until(&ready_with(ON), 15_000), [registered()]);
    assert_eq!(s.routing.request, None);
    assert_eq!(s.routing.notice, None);
    assert_eq!(s.routing.down, None);
    assert!(s
        .routing
        .last_note()
        .contains("can answer again after 14 s"));
}

#[test]
fn refused_sign_in_and_microphone_count_at_once() {
    for action in [
        Action::Registration(Registration::AuthFailed {
            reason: "SIP 403".into(),
        }),
        Action::MediaProblem(Some(MediaProblem::MicrophoneDenied)),
        Action::MediaProblem(Some(MediaProblem::NoMicrophone)),
    ] {
        let s = run(&ready_with(ON), [action.clone()]);
        assert_eq!(s.routing.request, not_ready(1), "{action:?}");
    }
    let refused = run(
        &ready_with(ON),
        [Action::Registration(Registration::AuthFailed {
            reason: "SIP 403".into(),
        })],
    );
    assert_eq!(
        refused.routing.notice,
        Some(Notice::MadeNotReady(Cause::SignInRefused))
    );
}

#[test]
fn the_clock_stops_once_nothing_more_can_be_due() {
    // A Not Ready agent and a refused sign-in: dated at the next tick, then no ticking.
    let s = run(
        &ready_with(ON),
        [
            state_is(AgentState::NotReady),
            Action::Registration(Registration::AuthFailed {
                reason: "SIP 403".into(),
            }),
        ],
    );
    assert!(s.routing.waiting(s.now));
    let s = run(&s, [Action::Tick(2_000)]);
    assert!(!s.routing.waiting(s.now));
    // Past the grace period with a Not Ready agent: no ticking; going Ready still counts.
    let s = down_until(
        &run(&ready_with(ON), [state_is(AgentState::NotReady)]),
        2_000,
    );
    assert!(s.routing.waiting(s.now));
    let s = run(&s, [Action::Tick(21_000)]);
    assert!(!s.routing.waiting(s.now));
    let s = run(&s, [state_is(AgentState::Ready)]);
    assert_eq!(s.routing.request, not_ready(1));
}

#[test]
fn sound_blocked_counts_after_the_grace_period() {
    let s = run(
        &ready_with(ON),
        [Action::Playback(Playback::Blocked), Action::Tick(1_000)],
    );
    assert_eq!(s.routing.request, None);
    let s = run(&s, [Action::Tick(21_000)]);
    assert_eq!(
        s.routing.notice,
        Some(Notice::MadeNotReady(Cause::SoundBlocked))
    );
}

#[test]
fn never_during_a_call_nor_in_a_call_state() {
    let call = Action::IncomingCall {
        id: "c1".into(),
        caller_number: "5551234".into(),
        caller_name: None,
        answer_at: Some(1_000),
    };
    let s = down_until(&run(&ready_with(ON), [call]), 60_000);
    assert_eq!(s.routing.request, None, "a call is up");
    // The call ends: the phone is still down and the agent Ready: now.
    let s = run(
        &s,
        [Action::Ended {
            id: "c1".into(),
            reason: "Call ended.".into(),
        }],
    );
    assert_eq!(s.routing.request, not_ready(1));
    for busy in [
        AgentState::Reserved,
        AgentState::Talking,
        AgentState::Hold,
        AgentState::Work,
        AgentState::NotReady,
        AgentState::Unknown,
    ] {
        let s = down_until(&run(&ready_with(ON), [state_is(busy.clone())]), 60_000);
        assert_eq!(s.routing.request, None, "{busy:?}");
    }
}

#[test]
fn an_agent_who_goes_ready_during_the_outage_is_told_not_forced_again() {
    let s = accepted(&down_until(&ready_with(ON), 21_000));
    // The agent clicks Ready in Finesse while the phone is still down.
    let s = run(&s, [state_is(AgentState::Ready), Action::Tick(90_000)]);
    assert_eq!(s.routing.request, not_ready(1), "not forced a second time");
    assert_eq!(
        s.routing.notice,
        Some(Notice::ReadyWhileDown(Cause::NotRegistered))
    );
    assert!(codes(&s).contains(&"routing-ready-while-down"));
    assert!(s.routing.last_note().contains("not forced again"));
    // The phone is back: that outage is over, nothing to offer (the agent is Ready).
    let s = run(&s, [registered()]);
    assert_eq!(s.routing.notice, None);
    // A new outage later: the rule starts again.
    let s = down_until(&s, 200_000);
    assert_eq!(s.routing.request, not_ready(2));
}

#[test]
fn back_up_offers_one_go_ready_that_asks_finesse_for_ready() {
    let s = run(
        &ready_with(ON),
        [
            Action::Registration(Registration::AuthFailed {
                reason: "SIP 403".into(),
            }),
            Action::RoutingAnswer { id: 1, status: 202 },
            state_is(AgentState::NotReady),
            Action::Tick(5_000),
            registered(),
        ],
    );
    assert_eq!(s.routing.notice, Some(Notice::BackUp));
    let p = problems(&s);
    let offer = p.iter().find(|p| p.code() == "routing-go-ready").unwrap();
    assert_eq!(offer.action(), Some(("Go Ready", UserCommand::GoReady)));
    assert_eq!(
        s.routing.request,
        not_ready(1),
        "never automatic by default"
    );
    let s = run(&s, [Action::GoReady]);
    assert_eq!(s.routing.request, READY_2);
    assert_eq!(s.routing.notice, None);
    // A second click does nothing more.
    let again = run(&s, [Action::GoReady]);
    assert_eq!(again.routing.request, s.routing.request);
}

#[test]
fn the_offer_goes_when_the_agent_changes_state_and_is_not_made_after_the_agent_moved() {
    let down = accepted(&run(
        &ready_with(ON),
        [Action::MediaProblem(Some(MediaProblem::NoMicrophone))],
    ));
    let s = run(&down, [Action::MediaProblem(None)]);
    assert_eq!(s.routing.notice, Some(Notice::BackUp));
    let s = run(&s, [state_is(AgentState::Ready)]);
    assert_eq!(s.routing.notice, None, "the agent went Ready in Finesse");
    // The agent logged... went to Work during the outage: nothing offered.
    let s = run(
        &down,
        [state_is(AgentState::Work), Action::MediaProblem(None)],
    );
    assert_eq!(s.routing.notice, None);
}

#[test]
fn auto_ready_when_the_administrator_turned_it_on() {
    let auto = RoutingConfig {
        auto_ready: true,
        ..ON
    };
    let s = run(
        &down_until(&ready_with(auto), 21_000),
        [
            Action::RoutingAnswer { id: 1, status: 202 },
            state_is(AgentState::NotReady),
            registered(),
        ],
    );
    assert_eq!(s.routing.request, READY_2);
    assert_eq!(s.routing.notice, Some(Notice::MadeReady));
    assert!(s.routing.last_note().contains("routingAutoReady"));
}

#[test]
fn finesse_refusing_is_said_and_not_retried() {
    let s = run(
        &ready_with(ON),
        [
            Action::MediaProblem(Some(MediaProblem::MicrophoneDenied)),
            Action::RoutingAnswer { id: 1, status: 400 },
            Action::Tick(100_000),
        ],
    );
    assert_eq!(
        s.routing.notice,
        Some(Notice::Refused {
            ready: false,
            status: 400
        })
    );
    assert_eq!(s.routing.request, not_ready(1));
    let p = problems(&s);
    let refused = p.iter().find(|p| p.code() == "routing-refused").unwrap();
    assert_eq!(
        refused.title(),
        "Finesse did not make you Not Ready (HTTP 400)."
    );
    // An answer for another request changes nothing.
    let other = run(&s, [Action::RoutingAnswer { id: 9, status: 202 }]);
    assert_eq!(other.routing, s.routing);
}

#[test]
fn not_this_tabs_phone_changes_nothing() {
    let other_tab = Action::Registration(Registration::Unregistered {
        reason: "Phone active in another tab or window".into(),
    });
    let s = run(&ready_with(ON), [other_tab, Action::Tick(100_000)]);
    assert_eq!(s.routing.request, None);
    let mut preview = ready_with(ON);
    preview.board.active = true;
    preview.registration = Registration::AuthFailed { reason: "x".into() };
    assert_eq!(Phone::of(&preview), Phone::NotMine);
    let not_webrtc = run(
        &PhoneState::default(),
        [Action::AgentLoaded(AgentInfo {
            mobile_agent: false,
            ..agent(AgentState::Ready)
        })],
    );
    assert_eq!(Phone::of(&not_webrtc), Phone::NotMine);
}

#[test]
fn the_words_name_the_cause_and_one_next_step() {
    let s = run(
        &ready_with(ON),
        [Action::MediaProblem(Some(MediaProblem::MicrophoneDenied))],
    );
    let p = problems(&s);
    let made = p.iter().find(|p| p.code() == "routing-not-ready").unwrap();
    assert_eq!(
        made.title(),
        "You were made Not Ready in Finesse: the phone cannot answer calls (the microphone is blocked)."
    );
    assert_eq!(
        made.next_step(),
        "Fix what the bar says; you can go Ready here once the phone works again."
    );
    assert_eq!(Problem::Routing(Notice::BackUp).severity(), "action");
}

#[test]
fn trace_lines_between_two_renders_are_all_kept() {
    let s = run(&ready_with(ON), [lost(), Action::Tick(1_000)]);
    let seen = s.routing.notes.0;
    let s = run(
        &s,
        [
            Action::Tick(21_000),
            Action::RoutingAnswer { id: 1, status: 202 },
        ],
    );
    let lines = s.routing.notes_since(seen);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("setState NOT_READY"));
    assert!(lines[1].contains("accepted NOT_READY"));
    assert!(s.routing.notes_since(seen.wrapping_sub(100)).len() <= 4);
}

#[test]
fn step_is_pure_and_idempotent() {
    let s = run(&ready_with(ON), [Action::Tick(1_000)]);
    let view = View::of(&s);
    assert_eq!(step(&s.routing, &view), s.routing);
}

#[test]
fn config_keys_defaults_and_validation() {
    let base = [
        ("TTEC_BROKER_KIND", "sip"),
        ("TTEC_WS_URL", "wss://b.example.com/ws"),
    ];
    let config = ConfigBuilder::default()
        .with_env_defaults(base)
        .finish()
        .unwrap();
    assert_eq!(config.routing, RoutingConfig::default());
    assert!(!config.routing.enabled);
    assert_eq!(config.routing.grace_ms, 20_000);
    let config = ConfigBuilder::default()
        .with_env_defaults(base)
        .with_config_json(
            r#"{"routingNotReady": true, "routingReasonCodeId": 42, "routingGraceS": 5, "routingAutoReady": "true"}"#,
        )
        .finish()
        .unwrap();
    assert_eq!(
        config.routing,
        RoutingConfig {
            enabled: true,
            reason_code_id: Some(42),
            grace_ms: 5_000,
            auto_ready: true
        }
    );
    let env = ConfigBuilder::default()
        .with_env_defaults(
            base.into_iter()
                .chain([("TTEC_ROUTING_REASON_CODE_ID", "7")]),
        )
        .finish()
        .unwrap();
    assert_eq!(env.routing.reason_code_id, Some(7));
    let problems = ConfigBuilder::default()
        .with_env_defaults(base)
        .with_url_parameters([
            ("routingReasonCodeId", "abc"),
            ("routingGraceS", "9999"),
            ("routingNotReady", "maybe"),
        ])
        .finish()
        .unwrap_err();
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        ["routingNotReady", "routingReasonCodeId", "routingGraceS"]
    );
}
