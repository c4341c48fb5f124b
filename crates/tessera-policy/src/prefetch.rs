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
pub(crate) fn lines<T>(items: &[T]) {
    let bytes = std::mem::size_of_val(items);
    if bytes == 0 {
        return;
    }
    let start = items.as_ptr() as usize;
    // The hint takes a slice and an index, and addresses `slice + index`
    // without reading or checking it: an empty byte slice and the
    // distance to the wanted line reach any address.
    let anchor: &[u8] = &[];
    let base = anchor.as_ptr() as usize;
    let mut line = start & !(LINE - 1);
    let last = (start + bytes - 1) & !(LINE - 1);
    let mut left = MAX_LINES;
    while left > 0 {
        prefetch_index(anchor, line.wrapping_sub(base));
        if line >= last {
            break;
        }
        line += LINE;
        left -= 1;
    }
}

/// Hints the lines of one value.
pub(crate) fn value<T>(item: &T) {
    lines(std::slice::from_ref(item));
}
