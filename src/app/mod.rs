//! The app root: the component shell that owns the store, and the bar it renders.
//!
//! Where each part lives (a newcomer's map; the README's "How it is built" has the
//! start-up steps in order):
//! - `startup.rs`: the one start-up sequence, from the page's first script to the
//!   Finesse User, in either order Finesse fills `finesse.gadget.Config`;
//! - `phone.rs`: which phone runs, and how one starts (tab lock, broker, driver);
//! - `outlet.rs`: where reports go before the store exists, and after;
//! - `reactions.rs`: what the page does when the store changes;
//! - `commands.rs`: the agent's commands the page handles itself;
//! - this file: the component, its hooks, and the view.
//!
//! The phone (the driver around the SIP core) runs only while the user is a mobile
//! agent with a WebRTC number and is not logged out; otherwise the bar says why
//! nothing is registered.

mod commands;
mod outlet;
mod phone;
mod reactions;
mod startup;

use gloo::events::EventListener;
use ttecphone_components::gallery::{gallery, samples, GalleryProps};
use ttecphone_components::problems::{problem_notice, problems, Problem, ProblemNoticeProps};
use ttecphone_components::registration_status::{registration_status, RegistrationStatusProps};
use ttecphone_components::store::{Registration, UserCommand};
use ttecphone_components::{PhoneBar, StoreContext, TeamBoardView};
use yew::prelude::*;

pub use outlet::report;
pub use phone::Phones;
pub use startup::boot;

use crate::devices;
use reactions::{list_devices, Reacted, Reactions, Seen};

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// The page's phone, as start-up left it (`boot`).
    pub phones: Phones,
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    // What start-up reported before the store existed is its first state.
    let state = use_reducer(outlet::first_state);
    let phones = props.phones.clone();
    let audio_test = use_mut_ref(|| None::<devices::AudioTestRun>);

    {
        let (dispatcher, phones) = (state.dispatcher(), phones.clone());
        use_effect_with((), move |_| {
            // What was reported since the first state goes in; the rest follows directly.
            outlet::connect(dispatcher.clone());
            let watcher = devices::watch(move || {
                wasm_bindgen_futures::spawn_local(list_devices(dispatcher.clone()))
            });
            // Page unload: un-REGISTER (Expires: 0) so the broker holds no stale contact.
            // The wazo token stays cached (sessionStorage) so a reload reuses it.
            let unload = web_sys::window().map(|window| {
                EventListener::new(&window, "pagehide", move |_| phones.stop("Page closed."))
            });
            move || drop((watcher, unload))
        });
    }

    // What the page does when the store changes (the phone to run included).
    {
        let reactions = Reactions {
            own: use_mut_ref(Reacted::default),
            dispatcher: state.dispatcher(),
            phones: phones.clone(),
            audio_test: audio_test.clone(),
            tone: state.auto_answer.tone,
            routing: state.routing.clone(),
        };
        let now = Seen::of(&state);
        use_effect(move || reactions.run(now));
    }

    let commands = {
        let dispatcher = state.dispatcher();
        let (state, audio_test) = (state.clone(), audio_test.clone());
        Callback::from(move |command: UserCommand| {
            commands::page_command(&command, &state, &dispatcher, &audio_test);
            if command == UserCommand::SignInToPhone {
                phones.sign_in_again();
            }
            if let Some(driver) = phones.driver() {
                driver.command(command);
            }
        })
    };
    view(StoreContext {
        state: state.clone(),
        commands,
    })
}

/// The bar, or in supervisor preview the team board with the supervisor's own line.
fn view(context: StoreContext) -> Html {
    let state = &context.state;
    let preview = state.board.active;
    let rows = state.board.rows.clone();
    let quality = state.board.quality.clone();
    // Preview has no agent's bar: a Finesse failure (the team not loading) shows here.
    let finesse_problems: Vec<Problem> = if preview {
        problems(state)
            .into_iter()
            .filter(|p| matches!(p, Problem::Finesse { .. }))
            .collect()
    } else {
        Vec::new()
    };
    let (registration, number, now) = (
        state.registration.clone(),
        state.agent.webrtc_number.clone(),
        state.now,
    );
    html! {
        <ContextProvider<StoreContext> context={context}>
            if preview {
                // Registered: no "Ready to receive calls." (a preview line takes none; the
                // board's title says so); problems and progress keep their detail line.
                { registration_status(&RegistrationStatusProps {
                    show_detail: !matches!(registration, Registration::Registered { .. }),
                    registration,
                    webrtc_number: number,
                    now,
                }) }
                { problem_notice(&ProblemNoticeProps { problems: finesse_problems, on_command: Default::default() }) }
                // "What agents see": the agent's bar in each state, read-only.
                <TeamBoardView rows={rows} quality={quality}>
                    { gallery(&GalleryProps { items: samples(), commands: Default::default() }) }
                </TeamBoardView>
            } else {
                <PhoneBar />
            }
        </ContextProvider<StoreContext>>
    }
}
