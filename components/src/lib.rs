//! TTECPhone's store and the Yew components that share it.
//!
//! * [`store`]: state, actions and the pure reducer (native unit tests).
//! * [`config`]: the gadget configuration: build-time defaults, `config.json`
//!   and gadget URL parameters merged and validated, errors naming the key.
//! * [`diagnostics`]: trace redaction and export; [`problems`]: errors in
//!   plain words; [`tone`]: the answer tone as a small WAV (pure code);
//!   [`wazo`]: the `wazo` broker kind's login bodies and line choice.
//! * one file per component; each takes props and callbacks, so it renders
//!   the same in the app and in tests. [`PhoneBar`] wires them to the store.
//!
//! Class names with a variable part are set as the `className` property
//! (`~className={…}`), not with `class={classes!(…)}`: Yew builds a `Classes`
//! set (an `IndexSet`) for every dynamic `class`, and that machinery alone was
//! about 4 KB of the gadget's gzip size. Static classes stay `class="…"`.
#![forbid(unsafe_code)]

/// `view_component!(Name, name_component, NameProps, view_fn)`: the view
/// function `view_fn` as the component `Name`, for hosts that mount it on its own
/// (the tests). The bar calls the view functions directly: every component type
/// costs about 2 KB of wasm in Yew's generic machinery.
macro_rules! view_component {
    ($name:ident, $component_fn:ident, $props:ty, $view:ident) => {
        #[doc = concat!("[`", stringify!($view), "`] as a component.")]
        #[::yew::function_component($name)]
        pub fn $component_fn(props: &$props) -> ::yew::Html {
            $view(props)
        }
    };
}

pub mod auto_answer;
pub mod call_controls;
pub mod config;
pub mod config_notice;
pub mod devices;
pub mod diagnostics;
pub mod diagnostics_panel;
#[cfg(feature = "outcall")]
pub mod dialpad;
pub mod gallery;
pub mod incoming_call;
pub mod json;
pub mod phone_bar;
pub mod problems;
pub mod quality;
pub mod quality_indicator;
pub mod registration_status;
pub mod routing;
pub mod settings;
pub mod sso;
pub mod store;
pub mod team;
pub mod team_board;
pub mod team_quality;
pub mod tone;
pub mod wazo;

pub use auto_answer::AutoAnswerControls;
pub use call_controls::CallControls;
pub use config_notice::ConfigNotice;
pub use diagnostics_panel::DiagnosticsPanel;
#[cfg(feature = "outcall")]
pub use dialpad::Dialpad;
pub use gallery::Gallery;
pub use incoming_call::IncomingCallBanner;
pub use phone_bar::{PhoneBar, PhoneBarView};
pub use problems::{Problem, ProblemNotice};
pub use quality_indicator::QualityIndicator;
pub use registration_status::RegistrationStatus;
pub use settings::SettingsPanel;
pub use store::{Action, PhoneState, UserCommand};
pub use team_board::TeamBoardView;

use yew::prelude::*;

/// What components get from the app root: the state to read and the channel
/// for the agent's commands (they go to the driver, never into the state).
#[derive(Clone)]
pub struct StoreContext {
    pub state: UseReducerHandle<PhoneState>,
    pub commands: Callback<UserCommand>,
}

/// The same state is the same allocation: the reducer returns a new `Rc` for
/// every change, so consumers re-render exactly when it changed, without the
/// deep comparison of the whole state (and its code) on every render.
impl PartialEq for StoreContext {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq::<PhoneState>(&*self.state, &*other.state) && self.commands == other.commands
    }
}
