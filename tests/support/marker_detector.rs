//! A global allocator that scans every block it frees for the test binary's
//! `MARKER` (a string only the test keys contain), shared by the zeroize
//! tests. Each binary installs it with
//! `#[global_allocator] static ALLOCATOR: MarkerDetector = MarkerDetector;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

use super::MARKER;

/// Set when a freed block contained the marker.
static MARKER_FREED: AtomicBool = AtomicBool::new(false);

/// The system allocator, plus a scan of every block it frees.
pub(crate) struct MarkerDetector;

fn contains_marker(block: &[u8]) -> bool {
    // Allocation-free: this runs inside the allocator.
    block.windows(MARKER.len()).any(|window| window == MARKER)
}

// SAFETY: every method forwards to `System` with the arguments it was given;
// the only addition is reading a block, in `dealloc`, before it is freed.
// `realloc` is not overridden: the default allocates, copies and then calls
// `dealloc`, so a block left behind by a move is scanned as well.
unsafe impl GlobalAlloc for MarkerDetector {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Zeroed, so a block's bytes are initialized even where the program
        // never wrote, and `dealloc` may read them.
        // SAFETY: same contract as `GlobalAlloc::alloc_zeroed`, upheld by our caller.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller guarantees `ptr` is a live block of this layout,
        // so its `layout.size()` bytes are readable until we free it below;
        // they were zeroed at allocation. (Padding a typed store left behind
        // is read as whatever bytes are there, which is all a scan needs.)
        let block = unsafe { core::slice::from_raw_parts(ptr, layout.size()) };
        if contains_marker(block) {
            MARKER_FREED.store(true, Ordering::SeqCst);
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Runs `f` and reports whether the marker showed up in memory it freed.
pub(crate) fn marker_freed_by(
    f: impl FnOnce() -> Result<(), Box<dyn std::error::Error>>,
) -> Result<bool, Box<dyn std::error::Error>> {
    MARKER_FREED.store(false, Ordering::SeqCst);
    f()?;
    Ok(MARKER_FREED.swap(false, Ordering::SeqCst))
}
