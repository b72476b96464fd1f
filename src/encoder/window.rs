//! Splitting token sequences longer than the encoder window into overlapping windows.

/// Splits `ids` into windows of at most `room` tokens; consecutive windows share `overlap`
/// tokens so that no token loses all of its context at a cut. An empty input gives one empty
/// window, so every text still yields a vector.
pub fn split(ids: &[u32], room: usize, overlap: usize) -> Vec<&[u32]> {
    let room = room.max(1);
    if ids.len() <= room {
        return vec![ids];
    }
    let step = room.saturating_sub(overlap).max(1);
    let mut windows = Vec::new();
    let mut start = 0;
    loop {
        let end = (start + room).min(ids.len());
        windows.push(&ids[start..end]);
        if end == ids.len() {
            return windows;
        }
        start += step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_input_is_one_window() {
        let ids = [1, 2, 3];
        assert_eq!(split(&ids, 5, 2), vec![&ids[..]]);
        assert_eq!(split(&[], 5, 2), vec![&[] as &[u32]]);
    }

    #[test]
    fn long_input_overlaps_and_covers_every_token() {
        let ids: Vec<u32> = (0..10).collect();
        let windows = split(&ids, 4, 1);
        assert_eq!(windows, vec![&ids[0..4], &ids[3..7], &ids[6..10]]);
    }

    #[test]
    fn overlap_not_smaller_than_room_still_advances() {
        let ids: Vec<u32> = (0..5).collect();
        let windows = split(&ids, 2, 2);
        assert_eq!(windows.len(), 4);
        assert_eq!(windows.last().unwrap(), &&ids[3..5]);
    }
}
