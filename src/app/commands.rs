//! The part of an agent's command that the page handles itself (the driver gets every
//! command too, and ignores what is not about SIP): panels, devices, sound, the audio
//! test, diagnostics export.

use std::cell::RefCell;
use std::rc::Rc;

use ttecphone_components::diagnostics;
use ttecphone_components::store::{Action, AudioTest, PhoneState, Playback, UserCommand};
use yew::UseReducerDispatcher;

use super::reactions::{list_devices, trace_state};
use crate::devices;

/// Handles the page's part of `command`.
pub fn page_command(
    command: &UserCommand,
    state: &PhoneState,
    dispatcher: &UseReducerDispatcher<PhoneState>,
    audio_test: &Rc<RefCell<Option<devices::AudioTestRun>>>,
) {
    match command {
        UserCommand::SetAutoAnswer(on) => dispatcher.dispatch(Action::SetAutoAnswer(*on)),
        UserCommand::GoReady => dispatcher.dispatch(Action::GoReady),
        UserCommand::OpenPanel(panel) => dispatcher.dispatch(Action::OpenPanel(*panel)),
        UserCommand::ChooseDevice { kind, id } => dispatcher.dispatch(Action::DeviceChosen {
            kind: *kind,
            id: id.clone(),
        }),
        UserCommand::DismissDeviceNotice => dispatcher.dispatch(Action::DismissDeviceNotice),
        UserCommand::PickSpeaker => {
            let dispatcher = dispatcher.clone();
            devices::pick_speaker(move |device| dispatcher.dispatch(Action::SpeakerPicked(device)));
        }
        UserCommand::EnableAudio => {
            let dispatcher = dispatcher.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let allowed = devices::playback_allowed().await;
                dispatcher.dispatch(Action::Playback(if allowed {
                    Playback::Allowed
                } else {
                    Playback::Blocked
                }));
            });
        }
        UserCommand::StartAudioTest => {
            if state.call.is_some() || audio_test.borrow().is_some() {
                return;
            }
            let (dispatcher, slot) = (dispatcher.clone(), audio_test.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let report = {
                    let dispatcher = dispatcher.clone();
                    Rc::new(move |test: AudioTest| dispatcher.dispatch(Action::AudioTest(test)))
                        as Rc<dyn Fn(AudioTest)>
                };
                let on_done = {
                    let (dispatcher, slot) = (dispatcher.clone(), slot.clone());
                    move || {
                        slot.borrow_mut().take();
                        dispatcher.dispatch(Action::AudioTest(AudioTest::Idle));
                    }
                };
                match devices::start_audio_test(report, on_done).await {
                    Ok(run) => {
                        *slot.borrow_mut() = Some(run);
                        dispatcher.dispatch(Action::MediaProblem(None));
                        trace_state(&dispatcher, "Audio test started".into());
                        // Labels are readable now that the microphone is allowed.
                        list_devices(dispatcher).await;
                    }
                    Err((text, problem)) => {
                        if problem.is_some() {
                            dispatcher.dispatch(Action::MediaProblem(problem));
                        }
                        trace_state(&dispatcher, format!("Audio test failed: {text}"));
                        dispatcher.dispatch(Action::AudioTest(AudioTest::Failed(text)));
                    }
                }
            });
        }
        UserCommand::StopAudioTest => {
            audio_test.borrow_mut().take();
            dispatcher.dispatch(Action::AudioTest(AudioTest::Idle));
        }
        UserCommand::CopyTrace | UserCommand::DownloadTrace => {
            let now = js_sys::Date::now() as u64;
            let header = format!(
                "TTECPhone {} diagnostics, {}\nWebRTC number: {}\n",
                env!("CARGO_PKG_VERSION"),
                diagnostics::format_timestamp(now),
                state.agent.webrtc_number.as_deref().unwrap_or("none"),
            );
            let text = diagnostics::export(state.trace.iter().map(|e| &**e), &header);
            if matches!(command, UserCommand::DownloadTrace) {
                devices::download_text(&diagnostics::file_name(now), &text);
            } else {
                let dispatcher = dispatcher.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let copied = devices::copy_text(&text).await;
                    trace_state(
                        &dispatcher,
                        if copied {
                            "Diagnostics copied to the clipboard"
                        } else {
                            "The browser refused the clipboard: use Download"
                        }
                        .into(),
                    );
                });
            }
        }
        UserCommand::Answer { .. }
        | UserCommand::Reject { .. }
        | UserCommand::HangUp { .. }
        | UserCommand::Mute { .. }
        | UserCommand::Call { .. }
        // The phone's lifecycle (`Phones::sign_in_again`), in the app root.
        | UserCommand::SignInToPhone => {}
    }
}
