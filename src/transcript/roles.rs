//! Roles: explicit role names, and inference for speakers whose role the source does not give.
//!
//! Precedence, per speaker: an explicit role on one of their turns (JSON `role`, CSV `role`
//! column) → an affiliation from the source (Gong `Internal` = seller, `External` = customer)
//! → the seller names the caller gave (`ReadOptions::sellers`, case-insensitive; when one of
//! them speaks, every other speaker is a customer) → guesses:
//! 1. a name with a seller word (`Rep`, `Sales`, `AE`, `SDR`, `Agent`, `销售`, `顾问`, `客服`,
//!    `客户经理`) is a seller; one with a buyer word (`Customer`, `Client`, `Buyer`,
//!    `Prospect`, `客户`, `买家`, `甲方`) is a customer;
//! 2. when no seller is known yet, the first speaker who talks is the seller — unless another
//!    speaker plainly talks like one (see [`seller_talk`]: at least two more seller phrases,
//!    net of buyer phrases, than the first speaker), since buyers do open some calls;
//! 3. everyone else is a customer.
//!
//! Every guessed speaker adds one warning (``roles guessed: `Maya` = seller (first speaker)``).
//! Turns without a speaker keep their explicit role, or get `other` with one warning.

use std::collections::{HashMap, HashSet};

use super::assemble::Piece;
use super::Role;

/// Latin name words that mark a seller.
const SELLER_WORDS: &[&str] = &[
    "rep",
    "sales",
    "salesperson",
    "seller",
    "ae",
    "sdr",
    "bdr",
    "agent",
    "vendor",
    "account executive",
];

/// Chinese name parts that mark a seller.
const SELLER_HAN: &[&str] = &["销售", "顾问", "客服", "客户经理", "乙方"];

/// Latin name words that mark a customer.
const CUSTOMER_WORDS: &[&str] = &["customer", "client", "buyer", "prospect"];

/// Chinese name parts that mark a customer.
const CUSTOMER_HAN: &[&str] = &["客户", "买家", "甲方"];

/// Phrases a seller says about their own offer, or to the buyer (lower case).
const SELLER_PHRASES: &[&str] = &[
    "our platform",
    "our product",
    "our solution",
    "our customers",
    "our clients",
    "we offer",
    "we can offer",
    "we can set up",
    "i can send",
    "i'll send you",
    "i can set up",
    "thanks for your time",
    "thanks for taking",
    "would you be open",
    "does that work for you",
    "我们的产品",
    "我们的系统",
    "我们的方案",
    "我们平台",
    "给您",
    "帮您",
    "为您",
    "您这边",
    "您看",
];

/// Phrases a buyer says about the seller's offer or their own side (lower case).
const BUYER_PHRASES: &[&str] = &[
    "your product",
    "your platform",
    "your tool",
    "your solution",
    "your pricing",
    "your team",
    "you guys",
    "our budget",
    "my boss",
    "we currently use",
    "we're using",
    "你们的",
    "你们这个",
    "你们那",
    "我们老板",
    "我们领导",
    "我们预算",
    "我们现在用",
];

/// How much a speaker's turns sound like the seller's: seller phrases minus buyer phrases.
fn seller_talk(pieces: &[Piece], speaker: &str) -> i64 {
    let mut score = 0i64;
    for piece in pieces
        .iter()
        .filter(|p| p.speaker.as_deref() == Some(speaker))
    {
        let text = piece.text.to_lowercase();
        let hits = |phrases: &[&str]| {
            phrases
                .iter()
                .map(|p| text.matches(p).count() as i64)
                .sum::<i64>()
        };
        score += hits(SELLER_PHRASES) - hits(BUYER_PHRASES);
    }
    score
}

/// What the source or the caller says about who is who.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RoleHints<'a> {
    /// Roles by speaker name, from affiliation fields.
    pub affiliations: &'a [(String, Role)],
    /// Names the caller says are sellers.
    pub sellers: &'a [String],
}

/// A role name as written in data: `seller`, `customer`, `other`, and common synonyms.
pub(crate) fn parse_role(name: &str) -> Option<Role> {
    match name.trim().to_lowercase().as_str() {
        "seller" | "rep" | "sales" | "salesperson" | "sales rep" | "agent" | "ae" | "sdr"
        | "bdr" | "account executive" | "vendor" | "internal" => Some(Role::Seller),
        "customer" | "buyer" | "client" | "prospect" | "lead" | "external" => Some(Role::Customer),
        "other" | "none" | "moderator" | "bot" | "system" => Some(Role::Other),
        _ => None,
    }
}

/// The role's name as written in data and output.
pub(crate) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Seller => "seller",
        Role::Customer => "customer",
        Role::Other => "other",
    }
}

