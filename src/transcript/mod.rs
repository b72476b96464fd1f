//! Transcript readers: every supported input format into one [`Conversation`] model.

mod model;

pub use model::{Conversation, Language, Role, Turn};
