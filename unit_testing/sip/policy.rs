//! The auto-answer policy on its own: busy first, then the Finesse gate, then timing.

use ttecphone_sip::policy::{decide, Decision, Hints};
use ttecphone_sip::wire::parse;
use ttecphone_sip::{AgentState, AutoAnswerConfig};

fn hints(extra: &str) -> Hints {
    let text =
        format!("INVITE sip:3000@x SIP/2.0\r\nVia: SIP/2.0/WSS a;branch=z9hG4bK1\r\n{extra}\r\n");
    Hints::from_invite(&parse(&text).unwrap())
}

#[test]
fn default_gate_answers_reserved_ready_talking_hold_and_rejects_the_rest() {
    let cfg = AutoAnswerConfig::default();
    for s in [
        AgentState::Reserved,
        AgentState::Ready,
        AgentState::Talking,
        AgentState::Hold,
    ] {
        assert_eq!(
            decide(&cfg, &s, false, &Hints::default()),
            Decision::AutoAnswer { delay_ms: 0 },
            "{s:?}"
        );
    }
    for s in [
        AgentState::NotReady,
        AgentState::LoggedOut,
        AgentState::Work,
        AgentState::WorkReady,
        AgentState::Unknown,
    ] {
        assert_eq!(
            decide(&cfg, &s, false, &Hints::default()),
            Decision::Reject { status: 480 },
            "{s:?}"
        );
    }
}

#[test]
fn busy_wins_over_everything() {
    let cfg = AutoAnswerConfig {
        busy_status: 600,
        ..AutoAnswerConfig::default()
    };
    assert_eq!(
        decide(&cfg, &AgentState::NotReady, true, &Hints::default()),
        Decision::Reject { status: 600 }
    );
}

#[test]
fn hints_are_read_and_only_shorten_the_delay() {
    assert!(hints("Answer-Mode: Auto\r\n").answer_mode_auto);
    assert_eq!(
        hints("Call-Info: <sip:x>;answer-after=2\r\n").answer_after_ms,
        Some(2_000)
    );
    assert!(hints("Alert-Info: <http://x/ring>;info=alert-autoanswer\r\n").alert_autoanswer);
    assert_eq!(hints("Answer-Mode: Manual\r\n"), Hints::default());
    let cfg = AutoAnswerConfig {
        delay_ms: 5_000,
        ..AutoAnswerConfig::default()
    };
    let ready = AgentState::Ready;
    assert_eq!(
        decide(
            &cfg,
            &ready,
            false,
            &hints("Call-Info: <sip:x>;answer-after=2\r\n")
        ),
        Decision::AutoAnswer { delay_ms: 2_000 }
    );
    assert_eq!(
        decide(
            &cfg,
            &ready,
            false,
            &hints("Call-Info: <sip:x>;answer-after=9\r\n")
        ),
        Decision::AutoAnswer { delay_ms: 5_000 }
    );
    let strict = AutoAnswerConfig {
        honour_hints: false,
        ..cfg
    };
    assert_eq!(
        decide(&strict, &ready, false, &hints("Answer-Mode: Auto\r\n")),
        Decision::AutoAnswer { delay_ms: 5_000 }
    );
}

#[test]
fn hints_never_bypass_the_gate_and_manual_mode_rings() {
    let cfg = AutoAnswerConfig::default();
    assert_eq!(
        decide(
            &cfg,
            &AgentState::NotReady,
            false,
            &hints("Answer-Mode: Auto\r\n")
        ),
        Decision::Reject { status: 480 }
    );
    let manual = AutoAnswerConfig {
        enabled: false,
        ..cfg
    };
    assert_eq!(
        decide(
            &manual,
            &AgentState::Ready,
            false,
            &hints("Answer-Mode: Auto\r\n")
        ),
        Decision::Ring
    );
}

#[test]
fn finesse_state_names_map() {
    assert_eq!(
        AgentState::from_finesse("RESERVED_OUTBOUND"),
        AgentState::Reserved
    );
    assert_eq!(AgentState::from_finesse("not_ready"), AgentState::NotReady);
    assert_eq!(AgentState::from_finesse("LOGOUT"), AgentState::LoggedOut);
    assert_eq!(
        AgentState::from_finesse("LOGIN"),
        AgentState::Other("LOGIN".into())
    );
}