/// The role of each piece, and one warning per guess.
pub(crate) fn assign(pieces: &[Piece], hints: RoleHints<'_>) -> (Vec<Role>, Vec<String>) {
    let speakers = speakers_in_order(pieces);
    let mut known = known_roles(pieces, &speakers, hints);
    let mut warnings = unmatched_sellers(&speakers, hints.sellers);
    let listed_seller_speaks = speakers
        .iter()
        .any(|name| is_listed_seller(name, hints.sellers));
    for (name, role, reason) in guess(pieces, &speakers, &known, listed_seller_speaks) {
        warnings.push(format!(
            "roles guessed: `{name}` = {} ({reason})",
            role_name(role)
        ));
        known.insert(name, role);
    }

    let roles: Vec<Role> = pieces
        .iter()
        .map(|piece| {
            let by_speaker = piece
                .speaker
                .as_deref()
                .and_then(|name| known.get(name).copied());
            piece.role.or(by_speaker).unwrap_or(Role::Other)
        })
        .collect();
    let unnamed = pieces
        .iter()
        .filter(|p| p.speaker.is_none() && p.role.is_none())
        .count();
    if unnamed > 0 {
        warnings.push(format!("{unnamed} turn(s) without a speaker: role `other`"));
    }
    (roles, warnings)
}

/// Distinct speaker names, in the order they first talk.
fn speakers_in_order(pieces: &[Piece]) -> Vec<&str> {
    let mut seen = HashSet::new();
    let names = pieces.iter().filter_map(|piece| piece.speaker.as_deref());
    names.filter(|name| seen.insert(*name)).collect()
}

/// Roles the source or the caller gives: explicit, then affiliation, then seller names.
fn known_roles<'p>(
    pieces: &'p [Piece],
    speakers: &[&'p str],
    hints: RoleHints<'_>,
) -> HashMap<&'p str, Role> {
    let mut known = HashMap::new();
    for piece in pieces {
        if let (Some(name), Some(role)) = (piece.speaker.as_deref(), piece.role) {
            known.entry(name).or_insert(role);
        }
    }
    let mut affiliations: HashMap<&str, Role> = HashMap::new();
    for (name, role) in hints.affiliations {
        affiliations.entry(name.as_str()).or_insert(*role);
    }
    for &name in speakers {
        if let Some(role) = affiliations.get(name) {
            known.entry(name).or_insert(*role);
        } else if is_listed_seller(name, hints.sellers) {
            known.entry(name).or_insert(Role::Seller);
        }
    }
    known
}

/// A warning when the caller named sellers and none of them speaks.
fn unmatched_sellers(speakers: &[&str], sellers: &[String]) -> Vec<String> {
    let matched = speakers.iter().any(|name| is_listed_seller(name, sellers));
    if sellers.is_empty() || matched {
        return Vec::new();
    }
    let listed: Vec<String> = sellers.iter().map(|s| format!("`{s}`")).collect();
    vec![format!(
        "no speaker matches the seller names {}",
        listed.join(", ")
    )]
}

fn is_listed_seller(name: &str, sellers: &[String]) -> bool {
    sellers
        .iter()
        .any(|seller| seller.trim().to_lowercase() == name.to_lowercase())
}

/// Guesses for the speakers without a known role: `(name, role, reason)` in talking order.
/// When a listed seller speaks, everyone else is a customer; otherwise names, then order.
fn guess<'p>(
    pieces: &[Piece],
    speakers: &[&'p str],
    known: &HashMap<&'p str, Role>,
    listed_seller_speaks: bool,
) -> Vec<(&'p str, Role, String)> {
    let unknown: Vec<&str> = speakers
        .iter()
        .copied()
        .filter(|n| !known.contains_key(n))
        .collect();
    if listed_seller_speaks {
        let reason = "not a listed seller".to_string();
        return unknown
            .into_iter()
            .map(|name| (name, Role::Customer, reason.clone()))
            .collect();
    }

    let mut guesses: Vec<(&str, Role, String)> = unknown
        .iter()
        .filter_map(|&name| {
            by_name(name).map(|(role, word)| (name, role, format!("name has `{word}`")))
        })
        .collect();
    let guessed: HashSet<&str> = guesses.iter().map(|(name, _, _)| *name).collect();
    let rest: Vec<&str> = unknown
        .iter()
        .copied()
        .filter(|n| !guessed.contains(n))
        .collect();
    let has_seller = known.values().any(|r| *r == Role::Seller)
        || guesses.iter().any(|(_, role, _)| *role == Role::Seller);
    let seller = match rest.first() {
        Some(&first) if !has_seller => {
            let talk: Vec<i64> = rest.iter().map(|name| seller_talk(pieces, name)).collect();
            let (best, best_talk) = talk
                .iter()
                .enumerate()
                .max_by_key(|&(i, t)| (*t, std::cmp::Reverse(i)))
                .map_or((0, 0), |(i, t)| (i, *t));
            if best > 0 && best_talk - talk[0] >= 2 {
                Some((rest[best], "talks like the seller"))
            } else {
                Some((first, "first speaker"))
            }
        }
        _ => None,
    };
    for name in rest {
        let (role, reason) = match seller {
            Some((s, reason)) if s == name => (Role::Seller, reason),
            _ => (Role::Customer, "another speaker is the seller"),
        };
        guesses.push((name, role, reason.to_string()));
    }
    let order: HashMap<&str, usize> = speakers.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    guesses.sort_by_key(|(name, _, _)| order.get(name).copied());
    guesses
}

