//! Cache-line prefetch hints: ask the memory system for every line of some
//! memory at once, without waiting for any of it.
//!
//! Across a large population a principal's compiled policies are seldom in
//! cache, and a decision that reads them as it reaches them waits for one
//! miss after another. A load issued only to bring a line in (a "touch")
//! still holds the processor's reorder window until it arrives, so a few
//! dozen instructions of touches already serialise the misses; a prefetch
//! retires at once. A hint never reads the memory and never faults, so it
//! changes nothing but timing.

use prefetch_index::prefetch_index;

/// Lines hinted for one slice, at most: enough for any record range a
/// decision reads, and a bound on the hints a huge slice could cost.
const MAX_LINES: usize = 32;

/// Bytes per cache line on the machines Tessera runs on.
const LINE: usize = 64;

/// Hints every cache line `items` spans (up to [`MAX_LINES`]).
#[inline]
pub(crate) fn lines<T>(items: &[T]) {
    let bytes = std::mem::size_of_val(items);
    if bytes == 0 {
        return;
    }
    let start = items.as_ptr() as usize;
    let first = start / LINE;
    let count = (start + bytes - 1) / LINE - first + 1;
    hint(first * LINE, count.min(MAX_LINES));
}

/// Hints the lines of one value: as many as a value of its size can span,
/// counted from the size alone, so the hints are a fixed run without a
/// loop test (the last may lie past the value, which a hint allows).
#[inline]
pub(crate) fn value<T>(item: &T) {
    let count = std::mem::size_of::<T>().div_ceil(LINE) + 1;
    let start = std::ptr::from_ref(item) as usize;
    hint(start & !(LINE - 1), count.min(MAX_LINES));
}

/// Hints `count` lines from the line at `start`.
#[inline(always)]
fn hint(start: usize, count: usize) {
    // The hint takes a slice and an index, and addresses `slice + index`
    // without reading or checking it: an empty byte slice and the
    // distance to the wanted line reach any address.
    let anchor: &[u8] = &[];
    let base = anchor.as_ptr() as usize;
    for line in 0..count {
        prefetch_index(anchor, (start + line * LINE).wrapping_sub(base));
    }
}
