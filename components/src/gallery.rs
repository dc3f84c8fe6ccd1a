//! A gallery of phone bars: renders [`phone_bar_view`] read-only for a list of
//! `(title, PhoneState)`. The screenshots (`doc/screenshots/`) are taken from
//! [`samples`]; a supervisor preview can pass the states of its agents.

use std::rc::Rc;

use yew::prelude::*;

use crate::devices::{AudioDevice, Devices};
use crate::phone_bar::{phone_bar_view, PhoneBarViewProps};
use crate::quality::{LiveQuality, QualityWarning};
use crate::routing::{Cause, Notice};
use crate::store::*;

#[derive(Properties, PartialEq)]
pub struct GalleryProps {
    pub items: Vec<(String, PhoneState)>,
    /// Where the bars' commands go; read-only (ignored) by default.
    #[prop_or_default]
    pub commands: Callback<UserCommand>,
}

/// `"Incoming call, 3 s countdown"` → `"incoming-call-3-s-countdown"`.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

view_component!(Gallery, gallery_component, GalleryProps, gallery);

pub fn gallery(props: &GalleryProps) -> Html {
    html! {
        <div class="ttec-gallery">
            { for props.items.iter().map(|(title, state)| html! {
                <figure class="ttec-gallery__item" id={slug(title)} data-title={title.clone()}>
                    <figcaption class="ttec-gallery__title">{ title.clone() }</figcaption>
                    <div class="ttec-root ttec-gallery__frame">
                        { phone_bar_view(&PhoneBarViewProps {
                            state: Rc::new(state.clone()),
                            commands: props.commands.clone(),
                        }) }
                    </div>
                </figure>
            }) }
        </div>
    }
}

