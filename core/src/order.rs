//! Stable sorting through one copy of the standard library's sort.
//!
//! `slice::sort_by` is generic over the element type and the comparison, so every call site
//! compiles its own copy of the sort (about 3.5 KB of WebAssembly each); the snapshot's ~20
//! sorted lists made sorting 96 KB of the browser's diagnostics module. [`sort_by`] sorts the
//! positions instead (one `Vec<usize>` sort, comparing through a `&dyn Fn`), then moves the
//! elements into that order: per call site only a comparison closure and a loop of swaps remain.
//! The result is exactly `slice::sort_by`'s: stable, equal elements keep their order.

use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Sorts `items` by `compare`, stably, with the result of `items.sort_by(compare)`.
pub(crate) fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    let order = sorted_positions(items.len(), &|i, j| compare(&items[i], &items[j]));
    for (a, b) in swaps(order) {
        items.swap(a, b);
    }
}

/// Sorts `items` by their natural order, stably (`items.sort()`).
pub(crate) fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// The map of `pairs`, the last of equal keys winning: what `collect()` makes, without the stable
/// sort it runs over the pairs first (a copy per iterator type).
pub(crate) fn map_of<K: Ord, V>(pairs: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    for (k, v) in pairs {
        map.insert(k, v);
    }
    map
}

/// `0..len` sorted stably by `compare` of the positions: the old position of each new one.
fn sorted_positions(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&i, &j| compare(i, j));
    order
}

/// The swaps, in turn, that bring the element at `order[i]` to `i` for every `i`: each cycle of
/// the permutation is followed once, so there are fewer swaps than elements.
fn swaps(mut order: Vec<usize>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for start in 0..order.len() {
        // Position `cur` holds the element that started at `start`; the one it needs is at
        // `order[cur]`, untouched so far (or it is the one at `start`, and the cycle is closed).
        let mut cur = start;
        while order[cur] != start {
            let next = order[cur];
            out.push((cur, next));
            order[cur] = cur;
            cur = next;
        }
        order[cur] = cur;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same order as the standard library's stable sort, equal keys included (the
        /// second field tells equal keys apart).
        #[test]
        fn sorts_like_the_standard_stable_sort(keys in proptest::collection::vec(0u8..6, 0..200)) {
            let items: Vec<(u8, usize)> = keys.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
            let mut ours = items.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = items;
            std.sort_by_key(|a| a.0);
            prop_assert_eq!(ours, std);
        }

        #[test]
        fn sorts_strings_like_sort(words in proptest::collection::vec("[a-c]{0,3}", 0..50)) {
            let mut ours = words.clone();
            sort(&mut ours);
            let mut std = words;
            std.sort();
            prop_assert_eq!(ours, std);
        }
    }

    #[test]
    fn a_map_keeps_the_last_of_equal_keys_like_collect() {
        let pairs = [("b", 1), ("a", 2), ("b", 3), ("c", 4), ("a", 5)];
        let collected: BTreeMap<&str, i32> = pairs.into_iter().collect();
        assert_eq!(map_of(pairs), collected);
        assert_eq!(map_of(pairs)["b"], 3);
    }

    #[test]
    fn every_permutation_of_four_is_undone() {
        let mut seen = 0;
        for n in 0..256usize {
            let v: Vec<usize> = (0..4).map(|i| (n >> (2 * i)) & 3).collect();
            if (0..4).any(|k| !v.contains(&k)) {
                continue;
            }
            seen += 1;
            let mut sorted = v.clone();
            sort(&mut sorted);
            assert_eq!(sorted, [0, 1, 2, 3], "{v:?}");
        }
        assert_eq!(seen, 24);
    }
}
