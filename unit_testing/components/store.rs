//! Native tests of the store's reducer and derived views, and of the config layers.
#![cfg(not(target_arch = "wasm32"))]

use ttecphone_components::config::{BrokerKind, ConfigBuilder, KeepaliveMode, NumberRule};
use ttecphone_components::devices::*;
use ttecphone_components::store::*;

fn reduce_all(actions: impl IntoIterator<Item = Action>) -> PhoneState {
    actions
        .into_iter()
        .fold(PhoneState::default(), |state, action| {
            reduce(&state, action)
        })
}

fn incoming(id: &str, answer_at: Option<Millis>) -> Action {
    Action::IncomingCall {
        id: id.into(),
        caller_number: "5551234".into(),
        caller_name: Some("Jane Doe".into()),
        answer_at,
    }
}

#[test]
fn starts_waiting_for_finesse_with_auto_answer_on() {
    let state = PhoneState::default();
    assert_eq!(state.registration, Registration::Starting);
    assert!(state.call.is_none());
    // Unknown agent state is not in the allowed list: paused until Finesse speaks.
    assert_eq!(
        state.auto_answer_status(),
        AutoAnswerStatus::Paused {
            state: AgentState::Unknown
        }
    );
}

#[test]
fn registration_states_are_all_reachable() {
    for registration in [
        Registration::Connecting,
        Registration::Registering,
        Registration::Registered { expires_s: 600 },
        Registration::Reconnecting {
            retry_at: Some(5_000),
            reason: "closed".into(),
        },
        Registration::Unregistered {
            reason: "Logged out".into(),
        },
        Registration::AuthFailed {
            reason: "401".into(),
        },
        Registration::Failed {
            reason: "boom".into(),
        },
    ] {
        let state = reduce_all([Action::Registration(registration.clone())]);
        assert_eq!(state.registration, registration);
    }
}

#[test]
fn auto_answer_follows_the_agent_state_gate() {
    let ready = reduce_all([Action::AgentStateChanged(AgentState::Reserved)]);
    assert_eq!(
        ready.auto_answer_status(),
        AutoAnswerStatus::On { delay_ms: 0 }
    );
    let not_ready = reduce(&ready, Action::AgentStateChanged(AgentState::NotReady));
    assert_eq!(
        not_ready.auto_answer_status(),
        AutoAnswerStatus::Paused {
            state: AgentState::NotReady
        }
    );
}

#[test]
fn auto_answer_can_be_switched_off_only_with_dev_features() {
    let production = reduce_all([Action::SetAutoAnswer(false)]);
    assert!(
        production.auto_answer.enabled,
        "production ignores the QA switch"
    );

    let qa = reduce_all([
        Action::Configured {
            auto_answer: AutoAnswer::default(),
            dev_features: true,
            routing: Default::default(),
        },
        Action::SetAutoAnswer(false),
    ]);
    assert_eq!(qa.auto_answer_status(), AutoAnswerStatus::Off);
}

#[test]
fn incoming_call_counts_down_then_answers_then_connects_and_ends() {
    let mut state = reduce_all([Action::Tick(10_000), incoming("c1", Some(12_500))]);
    assert_eq!(state.answer_countdown_s(), Some(3));
    state = reduce(&state, Action::Tick(11_600));
    assert_eq!(state.answer_countdown_s(), Some(1));
    state = reduce(&state, Action::Answering { id: "c1".into() });
    assert_eq!(state.call.as_ref().unwrap().phase, CallPhase::Answering);
    state = reduce(
        &state,
        Action::Connected {
            id: "c1".into(),
            at: 12_000,
        },
    );
    state = reduce(&state, Action::Tick(75_000));
    assert_eq!(state.call_elapsed_s(), Some(63));
    state = reduce(
        &state,
        Action::Held {
            id: "c1".into(),
            held: true,
        },
    );
    state = reduce(
        &state,
        Action::Muted {
            id: "c1".into(),
            muted: true,
        },
    );
    assert_eq!(
        state.call.as_ref().unwrap().phase,
        CallPhase::Active {
            since: 12_000,
            held: true,
            muted: true
        }
    );
    state = reduce(
        &state,
        Action::Ended {
            id: "c1".into(),
            reason: "Caller hung up".into(),
        },
    );
    assert!(state.call.is_none());
    assert_eq!(state.last_call_end.as_deref(), Some("Caller hung up"));
}

#[test]
fn a_second_call_does_not_replace_the_first() {
    let state = reduce_all([incoming("c1", None), incoming("c2", None)]);
    assert_eq!(state.call.as_ref().unwrap().id, "c1");
}

#[test]
fn actions_for_another_call_are_ignored() {
    let before = reduce_all([incoming("c1", None)]);
    for action in [
        Action::Answering { id: "other".into() },
        Action::Connected {
            id: "other".into(),
            at: 1,
        },
        Action::Ended {
            id: "other".into(),
            reason: "x".into(),
        },
    ] {
        assert_eq!(reduce(&before, action), before);
    }
}

#[test]
fn clock_never_runs_backwards() {
    let state = reduce_all([Action::Tick(5_000), Action::Tick(4_000)]);
    assert_eq!(state.now, 5_000);
}

#[test]
fn invalid_config_blocks_the_phone_with_the_keys() {
    let problems = vec![ConfigProblem {
        key: "wsUrl".into(),
        message: "is missing".into(),
    }];
    let state = reduce_all([Action::ConfigInvalid(problems.clone())]);
    assert_eq!(state.config_problems, problems);
    assert!(matches!(state.registration, Registration::Failed { .. }));
}

#[test]
fn caller_label_prefers_name_and_number() {
    let call = Call {
        id: "c".into(),
        caller_number: "5551234".into(),
        caller_name: Some("\u{20}Jane Doe ".into()),
        phase: CallPhase::Answering,
    };
    assert_eq!(call.caller_label(), "Jane Doe (5551234)");
    let bare = Call {
        caller_name: Some("5551234".into()),
        ..call
    };
    assert_eq!(bare.caller_label(), "5551234");
}

// ---- configuration layers ----

const ENV: &[(&str, &str)] = &[
    ("TTEC_BROKER_KIND", "wazo"),
    ("TTEC_BROKER_HOST", "wazo.example.com"),
    ("TTEC_AUTO_ANSWER_DELAY_MS", "0"),
    ("TTEC_WEBRTC_NUMBER_RULE", "+2000"),
    ("PATH", "/usr/bin"),
];

