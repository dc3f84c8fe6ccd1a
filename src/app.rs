//! The app root: owns the store, starts the edges, and renders the bar.

use gloo::timers::callback::Interval;
use ttecphone_components::store::{Action, CallPhase, PhoneState, Registration, UserCommand};
use ttecphone_components::{PhoneBar, StoreContext};
use yew::prelude::*;

use crate::{clock, config_source, finesse};

/// Sends bridge/driver actions into the store.
struct StoreSink(UseReducerDispatcher<PhoneState>);

impl finesse::Sink for StoreSink {
    fn dispatch(&self, action: Action) {
        self.0.dispatch(action);
    }
}

/// Starts everything that feeds the store. Runs once per page.
async fn start(dispatcher: UseReducerDispatcher<PhoneState>) {
    finesse::hub_connected().await;
    let config = match config_source::load().await {
        Ok(config) => config,
        Err(problems) => {
            dispatcher.dispatch(Action::ConfigInvalid(problems));
            return;
        }
    };
    dispatcher.dispatch(Action::Configured {
        auto_answer: config.auto_answer.clone(),
        dev_features: config.dev_features,
    });
    if !finesse::available() {
        dispatcher.dispatch(Action::Registration(Registration::Unregistered {
            reason: "Finesse is not available: open the phone from the Finesse desktop.".into(),
        }));
        return;
    }
    if let Err(message) =
        finesse::watch_user(StoreSink(dispatcher.clone()), config.number_rule.clone())
    {
        dispatcher.dispatch(Action::Registration(Registration::Failed {
            reason: format!("Finesse did not answer: {message}."),
        }));
    }
}

/// Registration follows the agent until the SIP driver takes over: a
/// non-WebRTC agent or a logged-out agent never registers.
fn gate_registration(state: &PhoneState) -> Option<Registration> {
    use ttecphone_components::store::AgentState;
    let agent = &state.agent;
    if agent.id.is_empty() {
        return None;
    }
    let reason = if agent.state == AgentState::Logout {
        "Logged out of Finesse."
    } else if !agent.mobile_agent || agent.webrtc_number.is_none() {
        "Not a WebRTC agent: log into Finesse as a mobile agent with your WebRTC number."
    } else {
        return matches!(
            state.registration,
            Registration::Starting | Registration::Unregistered { .. }
        )
        .then_some(Registration::Connecting);
    };
    let wanted = Registration::Unregistered {
        reason: reason.into(),
    };
    (state.registration != wanted).then_some(wanted)
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(PhoneState::default);

    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(start(dispatcher));
        });
    }
    {
        let dispatcher = state.dispatcher();
        let gate = gate_registration(&state);
        use_effect_with(gate, move |gate| {
            if let Some(registration) = gate.clone() {
                dispatcher.dispatch(Action::Registration(registration));
            }
        });
    }
    // The clock ticks only while something on screen counts (a ringing call's
    // countdown, a call timer, a reconnect countdown): an idle bar stays still.
    let needs_clock = state
        .call
        .as_ref()
        .is_some_and(|c| !matches!(c.phase, CallPhase::Answering))
        || matches!(state.registration, Registration::Reconnecting { .. });
    {
        let dispatcher = state.dispatcher();
        use_effect_with(needs_clock, move |needs_clock| {
            let interval = needs_clock.then(|| {
                dispatcher.dispatch(Action::Tick(clock::now()));
                Interval::new(250, move || dispatcher.dispatch(Action::Tick(clock::now())))
            });
            move || drop(interval)
        });
    }

    let commands = Callback::from(|command: UserCommand| {
        // The SIP driver (issue 4) receives these; until then they are only traced.
        gloo::console::debug!(format!("command: {command:?}"));
    });
    let context = StoreContext { state, commands };
    html! {
        <ContextProvider<StoreContext> context={context}>
            <PhoneBar />
        </ContextProvider<StoreContext>>
    }
}