/// One sample of every state the agent can see.
pub fn samples() -> Vec<(String, PhoneState)> {
    const NOW: Millis = 1_000_000;
    let agent = AgentInfo {
        id: "agent3000".into(),
        extension: "2000".into(),
        mobile_agent: true,
        supervisor: false,
        webrtc_number: Some("3000".into()),
        state: AgentState::Ready,
    };
    let registered = PhoneState {
        now: NOW,
        agent: agent.clone(),
        registration: Registration::Registered { expires_s: 600 },
        connected_once: true,
        playback: Playback::Allowed,
        ..PhoneState::default()
    };
    let call = |phase: CallPhase| Call {
        id: "call-1".into(),
        caller_number: "+15551234567".into(),
        caller_name: Some("Customer One".into()),
        phase,
    };
    let with = |f: &dyn Fn(&mut PhoneState)| {
        let mut state = registered.clone();
        f(&mut state);
        state
    };
    let devices = Devices {
        listed: true,
        microphones: vec![
            AudioDevice {
                id: "default".into(),
                label: "Default - Jabra Evolve2 40".into(),
                group_id: String::new(),
            },
            AudioDevice {
                id: "mic-jabra".into(),
                label: "Jabra Evolve2 40".into(),
                group_id: String::new(),
            },
            AudioDevice {
                id: "mic-laptop".into(),
                label: "Built-in microphone".into(),
                group_id: String::new(),
            },
        ],
        speakers: vec![
            AudioDevice {
                id: "default".into(),
                label: "Default - Jabra Evolve2 40".into(),
                group_id: String::new(),
            },
            AudioDevice {
                id: "spk-jabra".into(),
                label: "Jabra Evolve2 40".into(),
                group_id: String::new(),
            },
            AudioDevice {
                id: "spk-laptop".into(),
                label: "Built-in speakers".into(),
                group_id: String::new(),
            },
        ],
        microphone: "mic-jabra".into(),
        speaker: "spk-jabra".into(),
        speaker_selectable: true,
        notice: None,
        ..Devices::default()
    };
    let trace = [
        (TraceKind::State, "Registration: Connecting"),
        (TraceKind::SipOut, "REGISTER sip:ttec.test SIP/2.0\r\nVia: SIP/2.0/WSS abc.invalid;branch=z9hG4bKx1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n"),
        (TraceKind::SipIn, "SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm=\"ttec.test\", nonce=\"5f1c\", qop=\"auth\"\r\nCSeq: 1 REGISTER\r\n"),
        (TraceKind::SipOut, "REGISTER sip:ttec.test SIP/2.0\r\nAuthorization: Digest username=\"3000\", realm=\"ttec.test\", nonce=\"5f1c\", response=\"0badc0de\", cnonce=\"a1b2\"\r\nCSeq: 2 REGISTER\r\n"),
        (TraceKind::SipIn, "SIP/2.0 200 OK\r\nCSeq: 2 REGISTER\r\nContact: <sip:3000@abc.invalid;transport=ws>;expires=600\r\n"),
        (TraceKind::State, "Registration: Registered (600 s)"),
    ];
    let mut diagnostics = with(&|s| s.panel = Some(Panel::Diagnostics));
    for (i, (kind, text)) in trace.iter().enumerate() {
        diagnostics = reduce(
            &diagnostics,
            Action::Trace(TraceEntry {
                at: 1_795_000_000_000 + i as u64 * 137,
                kind: *kind,
                text: (*text).into(),
            }),
        );
    }
    let in_call = with(&|s| {
        s.agent.state = AgentState::Talking;
        s.call = Some(call(CallPhase::Active {
            since: NOW - 83_000,
            held: false,
            muted: false,
        }));
    });
    vec![
        (
            "Connecting".into(),
            PhoneState {
                now: NOW,
                agent: agent.clone(),
                registration: Registration::Connecting,
                ..PhoneState::default()
            },
        ),
        ("Registered, waiting for calls".into(), registered.clone()),
        (
            "Auto-answer paused (Not Ready)".into(),
            with(&|s| s.agent.state = AgentState::NotReady),
        ),
        (
            "Incoming call, auto-answer countdown".into(),
            with(&|s| {
                s.auto_answer.delay_ms = 3000;
                s.call = Some(call(CallPhase::Ringing {
                    answer_at: Some(NOW + 2_400),
                }));
            }),
        ),
        ("Call in progress".into(), in_call.clone()),
        (
            "Call muted and on hold".into(),
            with(&|s| {
                s.agent.state = AgentState::Hold;
                s.call = Some(call(CallPhase::Active {
                    since: NOW - 754_000,
                    held: true,
                    muted: true,
                }));
            }),
        ),
        (
            "QA: auto-answer off, manual answer".into(),
            with(&|s| {
                s.dev_features = true;
                s.auto_answer.enabled = false;
                s.call = Some(call(CallPhase::Ringing { answer_at: None }));
            }),
        ),
        (
            "Sound blocked until a click".into(),
            with(&|s| s.playback = Playback::Blocked),
        ),
        (
            "Connection lost, reconnecting".into(),
            with(&|s| {
                s.registration = Registration::Reconnecting {
                    retry_at: Some(NOW + 7_200),
                    reason: "the connection to the phone system was lost, code 1006".into(),
                };
            }),
        ),
        (
            "Phone system unreachable".into(),
            with(&|s| {
                s.connected_once = false;
                s.registration = Registration::Reconnecting {
                    retry_at: Some(NOW + 15_000),
                    reason: "the connection to the phone system was lost, code 1006".into(),
                };
            }),
        ),
        (
            "Wrong broker credentials".into(),
            with(&|s| {
                s.registration = Registration::AuthFailed {
                    reason: "SIP 403: wrong SIP user or password".into(),
                };
            }),
        ),
        (
            "Audio path lost during a call, reconnecting".into(),
            PhoneState {
                audio_reconnecting: true,
                ..in_call.clone()
            },
        ),
        (
            "Broker session renewal refused".into(),
            with(&|s| {
                s.session_trouble = Some(SessionTrouble::Refused {
                    detail: "the Wazo broker refused your Finesse user name and password".into(),
                    retry_at: Some(NOW + 31_000),
                });
            }),
        ),
        (
            "Microphone blocked".into(),
            with(&|s| s.media_problem = Some(MediaProblem::MicrophoneDenied)),
        ),
        (
            "No microphone".into(),
            with(&|s| s.media_problem = Some(MediaProblem::NoMicrophone)),
        ),
        (
            "Not a WebRTC agent".into(),
            with(&|s| {
                s.agent.mobile_agent = false;
                s.agent.webrtc_number = None;
                s.registration = Registration::Unregistered {
                reason: "Not a WebRTC agent: log into Finesse as a mobile agent with your WebRTC number.".into(),
            };
            }),
        ),
        (
            "Configuration invalid".into(),
            reduce(
                &PhoneState {
                    now: NOW,
                    ..PhoneState::default()
                },
                Action::ConfigInvalid(vec![ConfigProblem {
                    key: "wsUrl".into(),
                    message: "must start with wss://".into(),
                }]),
            ),
        ),
        (
            "Settings and audio test".into(),
            with(&|s| {
                s.panel = Some(Panel::Settings);
                s.devices = devices.clone();
                s.audio_test = AudioTest::Running {
                    level: 62,
                    playing: true,
                };
            }),
        ),
        (
            "Headset unplugged: default device".into(),
            with(&|s| {
                s.devices = devices.clone();
                s.devices.microphone.clear();
                s.devices.notice = Some(
                    "Jabra Evolve2 40 was disconnected: using the default microphone now.".into(),
                );
            }),
        ),
        ("Diagnostics".into(), diagnostics),
        (
            "Call quality during a call".into(),
            PhoneState {
                quality: Some(LiveQuality {
                    mos: Some(43),
                    warning: None,
                }),
                ..in_call.clone()
            },
        ),
        (
            "Call quality warning: your network is losing audio".into(),
            PhoneState {
                quality: Some(LiveQuality {
                    mos: Some(34),
                    warning: Some(QualityWarning::NetworkLoss { loss: 8 }),
                }),
                ..in_call.clone()
            },
        ),
        (
            "Routing: made Not Ready while the phone cannot answer".into(),
            with(&|s| {
                s.agent.state = AgentState::NotReady;
                s.registration = Registration::Reconnecting {
                    retry_at: Some(NOW + 7_200),
                    reason: "the connection to the phone system was lost, code 1006".into(),
                };
                s.routing.notice = Some(Notice::MadeNotReady(Cause::NotRegistered));
            }),
        ),
        (
            "Routing: the phone works again, Go Ready".into(),
            with(&|s| {
                s.agent.state = AgentState::NotReady;
                s.routing.notice = Some(Notice::BackUp);
            }),
        ),
        (
            "Single sign-on: the company sign-in needs the agent".into(),
            with(&|s| {
                s.registration = Registration::Refused {
                    refusal: Refusal::SsoSignIn,
                    detail: "the company sign-in page needs you".into(),
                }
            }),
        ),
        (
            "Single sign-on: renewing the session needs the agent".into(),
            with(&|s| {
                s.session_trouble = Some(SessionTrouble::NeedsAgent {
                    retry_at: Some(NOW + 31_000),
                })
            }),
        ),
        #[cfg(feature = "outcall")]
        (
            "Dialpad (development only)".into(),
            with(&|s| {
                s.dev_features = true;
                s.panel = Some(Panel::Dialpad);
            }),
        ),
    ]
}
