//! Which turns the head scores, and what it reads for each of them.

use crate::transcript::{Conversation, Role};

use super::HeadInput;

/// The turns the model scores: buyer turns, or every turn when no role is known at all.
pub fn scored_turns(conversation: &Conversation) -> Vec<usize> {
    let turns = &conversation.turns;
    let roles_known = turns.iter().any(|t| t.role != Role::Other);
    turns
        .iter()
        .enumerate()
        .filter(|(_, t)| !roles_known || t.role == Role::Customer)
        .map(|(i, _)| i)
        .collect()
}

/// The seller turn a buyer turn answers: the nearest earlier seller turn, if any.
pub fn context_turn(conversation: &Conversation, turn: usize) -> Option<usize> {
    (0..turn)
        .rev()
        .find(|&i| conversation.turns[i].role == Role::Seller)
}

/// The seller turn that answers a buyer turn: the nearest later seller turn, if any.
pub fn reply_turn(conversation: &Conversation, turn: usize) -> Option<usize> {
    (turn + 1..conversation.turns.len()).find(|&i| conversation.turns[i].role == Role::Seller)
}

/// The turn indices whose vectors are needed to score `scored` with `input`.
pub fn needed_turns(conversation: &Conversation, scored: &[usize], input: HeadInput) -> Vec<usize> {
    let mut needed: Vec<usize> = scored.to_vec();
    if input != HeadInput::Turn {
        needed.extend(scored.iter().filter_map(|&t| context_turn(conversation, t)));
    }
    if input == HeadInput::TurnAndNeighbours {
        needed.extend(scored.iter().filter_map(|&t| reply_turn(conversation, t)));
    }
    needed.sort_unstable();
    needed.dedup();
    needed
}

/// The head's input row for one scored turn, given a lookup of turn vectors.
pub fn feature_row<'a>(
    conversation: &Conversation,
    turn: usize,
    input: HeadInput,
    vector: impl Fn(usize) -> &'a [f32],
) -> Vec<f32> {
    let own = vector(turn);
    let mut row = own.to_vec();
    let mut push = |other: Option<usize>| match other {
        Some(c) => row.extend_from_slice(vector(c)),
        None => row.extend(std::iter::repeat_n(0.0, own.len())),
    };
    match input {
        HeadInput::Turn => {}
        HeadInput::TurnAndContext => push(context_turn(conversation, turn)),
        HeadInput::TurnAndNeighbours => {
            push(context_turn(conversation, turn));
            push(reply_turn(conversation, turn));
        }
    }
    row
}