/// A role from a seller or buyer word in the name, with the word.
fn by_name(name: &str) -> Option<(Role, &'static str)> {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let phrase = words.join(" ");
    let has_word = |word: &str| {
        if word.contains(' ') {
            format!(" {phrase} ").contains(&format!(" {word} "))
        } else {
            words.contains(&word)
        }
    };
    let seller = SELLER_WORDS
        .iter()
        .find(|w| has_word(w))
        .or_else(|| SELLER_HAN.iter().find(|w| name.contains(*w)));
    if let Some(word) = seller {
        return Some((Role::Seller, word));
    }
    let customer = CUSTOMER_WORDS
        .iter()
        .find(|w| has_word(w))
        .or_else(|| CUSTOMER_HAN.iter().find(|w| name.contains(*w)));
    customer.map(|word| (Role::Customer, *word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(names: &[Option<&str>]) -> Vec<Piece> {
        names
            .iter()
            .map(|name| Piece::new(name.map(str::to_string), "text"))
            .collect()
    }

    #[test]
    fn parses_role_synonyms() {
        assert_eq!(parse_role("Rep"), Some(Role::Seller));
        assert_eq!(parse_role(" prospect "), Some(Role::Customer));
        assert_eq!(parse_role("other"), Some(Role::Other));
        assert_eq!(parse_role("boss"), None);
    }

    #[test]
    fn first_speaker_is_the_seller() {
        let (roles, warnings) = assign(
            &pieces(&[Some("Maya"), Some("Li"), Some("Maya")]),
            RoleHints::default(),
        );
        assert_eq!(roles, vec![Role::Seller, Role::Customer, Role::Seller]);
        assert_eq!(
            warnings,
            vec![
                "roles guessed: `Maya` = seller (first speaker)",
                "roles guessed: `Li` = customer (another speaker is the seller)",
            ]
        );
    }

    #[test]
    fn a_buyer_who_opens_is_not_taken_for_the_seller() {
        let mut ps = pieces(&[Some("Dana"), Some("Sam"), Some("Dana"), Some("Sam")]);
        ps[0].text = "Hi, thanks for calling back. I looked at your pricing page.".into();
        ps[1].text =
            "Thanks for taking the time. Our platform can import that; I can send a demo link."
                .into();
        ps[2].text = "You guys said it works with our budget tool?".into();
        ps[3].text = "Yes, our customers use it daily. Does that work for you?".into();
        let (roles, warnings) = assign(&ps, RoleHints::default());
        assert_eq!(
            roles,
            vec![Role::Customer, Role::Seller, Role::Customer, Role::Seller]
        );
        assert!(
            warnings.contains(&"roles guessed: `Sam` = seller (talks like the seller)".to_string()),
            "{warnings:?}"
        );

        // Weak evidence keeps the first-speaker rule.
        let mut ps = pieces(&[Some("Dana"), Some("Sam")]);
        ps[1].text = "Our platform does that.".into();
        let (roles, _) = assign(&ps, RoleHints::default());
        assert_eq!(roles, vec![Role::Seller, Role::Customer]);
    }

    #[test]
    fn names_beat_order() {
        let (roles, warnings) = assign(
            &pieces(&[Some("Li Wei"), Some("Maya (Rep)")]),
            RoleHints::default(),
        );
        assert_eq!(roles, vec![Role::Customer, Role::Seller]);
        assert_eq!(
            warnings[0],
            "roles guessed: `Li Wei` = customer (another speaker is the seller)"
        );
        assert_eq!(
            warnings[1],
            "roles guessed: `Maya (Rep)` = seller (name has `rep`)"
        );
        let (roles, _) = assign(
            &pieces(&[Some("王总"), Some("销售小张")]),
            RoleHints::default(),
        );
        assert_eq!(roles, vec![Role::Customer, Role::Seller]);
    }

    #[test]
    fn listed_sellers_are_not_guesses() {
        let sellers = vec!["li".to_string()];
        let hints = RoleHints {
            sellers: &sellers,
            ..RoleHints::default()
        };
        let (roles, warnings) = assign(&pieces(&[Some("Maya"), Some("Li")]), hints);
        assert_eq!(roles, vec![Role::Customer, Role::Seller]);
        assert_eq!(
            warnings,
            vec!["roles guessed: `Maya` = customer (not a listed seller)"]
        );
    }

    #[test]
    fn explicit_and_affiliation_roles_win() {
        let mut list = pieces(&[Some("A"), Some("B")]);
        list[0].role = Some(Role::Customer);
        let affiliations = vec![("B".to_string(), Role::Seller)];
        let hints = RoleHints {
            affiliations: &affiliations,
            ..RoleHints::default()
        };
        let (roles, warnings) = assign(&list, hints);
        assert_eq!(roles, vec![Role::Customer, Role::Seller]);
        assert!(warnings.is_empty());
    }

    #[test]
    fn unnamed_turns_are_other() {
        let (roles, warnings) = assign(&pieces(&[None, None]), RoleHints::default());
        assert_eq!(roles, vec![Role::Other, Role::Other]);
        assert_eq!(warnings, vec!["2 turn(s) without a speaker: role `other`"]);
    }
}
