/** Default high-water mark of every flow-controlled transport (asyncio: 64 KiB). */
export const DEFAULT_HIGH_WATER = 64 * 1024
/** Default low-water mark: a quarter of the default high mark (asyncio: 16 KiB). */
export const DEFAULT_LOW_WATER = DEFAULT_HIGH_WATER / 4
/** asyncio's default `backlog` for servers. */
export const DEFAULT_BACKLOG = 100
/** asyncio's SSL_HANDSHAKE_TIMEOUT: how long a TLS handshake may take by default, in milliseconds. */
export const SSL_HANDSHAKE_TIMEOUT = 60_000
