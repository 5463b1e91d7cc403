/** Size of the buffers a transport reads into when it owns the read memory (the shared one and its own). */
export const READ_BUFFER_SIZE = 64 * 1024

/**
 * Reads up to this size are copied out for a stream `Protocol` (they go into the read buffer
 * every socket shares). After a larger read, the next read goes into a buffer of the
 * transport's own, which is handed over whole if that read is large too (the read after it
 * takes a fresh one); a large read that landed in the shared buffer is copied.
 */
export const COPY_READ_MAX = 16 * 1024

/** asyncio's LOG_THRESHOLD_FOR_CONNLOST_WRITES: warn once this many writes after close were dropped. */
export const LOG_THRESHOLD_FOR_CONNLOST_WRITES = 5
