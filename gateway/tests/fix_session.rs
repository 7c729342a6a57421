//! Scenario tests of the FIX 4.4 acceptor session, one per rule of the FIX
//! session specification (Volume 2 and its "Session-level test cases"),
//! on simulated time with an in-memory store; property tests of the codec
//! and the session under corrupted and split input; and a proof that the
//! steady-state order path does not allocate.

#[path = "fix_session/support.rs"]
mod support;

#[path = "fix_session/logon.rs"]
mod logon;
#[path = "fix_session/no_alloc.rs"]
mod no_alloc;
#[path = "fix_session/properties.rs"]
mod properties;
#[path = "fix_session/resend.rs"]
mod resend;
#[path = "fix_session/sequencing.rs"]
mod sequencing;
#[path = "fix_session/timers.rs"]
mod timers;
#[path = "fix_session/validation.rs"]
mod validation;
