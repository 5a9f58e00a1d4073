//! One sort for the orderings the engine makes of its own values. Each `sort_by_key` (or
//! `sort_unstable`) call site over its own types carries its own copy of the sort code, several
//! KB of WebAssembly each; here every ordering is a pair of plain numbers, sorted by one shared
//! `sort_unstable`; orderings that compare strings or floats go through one comparison sort
//! (the ES module's size budget: docs/wasm.md).

use std::cmp::Ordering;

/// The positions of `keys` ordered by key, equal keys in their order (a stable sort's
/// permutation).
pub(crate) fn stable_order(keys: impl Iterator<Item = (u64, u64)>) -> Vec<usize> {
    let mut keyed: Vec<(u64, u64, usize)> = (keys.enumerate())
        .map(|(i, (first, second))| (first, second, i))
        .collect();
    sort_keyed(&mut keyed);
    keyed.into_iter().map(|(_, _, i)| i).collect()
}

/// The one sort: the position in each key makes equal keys unique, so unstable is stable.
#[inline(never)]
fn sort_keyed(keyed: &mut [(u64, u64, usize)]) {
    keyed.sort_unstable();
}

/// `items` moved out in `order` (a permutation of their positions).
pub(crate) fn in_order<'a, T: 'a>(
    items: Vec<T>,
    order: &'a [usize],
) -> impl Iterator<Item = T> + 'a {
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order.iter().filter_map(move |&i| slots[i].take())
}

/// Sorts `items` by `key`, stably: what `items.sort_by_key(key)` does, with the shared sort.
pub(crate) fn sort_by_key<T>(items: &mut Vec<T>, key: impl Fn(&T) -> (u64, u64)) {
    let order = stable_order(items.iter().map(key));
    let sorted: Vec<T> = in_order(std::mem::take(items), &order).collect();
    *items = sorted;
}

/// Sorts `items` by a comparison, stably: what `items.sort_by(compare)` does, but every call
/// site shares one copy of the sort (positions sorted through a `dyn` comparison) instead of
/// carrying its own for its item type.
pub(crate) fn sort_by<T>(items: &mut Vec<T>, mut compare: impl FnMut(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    sort_positions(&mut order, &mut |a, b| compare(&items[a], &items[b]));
    let sorted: Vec<T> = in_order(std::mem::take(items), &order).collect();
    *items = sorted;
}

/// The one comparison sort: equal items in their order by their positions (all different),
/// so that an unstable sort is stable, and the module carries no stable sort's code (~3 KB
/// gzipped of WebAssembly beside the unstable one).
#[inline(never)]
fn sort_positions(order: &mut [usize], compare: &mut dyn FnMut(usize, usize) -> Ordering) {
    order.sort_unstable_by(|&a, &b| compare(a, b).then(a.cmp(&b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_as_sort_by_key_does() {
        let words = ["pear", "fig", "apple", "kiwi", "fig", "plum", "date"];
        let mut ours: Vec<(usize, &str)> = words.iter().copied().enumerate().collect();
        let mut std = ours.clone();
        sort_by_key(&mut ours, |(_, w)| (u64::MAX - w.len() as u64, 0));
        std.sort_by_key(|(_, w)| std::cmp::Reverse(w.len()));
        assert_eq!(ours, std);
        assert_eq!(
            stable_order([(1, 0), (0, 5), (1, 0), (0, 2)].into_iter()),
            [3, 1, 0, 2]
        );
        let mut ours: Vec<(usize, &str)> = words.iter().copied().enumerate().collect();
        let mut std = ours.clone();
        sort_by(&mut ours, |(_, a), (_, b)| a.cmp(b));
        std.sort_by_key(|(_, a)| *a);
        assert_eq!(ours, std);
    }
}
