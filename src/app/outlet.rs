//! Where the phone's and the Finesse bridge's reports go: the store once it exists;
//! until then (start-up runs before the first render) they are held, and the store's
//! first state is built from them. Registration's first outcome lets the first render
//! go ahead ([`settle`]).

use std::cell::RefCell;

use futures::channel::oneshot;
use ttecphone_components::store::{
    reduce, Action, PhoneState, Registration, TraceEntry, TraceKind,
};
use yew::UseReducerDispatcher;

/// The phone's reports before the store exists are held here; `settled` is told when
/// registration has an outcome (the bar then renders with it).
enum Outlet {
    Held {
        actions: Vec<Action>,
        settled: Option<oneshot::Sender<()>>,
    },
    Store(UseReducerDispatcher<PhoneState>),
}

thread_local! {
    static OUTLET: RefCell<Outlet> = const { RefCell::new(Outlet::Held { actions: Vec::new(), settled: None }) };
}

/// Reports an action: into the store, or held until it exists.
pub fn report(action: Action) {
    let outcome = matches!(&action, Action::Registration(registration) if !matches!(
        registration,
        Registration::Starting | Registration::Connecting | Registration::Registering
    ));
    let store = OUTLET.with(|o| match &mut *o.borrow_mut() {
        Outlet::Store(dispatcher) => Some((dispatcher.clone(), action)),
        Outlet::Held { actions, .. } => {
            actions.push(action);
            None
        }
    });
    match store {
        Some((dispatcher, action)) => dispatcher.dispatch(action),
        None if outcome => settle(),
        None => {}
    }
}

/// A state line in the diagnostics trace, with the page's wall-clock time.
pub fn trace(text: String) {
    report(trace_entry(text));
}

/// The trace action for `text` (state kind, now).
pub fn trace_entry(text: String) -> Action {
    Action::Trace(TraceEntry {
        at: js_sys::Date::now() as u64,
        kind: TraceKind::State,
        text,
    })
}

/// Start-up waits on the returned receiver before the first render: [`settle`] (or a
/// time-out of the caller's) lets it go.
pub fn hold() -> oneshot::Receiver<()> {
    let (tx, rx) = oneshot::channel();
    OUTLET.with(|o| {
        if let Outlet::Held { settled, .. } = &mut *o.borrow_mut() {
            *settled = Some(tx);
        }
    });
    rx
}

/// Lets the first render go ahead (once).
pub fn settle() {
    let waiting = OUTLET.with(|o| match &mut *o.borrow_mut() {
        Outlet::Held { settled, .. } => settled.take(),
        Outlet::Store(_) => None,
    });
    if let Some(tx) = waiting {
        let _ = tx.send(());
    }
}

/// The store's first state: what was reported so far.
pub fn first_state() -> PhoneState {
    let held = OUTLET.with(|o| match &mut *o.borrow_mut() {
        Outlet::Held { actions, .. } => std::mem::take(actions),
        Outlet::Store(_) => Vec::new(),
    });
    held.into_iter()
        .fold(PhoneState::default(), |state, action| {
            reduce(&state, action)
        })
}

/// The store exists: what was held since its first state goes in, and the rest follows
/// directly.
pub fn connect(dispatcher: UseReducerDispatcher<PhoneState>) {
    let held =
        OUTLET.with(|o| std::mem::replace(&mut *o.borrow_mut(), Outlet::Store(dispatcher.clone())));
    if let Outlet::Held { actions, .. } = held {
        actions
            .into_iter()
            .for_each(|action| dispatcher.dispatch(action));
    }
}