#[test]
fn env_defaults_give_a_wazo_config() {
    let config = ConfigBuilder::default()
        .with_env_defaults(ENV.iter().copied())
        .finish()
        .unwrap();
    assert_eq!(config.broker_kind, BrokerKind::Wazo);
    assert_eq!(config.ws_url, "wss://wazo.example.com/api/asterisk/ws");
    assert_eq!(config.sip_domain, "wazo.example.com");
    assert_eq!(config.number_rule.apply("1000").as_deref(), Some("3000"));
    assert_eq!(config.keepalive_s, 30);
    assert_eq!(config.register_expires_s, 600);
}

/// OPTIONS by default (Asterisk never answers a CRLF ping on a WebSocket); `crlf` stays
/// available for brokers that answer it, from every layer; anything else names the key.
#[test]
fn keepalive_mode_defaults_to_options_and_accepts_crlf() {
    let mode = |json: &str| {
        ConfigBuilder::default()
            .with_env_defaults(ENV.iter().copied())
            .with_config_json(json)
            .finish()
            .map(|c| c.keepalive_mode)
    };
    assert_eq!(mode("{}"), Ok(KeepaliveMode::Options));
    assert_eq!(
        mode(r#"{"keepaliveMode": "CRLF"}"#),
        Ok(KeepaliveMode::Crlf)
    );
    assert_eq!(
        mode(r#"{"keepaliveMode": "options"}"#),
        Ok(KeepaliveMode::Options)
    );
    let from_env = ConfigBuilder::default()
        .with_env_defaults(ENV.iter().copied().chain([("TTEC_KEEPALIVE_MODE", "crlf")]))
        .with_url_parameters([("keepaliveS", "20")])
        .finish()
        .unwrap();
    assert_eq!(
        (from_env.keepalive_mode, from_env.keepalive_s),
        (KeepaliveMode::Crlf, 20)
    );
    assert_eq!(
        problem_keys(r#"{"keepaliveMode": "ping"}"#),
        vec!["keepaliveMode"]
    );
}

/// `domainName` (wazo: sent as `domain_name` for LDAP-backed tenants): none by default,
/// from every layer, and a value that is no domain name names the key.
#[test]
fn domain_name_is_optional_and_must_be_a_domain() {
    let domain = |json: &str| {
        ConfigBuilder::default()
            .with_env_defaults(ENV.iter().copied())
            .with_config_json(json)
            .finish()
            .map(|c| c.domain_name)
    };
    assert_eq!(domain("{}"), Ok(None));
    assert_eq!(
        domain(r#"{"domainName": "ttec.example"}"#),
        Ok(Some("ttec.example".into()))
    );
    assert_eq!(domain(r#"{"domainName": " "}"#), Ok(None));
    let from_env = ConfigBuilder::default()
        .with_env_defaults(
            ENV.iter()
                .copied()
                .chain([("TTEC_DOMAIN_NAME", "corp.example.com")]),
        )
        .with_url_parameters([("domainName", "ldap.example.org")])
        .finish()
        .unwrap();
    assert_eq!(from_env.domain_name.as_deref(), Some("ldap.example.org"));
    for bad in [
        "https://ttec.example",
        "ttec.example:443",
        "ttec",
        "ttec.example/x",
        "-a.example",
    ] {
        assert_eq!(
            problem_keys(&format!(r#"{{"domainName": "{bad}"}}"#)),
            vec!["domainName"],
            "{bad}"
        );
    }
}

#[test]
fn config_json_then_url_parameters_override_defaults() {
    let config = ConfigBuilder::default()
        .with_env_defaults(ENV.iter().copied())
        .with_config_json(
            r#"{"autoAnswerDelayMs": 1500, "autoAnswerStates": ["READY","RESERVED"],
            "iceServers": [{"urls": "stun:stun.example.com:3478"}]}"#,
        )
        .with_url_parameters([("autoAnswerDelayMs", "2500"), ("unrelatedFinessePref", "x")])
        .finish()
        .unwrap();
    assert_eq!(config.auto_answer.delay_ms, 2500);
    assert_eq!(
        config.auto_answer.allowed_states,
        vec![AgentState::Ready, AgentState::Reserved]
    );
    assert_eq!(config.ice_servers.len(), 1);
    assert_eq!(
        config.ice_servers[0].urls,
        vec!["stun:stun.example.com:3478"]
    );
}

fn problem_keys(json: &str) -> Vec<String> {
    ConfigBuilder::default()
        .with_env_defaults(ENV.iter().copied())
        .with_config_json(json)
        .finish()
        .unwrap_err()
        .into_iter()
        .map(|p| p.key)
        .collect()
}

#[test]
fn every_invalid_value_is_named_by_its_key() {
    assert_eq!(
        problem_keys(r#"{"brokerKind": "asterisk"}"#),
        vec!["brokerKind"]
    );
    assert_eq!(
        problem_keys(r#"{"autoAnswerDelayMs": -1}"#),
        vec!["autoAnswerDelayMs"]
    );
    assert_eq!(
        problem_keys(r#"{"autoAnswerStates": "READY,SLEEPING"}"#),
        vec!["autoAnswerStates"]
    );
    assert_eq!(
        problem_keys(r#"{"iceServers": "[{\"urls\": \"http://x\"}]"}"#),
        vec!["iceServers"]
    );
    assert_eq!(
        problem_keys(r#"{"webrtcNumberRule": "+abc"}"#),
        vec!["webrtcNumberRule"]
    );
    assert_eq!(problem_keys(r#"{"keepaliveS": 1000}"#), vec!["keepaliveS"]);
    assert_eq!(
        problem_keys(r#"{"answerTone": "loud"}"#),
        vec!["answerTone"]
    );
    assert_eq!(
        problem_keys(r#"{"autoAnswerDelay": 5}"#),
        vec!["autoAnswerDelay"]
    );
    assert_eq!(problem_keys("not json"), vec!["config.json"]);
    assert_eq!(
        problem_keys(r#"{"brokerHost": "https://x/y"}"#),
        vec!["brokerHost"]
    );
}

#[test]
fn missing_broker_settings_are_reported() {
    let problems = ConfigBuilder::default().finish().unwrap_err();
    assert_eq!(problems[0].key, "brokerKind");
    let sip_without_url = ConfigBuilder::default()
        .with_url_parameters([("brokerKind", "sip")])
        .finish()
        .unwrap_err();
    assert_eq!(sip_without_url[0].key, "wsUrl");
}

#[test]
fn plain_websocket_only_for_loopback_or_dev() {
    let remote = ConfigBuilder::default()
        .with_url_parameters([("brokerKind", "sip"), ("wsUrl", "ws://sip.example.com/ws")])
        .finish()
        .unwrap_err();
    assert_eq!(remote[0].key, "wsUrl");
    let local = ConfigBuilder::default()
        .with_url_parameters([("brokerKind", "sip"), ("wsUrl", "ws://127.0.0.1:8088/ws")])
        .finish()
        .unwrap();
    assert_eq!(local.sip_domain, "127.0.0.1");
}

#[test]
fn auto_answer_off_needs_a_qa_build() {
    let prod = ConfigBuilder::default()
        .with_env_defaults(ENV.iter().copied())
        .with_url_parameters([("autoAnswer", "false")])
        .finish()
        .unwrap_err();
    assert_eq!(prod[0].key, "autoAnswer");
    let qa = ConfigBuilder::default()
        .with_env_defaults(ENV.iter().copied())
        .with_url_parameters([("autoAnswer", "false"), ("devFeatures", "true")])
        .finish()
        .unwrap();
    assert!(!qa.auto_answer.enabled);
}

#[test]
fn number_rules() {
    assert_eq!(
        NumberRule::parse("+2000").unwrap().apply("1000").as_deref(),
        Some("3000")
    );
    assert_eq!(
        NumberRule::parse("+2000").unwrap().apply("0100").as_deref(),
        Some("2100")
    );
    assert_eq!(NumberRule::parse("+2000").unwrap().apply("sip:x"), None);
    assert_eq!(
        NumberRule::parse("prefix:3")
            .unwrap()
            .apply("1042")
            .as_deref(),
        Some("3042")
    );
    let map = NumberRule::parse("map:1000=3000, 1001=3101").unwrap();
    assert_eq!(map.apply("1001").as_deref(), Some("3101"));
    assert_eq!(map.apply("1002"), None);
    assert_eq!(NumberRule::parse("none").unwrap(), NumberRule::None);
    assert!(NumberRule::parse("prefix:x").is_err());
    assert!(NumberRule::parse("map:1000").is_err());
}

#[test]
fn ice_server_credentials_are_not_printed() {
    let config = ConfigBuilder::default()
        .with_env_defaults(ENV.iter().copied())
        .with_config_json(r#"{"iceServers":[{"urls":["turn:t.example.com"],"username":"u","credential":"s3cret-turn"}]}"#)
        .finish()
        .unwrap();
    assert!(!format!("{config:?}").contains("s3cret-turn"));
    assert_eq!(
        config.ice_servers[0].credential.as_deref(),
        Some("s3cret-turn")
    );
}

// ---- issue 5: devices, problems, panels, announcements, tone ----

use ttecphone_components::problems::{problems, Problem};

fn device(id: &str, label: &str) -> AudioDevice {
    AudioDevice {
        id: id.into(),
        label: label.into(),
        group_id: String::new(),
    }
}

fn listed(mics: &[(&str, &str)], speakers: &[(&str, &str)]) -> Action {
    Action::DevicesListed {
        microphones: mics.iter().map(|(i, l)| device(i, l)).collect(),
        speakers: speakers.iter().map(|(i, l)| device(i, l)).collect(),
        speaker_selectable: true,
        speaker_picker: false,
    }
}

#[test]
fn removed_headset_falls_back_to_the_default_device_and_says_so() {
    let state = reduce_all([
        listed(
            &[("default", "Default"), ("jabra", "Jabra Evolve2")],
            &[("default", "Default"), ("jabra-out", "Jabra Out")],
        ),
        Action::DeviceChosen {
            kind: DeviceKind::Microphone,
            id: "jabra".into(),
        },
        Action::DeviceChosen {
            kind: DeviceKind::Speaker,
            id: "jabra-out".into(),
        },
        listed(&[("default", "Default")], &[("default", "Default")]),
    ]);
    assert_eq!(state.devices.microphone, "");
    assert_eq!(state.devices.speaker, "");
    assert_eq!(
        state.devices.notice.as_deref(),
        Some("Jabra Evolve2 was disconnected: using the default microphone now. Jabra Out was disconnected: using the default speaker now.")
    );
    let state = reduce(&state, Action::DismissDeviceNotice);
    assert_eq!(state.devices.notice, None);
}

fn grouped(id: &str, group: &str, label: &str) -> AudioDevice {
    AudioDevice {
        id: id.into(),
        group_id: group.into(),
        label: label.into(),
    }
}

fn listed_devices(microphones: Vec<AudioDevice>, speakers: Vec<AudioDevice>) -> Action {
    Action::DevicesListed {
        microphones,
        speakers,
        speaker_selectable: true,
        speaker_picker: true,
    }
}

#[test]
fn a_remembered_device_is_found_by_id_then_group_and_name_then_name() {
    let list = [
        grouped("default", "g1", "Default - Jabra"),
        grouped("communications", "g1", "Communications - Jabra"),
        grouped("new-id", "g1", "Jabra"),
        grouped("other", "g2", "Jabra"),
        grouped("laptop", "g3", "Built-in"),
    ];
    // Same id.
    let by_id = find_device(&list, &grouped("laptop", "gx", "Renamed"));
    assert_eq!(by_id.map(|d| d.id.as_str()), Some("laptop"));
    // Firefox gave new ids: same physical device and name first…
    let by_group = find_device(&list, &grouped("old-id", "g2", "Jabra"));
    assert_eq!(by_group.map(|d| d.id.as_str()), Some("other"));
    // …else the name alone (group ids change with the ids).
    let by_name = find_device(&list, &grouped("old-id", "old-group", "Jabra"));
    assert_eq!(by_name.map(|d| d.id.as_str()), Some("new-id"));
    // The browser's aliases are never the agent's device, and nothing is found without
    // an id or name to go by.
    assert_eq!(
        find_device(&list, &grouped("x", "g1", "Default - Jabra")),
        None
    );
    assert_eq!(find_device(&list, &grouped("", "g1", "")), None);
    assert_eq!(
        find_device(&[grouped("", "", "")], &grouped("", "", "")),
        None
    );
}

#[test]
fn a_remembered_speaker_missing_at_start_is_kept_shown_and_used_when_it_comes_back() {
    let jabra = grouped("spk-1", "g1", "Jabra Out");
    let state = reduce_all([
        Action::DevicesRemembered {
            microphone: None,
            speaker: Some(jabra.clone()),
        },
        listed_devices(
            vec![grouped("m", "g0", "Built-in mic")],
            vec![grouped("default", "g0", "Default - Built-in")],
        ),
    ]);
    assert_eq!(state.devices.speaker, "", "the default plays meanwhile");
    assert_eq!(
        state.devices.chosen_speaker,
        Some(jabra),
        "the choice is kept"
    );
    assert_eq!(
        state.devices.missing(DeviceKind::Speaker),
        Some(("Jabra Out".into(), "Default - Built-in".into()))
    );
    assert_eq!(
        state.devices.notice, None,
        "nothing was removed while the agent watched"
    );
    // Plugged in (devicechange), with a new id: used again, the choice follows the id.
    let state = reduce(
        &state,
        listed_devices(
            vec![grouped("m", "g0", "Built-in mic")],
            vec![
                grouped("default", "g0", "Default - Built-in"),
                grouped("spk-2", "g1", "Jabra Out"),
            ],
        ),
    );
    assert_eq!(state.devices.speaker, "spk-2");
    assert_eq!(
        state.devices.chosen_speaker,
        Some(grouped("spk-2", "g1", "Jabra Out"))
    );
    assert_eq!(state.devices.missing(DeviceKind::Speaker), None);
}

#[test]
fn firefox_before_the_microphone_is_allowed_proves_nothing_and_keeps_the_choice() {
    let mic = grouped("mic-old", "g1", "Jabra Mic");
    let speaker = grouped("spk-old", "g1", "Jabra Out");
    // Firefox before getUserMedia: microphones without ids or names, no speakers.
    let state = reduce_all([
        Action::DevicesRemembered {
            microphone: Some(mic.clone()),
            speaker: Some(speaker.clone()),
        },
        listed_devices(vec![grouped("", "", "")], vec![]),
    ]);
    assert!(!state.devices.exposed());
    assert_eq!(
        state.devices.speaker, "",
        "a speaker id not listed would fail setSinkId"
    );
    assert_eq!(
        state.devices.microphone, "mic-old",
        "an ideal constraint, harmless if unknown"
    );
    assert_eq!(
        state.devices.missing(DeviceKind::Speaker),
        None,
        "not known to be missing"
    );
    assert_eq!(state.devices.chosen_microphone, Some(mic));
    assert_eq!(state.devices.chosen_speaker, Some(speaker));
    assert_eq!(state.devices.notice, None);
    // The microphone opened: the list shows the devices, with new ids.
    let state = reduce(
        &state,
        listed_devices(
            vec![grouped("mic-new", "g9", "Jabra Mic")],
            vec![grouped("spk-new", "g9", "Jabra Out")],
        ),
    );
    assert_eq!(state.devices.microphone, "mic-new");
    assert_eq!(state.devices.speaker, "spk-new");
    assert_eq!(
        state.devices.chosen_speaker.map(|d| d.id),
        Some("spk-new".into())
    );
}

#[test]
fn an_unplugged_headset_keeps_the_choice_and_comes_back_by_itself() {
    let state = reduce_all([
        listed(&[("default", "Default"), ("jabra", "Jabra Evolve2")], &[]),
        Action::DeviceChosen {
            kind: DeviceKind::Microphone,
            id: "jabra".into(),
        },
        listed(&[("default", "Default")], &[]),
    ]);
    assert_eq!(state.devices.microphone, "");
    assert_eq!(
        state
            .devices
            .chosen_microphone
            .as_ref()
            .map(|d| d.label.as_str()),
        Some("Jabra Evolve2")
    );
    assert!(state.devices.notice.is_some());
    let state = reduce(
        &state,
        listed(&[("default", "Default"), ("jabra", "Jabra Evolve2")], &[]),
    );
    assert_eq!(state.devices.microphone, "jabra");
    assert_eq!(
        state.devices.notice, None,
        "the device is back: the notice is over"
    );
}

#[test]
fn a_listing_without_names_keeps_the_names_known() {
    let state = reduce_all([
        Action::DevicesRemembered {
            microphone: Some(grouped("m1", "g1", "Jabra Mic")),
            speaker: None,
        },
        listed_devices(vec![grouped("m1", "", "")], vec![]),
    ]);
    assert_eq!(
        state.devices.chosen_microphone,
        Some(grouped("m1", "g1", "Jabra Mic"))
    );
}

#[test]
fn choosing_the_default_forgets_the_choice_and_a_picked_speaker_is_used() {
    let state = reduce_all([
        listed(&[("m1", "USB mic")], &[]),
        Action::DeviceChosen {
            kind: DeviceKind::Microphone,
            id: "m1".into(),
        },
        Action::DeviceChosen {
            kind: DeviceKind::Microphone,
            id: "default".into(),
        },
        Action::DeviceChosen {
            kind: DeviceKind::Speaker,
            id: "default".into(),
        },
    ]);
    assert_eq!(state.devices.microphone, "");
    assert_eq!(state.devices.chosen_microphone, None);
    assert_eq!(state.devices.speaker, "");
    assert_eq!(
        state.devices.label_of(DeviceKind::Microphone, ""),
        "Default microphone"
    );
    assert_eq!(
        state.devices.label_of(DeviceKind::Speaker, "abcdef123"),
        "Speaker abcdef"
    );
    let picked = grouped("spk-9", "g9", "Headphones");
    let state = reduce(&state, Action::SpeakerPicked(picked.clone()));
    assert_eq!(state.devices.speaker, "spk-9");
    assert_eq!(state.devices.chosen_speaker, Some(picked.clone()));
    assert_eq!(state.devices.speakers, vec![picked]);
    let unchanged = reduce(&state, Action::SpeakerPicked(AudioDevice::default()));
    assert_eq!(unchanged, state, "a pick without an id changes nothing");
}

#[test]
fn a_listed_microphone_clears_the_no_microphone_problem() {
    let state = reduce_all([
        Action::MediaProblem(Some(MediaProblem::NoMicrophone)),
        listed(&[("m1", "USB mic")], &[]),
    ]);
    assert_eq!(state.media_problem, None);
}

/// A problem as the bar shows it: its code and severity, its title and next step.
fn expect_problem(p: &Problem, (code, severity): (&str, &str), title: &str, next: &str) {
    assert_eq!((p.code(), p.severity()), (code, severity));
    assert_eq!(p.title(), title);
    assert_eq!(p.next_step(), next);
}

fn registered_agent() -> PhoneState {
    reduce_all([
        Action::AgentLoaded(AgentInfo {
            id: "a".into(),
            extension: "2000".into(),
            mobile_agent: true,
            supervisor: false,
            webrtc_number: Some("3000".into()),
            state: AgentState::Ready,
        }),
        Action::Registration(Registration::Registered { expires_s: 600 }),
    ])
}

#[test]
fn every_problem_is_derived_from_the_state_with_one_next_step() {
    let base = registered_agent();
    assert!(problems(&base).is_empty());
    let case = |action: Action| problems(&reduce(&base, action));

    let p = case(Action::Registration(Registration::AuthFailed {
        reason: "SIP 403: wrong SIP user or password".into(),
    }));
    assert_eq!(
        p,
        vec![Problem::BrokerCredentials {
            detail: "SIP 403: wrong SIP user or password".into()
        }]
    );
    assert_eq!(
        p[0].next_step(),
        "Ask your supervisor to check the user and password of your WebRTC line."
    );

    let mut lost = reduce(
        &base,
        Action::Registration(Registration::Reconnecting {
            retry_at: Some(8_000),
            reason: "code 1006".into(),
        }),
    );
    lost = reduce(&lost, Action::Tick(1_000));
    let p = problems(&lost);
    assert_eq!(
        p,
        vec![Problem::ConnectionLost {
            detail: "code 1006".into(),
            retry_in_s: Some(7)
        }]
    );
    assert_eq!(
        p[0].title(),
        "Connection to the phone system lost. Reconnecting in 7 s."
    );

    let never = reduce(
        &PhoneState::default(),
        Action::Registration(Registration::Reconnecting {
            retry_at: Some(2_000),
            reason: "code 1006".into(),
        }),
    );
    let p = problems(&never);
    assert_eq!(p[0].code(), "broker-unreachable");
    assert_eq!(p[0].title(), "Cannot reach the phone system.");
    assert_eq!(p[0].detail(), Some("code 1006"));
    assert!(p[0].next_step().starts_with("Retrying in 2 s."));

    let p = case(Action::MediaProblem(Some(MediaProblem::MicrophoneDenied)));
    assert_eq!(
        p[0].next_step(),
        "Click the microphone icon in the address bar, choose Allow, then reload Finesse."
    );
    let p = case(Action::MediaProblem(Some(MediaProblem::NoMicrophone)));
    assert_eq!(
        p[0].title(),
        "No microphone found, so calls cannot be answered."
    );

    let p = case(Action::Playback(Playback::Blocked));
    assert_eq!(p[0].code(), "playback-blocked");
    assert_eq!(
        p[0].action(),
        Some(("Enable sound", UserCommand::EnableAudio))
    );

    let p = case(Action::AgentLoaded(AgentInfo {
        id: "a".into(),
        mobile_agent: false,
        ..AgentInfo::default()
    }));
    assert_eq!(p, vec![Problem::NotWebrtcAgent]);

    let p = case(Action::ConfigInvalid(vec![ConfigProblem {
        key: "wsUrl".into(),
        message: "must start with wss://".into(),
    }]));
    assert_eq!(
        p,
        vec![Problem::ConfigInvalid {
            key: "wsUrl".into(),
            message: "must start with wss://".into()
        }],
        "the generic 'not configured' failure is not repeated"
    );
    assert!(p[0].next_step().contains("wsUrl"));
}

/// What the phone system said when it refused the phone: each its own words and one
/// next step, and the detail for support.
#[test]
fn refusals_have_their_own_words_and_one_next_step() {
    let base = registered_agent();
    let refused = |refusal: Refusal| {
        problems(&reduce(
            &base,
            Action::Registration(Registration::Refused {
                refusal,
                detail: "for support".into(),
            }),
        ))
    };
    let cases = [
        (
            Refusal::NoWebrtcLine,
            "no-webrtc-line",
            "Your Wazo user has no WebRTC line, so the phone cannot sign in.",
            "Ask your administrator to add a WebRTC line to your Wazo user.",
        ),
        (
            Refusal::TooManySessions,
            "too-many-sessions",
            "Too many open sessions for your Wazo user, so the phone cannot sign in.",
            "Close the phone in other tabs, then reload Finesse; if it happens again, ask your administrator.",
        ),
        (
            Refusal::TooManyDevices,
            "too-many-devices",
            "The phone system refused this device: too many devices on your line.",
            "Close the phone in other tabs or browsers: it signs in again by itself. If this lasts, ask your administrator.",
        ),
    ];
    for (refusal, code, title, next) in cases {
        let p = refused(refusal);
        assert_eq!(p.len(), 1, "{code}");
        assert_eq!(p[0].code(), code);
        assert_eq!(p[0].title(), title);
        assert_eq!(p[0].next_step(), next);
        assert_eq!(p[0].severity(), "error");
        assert_eq!(p[0].detail(), Some("for support"));
        assert!(p[0].explains_registration());
        assert_eq!(Problem::refused(refusal).detail(), None);
    }
}

/// A REGISTER's 403 from Wazo's Asterisk is a line with its maximum of devices; from
/// another SIP server (FreeSWITCH answers a wrong password with 403) the credentials.
#[test]
fn a_sip_403_is_too_many_devices_on_wazo_and_wrong_credentials_elsewhere() {
    assert_eq!(
        Registration::sip_auth_failed(403, BrokerKind::Wazo),
        Registration::Refused {
            refusal: Refusal::TooManyDevices,
            detail: "SIP 403 to REGISTER".into()
        }
    );
    assert_eq!(
        Registration::sip_auth_failed(403, BrokerKind::Sip),
        Registration::AuthFailed {
            reason: "SIP 403: wrong SIP user or password".into()
        }
    );
    assert_eq!(
        Registration::sip_auth_failed(401, BrokerKind::Wazo),
        Registration::AuthFailed {
            reason: "SIP 401: wrong SIP user or password".into()
        }
    );
}

#[test]
fn session_renewal_trouble_is_shown_while_registered_and_cleared_on_success() {
    let base = registered_agent();
    let refused = reduce(
        &base,
        Action::SessionTrouble(Some(SessionTrouble::Refused {
            detail: "the Wazo broker refused your Finesse user name and password".into(),
            retry_at: Some(30_000),
        })),
    );
    let p = problems(&refused);
    assert_eq!(
        p,
        vec![Problem::SessionRefused {
            detail: "the Wazo broker refused your Finesse user name and password".into()
        }]
    );
    assert_eq!(p[0].code(), "session-refused");
    assert_eq!(p[0].severity(), "error");
    assert_eq!(
        p[0].title(),
        "The phone system refused to renew your session, and a fresh sign-in failed \
         (the Wazo broker refused your Finesse user name and password)."
    );
    assert!(p[0]
        .next_step()
        .starts_with("Calls still come in for now: sign out of Finesse"));
    assert!(
        !p[0].explains_registration(),
        "the phone is still registered: the status line stays"
    );

    let unreachable = reduce(
        &reduce(
            &base,
            Action::SessionTrouble(Some(SessionTrouble::Unreachable {
                detail: "the Wazo broker did not answer (login)".into(),
                retry_at: Some(4_000),
            })),
        ),
        Action::Tick(1_000),
    );
    let p = problems(&unreachable);
    assert_eq!(p[0].code(), "session-unreachable");
    assert_eq!(p[0].severity(), "warn");
    assert_eq!(
        p[0].detail(),
        Some("the Wazo broker did not answer (login)")
    );
    assert!(p[0].next_step().contains("Retrying in 3 s"));

    // Single sign-on: the renewal needs the agent at the company's sign-in page. The
    // bar offers the button; calls still come in, the status line stays.
    let needs_agent = reduce(
        &base,
        Action::SessionTrouble(Some(SessionTrouble::NeedsAgent {
            retry_at: Some(30_000),
        })),
    );
    let p = problems(&needs_agent);
    assert_eq!(p, vec![Problem::SessionSignIn]);
    expect_problem(
        &p[0],
        ("session-sign-in", "action"),
        "To keep your phone session, sign in with your company account once more.",
        "Calls still come in for now. Click \u{201c}Sign in to the phone\u{201d}.",
    );
    assert_eq!(
        p[0].action(),
        Some(("Sign in to the phone", UserCommand::SignInToPhone))
    );
    assert!(!p[0].explains_registration());
    assert!(problems(&reduce(&needs_agent, Action::SessionTrouble(None))).is_empty());

    // A later renewal that succeeds clears it.
    let cleared = reduce(&refused, Action::SessionTrouble(None));
    assert!(problems(&cleared).is_empty());
    assert_eq!(cleared, base);

    // A lost registration says more than a session renewal problem.
    let lost = reduce(
        &refused,
        Action::Registration(Registration::Reconnecting {
            retry_at: None,
            reason: "code 1006".into(),
        }),
    );
    assert_eq!(
        problems(&lost)
            .iter()
            .map(Problem::code)
            .collect::<Vec<_>>(),
        ["connection-lost"]
    );
}

#[test]
fn audio_path_reconnecting_is_shown_during_the_call_and_cleared_when_back_or_ended() {
    let ringing = reduce(&registered_agent(), incoming("c1", None));
    let active = reduce(
        &ringing,
        Action::Connected {
            id: "c1".into(),
            at: 5,
        },
    );
    let lost = reduce(
        &active,
        Action::MediaPath {
            id: "c1".into(),
            reconnecting: true,
        },
    );
    let p = problems(&lost);
    assert_eq!(p, vec![Problem::AudioReconnecting]);
    assert_eq!(p[0].title(), "Audio path lost: reconnecting\u{2026}");
    assert_eq!(p[0].severity(), "warn");
    // Another call's report changes nothing; the path back clears it; so does the end.
    assert_eq!(
        reduce(
            &active,
            Action::MediaPath {
                id: "other".into(),
                reconnecting: true
            }
        ),
        active
    );
    assert!(problems(&reduce(
        &lost,
        Action::MediaPath {
            id: "c1".into(),
            reconnecting: false
        }
    ))
    .is_empty());
    let ended = reduce(
        &lost,
        Action::Ended {
            id: "c1".into(),
            reason: "Call ended: the audio connection was lost and could not be restored.".into(),
        },
    );
    assert!(problems(&ended).is_empty());
    assert!(!ended.audio_reconnecting);
}

#[test]
fn announcements_follow_incoming_answered_and_ended_calls() {
    let s = reduce_all([incoming("c1", Some(10))]);
    assert_eq!(s.announcement, "Incoming call from Jane Doe (5551234).");
    let s = reduce(
        &s,
        Action::Connected {
            id: "c1".into(),
            at: 5,
        },
    );
    assert_eq!(s.announcement, "Call answered: Jane Doe (5551234).");
    let s = reduce(
        &s,
        Action::Ended {
            id: "c1".into(),
            reason: "Call ended: you hung up.".into(),
        },
    );
    assert_eq!(s.announcement, "Call ended: you hung up.");
}

#[test]
fn dialing_and_the_dialpad_exist_only_with_dev_features() {
    let s = reduce_all([
        Action::OpenPanel(Some(Panel::Dialpad)),
        Action::Dialing {
            id: "o1".into(),
            number: "3001".into(),
        },
    ]);
    assert_eq!(s.panel, None);
    assert!(s.call.is_none());
    let dev = reduce_all([Action::Configured {
        auto_answer: AutoAnswer::default(),
        dev_features: true,
        routing: Default::default(),
    }]);
    let s = reduce(&dev, Action::OpenPanel(Some(Panel::Dialpad)));
    assert_eq!(s.panel, Some(Panel::Dialpad));
    let s = reduce(
        &s,
        Action::Dialing {
            id: "o1".into(),
            number: "3001".into(),
        },
    );
    assert_eq!(
        s.call.as_ref().map(|c| c.phase.clone()),
        Some(CallPhase::Dialing)
    );
    let s = reduce(
        &s,
        Action::Connected {
            id: "o1".into(),
            at: 7,
        },
    );
    assert!(matches!(
        s.call.unwrap().phase,
        CallPhase::Active { since: 7, .. }
    ));
}

#[test]
fn answer_tone_is_a_short_soft_click_free_wav() {
    use ttecphone_components::tone::{answer_tone_wav, silence_wav, RATE};
    let wav = answer_tone_wav();
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(&wav[8..16], b"WAVEfmt ");
    assert_eq!(u32::from_le_bytes(wav[24..28].try_into().unwrap()), RATE);
    let data_len = u32::from_le_bytes(wav[40..44].try_into().unwrap()) as usize;
    assert_eq!(wav.len(), 44 + data_len);
    let pcm: Vec<i16> = wav[44..]
        .chunks(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    let ms = pcm.len() as u32 * 1000 / RATE;
    assert!((200..=500).contains(&ms), "short: {ms} ms");
    let peak = pcm.iter().map(|s| s.unsigned_abs()).max().unwrap();
    assert!(peak > 4_000 && peak < 12_000, "audible but soft: {peak}");
    assert!(
        pcm[0].unsigned_abs() < 200 && pcm.last().unwrap().unsigned_abs() < 200,
        "fades in and out"
    );
    assert!(silence_wav(50)[44..].iter().all(|b| *b == 0));
}

#[test]
fn answer_tone_notes_are_true_sines() {
    // The tone is made without libm: compare every sample of the first note (660 Hz,
    // 110 ms) with std's sine under the same envelope.
    use ttecphone_components::tone::{answer_tone_wav, RATE};
    let wav = answer_tone_wav();
    let n = (RATE * 110 / 1000) as usize;
    let fade = (RATE * 8 / 1000) as usize;
    for i in 0..n {
        let got = i16::from_le_bytes([wav[44 + 2 * i], wav[45 + 2 * i]]);
        let t = i as f64 / f64::from(RATE);
        let envelope = (i.min(n - 1 - i) as f64 / fade as f64).min(1.0);
        let want = (2.0 * std::f64::consts::PI * 660.0 * t).sin() * 0.25 * 32767.0 * envelope;
        assert!(
            (f64::from(got) - want).abs() <= 1.0,
            "sample {i}: {got} vs {want:.1}"
        );
    }
}

use ttecphone_components::team::{PeerPhone, TeamAction, TeamMember};

#[test]
fn a_microphone_problem_shows_until_the_microphone_opens() {
    let blocked = reduce_all([
        incoming("c1", Some(0)),
        Action::MediaProblem(Some(MediaProblem::MicrophoneDenied)),
        Action::Ended {
            id: "c1".into(),
            reason: "Call not answered: the microphone is blocked.".into(),
        },
    ]);
    assert_eq!(blocked.media_problem, Some(MediaProblem::MicrophoneDenied));
    assert!(blocked.call.is_none());
    // The next call rings: the problem stays until the microphone really opens.
    let ringing = reduce(&blocked, incoming("c2", Some(0)));
    assert_eq!(ringing.media_problem, Some(MediaProblem::MicrophoneDenied));
    let fixed = reduce(&ringing, Action::MediaProblem(None));
    assert_eq!(fixed.media_problem, None);
}

#[test]
fn broker_rest_base_is_https_except_for_a_loopback_test_broker() {
    let prod = ConfigBuilder::default()
        .with_env_defaults(ENV.iter().copied())
        .finish()
        .unwrap();
    assert_eq!(prod.broker_api.as_deref(), Some("https://wazo.example.com"));
    let local = ConfigBuilder::default()
        .with_url_parameters([("brokerKind", "wazo"), ("brokerHost", "127.0.0.1:8443")])
        .finish()
        .unwrap();
    assert_eq!(local.broker_api.as_deref(), Some("http://127.0.0.1:8443"));
    assert_eq!(local.ws_url, "ws://127.0.0.1:8443/api/asterisk/ws");
    assert_eq!(
        local.sip_domain, "127.0.0.1",
        "the port is not part of the SIP domain"
    );
    let localhost = ConfigBuilder::default()
        .with_url_parameters([("brokerKind", "wazo"), ("brokerHost", "localhost")])
        .finish()
        .unwrap();
    assert_eq!(localhost.broker_api.as_deref(), Some("http://localhost"));
    // Names that only look like loopback are remote: TLS only.
    for host in [
        "127.0.0.1.example.com",
        "127.example.com",
        "localhost.example.com",
    ] {
        let remote = ConfigBuilder::default()
            .with_url_parameters([("brokerKind", "wazo"), ("brokerHost", host)])
            .finish()
            .unwrap();
        assert_eq!(remote.broker_api, Some(format!("https://{host}")));
        assert_eq!(remote.ws_url, format!("wss://{host}/api/asterisk/ws"));
        let plain_ws = ConfigBuilder::default()
            .with_url_parameters([
                ("brokerKind", "sip"),
                ("wsUrl", &*format!("ws://{host}/ws")),
            ])
            .finish()
            .unwrap_err();
        assert_eq!(plain_ws[0].key, "wsUrl", "{host}");
    }
    // The sip kind needs no REST base, but a host given still yields one.
    let sip = ConfigBuilder::default()
        .with_url_parameters([("brokerKind", "sip"), ("wsUrl", "wss://sip.example.com/ws")])
        .finish()
        .unwrap();
    assert_eq!(sip.broker_api, None);
}

fn member(id: &str, name: &str, number: Option<&str>, state: AgentState) -> TeamMember {
    TeamMember {
        id: id.into(),
        name: name.into(),
        number: number.map(Into::into),
        state,
    }
}

fn team(action: TeamAction) -> Action {
    Action::Team(action)
}

#[test]
fn team_board_rows_follow_the_roster_finesse_states_and_phone_states() {
    let s = reduce_all([
        team(TeamAction::Preview(true)),
        team(TeamAction::Roster(vec![
            member("agent2", "Bob", Some("3002"), AgentState::NotReady),
            member("agent1", "Alice", Some("3001"), AgentState::Ready),
            member("agent1", "Alice again", Some("3001"), AgentState::Ready),
            member("agent3", "Carol", None, AgentState::Logout),
        ])),
    ]);
    assert!(s.board.active);
    let names: Vec<&str> = s
        .board
        .rows
        .iter()
        .map(|r| r.member.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["Alice", "Bob", "Carol"],
        "sorted, one row per agent id"
    );
    assert!(s.board.rows.iter().all(|r| r.phone == PeerPhone::Unknown));
    assert_eq!(
        s.board.numbers(),
        ["3001", "3002"],
        "agents without a number are not watched"
    );

    // Each phone state reaches the row of its number, and only that row.
    for phone in [
        PeerPhone::Offline,
        PeerPhone::Idle,
        PeerPhone::Ringing,
        PeerPhone::InCall,
        PeerPhone::OnHold,
        PeerPhone::Idle,
    ] {
        let s2 = reduce(
            &s,
            team(TeamAction::Phone {
                number: "3001".into(),
                phone,
            }),
        );
        assert_eq!(s2.board.rows[0].phone, phone);
        assert_eq!(s2.board.rows[1].phone, PeerPhone::Unknown);
    }
    let s = reduce(
        &s,
        team(TeamAction::Phone {
            number: "3001".into(),
            phone: PeerPhone::InCall,
        }),
    );
    // A new roster keeps the phone state of numbers it keeps.
    let s = reduce(
        &s,
        team(TeamAction::Roster(vec![
            member("agent1", "Alice", Some("3001"), AgentState::Talking),
            member("agent2", "Bob", Some("3002"), AgentState::Ready),
        ])),
    );
    assert_eq!(s.board.rows[0].phone, PeerPhone::InCall);
    assert_eq!(s.board.rows[0].member.state, AgentState::Talking);
    assert_eq!(s.board.rows.len(), 2);
    // One agent's Finesse state changes; a new number resets the phone state.
    let s = reduce(
        &s,
        team(TeamAction::Member(member(
            "agent2",
            "Bob",
            Some("3002"),
            AgentState::Talking,
        ))),
    );
    assert_eq!(s.board.rows[1].member.state, AgentState::Talking);
    let s = reduce(
        &s,
        team(TeamAction::Member(member(
            "agent1",
            "Alice",
            Some("3009"),
            AgentState::Talking,
        ))),
    );
    assert_eq!(s.board.rows[0].phone, PeerPhone::Unknown);
    // New agents join sorted; leavers go; an unknown number changes nothing.
    let s = reduce(
        &s,
        team(TeamAction::Member(member(
            "agent0",
            "Aaron",
            Some("3000"),
            AgentState::Ready,
        ))),
    );
    assert_eq!(s.board.rows[0].member.id, "agent0");
    let s = reduce(
        &s,
        team(TeamAction::Removed {
            id: "agent0".into(),
        }),
    );
    assert_eq!(s.board.rows.len(), 2);
    let same = reduce(
        &s,
        team(TeamAction::Phone {
            number: "9999".into(),
            phone: PeerPhone::Idle,
        }),
    );
    assert_eq!(same, s);
    // Leaving preview clears the board.
    let s = reduce(&s, team(TeamAction::Preview(false)));
    assert!(!s.board.active && s.board.rows.is_empty());
}

#[test]
fn peer_phone_words_match_the_sip_core() {
    for (word, phone) in [
        ("offline", PeerPhone::Offline),
        ("idle", PeerPhone::Idle),
        ("ringing", PeerPhone::Ringing),
        ("in call", PeerPhone::InCall),
        ("on hold", PeerPhone::OnHold),
    ] {
        assert_eq!(PeerPhone::from_word(word), phone);
        assert_eq!(phone.label(), word);
    }
    assert_eq!(PeerPhone::from_word("nonsense"), PeerPhone::Unknown);
}

// ---- issue 18: the start-up browser check ----

#[test]
fn a_too_old_browser_is_named_first_with_what_it_lacks_and_the_browsers_to_use() {
    let state = reduce_all([Action::BrowserChecked(vec![
        BrowserGap::WebRtc,
        BrowserGap::TabLocks,
        BrowserGap::SpeakerChoice,
    ])]);
    let found = problems(&state);
    assert_eq!(
        found,
        vec![
            Problem::BrowserUnsupported {
                missing: vec![BrowserGap::WebRtc, BrowserGap::TabLocks]
            },
            Problem::SpeakerChoiceUnavailable,
        ]
    );
    assert_eq!(
        found[0].title(),
        "This browser is too old for the phone: it lacks internet calls (WebRTC), coordination between tabs (Web Locks)."
    );
    assert_eq!(
        found[0].next_step(),
        "Use Chrome, Edge or Firefox ESR 115 or newer."
    );
    assert_eq!(found[0].severity(), "error");
}

#[test]
fn a_browser_without_speaker_choice_gets_a_warning_only() {
    let state = reduce_all([Action::BrowserChecked(vec![BrowserGap::SpeakerChoice])]);
    let found = problems(&state);
    assert_eq!(found, vec![Problem::SpeakerChoiceUnavailable]);
    assert_eq!(
        found[0].title(),
        "Speaker choice unavailable in this browser: sound plays on the system's default device."
    );
    assert_ne!(found[0].severity(), "error");
    assert!(!found[0].explains_registration());
    assert!(problems(&reduce_all([Action::BrowserChecked(vec![])])).is_empty());
}

#[test]
fn remembered_choices_before_the_first_listing_ask_for_the_microphone_only() {
    let state = reduce_all([Action::DevicesRemembered {
        microphone: Some(grouped("m1", "g1", "Jabra Mic")),
        speaker: Some(grouped("s1", "g1", "Jabra Out")),
    }]);
    assert_eq!(state.devices.microphone, "m1");
    assert_eq!(
        state.devices.speaker, "",
        "no setSinkId for an id the browser may not show"
    );
    let state = reduce(
        &state,
        listed_devices(
            vec![grouped("m1", "g1", "Jabra Mic")],
            vec![grouped("s1", "g1", "Jabra Out")],
        ),
    );
    assert_eq!(state.devices.speaker, "s1");
}

#[test]
fn finesse_retries_back_off_and_stop_where_asking_again_cannot_help() {
    use FinesseObject::*;
    let delays: Vec<_> = (0..FINESSE_RETRIES + 1)
        .map(|attempt| finesse_retry_ms(User, 500, attempt))
        .collect();
    assert_eq!(
        delays,
        [5_000, 10_000, 20_000, 30_000, 30_000, 30_000]
            .map(Some)
            .into_iter()
            .chain([None])
            .collect::<Vec<_>>()
    );
    // The agent's own User refused: only signing in again helps.
    assert_eq!(finesse_retry_ms(User, 401, 0), None);
    assert_eq!(finesse_retry_ms(User, 403, 0), None);
    // A team the supervisor may not read yet is asked for again; ClientServices never.
    assert_eq!(finesse_retry_ms(Team, 403, 0), Some(5_000));
    assert_eq!(finesse_retry_ms(Services, 0, 0), None);
    assert_eq!(finesse_retry_ms(Failover, 0, 0), None);
}

#[test]
fn a_finesse_failover_is_a_warning_that_names_the_policy() {
    use ttecphone_components::problems::problems;
    let state = reduce_all([Action::Finesse(Some(FinesseTrouble {
        what: FinesseObject::Failover,
        status: 0,
        retry_at: None,
    }))]);
    let shown = problems(&state);
    assert_eq!(shown[0].code(), "finesse-failover");
    assert_eq!(shown[0].severity(), "warn");
    assert!(shown[0].next_step().contains("for up to 2 minutes"));
    assert_eq!(FAILOVER_TRUST_MS, 120_000, "the words above say 2 minutes");
    assert!(reduce(&state, Action::Finesse(None))
        .finesse_trouble
        .is_none());
}

#[test]
fn a_finesse_failure_is_shown_until_the_object_loads() {
    let trouble = |what, status, retry_at| {
        Action::Finesse(Some(FinesseTrouble {
            what,
            status,
            retry_at,
        }))
    };
    let failed = reduce_all([trouble(FinesseObject::User, 500, Some(5_000))]);
    let shown = problems(&failed);
    assert_eq!(shown.len(), 1);
    expect_problem(
        &shown[0],
        ("finesse", "warn"),
        "Finesse did not load your agent details (HTTP 500).",
        "Retrying in 5 s; if it lasts, sign out of Finesse and in again.",
    );
    // The User loads on a retry: the problem goes.
    let loaded = reduce(
        &failed,
        Action::AgentLoaded(AgentInfo {
            id: "agent3000".into(),
            ..Default::default()
        }),
    );
    assert!(loaded.finesse_trouble.is_none());

    let refused = reduce_all([trouble(FinesseObject::User, 401, None)]);
    let shown = problems(&refused);
    assert_eq!(shown[0].code(), "finesse-sign-in");
    assert_eq!(
        shown[0].next_step(),
        "Sign out of Finesse and sign in again."
    );
    assert_eq!(shown[0].severity(), "error");

    // A team's failure goes when a roster arrives; a User failure stays.
    let team = reduce_all([trouble(FinesseObject::Team, 500, Some(1))]);
    assert!(matches!(&problems(&team)[0], Problem::Finesse { .. }));
    let roster = Action::Team(ttecphone_components::team::TeamAction::Roster(Vec::new()));
    assert!(reduce(&team, roster.clone()).finesse_trouble.is_none());
    assert!(reduce(&refused, roster).finesse_trouble.is_some());
}
