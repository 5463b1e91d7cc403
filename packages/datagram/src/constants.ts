/**
 * While reading is paused, datagrams that arrive are kept (in order) up to this many; the
 * ones that arrive beyond the bound are dropped, as a full kernel receive buffer drops them.
 */
export const PAUSED_READ_MAX_DATAGRAMS = 1024

/**
 * While reading is paused, datagrams that arrive are kept up to this many payload bytes in
 * all; a datagram that would take the total over the bound is dropped. 256 KiB is of the order
 * of Linux's default receive buffer (`net.core.rmem_default`, 208 KiB).
 */
export const PAUSED_READ_MAX_BYTES = 256 * 1024

/**
 * What each queued datagram adds to `getWriteBufferSize()` on top of its payload: the UDP
 * header, as CPython 3.13 counts it (so that empty datagrams weigh something too). Added
 * when a datagram is queued and subtracted when it leaves the queue, never one without the
 * other (CPython 3.13.0 forgot the subtraction, gh-135444).
 */
export const DATAGRAM_HEADER_SIZE = 8
